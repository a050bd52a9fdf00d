/* Partner dashboard: this quarter's sales against target, rebate accrued, tier
 * progress, ranking, rebate history and recent customer feedback.
 *
 * Reads GET /api/me, /api/partners, /api/rebates/statement, /api/rebates/history,
 * /api/rebates/ranking and /api/feedback/recent with the signed-in user's token only:
 * what may be seen is decided by the server.  Charts are inline SVG built here; all
 * text from the server is set as text. */
(function () {
  'use strict';
  var CA = window.CA, el = CA.el, t = CA.t;

  CA.addStrings({
    zh: {
      'dash.title': '伙伴看板',
      'dash.partner': '伙伴',
      'dash.quarter': '季度',
      'dash.sales': '本季度销售 vs 目标',
      'dash.rebate': '已计返利',
      'dash.tier': '档位进度',
      'dash.ranking': '排名',
      'dash.history': '各季度返利',
      'dash.feedback': '最近的客户反馈',
      'dash.loading': '加载中…',
      'dash.unavailable': '返利数据接口暂未开放（not available yet），稍后再来看看。',
      'dash.feedback_unavailable': '反馈接口暂不可用。',
      'dash.no_partner': '你所在的节点下没有可查看的合作伙伴。',
      'dash.actual': '实际',
      'dash.target': '目标',
      'dash.attainment': '达成率',
      'dash.accrued': '预估（季度进行中）',
      'dash.final': '已结算',
      'dash.top_tier': '已是最高档',
      'dash.rank_of': '第 {rank} / {size} 名',
      'dash.no_rank': '未参与排名',
      'dash.hidden': '（未公开）',
      'dash.score': '综合分',
      'dash.no_feedback': '还没有反馈。',
      'dash.up': '有帮助',
      'dash.down': '没帮助',
      'dash.no_history': '还没有历史季度。'
    },
    en: {
      'dash.title': 'Partner dashboard',
      'dash.partner': 'Partner',
      'dash.quarter': 'Quarter',
      'dash.sales': 'Sales vs target this quarter',
      'dash.rebate': 'Rebate accrued',
      'dash.tier': 'Tier progress',
      'dash.ranking': 'Ranking',
      'dash.history': 'Rebate by quarter',
      'dash.feedback': 'Recent customer feedback',
      'dash.loading': 'Loading…',
      'dash.unavailable': 'Rebate data is not available yet; please check back later.',
      'dash.feedback_unavailable': 'Feedback is not available.',
      'dash.no_partner': 'No partner below your node to show.',
      'dash.actual': 'Actual',
      'dash.target': 'Target',
      'dash.attainment': 'Attainment',
      'dash.accrued': 'Accrued (quarter in progress)',
      'dash.final': 'Final',
      'dash.top_tier': 'Top tier reached',
      'dash.rank_of': 'Rank {rank} of {size}',
      'dash.no_rank': 'Not ranked',
      'dash.hidden': '(not shown)',
      'dash.score': 'Score',
      'dash.no_feedback': 'No feedback yet.',
      'dash.up': 'Helpful',
      'dash.down': 'Not helpful',
      'dash.no_history': 'No quarters yet.'
    }
  });

  var SVGNS = 'http://www.w3.org/2000/svg';
  var $ = function (id) { return document.getElementById(id); };
  var st = { me: null, leaves: [], partnerId: null, quarter: null, quartersKnown: false, loadSeq: 0 };

  function svg(tag, attrs) {
    var node = document.createElementNS(SVGNS, tag);
    if (tag === 'svg' && attrs && attrs.viewBox) node.setAttribute('width', attrs.viewBox.split(' ')[2]);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, String(attrs[k]));
    });
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) node.appendChild(arguments[i]);
    return node;
  }
  function num(v) { var n = Number(v); return isFinite(n) ? n : null; }
  function money(v) {
    var n = num(v);
    if (n === null) return '—';
    return '¥' + n.toLocaleString(CA.lang === 'en' ? 'en-US' : 'zh-CN', { maximumFractionDigits: Math.abs(n) < 1000 ? 2 : 0 });
  }
  function pct(v) { var n = num(v); return n === null ? '—' : (n * 100).toFixed(1) + '%'; }
  function body(id) { return $(id).querySelector('.body'); }
  /* Charts are drawn at the panel's pixel width, so their text stays at its CSS size. */
  function widthOf(id, fallback) { var w = Math.floor(body(id).clientWidth); return w >= 200 ? w : fallback; }
  function setState(id, kind, text) {
    var b = body(id);
    CA.clear(b);
    b.appendChild(el('div', { class: 'state ' + kind, text: text }));
    $(id).dataset.state = kind;
  }
  function show(id, nodes) {
    var b = body(id);
    CA.clear(b);
    CA.append(b, nodes);
    $(id).dataset.state = 'ok';
  }
  /* A route that does not exist yet (404 not_found, 501), a service still loading (503)
   * or no network: "not available yet".  Anything else is the API's own error message. */
  function failure(id, res, unavailableKey) {
    var missing = res.status === 0 || res.status === 501 || res.status === 503 ||
      (res.status === 404 && (!res.data || res.data.code === 'not_found'));
    if (missing) setState(id, 'unavailable', t(unavailableKey || 'dash.unavailable'));
    else setState(id, 'error', CA.errorText(res));
  }
  function params(extra) {
    var q = new URLSearchParams();
    Object.keys(extra).forEach(function (k) { if (extra[k]) q.set(k, extra[k]); });
    var s = q.toString();
    return s ? '?' + s : '';
  }

  /* ------------------------------------------------------------------ panels */

  function renderSales(s) {
    var actual = num(s.sales && s.sales.net), target = num(s.baseline && s.baseline.amount);
    var max = Math.max(actual || 0, target || 0, 1) * 1.1;
    var W = widthOf('panel-sales', 320), x = function (v) { return Math.max(0, Math.min(W, (v / max) * W)); };
    var chart = svg('svg', { viewBox: '0 0 ' + W + ' 58', role: 'img', 'aria-label': t('dash.sales'), 'data-chart': 'sales' },
      svg('rect', { class: 'track', x: 0, y: 8, width: W, height: 22, rx: 4 }),
      svg('rect', { class: 'bar', x: 0, y: 8, width: x(actual || 0), height: 22, rx: 4, 'data-value': actual }),
      target !== null ? svg('line', { class: 'marker', x1: x(target), x2: x(target), y1: 2, y2: 36 }) : null,
      svg('text', { x: 0, y: 52, text: t('dash.actual') + ' ' + money(actual) }),
      target !== null ? svg('text', { x: W, y: 52, 'text-anchor': 'end', text: t('dash.target') + ' ' + money(target) }) : null);
    var attainment = actual !== null && target ? actual / target : null;
    show('panel-sales', [
      el('div', { class: 'big', 'data-field': 'actual', text: money(actual) }),
      el('div', { class: 'sub', 'data-field': 'attainment' }, t('dash.target') + ' ' + money(target) + ' · ' + t('dash.attainment') + ' ' + pct(attainment)),
      chart
    ]);
  }

  function renderRebate(s) {
    var lines = Array.isArray(s.lines) ? s.lines : [];
    var total = lines.reduce(function (a, l) { return a + Math.max(0, num(l.amount) || 0); }, 0);
    var W = widthOf('panel-rebate', 320), x0 = 0;
    var chart = svg('svg', { viewBox: '0 0 ' + W + ' 24', role: 'img', 'aria-label': t('dash.rebate'), 'data-chart': 'rebate' },
      svg('rect', { class: 'track', x: 0, y: 2, width: W, height: 20, rx: 4 }));
    lines.forEach(function (l, i) {
      var w = total > 0 ? (Math.max(0, num(l.amount) || 0) / total) * W : 0;
      if (w > 0) chart.appendChild(svg('rect', { class: 'fill c' + (i % 5), x: x0, y: 2, width: w, height: 20 }, svg('title', { text: (l.description || l.kind) + ' ' + money(l.amount) })));
      x0 += w;
    });
    var legend = el('ul', { class: 'legend' });
    lines.forEach(function (l, i) {
      legend.appendChild(el('li', { 'data-kind': l.kind || '' },
        el('span', { class: 'sw c' + (i % 5) }),
        el('span', { text: l.description || l.kind || '' }),
        el('span', { class: 'amt', text: money(l.amount) }),
        l.rule ? el('span', { class: 'rule', text: l.rule }) : null));
    });
    show('panel-rebate', [
      el('div', { class: 'big', 'data-field': 'total', text: money(s.total) }),
      el('div', { class: 'sub', text: [s.quarter, s.status === 'final' ? t('dash.final') : t('dash.accrued')].filter(Boolean).join(' · ') }),
      chart, legend
    ]);
  }

  function renderTier(s) {
    var p = s.progress || {};
    var net = num(s.sales && s.sales.net) || 0, missing = num(p.missing);
    var frac = p.next_tier && missing !== null ? Math.max(0, Math.min(1, net / Math.max(1, net + missing))) : 1;
    var W = widthOf('panel-tier', 320);
    var chart = svg('svg', { viewBox: '0 0 ' + W + ' 50', role: 'img', 'aria-label': t('dash.tier'), 'data-chart': 'tier' },
      svg('rect', { class: 'track', x: 0, y: 6, width: W, height: 14, rx: 7 }),
      svg('rect', { class: 'fill c1', x: 0, y: 6, width: frac * W, height: 14, rx: 7, 'data-fraction': frac.toFixed(3) }),
      svg('text', { x: 0, y: 38, class: 'strong', text: (p.current_tier || '') + ' · ' + pct(p.current_rate) }),
      svg('text', { x: W, y: 38, 'text-anchor': 'end', text: p.next_tier ? p.next_tier + ' · ' + pct(p.next_rate) : t('dash.top_tier') }));
    show('panel-tier', [
      el('div', { class: 'big', text: p.current_tier || '—' }),
      chart,
      el('p', { class: 'sub', 'data-field': 'progress', text: p.text || '' })
    ]);
  }

  function renderRanking(r) {
    var rows = Array.isArray(r.rows) ? r.rows : [];
    var own = st.partnerId || (st.me && st.me.partner_id);
    var max = rows.reduce(function (a, row) { return Math.max(a, num(row.score) || 0); }, 0) || 1;
    var W = widthOf('panel-ranking', 320), H = 22, labelW = Math.min(180, Math.round(W * 0.4));
    var chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + Math.max(H, rows.length * H), role: 'img', 'aria-label': t('dash.ranking'), 'data-chart': 'ranking' });
    rows.forEach(function (row, i) {
      var mine = row.visible && row.partner_id === own;
      var g = svg('g', { class: mine ? 'own' : null, 'data-partner': row.partner_id || '', 'data-rank': row.rank });
      var name = row.visible ? (row.name || row.partner_id || '') : t('dash.hidden');
      var maxChars = Math.max(6, Math.floor(labelW / 12) - 3);
      if (name.length > maxChars) name = name.slice(0, maxChars - 1) + '…';
      g.appendChild(svg('text', { x: 0, y: i * H + 15, text: '#' + row.rank + ' ' + name }));
      var w = row.visible ? ((num(row.score) || 0) / max) * (W - labelW - 40) : 6;
      g.appendChild(svg('rect', { class: 'bar' + (mine ? ' own' : '') + (row.visible ? '' : ' hidden-row'), x: labelW, y: i * H + 4, width: Math.max(2, w), height: H - 8, rx: 3 }));
      if (row.visible) g.appendChild(svg('text', { x: labelW + Math.max(2, w) + 4, y: i * H + 15, text: (num(row.score) || 0).toFixed(3) }));
      chart.appendChild(g);
    });
    show('panel-ranking', [
      el('div', { class: 'big', 'data-field': 'rank', text: r.own_rank ? t('dash.rank_of', { rank: r.own_rank, size: r.size }) : t('dash.no_rank') }),
      el('div', { class: 'sub', text: [r.scope_name, r.quarter].filter(Boolean).join(' · ') }),
      chart,
      r.formula ? el('p', { class: 'rank-note', text: t('dash.score') + ' = ' + r.formula }) : null
    ]);
  }

  function renderHistory(h) {
    var quarters = (Array.isArray(h.quarters) ? h.quarters : []).slice(-8);
    if (!quarters.length) { setState('panel-history', 'empty', t('dash.no_history')); return; }
    var max = quarters.reduce(function (a, q) { return Math.max(a, num(q.total) || 0); }, 0) || 1;
    var W = widthOf('panel-history', 640), H = 160, gap = 12, bw = Math.min(120, (W - gap * (quarters.length + 1)) / quarters.length);
    var chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + (H + 36), role: 'img', 'aria-label': t('dash.history'), 'data-chart': 'history' });
    quarters.forEach(function (q, i) {
      var v = Math.max(0, num(q.total) || 0), bh = (v / max) * H, x = gap + i * (bw + gap);
      var current = q.quarter === st.quarter;
      var g = svg('g', { 'data-quarter': q.quarter, class: current ? 'own' : null });
      g.appendChild(svg('rect', { class: 'bar' + (current ? ' own' : ''), x: x, y: 14 + H - bh, width: bw, height: Math.max(1, bh), rx: 3 }));
      g.appendChild(svg('text', { x: x + bw / 2, y: 10 + H - bh, 'text-anchor': 'middle', text: money(q.total) }));
      g.appendChild(svg('text', { x: x + bw / 2, y: H + 30, 'text-anchor': 'middle', text: q.quarter + (q.status === 'accrued' ? '*' : '') }));
      chart.appendChild(g);
    });
    show('panel-history', [el('div', { class: 'sub', text: money(h.total) + (h.partner_name ? ' · ' + h.partner_name : '') }), chart]);
    if (!st.quartersKnown) {
      st.quartersKnown = true;
      var sel = $('quarter-select');
      CA.clear(sel);
      quarters.slice().reverse().forEach(function (q) { sel.appendChild(el('option', { value: q.quarter, text: q.quarter })); });
      if (st.quarter) sel.value = st.quarter;
      $('quarter-pick').hidden = false;
    }
  }

  function renderFeedback(f) {
    var items = Array.isArray(f.items) ? f.items : [];
    var up = num(f.up) || 0, down = num(f.down) || 0, all = up + down;
    var W = widthOf('panel-feedback', 320);
    var chart = svg('svg', { viewBox: '0 0 ' + W + ' 40', role: 'img', 'aria-label': t('dash.feedback'), 'data-chart': 'feedback' },
      svg('rect', { class: 'track', x: 0, y: 4, width: W, height: 14, rx: 7 }),
      all ? svg('rect', { class: 'fill c1', x: 0, y: 4, width: (up / all) * W, height: 14, rx: 7 }) : null,
      svg('text', { x: 0, y: 34, class: 'strong', text: t('dash.up') + ' ' + up }),
      svg('text', { x: W, y: 34, 'text-anchor': 'end', text: t('dash.down') + ' ' + down }));
    var list = el('ul', { class: 'fb-list' });
    items.forEach(function (it) {
      var when = it.created_at ? new Date(it.created_at) : null;
      list.appendChild(el('li', { 'data-rating': it.rating },
        el('div', { class: 'head' }, el('span', { class: 'rating ' + (it.rating === 'up' ? 'up' : 'down'), text: it.rating === 'up' ? t('dash.up') : t('dash.down') }), el('span', { text: it.user_name || '' }),
          el('span', { text: it.partner_id || '' }), el('span', { text: when && !isNaN(when) ? when.toLocaleString(CA.lang === 'en' ? 'en-US' : 'zh-CN') : '' })),
        it.question ? el('div', { class: 'q', text: '“' + it.question + '”' }) : null,
        it.comment ? el('p', { class: 'c', text: it.comment }) : null));
    });
    show('panel-feedback', [chart, items.length ? list : el('div', { class: 'state', text: t('dash.no_feedback') })]);
  }

  /* ------------------------------------------------------------------ loading */

  function flatten(node, out) {
    if (!node || typeof node !== 'object') return out;
    out.push(node);
    (node.children || []).forEach(function (c) { flatten(c, out); });
    return out;
  }

  function loadPartners() {
    return CA.api('/api/partners').then(function (res) {
      if (!res.ok || !res.data) return;
      var nodes = flatten(res.data, []);
      st.leaves = nodes.filter(function (n) { return n.level === 'partner'; });
      var own = nodes[0];
      $('partner-name').textContent = own.name || own.id || '';
      if (!st.leaves.length) return;
      st.partnerId = own.level === 'partner' ? own.id : st.leaves[0].id;
      if (st.leaves.length > 1) {
        var sel = $('partner-select');
        CA.clear(sel);
        st.leaves.forEach(function (n) { sel.appendChild(el('option', { value: n.id, text: (n.name || n.id) + ' (' + n.id + ')' })); });
        sel.value = st.partnerId;
        $('partner-pick').hidden = false;
      }
    });
  }

  function loadRebates() {
    var seq = ++st.loadSeq;
    ['panel-sales', 'panel-rebate', 'panel-tier', 'panel-ranking', 'panel-history'].forEach(function (id) { setState(id, 'loading', t('dash.loading')); });
    var who = { partner_id: st.partnerId };
    CA.api('/api/rebates/statement' + params({ quarter: st.quarter, partner_id: st.partnerId })).then(function (res) {
      if (seq !== st.loadSeq) return;
      if (!res.ok || !res.data) { ['panel-sales', 'panel-rebate', 'panel-tier'].forEach(function (id) { failure(id, res); }); return; }
      if (!st.quarter) st.quarter = res.data.quarter;
      if (res.data.partner_name) $('partner-name').textContent = res.data.partner_name;
      renderSales(res.data); renderRebate(res.data); renderTier(res.data);
    });
    CA.api('/api/rebates/ranking' + params({ quarter: st.quarter })).then(function (res) {
      if (seq !== st.loadSeq) return;
      if (res.ok && res.data) renderRanking(res.data); else failure('panel-ranking', res);
    });
    CA.api('/api/rebates/history' + params(who)).then(function (res) {
      if (seq !== st.loadSeq) return;
      if (res.ok && res.data) renderHistory(res.data); else failure('panel-history', res);
    });
  }

  function loadFeedback() {
    setState('panel-feedback', 'loading', t('dash.loading'));
    CA.api('/api/feedback/recent?limit=10').then(function (res) {
      if (res.ok && res.data) renderFeedback(res.data); else failure('panel-feedback', res, 'dash.feedback_unavailable');
    });
  }

  function start() {
    $('signin-view').hidden = true;
    CA.api('/api/me').then(function (res) {
      if (res.status === 401) { CA.session.clear(); showSignIn(); return; }
      $('dash').hidden = false;
      $('btn-signout').hidden = false;
      st.me = res.ok ? res.data : null;
      if (st.me) $('who').textContent = [st.me.display_name, st.me.username, st.me.role].filter(Boolean).join(' · ');
      // The knowledge-base editor, for those who may use it (its API decides; this is the way there).
      $('link-content').hidden = !(st.me && (st.me.role === 'content_admin' || st.me.role === 'admin'));
      loadPartners().then(loadRebates);
      loadFeedback();
    });
  }

  function showSignIn() {
    $('dash').hidden = true;
    $('signin-view').hidden = false;
    $('btn-signout').hidden = true;
  }

  $('partner-select').addEventListener('change', function (e) { st.partnerId = e.target.value; st.quartersKnown = false; loadRebates(); });
  $('quarter-select').addEventListener('change', function (e) { st.quarter = e.target.value; loadRebates(); });
  $('btn-signout').addEventListener('click', function () { CA.session.clear(); location.reload(); });
  CA.bindLangButton($('btn-lang'), function () { if (CA.session.token()) { st.quartersKnown = false; start(); } });
  CA.bindSignIn($('signin-form'), start);
  CA.applyI18n(document);
  if (CA.session.token()) start(); else showSignIn();
})();
