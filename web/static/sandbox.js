/* Deal sandbox (issue 15, item 1, the sandbox variant of practice): draw a deal scenario
 * (customer, budget, the competitor's quote, the deadline), make an offer (catalogue
 * products with quantity and unit price, the timing, a new customer or not) and see the
 * outcome line by line: deal amount, budget, competitor, deadline, the 85% floor, purchase
 * cost (the demo's assumption), margin, the rebate change from the real rebate engine for
 * the user's own partner, and the total.  "Try again" keeps the scenario and the offer.
 *
 * Reads GET /api/me, /api/training/sandbox/options and /api/training/sandbox/{id};
 * POST /api/training/sandbox draws a scenario, POST .../{id}/decide computes an offer; with
 * the user's token only.  Everything from the server (and everything typed) is set as text
 * (CA.el / textContent), never as HTML.  The scenario is in the address (#scenario/<id>),
 * so back and reload keep it.  The explanations come from the server in zh-CN; labels
 * follow the language switch. */
(function () {
  'use strict';
  var CA = window.CA, el = CA.el, t = CA.t;

  CA.addStrings({
    zh: {
      'sandbox.title': '交易沙盘',
      'sandbox.intro': '一个真实感的报价场景：客户预算、竞品报价、签约期限。你来定价格、产品组合和签约时间，看毛利和返利（真实返利引擎）怎么变。',
      'sandbox.setup': '抽一个场景',
      'sandbox.product': '产品（可选）',
      'sandbox.any': '随机',
      'sandbox.draw': '抽场景',
      'sandbox.offer': '你的方案',
      'sandbox.add_line': '＋ 加一个产品',
      'sandbox.remove': '删除',
      'sandbox.line_product': '产品',
      'sandbox.quantity': '数量',
      'sandbox.unit_price': '单价（元，含税）',
      'sandbox.timing': '签约时间',
      'sandbox.this_quarter': '本季度',
      'sandbox.next_quarter': '下季度',
      'sandbox.new_customer': '这是我们的新客户',
      'sandbox.decide': '看结果',
      'sandbox.retry': '调整方案再试',
      'sandbox.new': '← 换一个场景',
      'sandbox.loading': '加载中…',
      'sandbox.need': '需求',
      'sandbox.budget': '客户预算',
      'sandbox.rival': '竞品报价',
      'sandbox.deadline': '签约期限',
      'sandbox.prices': '目录价 / 底价',
      'sandbox.need_value': '{q} {unit} {id}',
      'sandbox.rival_value': '{c} {m}：每{unit} {p}',
      'sandbox.deadline_value': '{when}（{q}）',
      'sandbox.prices_value': '{list} / {floor}（{share}）',
      'sandbox.outcome': '结果',
      'sandbox.col_item': '项目',
      'sandbox.col_value': '金额 / 结论',
      'sandbox.col_why': '说明',
      'sandbox.ok': '✓ 满足',
      'sandbox.not_ok': '✗ 未满足',
      'sandbox.rebate_detail': '返利明细（{p}，{q}，真实返利引擎）',
      'sandbox.rebate_none': '{q} 的返利无法计算，见上面的说明。',
      'sandbox.before_after': '{b} → {a}',
      'sandbox.cite': '依据：{s}',
      'sandbox.field': '（字段：{f}）',
      'out.deal_amount': '成交额',
      'out.budget': '客户预算',
      'out.competitor': '竞品价格',
      'out.deadline': '签约时间',
      'out.floor': '价格底线',
      'out.purchase_cost': '进货成本',
      'out.margin': '毛利',
      'out.rebate': '返利变化',
      'out.total': '总收益'
    },
    en: {
      'sandbox.title': 'Deal sandbox',
      'sandbox.intro': 'A realistic deal: the customer\'s budget, a competitor\'s quote, a deadline. You choose the price, the product mix and the timing, and see the margin and the rebate (from the real rebate engine).',
      'sandbox.setup': 'Draw a scenario',
      'sandbox.product': 'Product (optional)',
      'sandbox.any': 'Any',
      'sandbox.draw': 'Draw',
      'sandbox.offer': 'Your offer',
      'sandbox.add_line': '+ Add a product',
      'sandbox.remove': 'Remove',
      'sandbox.line_product': 'Product',
      'sandbox.quantity': 'Quantity',
      'sandbox.unit_price': 'Unit price (yuan, tax incl.)',
      'sandbox.timing': 'Sign the contract',
      'sandbox.this_quarter': 'This quarter',
      'sandbox.next_quarter': 'Next quarter',
      'sandbox.new_customer': 'The customer is new to us',
      'sandbox.decide': 'See the outcome',
      'sandbox.retry': 'Change the offer and try again',
      'sandbox.new': '← Another scenario',
      'sandbox.loading': 'Loading…',
      'sandbox.need': 'Wants',
      'sandbox.budget': 'Budget',
      'sandbox.rival': 'Competitor\'s quote',
      'sandbox.deadline': 'Deadline',
      'sandbox.prices': 'List / floor price',
      'sandbox.need_value': '{q} {unit} {id}',
      'sandbox.rival_value': '{c} {m}: {p} per {unit}',
      'sandbox.deadline_value': '{when} ({q})',
      'sandbox.prices_value': '{list} / {floor} ({share})',
      'sandbox.outcome': 'Outcome',
      'sandbox.col_item': 'Item',
      'sandbox.col_value': 'Amount / result',
      'sandbox.col_why': 'Why (zh-CN)',
      'sandbox.ok': '✓ met',
      'sandbox.not_ok': '✗ not met',
      'sandbox.rebate_detail': 'Rebate lines ({p}, {q}, real rebate engine)',
      'sandbox.rebate_none': 'The rebate of {q} cannot be computed; see above.',
      'sandbox.before_after': '{b} → {a}',
      'sandbox.cite': 'Source: {s}',
      'sandbox.field': ' (field: {f})',
      'out.deal_amount': 'Deal amount',
      'out.budget': 'Budget',
      'out.competitor': 'Competitor',
      'out.deadline': 'Deadline',
      'out.floor': 'Price floor',
      'out.purchase_cost': 'Purchase cost',
      'out.margin': 'Gross margin',
      'out.rebate': 'Rebate change',
      'out.total': 'Total'
    }
  });

  var $ = function (id) { return document.getElementById(id); };
  var st = { me: null, options: null, scenario: null, outcome: null, busy: false };
  var ID = /^#scenario\/([A-Za-z0-9][A-Za-z0-9-]{0,39}\.\d{1,10}\.[0-9a-f]{12})$/;

  function yuan(text) {
    var n = Number(text);
    if (!isFinite(n)) return String(text);
    return (n < 0 ? '-¥' : '¥') + Math.abs(n).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function when(timing) { return t(timing === 'next_quarter' ? 'sandbox.next_quarter' : 'sandbox.this_quarter'); }
  function product(id) {
    return st.options ? st.options.products.filter(function (p) { return p.id === id; })[0] : null;
  }

  /* ------------------------------------------------------------------ options */

  function fillProducts() {
    var select = $('s-product'), keep = select.value;
    CA.clear(select);
    select.appendChild(el('option', { value: '', text: t('sandbox.any') }));
    (st.options ? st.options.products : []).forEach(function (p) {
      select.appendChild(el('option', { value: p.id, text: p.id + ' ' + p.name }));
    });
    select.value = keep;
    if (select.value !== keep) select.value = '';
  }

  function loadOptions() {
    return CA.api('/api/training/sandbox/options').then(function (res) {
      if (!res.ok || !res.data) { $('setup').dataset.state = 'error'; $('setup-error').textContent = CA.errorText(res); return; }
      st.options = res.data;
      fillProducts();
      $('setup').dataset.state = 'ok';
      if (st.scenario && !$('offer-lines').children.length) resetOffer();
    });
  }

  /* ------------------------------------------------------------------ the scenario */

  function fact(label, value, key) {
    return [el('dt', { text: label }), el('dd', { 'data-field': key, text: value })];
  }

  function renderScenario() {
    var s = st.scenario, c = s.customer, q = s.competitor, p = s.product;
    $('setup').hidden = true;
    $('scenario-view').hidden = false;
    $('scenario-view').dataset.scenario = s.id;
    $('scenario-title').textContent = c.company;
    $('scenario-meta').textContent = [c.industry, c.scale_label, c.region + c.city, c.case_id].filter(Boolean).join(' · ');
    $('scenario-intro').textContent = s.intro;
    var facts = $('facts');
    CA.clear(facts);
    CA.append(facts, [
      fact(t('sandbox.need'), t('sandbox.need_value', { q: s.quantity, unit: p.unit, id: p.id + ' ' + p.name }), 'need'),
      fact(t('sandbox.budget'), yuan(s.budget), 'budget'),
      fact(t('sandbox.rival'), t('sandbox.rival_value', { c: q.competitor, m: q.model, p: yuan(q.unit_price), unit: p.unit }), 'rival'),
      fact(t('sandbox.deadline'), t('sandbox.deadline_value', { when: when(s.deadline), q: s.deadline_quarter }), 'deadline'),
      fact(t('sandbox.prices'), t('sandbox.prices_value', {
        list: yuan(p.list_price), floor: yuan(p.floor_price),
        share: Math.round(Number(st.options ? st.options.floor_share : 0.85) * 100) + '%'
      }), 'prices')
    ]);
    if (!$('offer-lines').children.length) resetOffer();
    else relabelLines();
    renderOutcome();
  }

  /* ------------------------------------------------------------------ the offer */

  function productSelect(value) {
    var select = el('select', { 'data-input': 'product_id', 'aria-label': t('sandbox.line_product') });
    var items = st.options ? st.options.products : [st.scenario.product];
    items.forEach(function (p) { select.appendChild(el('option', { value: p.id, text: p.id + ' ' + p.name })); });
    select.value = value;
    return select;
  }

  function lineRow(productId, quantity, price) {
    var max = st.options ? st.options.limits.max_quantity : 1000;
    var row = el('li', { class: 'offer-line' },
      el('label', { class: 'f-product' }, el('span', { 'data-i18n': 'sandbox.line_product', text: t('sandbox.line_product') }), productSelect(productId)),
      el('label', { class: 'f-qty' }, el('span', { 'data-i18n': 'sandbox.quantity', text: t('sandbox.quantity') }),
        el('input', { type: 'number', min: '1', max: String(max), step: '1', inputmode: 'numeric', 'data-input': 'quantity', value: String(quantity) })),
      el('label', { class: 'f-price' }, el('span', { 'data-i18n': 'sandbox.unit_price', text: t('sandbox.unit_price') }),
        el('input', { type: 'text', inputmode: 'decimal', maxlength: '16', 'data-input': 'unit_price', value: String(price) })),
      el('button', { type: 'button', class: 'btn small ghost remove', 'data-i18n': 'sandbox.remove', text: t('sandbox.remove') }));
    row.querySelector('select').addEventListener('change', function (ev) {
      var p = product(ev.target.value);
      if (p) row.querySelector('[data-input=unit_price]').value = p.list_price;
    });
    row.querySelector('.remove').addEventListener('click', function () {
      row.parentNode.removeChild(row);
      relabelLines();
    });
    return row;
  }

  function relabelLines() {
    var rows = $('offer-lines').children, max = st.options ? st.options.limits.max_lines : 8;
    for (var i = 0; i < rows.length; i++) {
      rows[i].dataset.line = String(i);
      rows[i].querySelector('.remove').hidden = i === 0;  // the product the customer asked for stays
    }
    $('btn-add-line').disabled = rows.length >= max;
  }

  function resetOffer() {
    var s = st.scenario, box = $('offer-lines');
    CA.clear(box);
    box.appendChild(lineRow(s.product.id, s.quantity, s.product.list_price));
    relabelLines();
    $('t-this').checked = true;
    $('new-customer').checked = true;
  }

  function addLine() {
    var used = {};
    Array.prototype.forEach.call($('offer-lines').querySelectorAll('select'), function (x) { used[x.value] = true; });
    var pool = (st.scenario.mix || []).concat(st.options ? st.options.products : []);
    var next = pool.filter(function (p) { return !used[p.id]; })[0];
    if (!next) return;
    $('offer-lines').appendChild(lineRow(next.id, 1, next.list_price));
    relabelLines();
  }

  function offerBody() {
    var lines = [];
    Array.prototype.forEach.call($('offer-lines').children, function (row) {
      var qty = row.querySelector('[data-input=quantity]').value.trim();
      lines.push({
        product_id: row.querySelector('[data-input=product_id]').value,
        quantity: /^\d{1,7}$/.test(qty) ? Number(qty) : qty,
        unit_price: row.querySelector('[data-input=unit_price]').value.trim().replace(/[,，¥\s]/g, '')
      });
    });
    return { lines: lines, timing: $('t-next').checked ? 'next_quarter' : 'this_quarter', new_customer: $('new-customer').checked };
  }

  function markField(field) {
    document.querySelectorAll('#decide-form [aria-invalid]').forEach(function (n) { n.removeAttribute('aria-invalid'); });
    var m = /^lines\[(\d+)\]\.(product_id|quantity|unit_price)$/.exec(field || '');
    if (!m) return;
    var row = $('offer-lines').children[Number(m[1])];
    var input = row && row.querySelector('[data-input=' + m[2] + ']');
    if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
  }

  function decide(ev) {
    ev.preventDefault();
    var s = st.scenario;
    if (!s || st.busy) return;
    st.busy = true;
    $('btn-decide').disabled = true;
    $('decide-error').textContent = '';
    markField(null);
    $('scenario-view').dataset.state = 'deciding';
    CA.api('/api/training/sandbox/' + encodeURIComponent(s.id) + '/decide', { method: 'POST', body: offerBody() }).then(function (res) {
      st.busy = false;
      $('btn-decide').disabled = false;
      if (st.scenario !== s) return;
      if (!res.ok || !res.data) {
        $('scenario-view').dataset.state = 'error';
        var field = res.data && typeof res.data.field === 'string' ? res.data.field : '';
        $('decide-error').textContent = CA.errorText(res) + (field ? t('sandbox.field', { f: field }) : '');
        markField(field);
        return;
      }
      st.outcome = res.data.outcome;
      renderOutcome();
      $('outcome').scrollIntoView({ block: 'start' });
    });
  }

  /* ------------------------------------------------------------------ the outcome */

  function valueCell(line) {
    if (line.amount !== null && line.amount !== undefined) return el('td', { class: 'num', 'data-field': 'amount', text: yuan(line.amount) });
    return el('td', { class: 'verdict ' + (line.ok ? 'ok' : 'bad'), 'data-field': 'ok', 'data-ok': String(!!line.ok), text: t(line.ok ? 'sandbox.ok' : 'sandbox.not_ok') });
  }

  function renderOutcome() {
    var o = st.outcome, box = $('outcome');
    CA.clear(box);
    box.hidden = !o;
    $('btn-retry').hidden = !o;
    $('decide-form').hidden = !!o;
    $('scenario-view').dataset.state = o ? 'outcome' : 'deciding';
    if (!o) return;
    var body = el('tbody');
    o.lines.forEach(function (line) {
      body.appendChild(el('tr', { 'data-key': line.key, class: line.key === 'total' ? 'total' : '' },
        el('th', { scope: 'row', text: CA.lang === 'en' ? t('out.' + line.key) : line.label }),
        valueCell(line),
        el('td', { class: 'why' },
          el('span', { 'data-field': 'text', text: line.text }),
          line.citation ? el('span', { class: 'src', 'data-field': 'citation', text: t('sandbox.cite', { s: line.citation }) }) : null)));
    });
    var table = el('table', { class: 'outcome-table', id: 'outcome-table' },
      el('thead', null, el('tr', null,
        el('th', { scope: 'col', text: t('sandbox.col_item') }),
        el('th', { scope: 'col', text: t('sandbox.col_value') }),
        el('th', { scope: 'col', text: t('sandbox.col_why') }))),
      body);
    var rebates = el('ul', { class: 'rebate-lines', id: 'rebate-lines' });
    o.rebate_lines.forEach(function (r) {
      rebates.appendChild(el('li', { 'data-kind': r.kind },
        el('span', { class: 'k', text: r.label }),
        el('span', { class: 'num', text: t('sandbox.before_after', { b: yuan(r.before), a: yuan(r.after) }) }),
        el('strong', { class: 'num', 'data-field': 'delta', text: (Number(r.delta) >= 0 ? '+' : '') + yuan(r.delta) })));
    });
    CA.append(box, [
      el('h3', { text: t('sandbox.outcome') }),
      el('p', { class: 'summary-line', 'data-field': 'summary', text: o.summary }),
      table,
      el('h3', { text: t('sandbox.rebate_detail', { p: o.partner_name, q: o.quarter }) }),
      o.rebate_lines.length ? rebates : el('p', { class: 'sub', text: t('sandbox.rebate_none', { q: o.quarter }) })
    ]);
    box.dataset.needsApproval = String(o.needs_approval);
  }

  function retry() {
    st.outcome = null;
    renderOutcome();
    var first = $('offer-lines').querySelector('[data-input=unit_price]');
    if (first) { first.focus(); first.select(); }
  }

  /* ------------------------------------------------------------------ navigation */

  function draw(ev) {
    ev.preventDefault();
    if (st.busy) return;
    var body = {};
    if ($('s-product').value) body.product_id = $('s-product').value;
    st.busy = true;
    $('btn-draw').disabled = true;
    $('setup-error').textContent = '';
    CA.api('/api/training/sandbox', { method: 'POST', body: body }).then(function (res) {
      st.busy = false;
      $('btn-draw').disabled = false;
      if (!res.ok || !res.data) { $('setup-error').textContent = CA.errorText(res); return; }
      show(res.data.scenario);
      location.hash = 'scenario/' + res.data.scenario.id;
    });
  }

  function show(scenario) {
    if (!st.scenario || st.scenario.id !== scenario.id) { CA.clear($('offer-lines')); st.outcome = null; }
    st.scenario = scenario;
    $('decide-error').textContent = '';
    renderScenario();
  }

  function openScenario(id) {
    if (st.scenario && st.scenario.id === id) { renderScenario(); return; }
    $('setup').hidden = true;
    $('scenario-view').hidden = false;
    $('scenario-view').dataset.state = 'loading';
    $('scenario-title').textContent = t('sandbox.loading');
    CA.api('/api/training/sandbox/' + encodeURIComponent(id)).then(function (res) {
      if (location.hash !== '#scenario/' + id) return;
      if (!res.ok || !res.data) {
        $('scenario-view').dataset.state = 'error';
        $('scenario-title').textContent = CA.errorText(res);
        $('decide-form').hidden = true;
        return;
      }
      show(res.data.scenario);
    });
  }

  function showSetup() {
    st.scenario = null;
    st.outcome = null;
    CA.clear($('offer-lines'));
    $('scenario-view').hidden = true;
    $('setup').hidden = false;
  }

  function route() {
    var m = ID.exec(location.hash);
    if (m) openScenario(m[1]);
    else showSetup();
  }

  function start() {
    $('signin-view').hidden = true;
    CA.api('/api/me').then(function (res) {
      if (res.status === 401) { CA.session.clear(); showSignIn(); return; }
      $('sandbox').hidden = false;
      $('btn-signout').hidden = false;
      st.me = res.ok ? res.data : null;
      if (st.me) $('who').textContent = [st.me.display_name, st.me.username].filter(Boolean).join(' · ');
      loadOptions().then(route);
    });
  }

  function showSignIn() {
    $('sandbox').hidden = true;
    $('signin-view').hidden = false;
    $('btn-signout').hidden = true;
  }

  $('setup-form').addEventListener('submit', draw);
  $('decide-form').addEventListener('submit', decide);
  $('btn-add-line').addEventListener('click', addLine);
  $('btn-retry').addEventListener('click', retry);
  $('btn-new').addEventListener('click', function () { location.hash = ''; });
  window.addEventListener('hashchange', function () { if (CA.session.token()) route(); });
  $('btn-signout').addEventListener('click', function () { CA.session.clear(); location.reload(); });
  CA.bindLangButton($('btn-lang'), function () {
    if (!CA.session.token()) return;
    fillProducts();
    CA.applyI18n($('offer-lines'));
    if (st.scenario) renderScenario();
  });
  CA.bindSignIn($('signin-form'), start);
  CA.applyI18n(document);
  if (CA.session.token()) start(); else showSignIn();
})();
