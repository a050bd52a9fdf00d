/* The learning path on /learn (issue 15, items 4 and 5): the signed-in user's 70/20/10
 * balance of what was done (practice, mentoring, theory: minutes and shares against the
 * targets) and the next steps recommended from their own signals, each with its reason and
 * a link to the lesson (/learn#lesson/L-001) or to /practice with the prefill.
 *
 * Reads GET /api/training/path with the user's token only.  learn.js calls
 * CA.learnPath.load() once signed in and after a quiz is passed, and render() when the
 * language changes.  Server text is set as text only (CA.el / textContent); bar widths are
 * set through CSSOM, which the page's CSP allows (no style attribute in markup). */
(function () {
  'use strict';
  var CA = window.CA, el = CA.el, t = CA.t;

  CA.addStrings({
    zh: {
      'path.title': '我的学习路径',
      'path.intro': '70/20/10：七成在岗实践，两成导师辅导，一成理论微课。',
      'path.total': '累计 {n} 分钟',
      'path.share': '{p} · 目标 {g}',
      'path.minutes': '{n} 分钟',
      'path.next': '下一步',
      'path.none': '暂时没有建议，继续保持！',
      'path.practice': '练习：{product}',
      'path.lesson': '微课',
      'path.loading': '加载中…',
      'path.empty': '还没有学习记录：完成一节微课或一次练习后，这里会显示你的 70/20/10 分布。'
    },
    en: {
      'path.title': 'My learning path',
      'path.intro': '70/20/10: 70% practice on the job, 20% mentoring, 10% theory.',
      'path.total': '{n} minutes in all',
      'path.share': '{p} · target {g}',
      'path.minutes': '{n} min',
      'path.next': 'Next steps',
      'path.none': 'Nothing to suggest for now. Keep going!',
      'path.practice': 'Practice: {product}',
      'path.lesson': 'Lesson',
      'path.loading': 'Loading…',
      'path.empty': 'Nothing done yet: finish a lesson or a practice and your 70/20/10 split shows here.'
    }
  });

  var st = { data: null, seq: 0 };
  function $(id) { return document.getElementById(id); }
  function pct(x) { return Math.round((Number(x) || 0) * 100) + '%'; }
  function en() { return CA.lang === 'en'; }

  function body() { return $('path-panel').querySelector('.body'); }

  function load() {
    var box = $('path-panel');
    if (!box) return Promise.resolve();
    var seq = ++st.seq;
    if (!st.data) { box.dataset.state = 'loading'; }
    return CA.api('/api/training/path').then(function (res) {
      if (seq !== st.seq) return;
      if (!res.ok || !res.data) {
        CA.clear(body());
        body().appendChild(el('div', { class: 'state error', text: CA.errorText(res) }));
        box.dataset.state = 'error';
        return;
      }
      st.data = res.data;
      render();
    });
  }

  function modeRow(m) {
    var fill = el('span', { class: 'fill mode-' + m.mode });
    fill.style.width = Math.min(100, Math.max(0, (Number(m.share) || 0) * 100)).toFixed(1) + '%';
    var goal = el('span', { class: 'goal-mark', title: pct(m.target) });
    goal.style.left = Math.min(100, Math.max(0, (Number(m.target) || 0) * 100)).toFixed(1) + '%';
    var name = en() ? m.label_en : m.label;
    return el('li', { 'data-mode': m.mode },
      el('span', { class: 'name', text: name }),
      el('span', { class: 'bar', role: 'img', 'aria-label': name + ' ' + pct(m.share) + ' / ' + pct(m.target) }, fill, goal),
      el('span', { class: 'meta' },
        el('span', { class: 'num', 'data-field': 'share', text: t('path.share', { p: pct(m.share), g: pct(m.target) }) }),
        ' · ',
        el('span', { class: 'min', 'data-field': 'minutes', text: t('path.minutes', { n: m.minutes }) })));
  }

  function stepItem(s) {
    var title = s.kind === 'practice' ? t('path.practice', { product: s.title }) : (en() ? s.title_en : s.title);
    // Only the two places the server links to; anything else is not followed.
    var href = /^\/(learn#lesson\/[A-Za-z0-9_-]{1,32}|practice(\?[^#]*)?)$/.test(s.href || '') ? s.href : '/learn';
    return el('li', { 'data-kind': s.kind, 'data-signal': s.signal, 'data-lesson': s.lesson_id || null },
      el('a', { class: 'step-link', href: href },
        el('span', { class: 'tag kind-' + s.kind, text: s.kind === 'practice' ? t('nav.practice') : t('path.lesson') }),
        el('span', { class: 'step-title', text: title })),
      el('p', { class: 'reason', 'data-field': 'reason', text: en() ? s.reason_en : s.reason }));
  }

  function render() {
    var box = $('path-panel'), p = st.data;
    if (!box || !p) return;
    var b = body();
    CA.clear(b);
    var bal = p.balance || { minutes: 0, modes: [] };
    var modes = el('ul', { class: 'path-modes' });
    (bal.modes || []).forEach(function (m) { modes.appendChild(modeRow(m)); });
    var steps = el('ol', { class: 'path-steps' });
    (p.next_steps || []).forEach(function (s) { steps.appendChild(stepItem(s)); });
    CA.append(b, [
      el('p', { class: 'sub', text: t('path.intro') }),
      el('div', { class: 'prog-big', 'data-field': 'path-minutes', text: t('path.total', { n: bal.minutes || 0 }) }),
      bal.minutes ? null : el('p', { class: 'sub', 'data-field': 'path-empty', text: t('path.empty') }),
      modes,
      el('h3', { text: t('path.next') }),
      (p.next_steps || []).length ? steps : el('p', { class: 'sub', 'data-field': 'no-steps', text: t('path.none') })
    ]);
    box.dataset.state = 'ok';
  }

  CA.learnPath = { load: load, render: render };
})();
