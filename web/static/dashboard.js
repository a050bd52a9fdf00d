/* Partner dashboard: this quarter's sales against target, rebate accrued, tier
 * progress, ranking, rebate history and the staff's ratings of assistant answers; then the
 * channel operations of the user's node (issue 14): risk alerts, sales against target,
 * inventory and days of inventory, customer satisfaction and complaints, tasks, and the
 * capability radar; and, for managers and admins, the training of their team (issue 15).
 *
 * Reads GET /api/me, /api/partners, /api/rebates/statement, /api/rebates/history,
 * /api/rebates/ranking, /api/feedback/recent, /api/ops/dashboard, /api/alerts,
 * /api/ops/profiles/{partner}, /api/training/progress/team and /api/training/practice/team
 * with the signed-in user's token only: what may be seen is decided by the server.  Live:
 * one socket to /ws/alerts (managers and admins) brings "alert" events (inserted into the
 * list) and "dashboard" events naming the panels to fetch again; nothing polls.  Rebate
 * charts are inline SVG built here, operations charts Chart.js (vendored,
 * /static/vendor/chart.umd.min.js); all text from the server is set as text. */
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
      'dash.feedback': '员工对助手回答的评价',
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
      'dash.feedback': 'Staff ratings of assistant answers',
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

  /* ------------------------------------------------------------------ channel operations */

  CA.addStrings({
    zh: {
      'ops.title': '渠道运营',
      'ops.live_on': '实时更新中',
      'ops.live_off': '未连接实时更新',
      'ops.alerts': '风险预警',
      'ops.sales': '销售目标达成',
      'ops.inventory': '库存与库存天数',
      'ops.customer': '客户满意度与投诉',
      'ops.tasks': '任务进度',
      'ops.radar': '能力雷达',
      'ops.unavailable': '运营数据暂不可用，稍后再来看看。',
      'ops.actual': '实际销售',
      'ops.target': '目标',
      'ops.attainment': '达成率',
      'ops.pace': '时间进度',
      'ops.stock': '库存',
      'ops.units': '件',
      'ops.doi': '库存天数',
      'ops.days': '天',
      'ops.week_of': '截至 {week} 当周',
      'ops.threshold': '预警线 {days} 天',
      'ops.no_inventory': '本季度还没有库存周报。',
      'ops.line': '产品线',
      'ops.sell_through': '近 {weeks} 周动销',
      'ops.satisfaction': '满意度',
      'ops.mean_score': '平均分',
      'ops.surveys': '满意度调查 {n} 份',
      'ops.complaints': '投诉 {n} 起',
      'ops.no_surveys': '本季度还没有满意度调查。',
      'ops.open': '待处理',
      'ops.in_progress': '处理中',
      'ops.closed': '已关闭',
      'ops.no_tasks': '本季度没有任务。',
      'ops.tasks_summary': '共 {total} 项 · 逾期 {overdue} · 落后 {at_risk} · 完成 {done}',
      'ops.due': '截止 {due}',
      'ops.expected': '按进度应完成 {n}',
      'ops.mine': '我的份额 {progress}/{quantity}',
      'ops.no_alerts': '没有未解决的风险预警。',
      'ops.alert_counts': '待处理 {open} · 已确认 {ack}',
      'ops.ack': '确认',
      'ops.resolve': '解决',
      'ops.resolve_note': '处理说明',
      'ops.submit': '提交',
      'ops.cancel': '取消',
      'ops.evidence_orders': '订单',
      'ops.evidence_weeks': '周',
      'ops.evidence_feedback': '反馈',
      'ops.evidence_tasks': '任务',
      'ops.cleared': '（已不再触发）',
      'ops.more': '显示全部 {n} 条',
      'ops.limit': '阈值',
      'ops.less': '收起',
      'fig.booked': '下单额', 'fig.complaint_rate': '投诉率', 'fig.complaints': '投诉数', 'fig.customers_served': '服务客户数',
      'fig.days_overdue': '逾期天数', 'fig.edge_margin': '超出档位', 'fig.first_days_of_inventory': '首周库存天数',
      'fig.late_booked': '季末两周下单额', 'fig.late_existing_booked': '季末老客户下单额', 'fig.late_share': '季末下单占比',
      'fig.net': '净销售额', 'fig.net_without_late': '扣除季末老客户后', 'fig.peak_days_of_inventory': '最高库存天数',
      'fig.progress': '进度', 'fig.region_mad': '大区离散度', 'fig.region_median': '大区中位数', 'fig.region_partners': '大区伙伴数',
      'fig.return_rate': '退货率', 'fig.returned': '退货额', 'fig.robust_z': '稳健 Z 值', 'fig.run_weeks': '持续周数',
      'fig.shortfall': '差额', 'fig.stock_units': '库存', 'fig.tier_edge': '档位门槛', 'fig.total_fall': '累计下降', 'fig.window_days': '窗口天数',
      'ops.partner': '本伙伴',
      'ops.alliance': '联盟平均',
      'ops.region': '大区平均',
      'ops.weakest': '相对联盟最弱：{label}',
      'ops.no_partner': '选择一个伙伴查看能力雷达。',
      'sev.high': '高', 'sev.medium': '中', 'sev.low': '低',
      'status.open': '待处理', 'status.acknowledged': '已确认', 'status.resolved': '已解决',
      'lvl.ok': '正常', 'lvl.low': '偏高', 'lvl.medium': '积压', 'lvl.high': '严重积压',
      'task.not_started': '未开始', 'task.on_track': '正常', 'task.at_risk': '进度落后', 'task.overdue': '已逾期', 'task.done': '已完成',
      'cat.quality': '质量', 'cat.delivery': '交付', 'cat.installation': '安装', 'cat.service': '服务', 'cat.billing': '账务',
      'rule.return_spike': '退货激增', 'rule.quarter_end_stuffing': '季末压货', 'rule.tier_edge_no_new': '踩线跨档（无新客户）',
      'rule.overstock': '库存积压', 'rule.complaint_rate': '投诉率异常', 'rule.satisfaction_falling': '满意度连续下降', 'rule.overdue_task': '任务逾期'
    },
    en: {
      'ops.title': 'Channel operations',
      'ops.live_on': 'Live',
      'ops.live_off': 'Not live',
      'ops.alerts': 'Risk alerts',
      'ops.sales': 'Sales vs target',
      'ops.inventory': 'Inventory and days of inventory',
      'ops.customer': 'Customer satisfaction and complaints',
      'ops.tasks': 'Tasks',
      'ops.radar': 'Capability radar',
      'ops.unavailable': 'Operations data is not available yet; please check back later.',
      'ops.actual': 'Actual',
      'ops.target': 'Target',
      'ops.attainment': 'Attainment',
      'ops.pace': 'Quarter elapsed',
      'ops.stock': 'Stock',
      'ops.units': 'units',
      'ops.doi': 'Days of inventory',
      'ops.days': 'days',
      'ops.week_of': 'Week of {week}',
      'ops.threshold': 'alert line {days} days',
      'ops.no_inventory': 'No inventory reports this quarter yet.',
      'ops.line': 'Line',
      'ops.sell_through': 'sold in {weeks} weeks',
      'ops.satisfaction': 'Satisfaction',
      'ops.mean_score': 'Mean score',
      'ops.surveys': '{n} surveys',
      'ops.complaints': '{n} complaints',
      'ops.no_surveys': 'No surveys this quarter yet.',
      'ops.open': 'Open',
      'ops.in_progress': 'In progress',
      'ops.closed': 'Closed',
      'ops.no_tasks': 'No tasks this quarter.',
      'ops.tasks_summary': '{total} tasks · {overdue} overdue · {at_risk} behind · {done} done',
      'ops.due': 'due {due}',
      'ops.expected': 'pace expects {n}',
      'ops.mine': 'my share {progress}/{quantity}',
      'ops.no_alerts': 'No unresolved risk alerts.',
      'ops.alert_counts': '{open} open · {ack} acknowledged',
      'ops.ack': 'Acknowledge',
      'ops.resolve': 'Resolve',
      'ops.resolve_note': 'What was done',
      'ops.submit': 'Submit',
      'ops.cancel': 'Cancel',
      'ops.evidence_orders': 'Orders',
      'ops.evidence_weeks': 'Weeks',
      'ops.evidence_feedback': 'Feedback',
      'ops.evidence_tasks': 'Tasks',
      'ops.cleared': '(no longer firing)',
      'ops.more': 'Show all {n}',
      'ops.limit': 'limit',
      'ops.less': 'Show fewer',
      'ops.partner': 'This partner',
      'ops.alliance': 'Alliance mean',
      'ops.region': 'Region mean',
      'ops.weakest': 'Weakest against the alliance: {label}',
      'ops.no_partner': 'Choose a partner to see its radar.',
      'sev.high': 'High', 'sev.medium': 'Medium', 'sev.low': 'Low',
      'status.open': 'Open', 'status.acknowledged': 'Acknowledged', 'status.resolved': 'Resolved',
      'lvl.ok': 'OK', 'lvl.low': 'High', 'lvl.medium': 'Overstock', 'lvl.high': 'Severe overstock',
      'task.not_started': 'Not started', 'task.on_track': 'On track', 'task.at_risk': 'Behind pace', 'task.overdue': 'Overdue', 'task.done': 'Done',
      'cat.quality': 'Quality', 'cat.delivery': 'Delivery', 'cat.installation': 'Installation', 'cat.service': 'Service', 'cat.billing': 'Billing',
      'rule.return_spike': 'Return spike', 'rule.quarter_end_stuffing': 'Quarter-end stuffing', 'rule.tier_edge_no_new': 'Tier edge without new customers',
      'rule.overstock': 'Overstock', 'rule.complaint_rate': 'Complaint rate', 'rule.satisfaction_falling': 'Satisfaction falling', 'rule.overdue_task': 'Overdue task'
    }
  });

  var OPS_PANELS = { sales: 'panel-ops-sales', inventory: 'panel-inventory', feedback: 'panel-customer', tasks: 'panel-tasks', alerts: 'panel-alerts' };
  var COLORS = { blue: '#0b6bcb', green: '#13a37f', amber: '#f0a202', purple: '#8e5bd6', red: '#d6455d', grey: '#9aa7b5' };
  var ops = { seq: {}, alerts: [], alertsLoaded: false, ws: null, retry: 0, timer: null, live: false, charts: {}, pending: [], radarSeq: 0 };

  function withAlerts() { return !!(st.me && (st.me.role === 'manager' || st.me.role === 'admin')); }
  function tr(prefix, key) { var k = prefix + '.' + key, s = t(k); return s === k ? String(key) : s; }
  function infinite(v) { return v === 'Infinity' || v === Infinity; }
  function days(v) { if (infinite(v)) return '∞'; var n = num(v); return n === null ? '—' : n.toFixed(1); }
  function int(v) { var n = num(v); return n === null ? '—' : n.toLocaleString(CA.lang === 'en' ? 'en-US' : 'zh-CN'); }

  /* A Chart.js chart in a fixed-height box of the panel (responsive to the box's width). */
  function chart(name, height, config) {
    if (ops.charts[name]) { ops.charts[name].destroy(); delete ops.charts[name]; }
    var canvas = el('canvas', { role: 'img', 'aria-label': name, 'data-chart': name });
    var box = el('div', { class: 'chart-box', dataset: { h: String(height) } }, canvas);
    box.style.height = height + 'px';  // CSSOM, which the page's CSP allows (no style attribute in markup)
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    ops.pending.push({ name: name, canvas: canvas, config: config });
    return box;
  }
  /* Draw the charts of a panel once its canvases are in the page (sized by their boxes). */
  function drawCharts() {
    var todo = ops.pending;
    ops.pending = [];
    if (typeof window.Chart !== 'function') return;
    todo.forEach(function (c) { ops.charts[c.name] = new window.Chart(c.canvas, c.config); });
  }
  function chartFont() {
    if (typeof window.Chart !== 'function') return;
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.font.size = 11;
    window.Chart.defaults.color = '#5d6b7c';
  }

  function renderOpsSales(p) {
    var total = p.total || {}, groups = Array.isArray(p.groups) ? p.groups : [];
    var labels = groups.map(function (g) { return g.name || g.node_id; });
    var box = chart('ops-sales', Math.min(420, Math.max(160, groups.length * 34 + 50)), {
      type: 'bar',
      data: {
        labels: labels,
        datasets: [
          { label: t('ops.actual'), data: groups.map(function (g) { return num(g.actual); }), backgroundColor: COLORS.blue },
          { label: t('ops.target'), data: groups.map(function (g) { return num(g.target); }), backgroundColor: COLORS.grey }
        ]
      },
      options: { indexAxis: 'y', plugins: { legend: { position: 'bottom' } }, scales: { x: { beginAtZero: true } } }
    });
    show('panel-ops-sales', [
      el('div', { class: 'big', 'data-field': 'actual', text: money(total.actual) }),
      el('div', { class: 'sub', 'data-field': 'attainment', text: t('ops.target') + ' ' + money(total.target) + ' · ' + t('ops.attainment') + ' ' + pct(total.attainment) + ' · ' + t('ops.pace') + ' ' + pct(p.elapsed) }),
      box
    ]);
    drawCharts();
  }

  function levelBadge(level) { return el('span', { class: 'lvl lvl-' + (level || 'ok'), 'data-level': level || 'ok', text: tr('lvl', level || 'ok') }); }

  function renderInventory(p) {
    if (!p.week) { setState('panel-inventory', 'empty', t('ops.no_inventory')); return; }
    var trend = Array.isArray(p.trend) ? p.trend : [];
    var threshold = num(p.threshold_days);
    var doiValues = trend.map(function (x) { return infinite(x.doi_days) ? null : num(x.doi_days); });
    var box = chart('inventory-trend', 200, {
      type: 'bar',
      data: {
        labels: trend.map(function (x) { return String(x.week).slice(5); }),
        datasets: [
          { type: 'bar', label: t('ops.stock') + ' (' + t('ops.units') + ')', data: trend.map(function (x) { return num(x.stock_units); }), backgroundColor: 'rgba(11,107,203,0.35)', yAxisID: 'y' },
          { type: 'line', label: t('ops.doi') + ' (' + t('ops.days') + ')', data: doiValues, borderColor: COLORS.red, backgroundColor: COLORS.red, yAxisID: 'y1', tension: 0.2, pointRadius: 2 },
          { type: 'line', label: t('ops.threshold', { days: days(p.threshold_days) }), data: trend.map(function () { return threshold; }), borderColor: COLORS.amber, borderDash: [4, 4], pointRadius: 0, yAxisID: 'y1' }
        ]
      },
      options: {
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 10 } } },
        scales: { y: { beginAtZero: true, position: 'left' }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } }
      }
    });
    var lines = (Array.isArray(p.lines) ? p.lines : []).slice(0, 8);
    var table = el('ul', { class: 'inv-lines' });
    lines.forEach(function (line) {
      table.appendChild(el('li', { 'data-partner': line.partner_id, 'data-line': line.product_line, 'data-level': line.level },
        el('span', { class: 'who', text: (line.partner_name || line.partner_id) + ' · ' + line.product_line +
          (line.level !== 'ok' && line.peak_product_id ? ' (' + line.peak_product_id + ' ' + days(line.peak_doi_days) + ' ' + t('ops.days') + ')' : '') }),
        el('span', { class: 'num', text: int(line.stock_units) + ' ' + t('ops.units') }),
        el('span', { class: 'doi lvl-' + line.level, 'data-field': 'doi', text: days(line.level !== 'ok' ? line.peak_doi_days : line.doi_days) + ' ' + t('ops.days') })));
    });
    show('panel-inventory', [
      el('div', { class: 'big' }, el('span', { 'data-field': 'stock', text: int(p.stock_units) + ' ' + t('ops.units') }), ' ',
        el('span', { class: 'doi-big lvl-' + p.level, 'data-field': 'doi', text: days(p.doi_days) + ' ' + t('ops.days') }), ' ', levelBadge(p.level)),
      el('div', { class: 'sub', text: t('ops.week_of', { week: p.week }) + ' · ' + t('ops.threshold', { days: days(p.threshold_days) }) }),
      box, table
    ]);
    drawCharts();
  }

  function renderCustomer(p) {
    var trend = Array.isArray(p.trend) ? p.trend : [];
    var cats = Array.isArray(p.categories) ? p.categories : [];
    var satBox = chart('satisfaction-trend', 180, {
      type: 'line',
      data: {
        labels: trend.map(function (x) { return x.quarter; }),
        datasets: [
          { label: t('ops.satisfaction') + ' (%)', data: trend.map(function (x) { var v = num(x.satisfaction); return v === null ? null : +(v * 100).toFixed(1); }), borderColor: COLORS.green, backgroundColor: COLORS.green, yAxisID: 'y', tension: 0.2 },
          { label: t('ops.mean_score') + ' (1-5)', data: trend.map(function (x) { return num(x.mean_score); }), borderColor: COLORS.purple, backgroundColor: COLORS.purple, yAxisID: 'y1', tension: 0.2 }
        ]
      },
      options: {
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 10 } } },
        scales: { y: { min: 0, max: 100, position: 'left' }, y1: { min: 1, max: 5, position: 'right', grid: { drawOnChartArea: false } } }
      }
    });
    var catBox = chart('complaints-by-category', Math.max(140, cats.length * 28 + 60), {
      type: 'bar',
      data: {
        labels: cats.map(function (c) { return tr('cat', c.category); }),
        datasets: [
          { label: t('ops.open'), data: cats.map(function (c) { return c.open; }), backgroundColor: COLORS.red },
          { label: t('ops.in_progress'), data: cats.map(function (c) { return c.in_progress; }), backgroundColor: COLORS.amber },
          { label: t('ops.closed'), data: cats.map(function (c) { return c.closed; }), backgroundColor: COLORS.grey }
        ]
      },
      options: { indexAxis: 'y', plugins: { legend: { position: 'bottom', labels: { boxWidth: 10 } } }, scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } }
    });
    var head = p.surveys ? pct(p.satisfaction) : '—';
    show('panel-customer', [
      el('div', { class: 'big', 'data-field': 'satisfaction', text: t('ops.satisfaction') + ' ' + head }),
      el('div', { class: 'sub', 'data-field': 'counts', text: [t('ops.mean_score') + ' ' + (num(p.mean_score) === null ? '—' : num(p.mean_score).toFixed(2)), t('ops.surveys', { n: p.surveys }), t('ops.complaints', { n: p.complaints })].join(' · ') }),
      p.surveys ? null : el('div', { class: 'state', text: t('ops.no_surveys') }),
      satBox, catBox
    ]);
    drawCharts();
  }

  function renderTasks(p) {
    var tasks = Array.isArray(p.tasks) ? p.tasks : [];
    if (!tasks.length) { setState('panel-tasks', 'empty', t('ops.no_tasks')); return; }
    var list = el('ul', { class: 'task-list' });
    tasks.forEach(function (task) {
      var en = CA.lang === 'en', unit = en ? task.unit_en : task.unit;
      var quantity = num(task.quantity) || 0, progress = num(task.progress) || 0;
      list.appendChild(el('li', { 'data-task': task.task_id, 'data-status': task.status },
        el('div', { class: 'head' }, el('span', { class: 'title', text: task.title }), el('span', { class: 'badge st-' + task.status, 'data-field': 'status', text: tr('task', task.status) })),
        el('progress', { max: String(Math.max(1, quantity)), value: String(Math.min(progress, Math.max(1, quantity))), 'aria-label': task.title }),
        el('div', { class: 'meta', 'data-field': 'progress', text: [progress + '/' + quantity + ' ' + unit + ' · ' + (en ? task.label_en : task.label), t('ops.expected', { n: days(task.expected) }), t('ops.due', { due: task.due })].join(' · ') }),
        task.mine_quantity !== null && task.mine_quantity !== undefined ? el('div', { class: 'meta', text: t('ops.mine', { progress: task.mine_progress, quantity: task.mine_quantity }) }) : null));
    });
    show('panel-tasks', [el('div', { class: 'sub', 'data-field': 'summary', text: t('ops.tasks_summary', p) }), list]);
  }

  /* ---- alerts: counts from the dashboard, the list from /api/alerts, changes live */

  function renderAlerts() {
    var counts = ops.alertCounts || { open: 0, acknowledged: 0, open_by_severity: {} };
    var sev = el('div', { class: 'sev-counts' });
    ['high', 'medium', 'low'].forEach(function (k) {
      sev.appendChild(el('span', { class: 'sev sev-' + k, 'data-severity': k, text: tr('sev', k) + ' ' + ((counts.open_by_severity || {})[k] || 0) }));
    });
    var list = el('ul', { class: 'alert-list' });
    var shown = ops.alerts.filter(function (a) { return a.status !== 'resolved'; });
    var limit = ops.allAlerts ? 200 : 6;  // a phone screen first: the most pressing few, the rest on demand
    shown.slice(0, limit).forEach(function (a) { list.appendChild(alertItem(a)); });
    var more = shown.length > 6 ? el('button', { type: 'button', class: 'btn small ghost', 'data-action': 'more',
      text: ops.allAlerts ? t('ops.less') : t('ops.more', { n: shown.length }),
      onclick: function () { ops.allAlerts = !ops.allAlerts; renderAlerts(); } }) : null;
    show('panel-alerts', [
      el('div', { class: 'sub', 'data-field': 'alert-counts', text: t('ops.alert_counts', { open: counts.open, ack: counts.acknowledged }) }),
      sev,
      list.children.length ? list : el('div', { class: 'state', text: t('ops.no_alerts') }),
      more
    ]);
  }

  function evidenceText(ev) {
    ev = ev || {};
    var parts = [];
    (Array.isArray(ev.figures) ? ev.figures : []).forEach(function (f) {
      parts.push(tr('fig', f.name) + ' ' + (infinite(f.value) ? '∞' : f.value) + (f.unit && f.unit !== 'ratio' ? ' ' + f.unit : '') + (f.threshold ? ' (' + t('ops.limit') + ' ' + f.threshold + ')' : ''));
    });
    [['order_ids', 'ops.evidence_orders'], ['weeks', 'ops.evidence_weeks'], ['feedback_ids', 'ops.evidence_feedback'], ['task_ids', 'ops.evidence_tasks']].forEach(function (pair) {
      var ids = Array.isArray(ev[pair[0]]) ? ev[pair[0]] : [];
      if (ids.length) parts.push(t(pair[1]) + ' ' + ids.slice(0, 5).join(', ') + (ids.length > 5 ? ' …(+' + (ids.length - 5) + ')' : ''));
    });
    return parts.join(' · ');
  }

  function alertItem(a) {
    var item = el('li', { 'data-alert': a.id, 'data-status': a.status, 'data-rule': a.rule, class: 'sev-' + a.severity },
      el('div', { class: 'head' },
        el('span', { class: 'sev sev-' + a.severity, text: tr('sev', a.severity) }),
        el('span', { class: 'rule', text: tr('rule', a.rule) }),
        el('span', { class: 'where', text: (a.partner_name || a.partner_id) + ' · ' + a.period + (a.subject ? ' · ' + a.subject : '') }),
        el('span', { class: 'status', 'data-field': 'status', text: tr('status', a.status) + (a.firing === false ? ' ' + t('ops.cleared') : '') })),
      el('div', { class: 'evidence', text: evidenceText(a.evidence) }));
    var actions = el('div', { class: 'alert-actions' });
    if (a.status === 'open') actions.appendChild(el('button', { type: 'button', class: 'btn small', 'data-action': 'ack', text: t('ops.ack'), onclick: function () { act(a.id, 'ack'); } }));
    if (a.status !== 'resolved') actions.appendChild(el('button', { type: 'button', class: 'btn small ghost', 'data-action': 'resolve', text: t('ops.resolve'), onclick: function () { resolveForm(item, a.id); } }));
    item.appendChild(actions);
    return item;
  }

  function resolveForm(item, id) {
    if (item.querySelector('form')) return;
    var input = el('input', { name: 'note', maxlength: '1000', required: true, placeholder: t('ops.resolve_note') });
    var error = el('p', { class: 'error', role: 'alert' });
    var form = el('form', { class: 'resolve-form' }, input,
      el('button', { type: 'submit', class: 'btn small primary', text: t('ops.submit') }),
      el('button', { type: 'button', class: 'btn small ghost', text: t('ops.cancel'), onclick: function () { item.removeChild(form); } }), error);
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      act(id, 'resolve', { note: input.value }, error);
    });
    item.appendChild(form);
    input.focus();
  }

  function act(id, action, body, errorNode) {
    CA.api('/api/alerts/' + encodeURIComponent(id) + '/' + action, { method: 'POST', body: body || {} }).then(function (res) {
      if (res.ok && res.data) { upsertAlert(res.data); loadOps(['alerts']); return; }
      if (errorNode) errorNode.textContent = CA.errorText(res);
      else setState('panel-alerts', 'error', CA.errorText(res));
    });
  }

  function upsertAlert(alert) {
    if (!alert || typeof alert !== 'object') return;
    var i = ops.alerts.findIndex(function (a) { return a.id === alert.id; });
    if (i >= 0) ops.alerts[i] = alert; else ops.alerts.unshift(alert);
    renderAlerts();
  }

  function loadAlerts() {
    if (!withAlerts()) { $('panel-alerts').hidden = true; return; }
    $('panel-alerts').hidden = false;
    CA.api('/api/alerts?limit=200').then(function (res) {
      if (!res.ok || !res.data) { failure('panel-alerts', res, 'ops.unavailable'); return; }
      ops.alerts = Array.isArray(res.data.alerts) ? res.data.alerts : [];
      ops.alertsLoaded = true;
      renderAlerts();
    });
  }

  /* ---- the radar: the chosen partner against its alliance and region */

  function loadRadar() {
    var seq = ++ops.radarSeq;
    if (!st.partnerId) { setState('panel-radar', 'empty', t('ops.no_partner')); return; }
    setState('panel-radar', 'loading', t('dash.loading'));
    CA.api('/api/ops/profiles/' + encodeURIComponent(st.partnerId) + params({ quarter: st.quarter, lang: CA.lang === 'en' ? 'en' : 'zh' })).then(function (res) {
      if (seq !== ops.radarSeq) return;
      if (res.ok && res.data) renderRadar(res.data); else failure('panel-radar', res, 'ops.unavailable');
    });
  }

  function renderRadar(p) {
    var dims = Array.isArray(p.dimensions) ? p.dimensions : [];
    var alliance = p.alliance || {}, region = p.region || {};
    var pick = function (src) { return dims.map(function (d) { var v = num(src[d.key]); return v; }); };
    var box = chart('radar', 280, {
      type: 'radar',
      data: {
        labels: dims.map(function (d) { return d.label || d.key; }),
        datasets: [
          { label: p.partner_name || t('ops.partner'), data: dims.map(function (d) { return num(d.score); }), borderColor: COLORS.blue, backgroundColor: 'rgba(11,107,203,0.2)' },
          { label: t('ops.alliance'), data: pick(alliance), borderColor: COLORS.amber, backgroundColor: 'rgba(240,162,2,0.08)' },
          { label: t('ops.region'), data: pick(region), borderColor: COLORS.purple, backgroundColor: 'rgba(142,91,214,0.08)', borderDash: [4, 4] }
        ]
      },
      options: { plugins: { legend: { position: 'bottom', labels: { boxWidth: 10 } } }, scales: { r: { min: 0, max: 100, ticks: { stepSize: 20, backdropColor: 'transparent' } } } }
    });
    var weakest = dims.filter(function (d) { return d.key === p.weakest_vs_alliance; })[0];
    var scores = el('ul', { class: 'dim-list' });
    dims.forEach(function (d) {
      scores.appendChild(el('li', { 'data-dimension': d.key },
        el('span', { text: d.label || d.key }),
        el('span', { class: 'num', text: num(d.score) === null ? '—' : num(d.score).toFixed(1) }),
        el('span', { class: 'muted', text: t('ops.alliance') + ' ' + (num(alliance[d.key]) === null ? '—' : num(alliance[d.key]).toFixed(1)) })));
    });
    show('panel-radar', [
      el('div', { class: 'sub', text: [p.partner_name, p.quarter].filter(Boolean).join(' · ') }),
      box,
      weakest ? el('p', { class: 'sub', 'data-field': 'weakest', text: t('ops.weakest', { label: weakest.label || weakest.key }) }) : null,
      scores
    ]);
    drawCharts();
  }

  /* ---- the dashboard's panels, all or those a live event names */

  function loadOps(only) {
    var names = (only || Object.keys(OPS_PANELS)).filter(function (n) { return OPS_PANELS[n] && (n !== 'alerts' || withAlerts()); });
    if (!names.length) return;
    names.forEach(function (n) {
      ops.seq[n] = (ops.seq[n] || 0) + 1;
      if (!only) setState(OPS_PANELS[n], 'loading', t('dash.loading'));
    });
    var mine = {};
    names.forEach(function (n) { mine[n] = ops.seq[n]; });
    CA.api('/api/ops/dashboard' + params({ quarter: st.quarter, panels: only ? names.join(',') : null })).then(function (res) {
      names.forEach(function (n) {
        if (mine[n] !== ops.seq[n]) return;  // a newer fetch of this panel is under way
        var id = OPS_PANELS[n];
        if (!res.ok || !res.data) { failure(id, res, 'ops.unavailable'); return; }
        var p = res.data[n];
        if (n === 'alerts') { if (p) { ops.alertCounts = p; if (ops.alertsLoaded) renderAlerts(); } return; }
        if (!p) { $(id).hidden = true; return; }
        $(id).hidden = false;
        if (n === 'sales') renderOpsSales(p);
        else if (n === 'inventory') renderInventory(p);
        else if (n === 'feedback') renderCustomer(p);
        else if (n === 'tasks') renderTasks(p);
      });
    });
  }

  /* ---- live: /ws/alerts (managers and admins); a dropped socket reconnects and reads all again */

  function setLive(on) {
    ops.live = on;
    var badge = $('ops-live');
    badge.dataset.state = on ? 'on' : 'off';
    badge.textContent = t(on ? 'ops.live_on' : 'ops.live_off');
  }

  function connectLive() {
    clearTimeout(ops.timer);
    if (ops.ws || !withAlerts() || !CA.session.token()) return;
    CA.api('/api/ws-ticket', { method: 'POST' }).then(function (res) {
      if (ops.ws) return;
      if (!res.ok || !res.data || typeof res.data.ticket !== 'string') { retryLive(); return; }
      var u = new URL('/ws/alerts', location.href);
      u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
      u.searchParams.set('ticket', res.data.ticket);
      var ws = new WebSocket(u.toString());
      var reconnecting = ops.retry > 0;
      ops.ws = ws;
      ws.onmessage = function (e) {
        var ev;
        try { ev = JSON.parse(e.data); } catch (err) { return; }
        if (!ev || typeof ev !== 'object') return;
        if (ev.type === 'ready') {
          setLive(true);
          if (reconnecting) { loadOps(); loadAlerts(); loadRadar(); }  // what was missed while away
          ops.retry = 0;
        } else if (ev.type === 'alert') {
          upsertAlert(ev.alert);
          loadOps(['alerts']);
        } else if (ev.type === 'dashboard') {
          var changed = Array.isArray(ev.changed) ? ev.changed : [];
          var quarters = Array.isArray(ev.quarters) ? ev.quarters : [];
          if (quarters.length && st.quarter && quarters.indexOf(st.quarter) < 0) return;  // not the quarter shown
          var panels = changed.filter(function (n) { return OPS_PANELS[n]; });
          if (panels.length) loadOps(panels);
          if (changed.indexOf('profile') >= 0) loadRadar();
        }
      };
      ws.onclose = function (e) {
        if (ops.ws === ws) ops.ws = null;
        setLive(false);
        if (e.code === 1008 || e.code === 1013 || e.code === 4401 || !CA.session.token()) return;  // refused: not for this user
        retryLive();
      };
    });
  }

  function retryLive() {
    ops.retry += 1;
    ops.timer = setTimeout(connectLive, Math.min(15000, 500 * Math.pow(2, ops.retry)));
  }

  function startOps() {
    chartFont();
    loadOps();
    loadAlerts();
    loadRadar();
    connectLive();
  }

  /* ------------------------------------------------------------------ training (issue 15)
   * Managers and admins: the micro-lessons (GET /api/training/progress/team) and the practice
   * sessions (GET /api/training/practice/team) of the caller's node, or of a node below it
   * picked from the table: learners, lessons completed, minutes against the 70/20/10 split
   * (on-the-job practice / mentoring / theory), practice sessions and the mean score per
   * dimension, and one row per child node (members for a partner).  Salespeople get 403
   * from both routes: for them nothing is asked and the section stays hidden. */

  CA.addStrings({
    zh: {
      'train.title': '培训',
      'train.panel': '团队学习与对练',
      'train.to_learn': '微课学习',
      'train.to_practice': '销售练习',
      'train.unavailable': '培训数据暂不可用，稍后再来看看。',
      'train.practice_unavailable': '对练数据暂不可用。',
      'train.cumulative': '累计（不分季度）',
      'train.people': '学员',
      'train.completed': '完成微课',
      'train.minutes': '学习时长',
      'train.sessions': '对练次数',
      'train.overall': '对练平均分',
      'train.u_people': '人',
      'train.u_lessons': '节',
      'train.u_minutes': '分钟',
      'train.u_sessions': '次',
      'train.split': '学习时长结构 · 目标 70/20/10',
      'train.actual': '实际',
      'train.target': '目标',
      'train.share': '{min} 分钟 · {p}',
      'train.no_minutes': '还没有完成的微课。',
      'train.practice': '对练各维度平均分',
      'train.practice_sub': '已完成 {s} 次 · 回答 {a} 条',
      'train.no_practice': '还没有完成的对练。',
      'train.children': '下级节点',
      'train.members': '成员',
      'train.name': '名称',
      'train.modes': '实践/辅导/理论（分钟）',
      'train.minutes_col': '时长（分钟）',
      'train.role': '角色',
      'train.back': '← 返回 {name}',
      'train.empty_rows': '下面还没有学员。',
      'train.mode.practice': '在岗实践', 'train.mode.mentoring': '导师辅导', 'train.mode.theory': '理论微课',
      'train.dim.coverage': '要点覆盖', 'train.dim.values': '参数准确', 'train.dim.objection': '异议处理', 'train.dim.accuracy': '无错误无编造',
      'train.level.national': '全国', 'train.level.regional': '大区', 'train.level.alliance': '联盟', 'train.level.partner': '伙伴',
      'train.role.sales': '销售', 'train.role.manager': '经理'
    },
    en: {
      'train.title': 'Training',
      'train.panel': 'Team lessons and practice',
      'train.to_learn': 'Micro-lessons',
      'train.to_practice': 'Sales practice',
      'train.unavailable': 'Training data is not available yet; please check back later.',
      'train.practice_unavailable': 'Practice data is not available.',
      'train.cumulative': 'All time (not by quarter)',
      'train.people': 'Learners',
      'train.completed': 'Lessons completed',
      'train.minutes': 'Learning time',
      'train.sessions': 'Practice sessions',
      'train.overall': 'Practice mean score',
      'train.u_people': '',
      'train.u_lessons': '',
      'train.u_minutes': 'min',
      'train.u_sessions': '',
      'train.split': 'Learning time split · target 70/20/10',
      'train.actual': 'Actual',
      'train.target': 'Target',
      'train.share': '{min} min · {p}',
      'train.no_minutes': 'No lessons completed yet.',
      'train.practice': 'Practice: mean score per dimension',
      'train.practice_sub': '{s} sessions finished · {a} answers',
      'train.no_practice': 'No practice sessions finished yet.',
      'train.children': 'Nodes below',
      'train.members': 'Members',
      'train.name': 'Name',
      'train.modes': 'Practice/mentoring/theory (min)',
      'train.minutes_col': 'Time (min)',
      'train.role': 'Role',
      'train.back': '← Back to {name}',
      'train.empty_rows': 'No learners below yet.',
      'train.mode.practice': 'On-the-job practice', 'train.mode.mentoring': 'Mentoring', 'train.mode.theory': 'Theory lessons',
      'train.dim.coverage': 'Key points', 'train.dim.values': 'Figures', 'train.dim.objection': 'Objections', 'train.dim.accuracy': 'Nothing wrong',
      'train.level.national': 'National', 'train.level.regional': 'Region', 'train.level.alliance': 'Alliance', 'train.level.partner': 'Partner',
      'train.role.sales': 'Sales', 'train.role.manager': 'Manager'
    }
  });

  var MODES = [['practice', 70], ['mentoring', 20], ['theory', 10]];  // the 70/20/10 rule, in the API's order
  var train = { seq: 0, trail: [], rootName: '' };  // trail: the nodes drilled into below the caller's own, {id, name}

  function withTraining() { return !!(st.me && (st.me.role === 'manager' || st.me.role === 'admin')); }
  /* The server's labels are Chinese; English ones from here (the server's if a key is new). */
  function label(prefix, key, serverLabel) {
    if (CA.lang !== 'en' && serverLabel) return serverLabel;
    var s = tr(prefix, key);
    return s === String(key) && serverLabel ? serverLabel : s;
  }
  function score100(v) { var n = v === null || v === undefined ? null : num(v); return n === null ? null : Math.round(n * 100); }  // null: nothing scored
  function scoreText(v) { var n = score100(v); return n === null ? '—' : String(n); }
  function modeOf(node, mode) {
    return (Array.isArray(node && node.by_mode) ? node.by_mode : []).filter(function (m) { return m.mode === mode; })[0] || { mode: mode, completed: 0, minutes: 0 };
  }
  function dimOf(stats, key) {
    return (Array.isArray(stats && stats.dimensions) ? stats.dimensions : []).filter(function (d) { return d.key === key; })[0] || null;
  }

  function loadTraining() {
    var box = $('training');
    if (!withTraining()) { box.hidden = true; return; }  // salespeople: not asked at all (the API says 403)
    box.hidden = false;
    var seq = ++train.seq;
    var here = train.trail.length ? train.trail[train.trail.length - 1].id : null;
    var q = params({ node: here });
    setState('panel-training', 'loading', t('dash.loading'));
    Promise.all([CA.api('/api/training/progress/team' + q), CA.api('/api/training/practice/team' + q)]).then(function (both) {
      if (seq !== train.seq) return;
      var lessons = both[0], practice = both[1];
      if (lessons.status === 403) { box.hidden = true; return; }  // a role the server does not let read a team
      if (lessons.status === 404 && here) { train.trail = []; loadTraining(); return; }  // that node is gone: back to the own one
      if (!lessons.ok || !lessons.data || !lessons.data.tree) {
        if (lessons.status === 404) setState('panel-training', 'unavailable', t('train.unavailable'));  // no channel tree loaded
        else failure('panel-training', lessons, 'train.unavailable');
        return;
      }
      renderTraining(lessons.data, practice.ok && practice.data && practice.data.tree ? practice.data.tree : null, practice);
    });
  }

  function figure(field, key, value, unit) {
    return el('div', { class: 'fig' },
      el('span', { class: 'k', text: t(key) }),
      el('span', { class: 'v' }, el('span', { 'data-field': field, text: value }), unit ? el('span', { class: 'u', text: ' ' + unit }) : null));
  }

  /* Minutes by mode as one stacked bar, the 70/20/10 target as another, and a legend. */
  function splitBlock(node) {
    var total = num(node.minutes) || 0;
    var actual = el('div', { class: 'split-bar', role: 'img', 'data-bar': 'actual' });
    var target = el('div', { class: 'split-bar target', role: 'img', 'data-bar': 'target' });
    var legend = el('ul', { class: 'split-legend' });
    var parts = [];
    MODES.forEach(function (pair) {
      var m = modeOf(node, pair[0]), minutes = num(m.minutes) || 0;
      var share = total > 0 ? minutes / total : 0;
      var name = label('train.mode', pair[0], m.label);
      if (share > 0) {
        var seg = el('span', { class: 'seg mode-' + pair[0], 'data-mode': pair[0], title: name + ' ' + pct(share) });
        seg.style.width = (share * 100).toFixed(2) + '%';  // CSSOM, which the page's CSP allows
        actual.appendChild(seg);
      }
      var goal = el('span', { class: 'seg mode-' + pair[0], 'data-mode': pair[0], text: pair[1] + '%' });
      goal.style.width = pair[1] + '%';
      target.appendChild(goal);
      parts.push(name + ' ' + pct(share));
      legend.appendChild(el('li', { 'data-mode': pair[0] },
        el('span', { class: 'sw mode-' + pair[0] }),
        el('span', { class: 'name', text: name }),
        el('span', { class: 'num', 'data-field': 'mode-minutes', text: t('train.share', { min: int(minutes), p: total > 0 ? pct(share) : '—' }) }),
        el('span', { class: 'goal', text: t('train.target') + ' ' + pair[1] + '%' })));
    });
    actual.setAttribute('aria-label', t('train.actual') + ': ' + parts.join(', '));
    target.setAttribute('aria-label', t('train.target') + ': 70/20/10');
    return el('div', { class: 'train-block', 'data-block': 'split' },
      el('h4', { text: t('train.split') }),
      el('div', { class: 'split-row' }, el('span', { class: 'k', text: t('train.actual') }), actual),
      el('div', { class: 'split-row' }, el('span', { class: 'k', text: t('train.target') }), target),
      total > 0 ? null : el('div', { class: 'state', text: t('train.no_minutes') }),
      legend);
  }

  function practiceBlock(pnode, res) {
    var head = el('h4', { text: t('train.practice') });
    if (!pnode) {
      var missing = !res || res.status === 0 || res.status === 404 || res.status === 501 || res.status === 503;
      return el('div', { class: 'train-block', 'data-block': 'practice' }, head,
        el('div', { class: 'state ' + (missing ? 'unavailable' : 'error'), text: missing ? t('train.practice_unavailable') : CA.errorText(res) }));
    }
    var s = pnode.stats || {};
    var dims = el('ul', { class: 'dim-bars' });
    (Array.isArray(s.dimensions) ? s.dimensions : []).forEach(function (d) {
      var v = score100(d.score);
      dims.appendChild(el('li', { 'data-dimension': d.key },
        el('span', { class: 'name', text: label('train.dim', d.key, d.label) }),
        el('progress', { max: '100', value: String(v === null ? 0 : v), 'aria-label': label('train.dim', d.key, d.label) }),
        el('span', { class: 'num', 'data-field': 'score', text: scoreText(d.score) })));
    });
    return el('div', { class: 'train-block', 'data-block': 'practice' }, head,
      el('div', { class: 'sub', 'data-field': 'practice-counts', text: t('train.practice_sub', { s: int(s.sessions || 0), a: int(s.answers || 0) }) }),
      num(s.sessions) ? null : el('div', { class: 'state', text: t('train.no_practice') }),
      dims);
  }

  /* One row per child node (a button drills into it), then the node's own members. */
  function rowsTable(node, pnode) {
    var pkids = {}, pmembers = {};
    ((pnode && pnode.children) || []).forEach(function (c) { pkids[c.node_id] = c; });
    ((pnode && pnode.members) || []).forEach(function (m) { pmembers[m.user_id] = m; });
    var dimKeys = (pnode && pnode.stats && Array.isArray(pnode.stats.dimensions)) ? pnode.stats.dimensions : [];
    var children = Array.isArray(node.children) ? node.children : [];
    var members = Array.isArray(node.members) ? node.members : [];
    var heads = [t('train.name'), children.length ? t('train.people') : t('train.role'), t('train.completed'), t('train.minutes_col'), t('train.modes'), t('train.sessions'), t('train.overall')]
      .concat(dimKeys.map(function (d) { return label('train.dim', d.key, d.label); }));
    var thead = el('thead', null, el('tr', null, heads.map(function (h) { return el('th', { scope: 'col', text: h }); })));
    var tbody = el('tbody');
    function cells(name, second, lessonsOf, stats) {
      var modes = MODES.map(function (pair) { return int(modeOf(lessonsOf, pair[0]).minutes || 0); }).join(' / ');
      var out = [
        name,
        el('td', { 'data-label': heads[1], 'data-field': children.length ? 'people' : 'role', text: second }),
        el('td', { class: 'num', 'data-label': heads[2], 'data-field': 'completed', text: int(lessonsOf.completed || 0) }),
        el('td', { class: 'num', 'data-label': heads[3], 'data-field': 'minutes', text: int(lessonsOf.minutes || 0) }),
        el('td', { class: 'num', 'data-label': heads[4], 'data-field': 'modes', text: modes }),
        el('td', { class: 'num', 'data-label': heads[5], 'data-field': 'sessions', text: stats ? int(stats.sessions || 0) : '—' }),
        el('td', { class: 'num', 'data-label': heads[6], 'data-field': 'overall', text: stats ? scoreText(stats.overall) : '—' })
      ];
      dimKeys.forEach(function (d, i) {
        var mine = dimOf(stats, d.key);
        out.push(el('td', { class: 'num', 'data-label': heads[7 + i], 'data-dimension': d.key, text: mine ? scoreText(mine.score) : '—' }));
      });
      return out;
    }
    children.forEach(function (c) {
      var name = c.name || c.node_id;
      var drill = el('button', { type: 'button', class: 'linkish', 'data-action': 'drill', text: name,
        onclick: function () { train.trail.push({ id: c.node_id, name: name }); loadTraining(); } });
      var nameCell = el('td', { class: 'name' }, drill, el('span', { class: 'lvl-tag', text: tr('train.level', c.level) }));
      tbody.appendChild(el('tr', { 'data-node': c.node_id, class: c.active === false ? 'inactive' : null },
        cells(nameCell, int(c.people || 0), c, (pkids[c.node_id] || {}).stats || null)));
    });
    members.forEach(function (m) {
      var nameCell = el('td', { class: 'name' }, el('span', { text: m.display_name || m.username }), el('span', { class: 'lvl-tag', text: m.username }));
      tbody.appendChild(el('tr', { 'data-user': m.username, class: 'member' },
        cells(nameCell, tr('train.role', m.role), m, (pmembers[m.user_id] || {}).stats || null)));
    });
    if (!tbody.children.length) return el('div', { class: 'state', text: t('train.empty_rows') });
    return el('table', { class: 'train-table', 'data-rows': children.length ? 'children' : 'members' }, thead, tbody);
  }

  function renderTraining(data, pnode, practiceRes) {
    var node = data.tree, stats = (pnode && pnode.stats) || null;
    if (!train.trail.length) train.rootName = node.name || node.node_id;
    var back = null;
    if (train.trail.length) {
      var up = train.trail.length > 1 ? train.trail[train.trail.length - 2].name : train.rootName;
      back = el('button', { type: 'button', class: 'btn small ghost', 'data-action': 'back', text: t('train.back', { name: up }),
        onclick: function () { train.trail.pop(); loadTraining(); } });
    }
    var figs = el('div', { class: 'train-figs' },
      figure('people', 'train.people', int(node.people || 0), t('train.u_people')),
      figure('completed', 'train.completed', int(node.completed || 0), t('train.u_lessons')),
      figure('minutes', 'train.minutes', int(node.minutes || 0), t('train.u_minutes')),
      figure('sessions', 'train.sessions', stats ? int(stats.sessions || 0) : '—', stats ? t('train.u_sessions') : ''),
      figure('overall', 'train.overall', stats ? scoreText(stats.overall) : '—', ''));
    var rowsTitle = (node.children || []).length ? t('train.children') : t('train.members');
    show('panel-training', [
      el('div', { class: 'train-head' },
        el('div', { class: 'sub', 'data-field': 'node', 'data-node': node.node_id, text: [node.name || node.node_id, tr('train.level', node.level), t('train.cumulative')].join(' · ') }),
        back),
      figs,
      el('div', { class: 'train-cols' }, splitBlock(node), practiceBlock(pnode, practiceRes)),
      el('h4', { class: 'rows-title', text: rowsTitle }),
      rowsTable(node, pnode),
      el('div', { class: 'train-block', 'data-block': 'path', id: 'train-path' })  // dashboard-path.js fills it
    ]);
    $('panel-training').dataset.node = node.node_id;
    if (CA.dashPath) CA.dashPath.load(node.node_id, $('train-path'));
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
      loadPartners().then(function () { loadRebates(); startOps(); });
      loadFeedback();
      loadTraining();
    });
  }

  function showSignIn() {
    $('dash').hidden = true;
    $('signin-view').hidden = false;
    $('btn-signout').hidden = true;
  }

  $('partner-select').addEventListener('change', function (e) { st.partnerId = e.target.value; st.quartersKnown = false; loadRebates(); loadRadar(); });
  $('quarter-select').addEventListener('change', function (e) { st.quarter = e.target.value; loadRebates(); loadOps(); loadRadar(); });
  $('btn-signout').addEventListener('click', function () { CA.session.clear(); location.reload(); });
  CA.bindLangButton($('btn-lang'), function () { if (CA.session.token()) { st.quartersKnown = false; start(); } });
  CA.bindSignIn($('signin-form'), start);
  CA.applyI18n(document);
  if (CA.session.token()) start(); else showSignIn();
})();
