/* The team's learning path on the dashboard's 培训 panel (issue 15, items 4 and 5): for the
 * node shown, the 70/20/10 balance of each child node (or of each member, at a partner) with
 * practice sessions and mentoring attended counted in, and the next steps recommended to
 * most of its people, with how many.
 *
 * Reads GET /api/training/path/team?node= (managers and admins; the panel is not shown to
 * others).  dashboard.js calls CA.dashPath.load(nodeId, box) when it draws the panel.
 * Server text is set as text only; bar widths through CSSOM (the CSP allows it). */
(function () {
  'use strict';
  var CA = window.CA, el = CA.el, t = CA.t;

  CA.addStrings({
    zh: {
      'dpath.title': '学习路径 70/20/10（含练习与导师辅导）',
      'dpath.node': '单位 / 人员',
      'dpath.practice': '实践',
      'dpath.mentoring': '辅导',
      'dpath.theory': '理论',
      'dpath.minutes': '分钟',
      'dpath.advice': '重点推荐（人数）',
      'dpath.people': '{n} 人',
      'dpath.practice_of': '练习：{product}',
      'dpath.none': '暂无推荐。',
      'dpath.empty': '没有学员。',
      'dpath.unavailable': '学习路径暂不可用。'
    },
    en: {
      'dpath.title': 'Learning path 70/20/10 (practice and mentoring included)',
      'dpath.node': 'Unit / person',
      'dpath.practice': 'Practice',
      'dpath.mentoring': 'Mentoring',
      'dpath.theory': 'Theory',
      'dpath.minutes': 'Min',
      'dpath.advice': 'Recommended most (people)',
      'dpath.people': '{n} people',
      'dpath.practice_of': 'Practice: {product}',
      'dpath.none': 'Nothing recommended.',
      'dpath.empty': 'No learners.',
      'dpath.unavailable': 'The learning path is not available.'
    }
  });

  var MODES = ['practice', 'mentoring', 'theory'];
  var st = { seq: 0, data: null, box: null };

  function pct(x) { return Math.round((Number(x) || 0) * 100) + '%'; }
  function modeOf(balance, mode) {
    var found = ((balance && balance.modes) || []).filter(function (m) { return m.mode === mode; })[0];
    return found || { share: 0, minutes: 0, target: 0 };
  }

  function bar(balance) {
    var b = el('span', { class: 'dpath-bar', role: 'img' });
    var parts = [];
    MODES.forEach(function (mode) {
      var m = modeOf(balance, mode);
      parts.push(t('dpath.' + mode) + ' ' + pct(m.share));
      if (!(Number(m.share) > 0)) return;
      var seg = el('span', { class: 'seg mode-' + mode, 'data-mode': mode });
      seg.style.width = (Number(m.share) * 100).toFixed(2) + '%';  // CSSOM, which the page's CSP allows
      b.appendChild(seg);
    });
    b.setAttribute('aria-label', parts.join(', '));
    return b;
  }

  function row(key, name, balance) {
    var tr = el('tr', { 'data-row': key }, el('th', { scope: 'row' }, el('span', { class: 'name', text: name }), bar(balance)));
    MODES.forEach(function (mode) {
      tr.appendChild(el('td', { class: 'num', 'data-mode': mode, text: pct(modeOf(balance, mode).share) }));
    });
    tr.appendChild(el('td', { class: 'num', 'data-field': 'minutes', text: String((balance && balance.minutes) || 0) }));
    return tr;
  }

  function render() {
    var data = st.data, box = st.box;
    if (!data || !box) return;
    CA.clear(box);
    var tree = data.tree || {};
    var rows = (tree.children || []).length
      ? (tree.children || []).map(function (c) { return row(c.node_id, c.name || c.node_id, c.balance); })
      : (tree.members || []).map(function (m) { return row(m.username, m.display_name || m.username, m.balance); });
    var head = el('tr', {}, el('th', { scope: 'col', text: t('dpath.node') }));
    MODES.forEach(function (mode) { head.appendChild(el('th', { scope: 'col', class: 'num', text: t('dpath.' + mode) })); });
    head.appendChild(el('th', { scope: 'col', class: 'num', text: t('dpath.minutes') }));
    var advice = el('ol', { class: 'dpath-advice' });
    (data.advice || []).forEach(function (a) {
      advice.appendChild(el('li', { 'data-key': a.key, 'data-kind': a.kind },
        el('span', { class: 'title', text: a.kind === 'practice' ? t('dpath.practice_of', { product: a.title }) : a.title }),
        el('span', { class: 'count', 'data-field': 'people', text: t('dpath.people', { n: a.people }) })));
    });
    CA.append(box, [
      el('h4', { text: t('dpath.title') }),
      rows.length
        ? el('div', { class: 'dpath-scroll' }, el('table', { class: 'dpath-table' }, el('thead', {}, head), el('tbody', {}, rows)))
        : el('div', { class: 'state', text: t('dpath.empty') }),
      el('h4', { text: t('dpath.advice') }),
      (data.advice || []).length ? advice : el('div', { class: 'state', 'data-field': 'no-advice', text: t('dpath.none') })
    ]);
    box.dataset.state = 'ok';
  }

  function load(nodeId, box) {
    st.box = box;
    if (!box) return;
    var seq = ++st.seq;
    box.dataset.state = 'loading';
    var q = nodeId ? '?node=' + encodeURIComponent(nodeId) : '';
    CA.api('/api/training/path/team' + q).then(function (res) {
      if (seq !== st.seq) return;
      if (!res.ok || !res.data || !res.data.tree) {
        CA.clear(box);
        CA.append(box, [el('h4', { text: t('dpath.title') }), el('div', { class: 'state unavailable', text: t('dpath.unavailable') })]);
        box.dataset.state = 'error';
        return;
      }
      st.data = res.data;
      render();
    });
  }

  CA.dashPath = { load: load, render: render };
})();
