/* Role-play practice (issue 15, item 1): pick a product (and, if wanted, the customer's
 * industry, role and a competitor), answer the customer the assistant plays turn by turn,
 * see each answer's score and feedback, and at the end the summary: scores per dimension,
 * the points missed with their ideal wording and citations, and the lesson to take next
 * (a link to /learn#lesson/L-xxx).  The signed-in user's own history is beside it.
 *
 * Reads GET /api/me, /api/training/practice/options, /api/training/practice (history) and
 * /api/training/practice/{id}; POST /api/training/practice starts a session,
 * POST .../{id}/answers answers a turn, POST .../{id}/finish ends it early; with the
 * user's token only.  Everything from the server (and everything typed) is set as text
 * (CA.el / textContent), never as HTML.  An open session is in the address
 * (#session/PS-...), so back and reload work. */
(function () {
  'use strict';
  var CA = window.CA, el = CA.el, t = CA.t;

  CA.addStrings({
    zh: {
      'practice.title': '销售练习',
      'practice.intro': 'AI 扮演客户，4～8 轮提问和异议，每轮回答即时评分，结束时给出漏掉的要点、标准说法和下一节该学的微课。',
      'practice.history': '我的练习记录',
      'practice.setup': '开始一次练习',
      'practice.product': '产品',
      'practice.industry': '客户行业（可选）',
      'practice.persona': '联系人角色（可选）',
      'practice.competitor': '竞品（可选）',
      'practice.any': '随机',
      'practice.choose': '请选择产品',
      'practice.start': '开始练习',
      'practice.your_answer': '你的回答',
      'practice.placeholder': '像面对客户一样回答：先回应，再给依据（参数、案例、政策）。',
      'practice.send': '提交回答',
      'practice.finish': '提前结束',
      'practice.new': '← 换个场景再练',
      'practice.loading': '加载中…',
      'practice.turn_of': '第 {i} / {n} 轮',
      'practice.done_of': '已完成 {n} 轮',
      'practice.customer': '客户',
      'practice.me': '我',
      'practice.score': '得分 {s}',
      'practice.overall': '综合得分 {s}',
      'practice.na': '不适用',
      'practice.cut': '回答超过 {n} 字，只评了前 {n} 字。',
      'practice.chars': '{c} / {n} 字',
      'practice.summary': '练习总结',
      'practice.weakest': '最需要加强：{d}',
      'practice.missed': '漏掉的要点（参考说法）',
      'practice.no_missed': '要点都讲到了，很好！',
      'practice.turn': '第 {n} 轮',
      'practice.source': '出处：{s}',
      'practice.issues': '说错或编造的地方',
      'practice.lesson': '下一步学习',
      'practice.lesson_link': '《{title}》（{id}，{m} 分钟）',
      'practice.averages': '各维度平均分（{n} 次已完成练习）',
      'practice.none': '还没有练习记录，从左边选个产品开始吧。',
      'practice.open': '进行中 {a}/{n}',
      'practice.stale': '产品资料已更新，这次练习无法继续，请开始新的练习。',
      'practice.confirm_empty': '回答是空的，确定要提交吗？再点一次“提交回答”即提交。',
      'dim.coverage': '要点覆盖',
      'dim.values': '参数准确',
      'dim.objection': '异议处理',
      'dim.accuracy': '无错误无编造'
    },
    en: {
      'practice.title': 'Sales practice',
      'practice.intro': 'The assistant plays a customer for 4–8 turns of questions and objections; each answer is scored at once, and the end shows the points missed, the ideal wording and the lesson to take next.',
      'practice.history': 'My practice',
      'practice.setup': 'Start a practice',
      'practice.product': 'Product',
      'practice.industry': 'Industry (optional)',
      'practice.persona': 'Contact role (optional)',
      'practice.competitor': 'Competitor (optional)',
      'practice.any': 'Any',
      'practice.choose': 'Choose a product',
      'practice.start': 'Start',
      'practice.your_answer': 'Your answer',
      'practice.placeholder': 'Answer as you would to the customer: respond first, then give the facts (parameters, cases, policy).',
      'practice.send': 'Send answer',
      'practice.finish': 'End now',
      'practice.new': '← Practise another scenario',
      'practice.loading': 'Loading…',
      'practice.turn_of': 'Turn {i} of {n}',
      'practice.done_of': '{n} turns done',
      'practice.customer': 'Customer',
      'practice.me': 'Me',
      'practice.score': 'Score {s}',
      'practice.overall': 'Overall {s}',
      'practice.na': 'n/a',
      'practice.cut': 'The answer is longer than {n} characters; only the first {n} were scored.',
      'practice.chars': '{c} / {n} characters',
      'practice.summary': 'Summary',
      'practice.weakest': 'To work on: {d}',
      'practice.missed': 'Points missed (ideal wording)',
      'practice.no_missed': 'Every key point was covered. Well done!',
      'practice.turn': 'Turn {n}',
      'practice.source': 'Source: {s}',
      'practice.issues': 'Wrong or invented',
      'practice.lesson': 'Next lesson',
      'practice.lesson_link': '{title} ({id}, {m} min)',
      'practice.averages': 'Average per dimension ({n} finished sessions)',
      'practice.none': 'No practice yet; pick a product to start.',
      'practice.open': 'Open {a}/{n}',
      'practice.stale': 'The product data changed since this practice started; start a new one.',
      'practice.confirm_empty': 'The answer is empty; press “Send answer” again to send it anyway.',
      'dim.coverage': 'Key points',
      'dim.values': 'Figures',
      'dim.objection': 'Objection',
      'dim.accuracy': 'Nothing wrong'
    }
  });

  var $ = function (id) { return document.getElementById(id); };
  var st = { me: null, options: null, view: null, history: null, busy: false, confirmEmpty: false, prefilled: false };

  function pct(score) { return score === null || score === undefined ? null : Math.round(score * 100); }
  function scoreText(score) { var p = pct(score); return p === null ? t('practice.na') : String(p); }
  function dimLabel(d) { return CA.lang === 'en' ? t('dim.' + d.key) : d.label; }
  function day(iso) {
    if (!iso) return '';
    var d = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : iso + 'Z');
    return isNaN(d.getTime()) ? '' : d.toLocaleString(CA.lang === 'en' ? 'en-US' : 'zh-CN',
      { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }
  function productName(id) {
    var p = st.options && st.options.products.filter(function (x) { return x.id === id; })[0];
    return p ? p.id + ' ' + p.name : id;
  }
  function meter(score) {
    var p = pct(score);
    return el('progress', { class: 'meter' + (p === null ? ' na' : ''), max: 100, value: p === null ? 0 : p });
  }

  /* ------------------------------------------------------------------ options */

  function fill(select, items, blank) {
    var keep = select.value;
    CA.clear(select);
    select.appendChild(el('option', { value: '', text: blank }));
    items.forEach(function (o) { select.appendChild(el('option', { value: o.id, text: o.label })); });
    select.value = keep;
    if (select.value !== keep) select.value = '';
  }

  function fillOptions() {
    var o = st.options;
    if (!o) return;
    fill($('s-product'), o.products.map(function (p) { return { id: p.id, label: p.id + ' ' + p.name }; }), t('practice.choose'));
    fill($('s-industry'), o.industries.map(function (i) { return { id: i, label: i }; }), t('practice.any'));
    fill($('s-persona'), o.personas, t('practice.any'));
    prefill();
    fillCompetitors();
  }

  /* What the chat already knew (/practice?product=…&persona=…&industry=…, from its practice card):
     picked only when it is one of the options, so the address cannot put anything else in. */
  function prefill() {
    if (st.prefilled) return;
    st.prefilled = true;
    var q = new URLSearchParams(location.search);
    ['product', 'persona', 'industry'].forEach(function (k) {
      var v = q.get(k), select = $('s-' + k);
      if (!v || !select) return;
      select.value = v;
      if (select.value !== v) select.value = '';
    });
  }

  function fillCompetitors() {
    var id = $('s-product').value;
    var p = st.options && st.options.products.filter(function (x) { return x.id === id; })[0];
    fill($('s-competitor'), p ? p.competitors : [], t('practice.any'));
    $('s-competitor').disabled = !p;
  }

  function loadOptions() {
    return CA.api('/api/training/practice/options').then(function (res) {
      if (!res.ok || !res.data) { $('setup').dataset.state = 'error'; $('setup-error').textContent = CA.errorText(res); return; }
      st.options = res.data;
      fillOptions();
      $('setup').dataset.state = 'ok';
      if (st.view) renderView();  // product names in the header
    });
  }

  /* ------------------------------------------------------------------ history */

  function loadHistory() {
    return CA.api('/api/training/practice?limit=20').then(function (res) {
      var body = $('history-panel').querySelector('.body');
      if (!res.ok || !res.data) {
        CA.clear(body);
        body.appendChild(el('div', { class: 'state error', text: CA.errorText(res) }));
        $('history-panel').dataset.state = 'error';
        return;
      }
      st.history = res.data;
      renderHistory();
    });
  }

  function renderHistory() {
    var h = st.history, body = $('history-panel').querySelector('.body');
    CA.clear(body);
    if (!h.sessions.length) {
      body.appendChild(el('p', { class: 'sub', text: t('practice.none') }));
      $('history-panel').dataset.state = 'ok';
      return;
    }
    if (h.finished) {
      var avg = el('ul', { class: 'dims', 'data-field': 'averages' });
      h.dimensions.forEach(function (d) {
        avg.appendChild(el('li', { 'data-dim': d.key },
          el('span', { class: 'k', text: dimLabel(d) }), meter(d.score), el('span', { class: 'num', text: scoreText(d.score) })));
      });
      CA.append(body, [
        el('div', { class: 'prog-big', 'data-field': 'overall-avg', text: t('practice.overall', { s: scoreText(h.overall) }) }),
        el('div', { class: 'sub', text: t('practice.averages', { n: h.finished }) }),
        avg
      ]);
    }
    var list = el('ul', { class: 'history-list' });
    h.sessions.forEach(function (s) {
      var sc = s.scores;
      var status = sc ? sc.verdict_label + ' · ' + scoreText(sc.overall) : t('practice.open', { a: s.answered, n: s.turns });
      list.appendChild(el('li', { 'data-session': s.id, 'data-status': s.status, 'data-verdict': sc ? sc.verdict : '' },
        el('a', { href: '#session/' + s.id, class: 'history-open' },
          el('span', { class: 't', text: productName(s.product_id) }),
          el('span', { class: 'when', text: day(s.finished_at || s.created_at) }),
          el('span', { class: 'tag' + (sc ? ' v-' + sc.verdict : ''), 'data-field': 'status', text: status }))));
    });
    body.appendChild(list);
    $('history-panel').dataset.state = 'ok';
  }

  /* ------------------------------------------------------------------ a session */

  function bubble(role, text, turn) {
    return el('li', { class: 'bubble ' + role, 'data-role': role, 'data-turn': turn === undefined ? null : String(turn) },
      el('span', { class: 'who', text: t(role === 'customer' ? 'practice.customer' : 'practice.me') }),
      el('p', { class: 'text', text: text }));
  }

  function feedbackCard(a) {
    var dims = el('ul', { class: 'dims' });
    a.dimensions.forEach(function (d) {
      dims.appendChild(el('li', { 'data-dim': d.key, title: (d.evidence || []).join('\n') },
        el('span', { class: 'k', text: dimLabel(d) }), meter(d.score), el('span', { class: 'num', text: scoreText(d.score) })));
    });
    var lines = el('ul', { class: 'fb-lines' });
    (a.feedback || []).forEach(function (line) { lines.appendChild(el('li', { text: line })); });
    return el('li', { class: 'fb-card v-' + a.verdict, 'data-role': 'feedback', 'data-turn': String(a.turn), 'data-verdict': a.verdict },
      el('div', { class: 'fb-head' },
        el('strong', { 'data-field': 'verdict', text: a.verdict_label }),
        el('span', { class: 'num', 'data-field': 'score', text: t('practice.score', { s: scoreText(a.overall) }) })),
      a.cut ? el('p', { class: 'sub', text: t('practice.cut', { n: st.options ? st.options.max_answer_chars : 4000 }) }) : null,
      lines, dims);
  }

  function renderView() {
    var v = st.view, s = v.session, log = $('log');
    $('setup').hidden = true;
    $('session-view').hidden = false;
    $('session-view').dataset.session = s.id;
    var c = v.customer;
    $('customer-title').textContent = c ? c.company : productName(s.product_id);
    $('customer-meta').textContent = c
      ? [productName(s.product_id), c.industry, c.title + (c.persona_label ? '（' + c.persona_label + '）' : ''), c.region + c.city].filter(Boolean).join(' · ')
      : t('practice.stale');
    CA.clear(log);
    if (v.intro) log.appendChild(bubble('customer', v.intro));
    v.answers.forEach(function (a) {
      if (a.customer) log.appendChild(bubble('customer', a.customer, a.turn));
      log.appendChild(bubble('me', a.text, a.turn));
      log.appendChild(feedbackCard(a));
    });
    if (v.next_turn) log.appendChild(bubble('customer', v.next_turn.text, v.next_turn.index));
    var open = !!v.next_turn && s.status === 'open';
    $('answer-form').hidden = !open;
    $('turn-count').textContent = open ? t('practice.turn_of', { i: v.next_turn.index, n: s.turns }) : t('practice.done_of', { n: v.answers.length });
    renderSummary(v.summary);
    $('session-view').dataset.state = v.summary ? 'finished' : open ? 'answering' : 'closed';
    countChars();
  }

  function renderSummary(sm) {
    var box = $('summary');
    CA.clear(box);
    box.hidden = !sm;
    if (!sm) return;
    box.dataset.verdict = sm.verdict;
    var dims = el('ul', { class: 'dims' });
    sm.dimensions.forEach(function (d) {
      dims.appendChild(el('li', { 'data-dim': d.key },
        el('span', { class: 'k', text: dimLabel(d) }), meter(d.score), el('span', { class: 'num', text: scoreText(d.score) })));
    });
    var missed = el('ol', { class: 'missed' });
    sm.missed.forEach(function (m) {
      missed.appendChild(el('li', { 'data-turn': String(m.turn) },
        el('span', { class: 'label', text: t('practice.turn', { n: m.turn }) + ' · ' + m.label }),
        el('blockquote', { class: 'ideal', 'data-field': 'ideal', text: m.ideal }),
        el('span', { class: 'src', 'data-field': 'citation', text: t('practice.source', { s: m.citations.join('；') }) })));
    });
    var issues = el('ul', { class: 'issues' });
    sm.issues.forEach(function (i) {
      issues.appendChild(el('li', { 'data-kind': i.kind, text: i.said + (i.source ? '（' + t('practice.source', { s: i.source }) + '）' : '') }));
    });
    var lesson = sm.lesson;
    CA.append(box, [
      el('h3', { text: t('practice.summary') }),
      el('div', { class: 'sum-head v-' + sm.verdict },
        el('strong', { class: 'prog-big', 'data-field': 'overall', text: t('practice.overall', { s: scoreText(sm.overall) }) }),
        el('span', { class: 'tag v-' + sm.verdict, 'data-field': 'verdict', text: sm.verdict_label })),
      el('p', { class: 'sub', 'data-field': 'weakest', text: t('practice.weakest', { d: CA.lang === 'en' ? t('dim.' + sm.weakest) : sm.weakest_label }) }),
      dims,
      el('h3', { text: t('practice.missed') }),
      sm.missed.length ? missed : el('p', { class: 'sub', text: t('practice.no_missed') }),
      sm.issues.length ? el('h3', { text: t('practice.issues') }) : null,
      sm.issues.length ? issues : null,
      el('h3', { text: t('practice.lesson') }),
      el('p', { class: 'lesson-next' },
        el('a', { href: '/learn#lesson/' + encodeURIComponent(lesson.lesson_id), 'data-field': 'lesson', 'data-lesson': lesson.lesson_id,
          text: t('practice.lesson_link', { title: lesson.title, id: lesson.lesson_id, m: lesson.minutes }) }),
        el('span', { class: 'sub', text: lesson.reason }))
    ]);
  }

  function openSession(id) {
    if (st.view && st.view.session.id === id) { renderView(); return; }
    $('setup').hidden = true;
    $('session-view').hidden = false;
    $('session-view').dataset.state = 'loading';
    $('customer-title').textContent = t('practice.loading');
    $('customer-meta').textContent = '';
    CA.clear($('log'));
    $('answer-form').hidden = true;
    renderSummary(null);
    CA.api('/api/training/practice/' + encodeURIComponent(id)).then(function (res) {
      if (location.hash !== '#session/' + id) return;
      if (!res.ok || !res.data) {
        $('session-view').dataset.state = 'error';
        $('customer-title').textContent = CA.errorText(res);
        return;
      }
      st.view = res.data;
      renderView();
    });
  }

  function showSetup() {
    st.view = null;
    $('session-view').hidden = true;
    $('setup').hidden = false;
    $('setup-error').textContent = '';
  }

  /* ------------------------------------------------------------------ actions */

  function startPractice(ev) {
    ev.preventDefault();
    if (st.busy) return;
    var body = { product_id: $('s-product').value };
    if (!body.product_id) { $('setup-error').textContent = t('practice.choose'); return; }
    ['industry', 'persona', 'competitor'].forEach(function (k) { var v = $('s-' + k).value; if (v) body[k] = v; });
    st.busy = true;
    $('btn-start').disabled = true;
    $('setup-error').textContent = '';
    CA.api('/api/training/practice', { method: 'POST', body: body }).then(function (res) {
      st.busy = false;
      $('btn-start').disabled = false;
      if (!res.ok || !res.data) { $('setup-error').textContent = CA.errorText(res); return; }
      st.view = res.data;
      $('answer-text').value = '';
      location.hash = 'session/' + res.data.session.id;  // route() renders st.view
      loadHistory();
    });
  }

  function sendAnswer(ev) {
    ev.preventDefault();
    var v = st.view;
    if (!v || !v.next_turn || st.busy) return;
    var text = $('answer-text').value;
    if (!text.trim() && !st.confirmEmpty) { st.confirmEmpty = true; $('answer-error').textContent = t('practice.confirm_empty'); return; }
    st.confirmEmpty = false;
    st.busy = true;
    $('btn-answer').disabled = true;
    $('answer-error').textContent = '';
    $('session-view').dataset.state = 'sending';
    var turn = v.next_turn;
    CA.api('/api/training/practice/' + encodeURIComponent(v.session.id) + '/answers',
      { method: 'POST', body: { turn: turn.index, text: text } }).then(function (res) {
      st.busy = false;
      $('btn-answer').disabled = false;
      if (st.view !== v) return;
      if (!res.ok || !res.data) {
        $('session-view').dataset.state = 'answering';
        $('answer-error').textContent = CA.errorText(res);
        return;
      }
      var r = res.data;
      var answered = r.answer;
      if (!answered.customer) answered.customer = turn.text;
      v.answers = v.answers.filter(function (a) { return a.turn !== answered.turn; }).concat([answered]);
      v.next_turn = r.next_turn;
      v.summary = r.summary;
      v.session = r.session;
      $('answer-text').value = '';
      renderView();
      var last = $('log').lastElementChild;
      if (last && last.scrollIntoView) last.scrollIntoView({ block: 'nearest' });
      if (r.finished) { loadHistory(); $('summary').scrollIntoView({ block: 'start' }); }
    });
  }

  function finishEarly() {
    var v = st.view;
    if (!v || st.busy) return;
    st.busy = true;
    $('btn-finish').disabled = true;
    CA.api('/api/training/practice/' + encodeURIComponent(v.session.id) + '/finish', { method: 'POST' }).then(function (res) {
      st.busy = false;
      $('btn-finish').disabled = false;
      if (st.view !== v) return;
      if (!res.ok || !res.data) { $('answer-error').textContent = CA.errorText(res); return; }
      st.view = res.data;
      renderView();
      loadHistory();
    });
  }

  function countChars() {
    var n = $('answer-text').value.length, max = st.options ? st.options.max_answer_chars : 4000;
    var c = $('answer-count');
    c.textContent = t('practice.chars', { c: n, n: max });
    c.classList.toggle('over', n > max);
    st.confirmEmpty = false;
  }

  /* ------------------------------------------------------------------ page */

  function route() {
    var m = /^#session\/(PS-[0-9a-f]{32})$/.exec(location.hash);
    if (m) openSession(m[1]);
    else showSetup();
  }

  function start() {
    $('signin-view').hidden = true;
    CA.api('/api/me').then(function (res) {
      if (res.status === 401) { CA.session.clear(); showSignIn(); return; }
      $('practice').hidden = false;
      $('btn-signout').hidden = false;
      st.me = res.ok ? res.data : null;
      if (st.me) $('who').textContent = [st.me.display_name, st.me.username].filter(Boolean).join(' · ');
      loadOptions();
      loadHistory();
      route();
    });
  }

  function showSignIn() {
    $('practice').hidden = true;
    $('signin-view').hidden = false;
    $('btn-signout').hidden = true;
  }

  $('setup-form').addEventListener('submit', startPractice);
  $('s-product').addEventListener('change', fillCompetitors);
  $('answer-form').addEventListener('submit', sendAnswer);
  $('answer-text').addEventListener('input', countChars);
  $('btn-finish').addEventListener('click', finishEarly);
  $('btn-new').addEventListener('click', function () { location.hash = ''; });
  window.addEventListener('hashchange', function () { if (CA.session.token()) route(); });
  $('btn-signout').addEventListener('click', function () { CA.session.clear(); location.reload(); });
  CA.bindLangButton($('btn-lang'), function () {
    if (!CA.session.token()) return;
    fillOptions();
    if (st.history) renderHistory();
    if (st.view) renderView();
  });
  CA.bindSignIn($('signin-form'), start);
  CA.applyI18n(document);
  if (CA.session.token()) start(); else showSignIn();
})();
