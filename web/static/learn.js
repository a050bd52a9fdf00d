/* Micro-lessons (issue 15, item 3): the catalogue with its filters (role, product line,
 * mode, topic, week), a lesson with its content and duration, the quiz at its end with a
 * pass/fail result, and the signed-in user's own progress.
 *
 * Reads GET /api/me, /api/training/lessons, /api/training/lessons/{id},
 * /api/training/progress; POST /api/training/lessons/{id}/quiz starts an attempt and
 * POST /api/training/quiz/{attempt} submits it, with the user's token only.  The server
 * holds the right answers and grades; this page sends option positions as the attempt
 * showed them.  Everything from the server is set as text (CA.el / textContent), never
 * as HTML.  An open lesson is in the address (#lesson/L-001), so back and reload work. */
(function () {
  'use strict';
  var CA = window.CA, el = CA.el, t = CA.t;

  CA.addStrings({
    zh: {
      'learn.title': '微课学习',
      'learn.intro': '每节 8～12 分钟，学完做个小测验，通过即记为完成。',
      'learn.progress': '我的学习进度',
      'learn.catalogue': '课程目录',
      'learn.f_role': '角色',
      'learn.f_line': '产品线',
      'learn.f_mode': '类型',
      'learn.f_topic': '主题',
      'learn.f_week': '周次',
      'learn.all': '全部',
      'learn.reset': '清除筛选',
      'learn.week': '第 {n} 周',
      'learn.minutes': '{n} 分钟',
      'learn.count': '共 {n} 节课',
      'learn.none': '没有符合条件的课程，换个筛选条件试试。',
      'learn.loading': '加载中…',
      'learn.done': '已完成',
      'learn.back': '← 返回课程目录',
      'learn.objectives': '学习目标',
      'learn.content': '课程内容',
      'learn.exercises': '课后练习',
      'learn.quiz': '小测验',
      'learn.quiz_rule': '共 {n} 道单选题，答对 {need} 题即通过。',
      'learn.start': '开始测验',
      'learn.submit': '提交答案',
      'learn.retry': '再做一次',
      'learn.answer_all': '请为每道题选择一个答案。',
      'learn.passed': '通过！答对 {c}/{n} 题。',
      'learn.passed_new': '本课已记为完成。',
      'learn.passed_before': '本课此前已完成，记录保持不变。',
      'learn.failed': '未通过：答对 {c}/{n} 题，需答对 {need} 题。',
      'learn.failed_hint': '回顾一下课程内容，再做一次吧。',
      'learn.right': '✓ 正确',
      'learn.wrong': '✗ 错误',
      'learn.completed_on': '已于 {d} 完成（答对 {c}/{n}）',
      'learn.done_of': '已完成 {c} / {n} 节',
      'learn.minutes_total': '累计学习 {n} 分钟',
      'learn.recent': '最近完成',
      'learn.no_recent': '还没有完成的课程，从第 1 周开始吧。',
      'learn.q': '第 {n} 题'
    },
    en: {
      'learn.title': 'Micro-lessons',
      'learn.intro': 'Each lesson takes 8–12 minutes; pass the short quiz at the end to complete it.',
      'learn.progress': 'My progress',
      'learn.catalogue': 'Catalogue',
      'learn.f_role': 'Role',
      'learn.f_line': 'Product line',
      'learn.f_mode': 'Mode',
      'learn.f_topic': 'Topic',
      'learn.f_week': 'Week',
      'learn.all': 'All',
      'learn.reset': 'Clear filters',
      'learn.week': 'Week {n}',
      'learn.minutes': '{n} min',
      'learn.count': '{n} lessons',
      'learn.none': 'No lesson matches; try other filters.',
      'learn.loading': 'Loading…',
      'learn.done': 'Completed',
      'learn.back': '← Back to the catalogue',
      'learn.objectives': 'Objectives',
      'learn.content': 'Content',
      'learn.exercises': 'Exercises',
      'learn.quiz': 'Quiz',
      'learn.quiz_rule': '{n} single-choice questions; {need} right answers pass.',
      'learn.start': 'Start the quiz',
      'learn.submit': 'Submit answers',
      'learn.retry': 'Try again',
      'learn.answer_all': 'Choose an answer for every question.',
      'learn.passed': 'Passed: {c} of {n} right.',
      'learn.passed_new': 'The lesson is now completed.',
      'learn.passed_before': 'You completed this lesson before; that record stays.',
      'learn.failed': 'Not passed: {c} of {n} right; {need} needed.',
      'learn.failed_hint': 'Go over the content and try again.',
      'learn.right': '✓ Right',
      'learn.wrong': '✗ Wrong',
      'learn.completed_on': 'Completed on {d} ({c} of {n} right)',
      'learn.done_of': '{c} of {n} lessons completed',
      'learn.minutes_total': '{n} minutes of learning',
      'learn.recent': 'Recently completed',
      'learn.no_recent': 'Nothing completed yet; start with week 1.',
      'learn.q': 'Question {n}'
    }
  });

  var $ = function (id) { return document.getElementById(id); };
  var FILTERS = { role: 'f-role', product_line: 'f-line', mode: 'f-mode', topic: 'f-topic', week: 'f-week' };
  var st = { me: null, filters: null, cards: [], lesson: null, attempt: null, result: null, progress: null, seq: 0 };

  function panelBody(id) { return $(id).querySelector('.body'); }
  function setState(id, kind, text) {
    var b = panelBody(id);
    CA.clear(b);
    b.appendChild(el('div', { class: 'state ' + kind, text: text }));
    $(id).dataset.state = kind;
  }
  function need(n, percent) { return Math.ceil((percent * n) / 100); }
  function day(iso) {
    var d = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : iso + 'Z');
    return isNaN(d.getTime()) ? '' : d.toLocaleDateString(CA.lang === 'en' ? 'en-US' : 'zh-CN');
  }

  /* ------------------------------------------------------------------ progress */

  function loadProgress() {
    return CA.api('/api/training/progress').then(function (res) {
      if (!res.ok || !res.data) { setState('progress-panel', 'error', CA.errorText(res)); return; }
      renderProgress(res.data);
    });
  }

  function renderProgress(p) {
    st.progress = p;
    var b = panelBody('progress-panel');
    CA.clear(b);
    var modes = el('ul', { class: 'prog-modes' });
    (p.by_mode || []).forEach(function (m) {
      modes.appendChild(el('li', { 'data-mode': m.mode },
        el('span', { text: m.label }),
        el('progress', { max: Math.max(1, m.lessons), value: m.completed }),
        el('span', { class: 'num', 'data-field': 'mode-count', text: m.completed + '/' + m.lessons })));
    });
    var recent = el('ul', { class: 'prog-recent' });
    (p.lessons || []).slice(0, 5).forEach(function (c) {
      recent.appendChild(el('li', { 'data-lesson': c.lesson_id }, c.title, el('span', { class: 'when', text: day(c.completed_at) })));
    });
    CA.append(b, [
      el('div', { class: 'prog-big', 'data-field': 'completed', text: t('learn.done_of', { c: p.completed, n: p.lessons_total }) }),
      el('progress', { class: 'prog-total', max: Math.max(1, p.lessons_total), value: p.completed }),
      el('div', { class: 'sub', 'data-field': 'minutes', text: t('learn.minutes_total', { n: p.minutes }) }),
      modes,
      el('h3', { text: t('learn.recent') }),
      (p.lessons || []).length ? recent : el('p', { class: 'sub', text: t('learn.no_recent') })
    ]);
    $('progress-panel').dataset.state = 'ok';
  }

  /* ------------------------------------------------------------------ catalogue */

  function fillSelect(select, options, label) {
    var keep = select.value;
    CA.clear(select);
    select.appendChild(el('option', { value: '', text: t('learn.all') }));
    options.forEach(function (o) { select.appendChild(el('option', { value: String(o.id), text: label ? label(o) : o.label })); });
    select.value = keep;
  }

  function fillFilters(f) {
    st.filters = f;
    fillSelect($('f-role'), f.roles || []);
    fillSelect($('f-line'), f.product_lines || []);
    fillSelect($('f-mode'), f.modes || []);
    fillSelect($('f-topic'), f.topics || []);
    fillSelect($('f-week'), (f.weeks || []).map(function (w) { return { id: w }; }), function (o) { return t('learn.week', { n: o.id }); });
  }

  function query() {
    var q = new URLSearchParams();
    Object.keys(FILTERS).forEach(function (k) { var v = $(FILTERS[k]).value; if (v) q.set(k, v); });
    var s = q.toString();
    return s ? '?' + s : '';
  }

  function loadCatalogue() {
    var seq = ++st.seq;
    $('catalogue').dataset.state = 'loading';
    return CA.api('/api/training/lessons' + query()).then(function (res) {
      if (seq !== st.seq) return;  // a newer filter change is under way
      if (!res.ok || !res.data) {
        $('catalogue').dataset.state = 'error';
        $('lesson-count').textContent = CA.errorText(res);
        CA.clear($('lesson-list'));
        return;
      }
      if (!st.filters) fillFilters(res.data.filters || {});
      st.cards = res.data.lessons || [];
      renderCatalogue();
    });
  }

  function tags(c) {
    return el('span', { class: 'tags' },
      el('span', { class: 'tag mode-' + c.mode, text: c.mode_label }),
      el('span', { class: 'tag', 'data-field': 'duration', text: t('learn.minutes', { n: c.duration_minutes }) }),
      el('span', { class: 'tag', text: t('learn.week', { n: c.week }) }),
      c.product_line_label ? el('span', { class: 'tag', text: c.product_line_label }) : null,
      el('span', { class: 'tag', text: c.topic_label }),
      c.completed ? el('span', { class: 'tag done', text: '✓ ' + t('learn.done') }) : null);
  }

  function renderCatalogue() {
    var list = $('lesson-list');
    CA.clear(list);
    st.cards.forEach(function (c) {
      list.appendChild(el('li', { 'data-lesson': c.id, 'data-mode': c.mode, 'data-line': c.product_line || '', class: c.completed ? 'done' : null },
        el('button', { type: 'button', class: 'lesson-open', onclick: function () { location.hash = 'lesson/' + c.id; } },
          el('span', { class: 't', text: c.title }),
          tags(c))));
    });
    $('lesson-count').textContent = st.cards.length ? t('learn.count', { n: st.cards.length }) : t('learn.none');
    $('catalogue').dataset.state = 'ok';
  }

  /* ------------------------------------------------------------------ lesson */

  function fillList(id, items) {
    var ul = $(id);
    CA.clear(ul);
    (items || []).forEach(function (x) { ul.appendChild(el('li', { text: x })); });
  }

  function openLesson(id) {
    $('catalogue').hidden = true;
    $('lesson-view').hidden = false;
    $('lesson-view').dataset.state = 'loading';
    $('lesson-title').textContent = t('learn.loading');
    resetQuiz();
    CA.api('/api/training/lessons/' + encodeURIComponent(id)).then(function (res) {
      if (!res.ok || !res.data) {
        $('lesson-view').dataset.state = 'error';
        $('lesson-title').textContent = CA.errorText(res);
        return;
      }
      st.lesson = res.data;
      renderLesson();
      window.scrollTo(0, 0);
    });
  }

  function renderLesson() {
    var l = st.lesson;
    $('lesson-view').dataset.lesson = l.id;
    $('lesson-title').textContent = l.title;
    $('lesson-meta').textContent = [l.mode_label, t('learn.minutes', { n: l.duration_minutes }), t('learn.week', { n: l.week }),
      l.product_line_label, l.topic_label, (l.role_labels || []).join('、')].filter(Boolean).join(' · ');
    renderDone(l.completion);
    fillList('lesson-objectives', l.objectives);
    $('lesson-content').textContent = l.content;
    fillList('lesson-exercises', l.exercises);
    $('lesson-exercises-box').hidden = !(l.exercises && l.exercises.length);
    $('quiz-rule').textContent = t('learn.quiz_rule', { n: l.questions, need: need(l.questions, l.pass_percent) });
    $('lesson-view').dataset.state = 'ok';
  }

  function renderDone(c) {
    var note = $('lesson-done');
    note.hidden = !c;
    note.textContent = c ? t('learn.completed_on', { d: day(c.completed_at), c: c.correct, n: c.total }) : '';
  }

  function showCatalogue() {
    st.lesson = null;
    resetQuiz();
    $('lesson-view').hidden = true;
    $('catalogue').hidden = false;
  }

  /* ------------------------------------------------------------------ quiz */

  function resetQuiz() {
    st.attempt = null;
    st.result = null;
    CA.clear($('quiz-form'));
    $('quiz-form').hidden = true;
    $('quiz-result').hidden = true;
    CA.clear($('quiz-result'));
    $('quiz-error').textContent = '';
    $('btn-start-quiz').hidden = false;
    $('btn-start-quiz').disabled = false;
    $('quiz').dataset.state = 'idle';
  }

  function startQuiz() {
    if (!st.lesson) return;
    var lessonId = st.lesson.id;
    $('btn-start-quiz').disabled = true;
    $('quiz-error').textContent = '';
    CA.api('/api/training/lessons/' + encodeURIComponent(lessonId) + '/quiz', { method: 'POST' }).then(function (res) {
      $('btn-start-quiz').disabled = false;
      if (!st.lesson || st.lesson.id !== lessonId) return;
      if (!res.ok || !res.data) { $('quiz-error').textContent = CA.errorText(res); return; }
      resetQuiz();
      st.attempt = res.data;
      renderQuiz();
    });
  }

  function renderQuiz() {
    var a = st.attempt, form = $('quiz-form');
    CA.clear(form);
    a.questions.forEach(function (q) {
      var set = el('fieldset', { 'data-question': q.index },
        el('legend', {}, t('learn.q', { n: q.index + 1 }) + '：' + q.text, el('span', { class: 'mark' })));
      q.options.forEach(function (text, pos) {
        set.appendChild(el('label', { class: 'opt', 'data-position': pos },
          el('input', { type: 'radio', name: 'q' + q.index, value: String(pos), required: true }),
          el('span', { text: text })));
      });
      form.appendChild(set);
    });
    form.appendChild(el('div', { class: 'quiz-actions' },
      el('button', { type: 'submit', class: 'btn primary', id: 'btn-submit-quiz', text: t('learn.submit') })));
    form.hidden = false;
    $('btn-start-quiz').hidden = true;
    $('quiz').dataset.state = 'answering';
  }

  function submitQuiz(ev) {
    ev.preventDefault();
    var a = st.attempt;
    if (!a || st.result) return;
    var answers = [];
    for (var i = 0; i < a.questions.length; i++) {
      var picked = $('quiz-form').querySelector('input[name="q' + a.questions[i].index + '"]:checked');
      if (!picked) { $('quiz-error').textContent = t('learn.answer_all'); return; }
      answers.push(Number(picked.value));
    }
    $('quiz-error').textContent = '';
    var btn = $('btn-submit-quiz');
    btn.disabled = true;
    CA.api('/api/training/quiz/' + encodeURIComponent(a.attempt_id), { method: 'POST', body: { answers: answers } }).then(function (res) {
      if (st.attempt !== a) return;
      if (!res.ok || !res.data) { btn.disabled = false; $('quiz-error').textContent = CA.errorText(res); return; }
      st.result = res.data;
      renderResult();
    });
  }

  function renderResult() {
    var r = st.result, form = $('quiz-form');
    form.querySelectorAll('input').forEach(function (i) { i.disabled = true; });
    var submit = $('btn-submit-quiz');
    if (submit) submit.hidden = true;
    (r.results || []).forEach(function (q) {
      var set = form.querySelector('fieldset[data-question="' + q.index + '"]');
      if (!set) return;
      set.classList.add(q.correct ? 'right' : 'wrong');
      set.dataset.result = q.correct ? 'right' : 'wrong';
      set.querySelector('.mark').textContent = t(q.correct ? 'learn.right' : 'learn.wrong');
      if (q.answer !== null && q.answer !== undefined) {
        var right = set.querySelector('.opt[data-position="' + q.answer + '"]');
        if (right) right.classList.add('answer');
      }
    });
    var box = $('quiz-result');
    CA.clear(box);
    box.dataset.state = r.passed ? 'passed' : 'failed';
    if (r.passed) {
      CA.append(box, [
        el('strong', { 'data-field': 'verdict', text: t('learn.passed', { c: r.correct, n: r.total }) }),
        el('span', { text: t(r.newly_completed ? 'learn.passed_new' : 'learn.passed_before') }),
        el('div', {}, el('button', { type: 'button', class: 'btn', onclick: function () { location.hash = ''; }, text: t('learn.back') }))
      ]);
    } else {
      CA.append(box, [
        el('strong', { 'data-field': 'verdict', text: t('learn.failed', { c: r.correct, n: r.total, need: need(r.total, r.pass_percent) }) }),
        el('span', { text: t('learn.failed_hint') }),
        el('div', {}, el('button', { type: 'button', class: 'btn primary', id: 'btn-retry', onclick: startQuiz, text: t('learn.retry') }))
      ]);
    }
    box.hidden = false;
    $('quiz').dataset.state = r.passed ? 'passed' : 'failed';
    if (r.progress) renderProgress(r.progress);
    if (r.completion && st.lesson) {
      st.lesson.completion = r.completion;
      st.lesson.completed = true;
      renderDone(r.completion);
      if (r.newly_completed && CA.learnPath) CA.learnPath.load();
      st.cards.forEach(function (c) { if (c.id === r.lesson_id) c.completed = true; });
      renderCatalogue();
    }
  }

  /* ------------------------------------------------------------------ page */

  function route() {
    var m = /^#lesson\/([A-Za-z0-9_-]{1,32})$/.exec(location.hash);
    if (m) openLesson(m[1]);
    else showCatalogue();
  }

  function start() {
    $('signin-view').hidden = true;
    CA.api('/api/me').then(function (res) {
      if (res.status === 401) { CA.session.clear(); showSignIn(); return; }
      $('learn').hidden = false;
      $('btn-signout').hidden = false;
      st.me = res.ok ? res.data : null;
      if (st.me) $('who').textContent = [st.me.display_name, st.me.username].filter(Boolean).join(' · ');
      loadProgress();
      if (CA.learnPath) CA.learnPath.load();  // learn-path.js: the 70/20/10 balance and next steps
      loadCatalogue();
      route();
    });
  }

  function showSignIn() {
    $('learn').hidden = true;
    $('signin-view').hidden = false;
    $('btn-signout').hidden = true;
  }

  Object.keys(FILTERS).forEach(function (k) { $(FILTERS[k]).addEventListener('change', loadCatalogue); });
  $('filters').addEventListener('submit', function (e) { e.preventDefault(); });
  $('filters').addEventListener('reset', function () { setTimeout(loadCatalogue, 0); });
  $('btn-back').addEventListener('click', function () { location.hash = ''; });
  $('btn-start-quiz').addEventListener('click', startQuiz);
  $('quiz-form').addEventListener('submit', submitQuiz);
  window.addEventListener('hashchange', function () { if (CA.session.token()) route(); });
  $('btn-signout').addEventListener('click', function () { CA.session.clear(); location.reload(); });
  CA.bindLangButton($('btn-lang'), function () {
    if (!CA.session.token()) return;
    if (st.filters) fillFilters(st.filters);
    if (st.progress) renderProgress(st.progress);
    if (CA.learnPath) CA.learnPath.render();
    renderCatalogue();
    if (st.lesson) renderLesson();
    if (st.attempt && !st.result) renderQuiz();
    if (st.result) renderResult();
  });
  CA.bindSignIn($('signin-form'), start);
  CA.applyI18n(document);
  if (CA.session.token()) start(); else showSignIn();
})();
