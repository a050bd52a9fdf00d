/* The chat page (also the widget's iframe page, body[data-mode=widget]).
 *
 * Protocol: assistant/api/events.py.  One WebSocket to /ws/chat?ticket=&conversation_id=
 * (the ticket from POST /api/ws-ticket, single use: no access token in a URL).
 * Reliability: every event with a `seq` is applied once (dedupe by seq); messages are
 * kept as pending until their `ack` and re-sent with the same client_msg_id after a
 * reconnect, whose first frame is `resume` with the highest seq seen without a gap.
 * Safety: server text only ever becomes text nodes (CA.el / textContent). */
(function () {
  'use strict';
  var CA = window.CA, el = CA.el, t = CA.t;

  CA.addStrings({
    zh: {
      'app.title': '渠道销售助手',
      'chat.placeholder': '问产品参数、话术、案例或返利…',
      'chat.send': '发送',
      'chat.typing': '助手正在输入…',
      'chat.input_label': '输入消息',
      'chat.expert': '找专家',
      'chat.sending': '发送中',
      'chat.failed': '未发送',
      'chat.retry': '重试',
      'chat.welcome': '你好！我可以查产品参数、推荐话术和案例、算返利，现场搞不定时帮你找远程专家。',
      'chat.starter1': 'EG-2100 有几个串口',
      'chat.starter2': '汽车制造客户的案例',
      'chat.starter3': '给技术负责人的开场话术',
      'chat.starter4': '我这季度返利多少',
      'chat.sources': '来源',
      'chat.you': '我',
      'chat.assistant': '助手',
      'history.open': '历史会话', 'history.title': '历史会话', 'history.new': '新会话', 'history.close': '关闭',
      'history.search': '搜索会话内容', 'history.more': '加载更多', 'history.loading': '加载中…',
      'history.empty': '还没有会话。', 'history.none': '没有找到相关会话。', 'history.untitled': '（无标题）',
      'history.unread': '{n} 条未读', 'history.current': '当前会话',
      'history.pending': '还有消息正在发送，发送完再切换会话。',
      'history.scope': '会话范围', 'history.scope_customer': '当前客户', 'history.scope_all': '全部',
      'history.customer': '客户：{name}', 'history.none_customer': '这个客户还没有会话。',
      'customer.none': '未关联客户', 'customer.chip': '客户：{name}', 'customer.title': '选择客户',
      'customer.search': '搜索客户名称、区域、行业', 'customer.unbind': '不关联客户', 'customer.new': '新建客户',
      'customer.name_ph': '客户名称，如 杭州恒逸化纤', 'customer.create': '新建并关联',
      'customer.empty': '还没有客户，可在下方新建。', 'customer.nomatch': '没有找到相关客户。',
      'customer.count': '{n} 个会话', 'customer.current': '当前客户',
      'customer.bound': '本会话已关联客户「{name}」', 'customer.unbound': '本会话已不关联客户',
      'customer.created': '已新建客户「{name}」并关联本会话',
      'customer.need_conversation': '连接建立后才能关联客户，请稍候。',
      'offer.save': '把「{name}」存为客户？', 'offer.link': '关联到已有客户「{name}」？',
      'offer.do_save': '保存', 'offer.do_link': '关联', 'offer.dismiss': '不用',
      'conn.online': '在线',
      'conn.connecting': '连接中…',
      'conn.starting': '服务正在启动，请稍候…',
      'conn.offline': '离线，恢复后自动重连',
      'fb.up': '有帮助',
      'fb.down': '没帮助',
      'fb.comment': '补充说明（可选）',
      'fb.submit': '提交',
      'fb.saved': '谢谢反馈',
      'card.params': '参数表',
      'card.script': '话术',
      'card.case': '案例',
      'card.practice': '销售演练',
      'card.practice_go': '开始练习',
      'card.rebate': '返利对账单',
      'card.ranking': '排名',
      'card.why_case': '为什么匹配这个案例',
      'card.why_script': '为什么推荐这段话术',
      'card.missing': '待补充',
      'card.results': '成效',
      'card.products': '产品',
      'card.roi': '投资回报',
      'card.saving': '年节省',
      'card.payback': '回本周期（月）',
      'card.total': '合计',
      'card.orders': '笔订单',
      'card.status.accrued': '预估（季度进行中）',
      'card.status.final': '已结算',
      'card.copy': '复制话术',
      'card.copied': '已复制',
      'source.loading': '正在加载原文…',
      'source.close': '关闭',
      'source.failed': '原文加载失败',
      'source.open_lesson': '去学这节微课',
      'profile.title': '客户画像',
      'profile.edit': '编辑',
      'profile.save': '保存',
      'profile.cancel': '取消',
      'profile.empty': '还没有信息，聊天中会自动识别，也可以手动填写',
      'profile.saved': '客户画像已更新',
      'profile.next': '将随下一条消息一起更新',
      'handoff.requested': '已发起远程专家请求，请按提示补充信息。',
      'handoff.unavailable': '远程专家功能暂未开放，请稍后再试或直接联系区域技术支持。',
      'handoff.need_conversation': '连接建立后才能找专家，请稍候。',
      'handoff.expert': '专家',
      'handoff.code': '远程协助码',
      'handoff.open_link': '打开远程协助',
      'widget.close': '关闭',
      'widget.forbidden': '此页面无权嵌入助手。',
      'widget.signing': '正在通过门户登录…',
      'widget.failed': '门户登录失败',
      'auth.expired': '登录已失效，请重新登录。',
      'scale.small': '小型', 'scale.medium': '中型', 'scale.large': '大型',
      'persona.tech_decision_maker': '技术决策者', 'persona.roi_manager': '关注回报的管理者',
      'persona.procurement': '采购', 'persona.operator': '一线操作人员', 'persona.it_security': 'IT/信息安全',
      'pf.customer_name': '客户名称', 'pf.industry': '行业', 'pf.scale': '规模', 'pf.persona': '对接人',
      'pf.region': '区域', 'pf.product_line': '产品线', 'pf.product_model': '型号', 'pf.quarter': '季度',
      'pf.order_amount': '订单金额(元)', 'pf.device_count': '设备数', 'pf.downtime_hours_per_month': '月停机小时',
      'pf.downtime_cost_per_hour': '每小时停机损失(元)', 'pf.labour_cost_per_month': '月人工成本(元)'
    },
    en: {
      'app.title': 'Channel Sales Assistant',
      'chat.placeholder': 'Ask about specs, scripts, cases or rebates…',
      'chat.send': 'Send',
      'chat.typing': 'The assistant is typing…',
      'chat.input_label': 'Your message',
      'chat.expert': 'Expert',
      'chat.sending': 'sending',
      'chat.failed': 'not sent',
      'chat.retry': 'Retry',
      'chat.welcome': 'Hi! I look up product specs, suggest sales scripts and case studies, compute rebates, and find you a remote expert when something will not work on site.',
      'chat.starter1': 'EG-2100 有几个串口',
      'chat.starter2': '汽车制造客户的案例',
      'chat.starter3': '给技术负责人的开场话术',
      'chat.starter4': '我这季度返利多少',
      'chat.sources': 'Sources',
      'chat.you': 'Me',
      'chat.assistant': 'Assistant',
      'history.open': 'History', 'history.title': 'Conversations', 'history.new': 'New chat', 'history.close': 'Close',
      'history.search': 'Search conversations', 'history.more': 'Load more', 'history.loading': 'Loading…',
      'history.empty': 'No conversations yet.', 'history.none': 'No conversation matches.', 'history.untitled': '(untitled)',
      'history.unread': '{n} unread', 'history.current': 'Current conversation',
      'history.pending': 'A message is still being sent; switch once it is through.',
      'history.scope': 'Which conversations', 'history.scope_customer': 'This customer', 'history.scope_all': 'All',
      'history.customer': 'Customer: {name}', 'history.none_customer': 'No conversation with this customer yet.',
      'customer.none': 'No customer', 'customer.chip': 'Customer: {name}', 'customer.title': 'Choose a customer',
      'customer.search': 'Search name, region, industry', 'customer.unbind': 'No customer for this chat', 'customer.new': 'New customer',
      'customer.name_ph': 'Company name, e.g. 杭州恒逸化纤', 'customer.create': 'Create and link',
      'customer.empty': 'No customers yet; create one below.', 'customer.nomatch': 'No customer matches.',
      'customer.count': '{n} conversations', 'customer.current': 'Current customer',
      'customer.bound': 'This chat is now about “{name}”', 'customer.unbound': 'This chat has no customer now',
      'customer.created': 'Customer “{name}” created and linked to this chat',
      'customer.need_conversation': 'Please wait until the chat is connected.',
      'offer.save': 'Save “{name}” as a customer?', 'offer.link': 'Link this chat to your customer “{name}”?',
      'offer.do_save': 'Save', 'offer.do_link': 'Link', 'offer.dismiss': 'No thanks',
      'conn.online': 'online',
      'conn.connecting': 'connecting…',
      'conn.starting': 'the service is starting, one moment…',
      'conn.offline': 'offline; will reconnect',
      'fb.up': 'Helpful',
      'fb.down': 'Not helpful',
      'fb.comment': 'Comment (optional)',
      'fb.submit': 'Submit',
      'fb.saved': 'Thanks for the feedback',
      'card.params': 'Specifications',
      'card.script': 'Script',
      'card.case': 'Case study',
      'card.practice': 'Sales practice',
      'card.practice_go': 'Start practising',
      'card.rebate': 'Rebate statement',
      'card.ranking': 'Ranking',
      'card.why_case': 'Why this case matches',
      'card.why_script': 'Why this script',
      'card.missing': 'Still needed',
      'card.results': 'Results',
      'card.products': 'Products',
      'card.roi': 'ROI',
      'card.saving': 'Annual saving',
      'card.payback': 'Payback (months)',
      'card.total': 'Total',
      'card.orders': 'orders',
      'card.status.accrued': 'Accrued (quarter in progress)',
      'card.status.final': 'Final',
      'card.copy': 'Copy script',
      'card.copied': 'Copied',
      'source.loading': 'Loading the passage…',
      'source.close': 'Close',
      'source.failed': 'Could not load the passage',
      'source.open_lesson': 'Open this lesson',
      'profile.title': 'Customer',
      'profile.edit': 'Edit',
      'profile.save': 'Save',
      'profile.cancel': 'Cancel',
      'profile.empty': 'Nothing yet: picked up from the chat, or fill it in',
      'profile.saved': 'Customer profile updated',
      'profile.next': 'Will be sent with your next message',
      'handoff.requested': 'Remote expert requested; please answer the questions that follow.',
      'handoff.unavailable': 'Remote experts are not available yet; please contact your regional support.',
      'handoff.need_conversation': 'Please wait until the chat is connected.',
      'handoff.expert': 'Expert',
      'handoff.code': 'Remote-assist code',
      'handoff.open_link': 'Open remote assist',
      'widget.close': 'Close',
      'widget.forbidden': 'This page may not embed the assistant.',
      'widget.signing': 'Signing in through the portal…',
      'widget.failed': 'Portal sign-in failed',
      'auth.expired': 'Your sign-in has expired; please sign in again.',
      'scale.small': 'small', 'scale.medium': 'medium', 'scale.large': 'large',
      'persona.tech_decision_maker': 'technical decision maker', 'persona.roi_manager': 'ROI-minded manager',
      'persona.procurement': 'procurement', 'persona.operator': 'operator', 'persona.it_security': 'IT / security',
      'pf.customer_name': 'Customer', 'pf.industry': 'Industry', 'pf.scale': 'Size', 'pf.persona': 'Contact',
      'pf.region': 'Region', 'pf.product_line': 'Product line', 'pf.product_model': 'Model', 'pf.quarter': 'Quarter',
      'pf.order_amount': 'Order (CNY)', 'pf.device_count': 'Devices', 'pf.downtime_hours_per_month': 'Downtime h/month',
      'pf.downtime_cost_per_hour': 'Downtime cost/h (CNY)', 'pf.labour_cost_per_month': 'Labour/month (CNY)'
    }
  });

  var PROFILE_FIELDS = [
    ['customer_name', 'text'], ['industry', 'text'], ['scale', 'select', ['small', 'medium', 'large']],
    ['persona', 'select', ['tech_decision_maker', 'roi_manager', 'procurement', 'operator', 'it_security']],
    ['region', 'text'], ['product_line', 'text'], ['product_model', 'text'], ['quarter', 'text'],
    ['order_amount', 'number'], ['device_count', 'number'], ['downtime_hours_per_month', 'number'],
    ['downtime_cost_per_hour', 'number'], ['labour_cost_per_month', 'number']
  ];
  var HANDOFF_TYPES = /^(handoff|handoff_.+|expert_.+|ar_join_code)$/;
  var hooks = { listeners: [], renderers: {} };  // filled by remote.js (window.CAChat.listen / render)

  var $ = function (id) { return document.getElementById(id); };
  var body = document.body;
  var MODE = body.getAttribute('data-mode') === 'widget' ? 'widget' : 'page';
  var ui = {
    log: $('log'), input: $('input'), composer: $('composer'), typing: $('typing'), notice: $('notice'),
    conn: $('conn'), signin: $('signin-view'), profile: $('profile'), profileSummary: $('profile-summary'),
    profileForm: $('profile-form'), profileEdit: $('btn-profile-edit'), dialog: $('source-dialog'),
    history: $('history-panel'), historyList: $('history-list'), historyMore: $('history-more'),
    historyStatus: $('history-status'), historyQ: $('history-q'), historyScope: $('history-scope'),
    customerChip: $('btn-customer'), customers: $('customer-panel'), customerList: $('customer-list'),
    customerMore: $('customer-more'), customerStatus: $('customer-status'), customerQ: $('customer-q'),
    customerError: $('customer-error'), customerName: $('customer-name')
  };
  var st = {
    ws: null, connecting: false, conversationId: null, boundTo: null, seen: {}, contig: 0, retry: 0, timer: null, started: false,
    pending: [], profile: {}, profileSeq: -1, profilePatch: null, replies: {}, queueNotes: {},
    seenTimer: null, seenPosted: {}, history: { offset: 0, q: '', token: 0, scope: 'all' },
    customer: null, customerAsOf: 0, customerList: { offset: 0, q: '', token: 0 }, offersDone: {},
    widget: null
  };

  /* ------------------------------------------------------------------ utilities */

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return 'c' + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }
  function store() { try { return MODE === 'page' ? window.sessionStorage : null; } catch (e) { return null; } }
  function saveLocal() {
    var s = store();
    if (!s) return;
    s.setItem('ca.conversation', st.conversationId || '');
    s.setItem('ca.pending', JSON.stringify(st.pending.map(function (p) { return { id: p.id, text: p.text, profile: p.profile }; })));
  }
  function notice(text, kind) {
    ui.notice.textContent = text || '';
    ui.notice.className = 'notice' + (kind ? ' ' + kind : '');
    ui.notice.hidden = !text;
    clearTimeout(notice.timer);
    if (text && kind !== 'sticky') notice.timer = setTimeout(function () { ui.notice.hidden = true; }, 6000);
  }
  function setConn(state) {
    ui.conn.textContent = t('conn.' + state);
    ui.conn.className = 'conn ' + state;
    ui.conn.dataset.state = state;
  }
  function scrollDown() { ui.log.scrollTop = ui.log.scrollHeight; }

  /* Place a node by seq; unacknowledged messages (no seq yet) stay at the end. */
  function place(node, seq) {
    node.dataset.seq = String(seq);
    var kids = ui.log.children;
    for (var i = 0; i < kids.length; i++) {
      var k = kids[i];
      if (k === node) continue;
      if (k.dataset.pending === '1' || (k.dataset.seq && +k.dataset.seq > seq)) { ui.log.insertBefore(node, k); return; }
    }
    ui.log.appendChild(node);
  }
  function markSeen(seq) {
    st.seen[seq] = true;
    while (st.seen[st.contig + 1]) st.contig += 1;
  }

  /* Text with [n] citation markers: the markers become buttons that open the passage. */
  function textWithCitations(text, citations) {
    var p = el('p', { class: 'text' });
    var parts = String(text || '').split(/(\[\d{1,2}\])/);
    parts.forEach(function (part) {
      var m = /^\[(\d{1,2})\]$/.exec(part);
      var cite = m && citations[+m[1] - 1];
      if (cite) p.appendChild(el('button', { type: 'button', class: 'cite-ref', onclick: function () { openSource(cite); } }, part));
      else if (part) p.appendChild(document.createTextNode(part));
    });
    return p;
  }

  /* ------------------------------------------------------------------ rendering */

  function bubble(kind, who) {
    var node = el('div', { class: 'msg ' + kind });
    if (who) node.appendChild(el('div', { class: 'who', text: who }));
    return node;
  }

  function renderUser(text, id, pending) {
    var node = bubble('user');
    node.appendChild(el('p', { class: 'text', text: text }));
    node.appendChild(el('span', { class: 'state', text: pending ? t('chat.sending') : '' }));
    if (id) node.dataset.cmid = id;
    if (pending) { node.dataset.pending = '1'; ui.log.appendChild(node); }
    return node;
  }

  function settle(node, seq) {
    delete node.dataset.pending;
    node.classList.remove('failed');
    var s = node.querySelector('.state');
    if (s) s.textContent = '';
    place(node, seq);
  }

  function onAck(ev) {
    var idx = -1;
    for (var i = 0; i < st.pending.length; i++) if (st.pending[i].id === ev.client_msg_id) idx = i;
    var node = ev.client_msg_id ? ui.log.querySelector('[data-cmid="' + CSS.escape(ev.client_msg_id) + '"]') : null;
    if (idx >= 0) { st.pending.splice(idx, 1); saveLocal(); }
    if (node) { settle(node, ev.seq); return; }
    if (st.seen[ev.seq] && ui.log.querySelector('[data-seq="' + ev.seq + '"]')) return;
    var n = renderUser(ev.text || '', ev.client_msg_id, false);
    place(n, ev.seq);
  }

  function renderReply(ev) {
    var node = bubble('bot');
    var citations = Array.isArray(ev.citations) ? ev.citations : [];
    var box = el('div', { class: 'bubble' }, textWithCitations(ev.text, citations));
    (Array.isArray(ev.cards) ? ev.cards : []).forEach(function (card) {
      var c = renderCard(card);
      if (c) box.appendChild(c);
    });
    if (citations.length) {
      var list = el('ol', { class: 'cites', 'aria-label': t('chat.sources') });
      citations.forEach(function (c) {
        list.appendChild(el('li', null, el('button', {
          type: 'button', class: 'cite', dataset: { doc: String(c.doc_id || '') },
          onclick: function () { openSource(c); }
        }, el('span', { class: 'cite-title', text: c.title || c.doc_id }), c.snippet ? el('span', { class: 'cite-snippet', text: c.snippet }) : null)));
      });
      box.appendChild(el('div', { class: 'sources' }, el('div', { class: 'sources-label', text: t('chat.sources') }), list));
    }
    node.appendChild(box);
    var offer = renderOffer(ev);
    if (offer) node.appendChild(offer);
    var chips = renderChips(ev.suggestions);
    if (chips) node.appendChild(chips);
    node.appendChild(renderFeedback(ev.seq));
    place(node, ev.seq);
    st.replies[ev.seq] = node;
  }

  function renderChips(suggestions) {
    if (!Array.isArray(suggestions) || !suggestions.length) return null;
    var row = el('div', { class: 'chips' });
    suggestions.forEach(function (s) {
      if (typeof s !== 'string' || !s) return;
      row.appendChild(el('button', { type: 'button', class: 'chip', onclick: function () { sendText(s); } }, s));
    });
    return row;
  }

  function renderFeedback(seq) {
    var row = el('div', { class: 'feedback', dataset: { seq: String(seq) } });
    var comment = el('textarea', { class: 'fb-comment', rows: '2', maxlength: '1000', placeholder: t('fb.comment') });
    var form = el('form', { class: 'fb-form', hidden: true }, comment, el('button', { type: 'submit', class: 'btn small', text: t('fb.submit') }));
    var saved = el('span', { class: 'fb-saved', role: 'status' });
    function rate(rating) {
      row.dataset.rating = rating;
      up.setAttribute('aria-pressed', String(rating === 'up'));
      down.setAttribute('aria-pressed', String(rating === 'down'));
      form.hidden = false;
      sendFeedback(seq, rating, '');
    }
    var up = el('button', { type: 'button', class: 'thumb up', 'aria-pressed': 'false', 'aria-label': t('fb.up'), title: t('fb.up'), onclick: function () { rate('up'); } }, thumbIcon(false));
    var down = el('button', { type: 'button', class: 'thumb down', 'aria-pressed': 'false', 'aria-label': t('fb.down'), title: t('fb.down'), onclick: function () { rate('down'); } }, thumbIcon(true));
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (!row.dataset.rating) return;
      sendFeedback(seq, row.dataset.rating, comment.value.trim());
      form.hidden = true;
    });
    row.appendChild(up); row.appendChild(down); row.appendChild(saved); row.appendChild(form);
    return row;
  }

  var THUMB = 'M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z';
  function thumbIcon(down) {
    var ns = 'http://www.w3.org/2000/svg';
    var s = document.createElementNS(ns, 'svg');
    s.setAttribute('viewBox', '0 0 24 24'); s.setAttribute('width', '18'); s.setAttribute('height', '18'); s.setAttribute('aria-hidden', 'true');
    var p = document.createElementNS(ns, 'path');
    p.setAttribute('d', THUMB);
    if (down) p.setAttribute('transform', 'rotate(180 12 12)');
    s.appendChild(p);
    return s;
  }

  function onFeedbackSaved(seq) {
    var node = st.replies[seq];
    var s = node && node.querySelector('.fb-saved');
    if (s) s.textContent = t('fb.saved');
  }

  function kv(label, value) { return el('div', { class: 'kv' }, el('span', { class: 'k', text: label }), el('span', { class: 'v', text: value })); }
  function list(cls, items) {
    var ul = el('ul', { class: cls });
    (items || []).forEach(function (x) { ul.appendChild(el('li', { text: String(x) })); });
    return ul;
  }
  function label(prefix, value) {
    var key = prefix + '.' + value;
    var s = t(key);
    return s === key ? String(value) : s;
  }

  function renderCard(card) {
    if (!card || typeof card !== 'object') return null;
    var type = card.type;
    var node = el('section', { class: 'card ' + (type || 'unknown'), dataset: { card: String(type || '') } });
    if (type === 'params') {
      node.appendChild(el('h2', null, el('span', { class: 'tag', text: t('card.params') }), ' ', String(card.product_name || ''), ' ', el('small', { text: card.product_id || '' })));
      var hl = {};
      (card.highlight || []).forEach(function (h) { hl[h] = true; });
      var tb = el('tbody');
      (card.rows || []).forEach(function (r) {
        tb.appendChild(el('tr', { class: hl[r.name] ? 'hl' : null }, el('th', { scope: 'row', text: r.name }), el('td', { text: [r.value, r.unit].filter(Boolean).join(' ') })));
      });
      node.appendChild(el('table', { class: 'params' }, tb));
    } else if (type === 'script') {
      node.appendChild(el('h2', null, el('span', { class: 'tag', text: t('card.script') }), ' ', String(card.title || '')));
      node.appendChild(el('div', { class: 'meta' }, [label('persona', card.persona), card.stage, card.product_line].filter(Boolean).join(' · ')));
      var scriptText = el('blockquote', { class: 'script-text', text: card.text || '' });
      node.appendChild(scriptText);
      if (card.roi && typeof card.roi === 'object') {
        node.appendChild(el('div', { class: 'roi' }, el('strong', { text: t('card.roi') }), kv(t('card.saving'), '¥' + card.roi.annual_saving), kv(t('card.payback'), String(card.roi.payback_months))));
      }
      if (card.missing_slots && card.missing_slots.length) {
        node.appendChild(el('p', { class: 'missing' }, t('card.missing') + '：', card.missing_slots.map(function (s) { return label('pf', s); }).join('、')));
      }
      if (card.why && card.why.length) node.appendChild(el('details', null, el('summary', { text: t('card.why_script') }), list('why', card.why)));
      node.appendChild(el('button', {
        type: 'button', class: 'btn small copy', text: t('card.copy'),
        onclick: function (e) {
          var b = e.currentTarget;
          if (navigator.clipboard) navigator.clipboard.writeText(card.text || '').then(function () { b.textContent = t('card.copied'); }, function () {});
        }
      }));
    } else if (type === 'case') {
      node.appendChild(el('h2', null, el('span', { class: 'tag', text: t('card.case') }), ' ', String(card.title || '')));
      node.appendChild(el('div', { class: 'meta' }, [card.customer, card.industry, label('scale', card.scale), card.region].filter(Boolean).join(' · ')));
      if (card.results && card.results.length) node.appendChild(el('div', { class: 'results' }, el('strong', { text: t('card.results') }), list('', card.results)));
      if (card.products && card.products.length) node.appendChild(kv(t('card.products'), card.products.join('、')));
      if (card.why && card.why.length) node.appendChild(el('div', { class: 'why-box' }, el('strong', { text: t('card.why_case') }), list('why', card.why)));
    } else if (type === 'rebate') {
      var ranking = card.kind === 'ranking';  // places, not statement lines: no 合计 row
      node.appendChild(el('h2', null, el('span', { class: 'tag', text: t(ranking ? 'card.ranking' : 'card.rebate') }), ' ', String(card.partner_name || ''), ' ', el('small', { text: card.quarter || '' })));
      node.appendChild(el('div', { class: 'meta', text: label('card.status', card.status) }));
      var rows = el('tbody');
      (card.lines || []).forEach(function (line) {
        rows.appendChild(el('tr', null,
          el('th', { scope: 'row' }, String(line.description || line.kind || ''), el('div', { class: 'rule', text: line.rule || '' })),
          el('td', { class: 'num' }, String(line.amount || ''), line.orders && line.orders.length ? el('div', { class: 'rule', text: line.orders.length + ' ' + t('card.orders') }) : null)));
      });
      if (!ranking && card.total) rows.appendChild(el('tr', { class: 'total' }, el('th', { scope: 'row', text: t('card.total') }), el('td', { class: 'num', text: String(card.total) })));
      node.appendChild(el('table', { class: 'rebate-lines' }, rows));
      if (card.progress) node.appendChild(el('p', { class: 'progress', text: card.progress }));
    } else if (type === 'practice') {
      node.appendChild(el('h2', null, el('span', { class: 'tag', text: t('card.practice') }), ' ', String(card.product_name || ''), ' ', el('small', { text: card.product_id || '' })));
      var who = [card.persona ? label('persona', card.persona) : '', card.industry || ''].filter(Boolean);
      if (who.length) node.appendChild(el('div', { class: 'meta', text: who.join(' · ') }));
      // only a link to the practice page itself, whatever the payload says
      var href = /^\/practice(\?[\w%=&.-]*)?$/.test(String(card.href || '')) ? card.href : '/practice';
      node.appendChild(el('a', { class: 'btn', href: href, target: '_blank', rel: 'noopener', text: t('card.practice_go') }));
    } else {
      return null;
    }
    return node;
  }

  function renderSystem(text, seq, cls) {
    var node = bubble('system ' + (cls || ''));
    node.appendChild(el('p', { class: 'text', text: text }));
    place(node, seq);
    return node;
  }

  function renderHandoff(ev) {
    var type = ev.type;
    var expert = typeof ev.expert === 'string' ? ev.expert : (ev.expert_name || '');
    var text = typeof ev.text === 'string' ? ev.text : (typeof ev.message === 'string' ? ev.message : '');
    if (type === 'expert_message' || (type === 'handoff' && ev.sender === 'expert')) {
      var node = bubble('expert', (expert || t('handoff.expert')) + ' · ' + t('handoff.expert'));
      node.appendChild(el('div', { class: 'bubble' }, el('p', { class: 'text', text: text })));
      place(node, ev.seq);
      return;
    }
    if (type === 'ar_join_code') {
      var n = renderSystem(text || t('handoff.code'), ev.seq, 'handoff');
      if (ev.code) n.appendChild(el('p', { class: 'join-code' }, t('handoff.code') + '：', el('strong', { text: String(ev.code) })));
      var link = typeof ev.link === 'string' ? ev.link : '', url = null;
      try { url = link ? new URL(link, location.href) : null; } catch (e) { url = null; }
      if (url && url.origin === location.origin && url.pathname === '/assist' && /^(\/[^/]|https?:\/\/)/i.test(link)) {
        // Our own page (GET /assist): remote.js starts the video on this device, no navigation.
        n.appendChild(el('a', { href: url.pathname + url.search, class: 'btn small', dataset: { assist: 'join' }, text: t('handoff.open_link') }));
      } else if (/^https?:\/\//i.test(link)) {
        n.appendChild(el('a', { href: link, target: '_blank', rel: 'noopener noreferrer', class: 'btn small', text: t('handoff.open_link') }));
      }
      return;
    }
    if (type === 'handoff_queue' && ev.session_id && st.queueNotes[ev.session_id]) {
      var old = st.queueNotes[ev.session_id];
      old.querySelector('.text').textContent = text;
      place(old, ev.seq);
      return;
    }
    var note = renderSystem(text || type, ev.seq, 'handoff ' + type);
    if (type === 'handoff_queue' && ev.session_id) st.queueNotes[ev.session_id] = note;
    var chips = renderChips(ev.suggestions);
    if (chips) note.appendChild(chips);
  }

  /* ------------------------------------------------------------------ citations */

  function openSource(cite) {
    var d = ui.dialog;
    $('source-title').textContent = cite.title || cite.doc_id || '';
    $('source-meta').textContent = [cite.kind, cite.doc_id].filter(Boolean).join(' · ');
    var text = $('source-text');
    text.textContent = cite.snippet || t('source.loading');
    d.dataset.doc = String(cite.doc_id || '');
    // A recommended micro-lesson opens on the lessons page (its quiz records the completion).
    var open = $('source-open');
    var lesson = cite.kind === 'lesson' && /^L-\d{3}$/.test(String(cite.doc_id || ''));
    open.hidden = !lesson;
    if (lesson) { open.href = '/learn#lesson/' + encodeURIComponent(cite.doc_id); open.textContent = t('source.open_lesson'); }
    if (typeof d.showModal === 'function') { if (!d.open) d.showModal(); } else d.setAttribute('open', '');
    CA.api('/api/documents/' + encodeURIComponent(cite.doc_id)).then(function (res) {
      if (d.dataset.doc !== String(cite.doc_id || '')) return;
      if (res.ok && res.data) {
        $('source-title').textContent = res.data.title || cite.title || '';
        text.textContent = res.data.text || '';
        d.dataset.loaded = '1';
      } else {
        text.textContent = (cite.snippet ? cite.snippet + '\n\n' : '') + t('source.failed') + '：' + CA.errorText(res);
      }
    });
  }
  $('source-close').addEventListener('click', function () { ui.dialog.close(); });
  ui.dialog.addEventListener('click', function (e) { if (e.target === ui.dialog) ui.dialog.close(); });

  /* ------------------------------------------------------------------ profile */

  function renderProfile() {
    var known = PROFILE_FIELDS.filter(function (f) { var v = st.profile[f[0]]; return v !== null && v !== undefined && v !== ''; });
    // The customer chip names a bound customer already.
    if (st.customer) known = known.filter(function (f) { return f[0] !== 'customer_name' || String(st.profile.customer_name) !== st.customer.name; });
    CA.clear(ui.profileSummary);
    if (!known.length) ui.profileSummary.appendChild(el('span', { class: 'muted', text: t('profile.empty') }));
    known.forEach(function (f) {
      var v = st.profile[f[0]];
      var shown = f[0] === 'scale' ? label('scale', v) : f[0] === 'persona' ? label('persona', v) : String(v);
      ui.profileSummary.appendChild(el('span', { class: 'pchip', dataset: { field: f[0] } }, el('span', { class: 'k', text: t('pf.' + f[0]) }), shown));
    });
    renderCustomer();
  }

  function buildProfileForm() {
    var f = ui.profileForm;
    CA.clear(f);
    var grid = el('div', { class: 'pgrid' });
    PROFILE_FIELDS.forEach(function (def) {
      var name = def[0], type = def[1], value = st.profile[name];
      var input;
      if (type === 'select') {
        input = el('select', { name: name }, el('option', { value: '', text: '—' }));
        def[2].forEach(function (opt) { input.appendChild(el('option', { value: opt, text: label(name === 'scale' ? 'scale' : 'persona', opt) })); });
      } else {
        input = el('input', { name: name, type: type === 'number' ? 'text' : 'text', inputmode: type === 'number' ? 'decimal' : null, maxlength: '100', autocomplete: 'off' });
      }
      input.value = value === null || value === undefined ? '' : String(value);
      grid.appendChild(el('label', null, el('span', { text: t('pf.' + name) }), input));
    });
    f.appendChild(grid);
    f.appendChild(el('div', { class: 'row' },
      el('button', { type: 'submit', class: 'btn primary small', text: t('profile.save') }),
      el('button', { type: 'button', class: 'btn small', text: t('profile.cancel'), onclick: function () { toggleProfileForm(false); } }),
      el('span', { class: 'error', 'data-role': 'error', role: 'alert' })));
  }

  function toggleProfileForm(open) {
    if (open) buildProfileForm();
    ui.profileForm.hidden = !open;
    ui.profileEdit.setAttribute('aria-expanded', String(open));
  }

  ui.profileEdit.addEventListener('click', function () { toggleProfileForm(ui.profileForm.hidden); });
  ui.profileForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var patch = {}, changed = false;
    PROFILE_FIELDS.forEach(function (def) {
      var v = ui.profileForm.elements[def[0]].value.trim();
      var old = st.profile[def[0]];
      old = old === null || old === undefined ? '' : String(old);
      if (v !== old) { patch[def[0]] = v === '' ? null : v; changed = true; }
    });
    if (!changed) { toggleProfileForm(false); return; }
    var err = ui.profileForm.querySelector('[data-role=error]');
    if (!st.conversationId) {
      st.profilePatch = Object.assign(st.profilePatch || {}, patch);
      Object.keys(patch).forEach(function (k) { if (patch[k] === null) delete st.profile[k]; else st.profile[k] = patch[k]; });
      renderProfile(); toggleProfileForm(false); notice(t('profile.next'));
      return;
    }
    CA.api('/api/conversations/' + encodeURIComponent(st.conversationId) + '/profile', { method: 'PATCH', body: patch }).then(function (res) {
      if (res.ok && res.data) {
        st.profile = res.data;
        renderProfile(); toggleProfileForm(false); notice(t('profile.saved'));
      } else if (res.status === 401) {
        authExpired();
      } else {
        err.textContent = CA.errorText(res);
      }
    });
  });

  function applyProfile(profile, seq, ev) {
    if (seq < st.profileSeq || !profile || typeof profile !== 'object') return;
    if (seq <= st.customerAsOf) return;  // older than a binding the page knows of: its profile stands
    st.profileSeq = seq;
    st.profile = profile;
    if (ev && 'customer' in ev) setCustomer(customerRef(ev.customer), seq);  // the conversation's customer now
    renderProfile();
  }

  /* ------------------------------------------------------------------ sending */

  function sendFrame(obj) {
    if (!st.ws || st.ws.readyState !== WebSocket.OPEN) return false;
    st.ws.send(JSON.stringify(obj));
    return true;
  }

  function sendText(text) {
    text = String(text || '').trim();
    if (!text) return;
    var item = { id: newId(), text: text, profile: st.profilePatch };
    st.profilePatch = null;
    st.pending.push(item);
    saveLocal();
    renderUser(text, item.id, true);
    scrollDown();
    flushOne(item);
  }

  function flushOne(item) {
    // Each answer in the language the page shows now (the switch may change it mid-talk).
    var frame = { type: 'message', client_msg_id: item.id, text: item.text, lang: CA.lang };
    if (item.profile) frame.profile = item.profile;
    sendFrame(frame);
  }

  function sendFeedback(seq, rating, comment) {
    var frame = { type: 'feedback', message_seq: seq, rating: rating, comment: comment || '' };
    if (sendFrame(frame)) return;
    if (!st.conversationId) return;
    CA.api('/api/conversations/' + encodeURIComponent(st.conversationId) + '/feedback', {
      method: 'POST', body: { message_seq: seq, rating: rating, comment: comment || '' }
    }).then(function (res) { if (res.ok) onFeedbackSaved(seq); else notice(CA.errorText(res)); });
  }

  ui.composer.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = ui.input.value;
    if (!text.trim()) return;
    ui.input.value = '';
    autosize();
    sendText(text);
  });
  ui.input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); ui.composer.requestSubmit(); }
  });
  function autosize() { ui.input.style.height = 'auto'; ui.input.style.height = Math.min(ui.input.scrollHeight, 140) + 'px'; }
  ui.input.addEventListener('input', autosize);

  /* ------------------------------------------------------------------ connection */

  /* No token in any URL: each connection asks POST /api/ws-ticket for a single-use ticket
   * that lives a few seconds, and opens the socket with it. */
  function wsUrl(ticket) {
    var u = new URL('/ws/chat', location.href);
    u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('ticket', ticket);
    if (st.conversationId) u.searchParams.set('conversation_id', st.conversationId);
    u.searchParams.set('lang', CA.lang);  // the server's errors in the page's language
    return u.toString();
  }

  function connect() {
    clearTimeout(st.timer);
    if (st.ws || st.connecting) return;
    if (!CA.session.token()) { authExpired(); return; }
    setConn('connecting');
    st.connecting = true;
    CA.api('/api/ws-ticket', { method: 'POST' }).then(function (res) {
      st.connecting = false;
      if (st.ws) return;
      if (res.status === 401) { authExpired(); return; }
      if (!res.ok || !res.data || typeof res.data.ticket !== 'string') { setConn('offline'); scheduleReconnect(); return; }
      // Still loading its index and model: no socket yet (it would be refused), ask again shortly.
      if (res.data.ready === false) { setConn('starting'); st.timer = setTimeout(connect, 1500); return; }
      openSocket(res.data.ticket);
    });
  }

  function openSocket(ticket) {
    var ws = new WebSocket(wsUrl(ticket));
    var opened = false;
    st.ws = ws;
    ws.onopen = function () { opened = true; };
    ws.onmessage = function (e) {
      var ev;
      try { ev = JSON.parse(e.data); } catch (err) { return; }
      if (ev && typeof ev === 'object') onEvent(ev);
    };
    ws.onclose = function (e) {
      if (st.ws === ws) st.ws = null;
      showTyping(false);
      setConn('offline');
      if (e.code === 4401) { authExpired(); return; }  // the sign-in expired: sign in again
      if (e.code === 1008) { onRefused(opened); return; }
      scheduleReconnect();
    };
  }

  function scheduleReconnect(delay) {
    clearTimeout(st.timer);
    if (delay === undefined) delay = Math.min(8000, 250 * Math.pow(2, st.retry)) * (0.75 + Math.random() * 0.5);
    st.retry += 1;
    st.timer = setTimeout(connect, delay);
  }

  /* 1008: the token was refused, or the conversation is not ours (e.g. a new database). */
  function onRefused() {
    CA.api('/api/me').then(function (res) {
      if (res.status === 401 || res.status === 403) { authExpired(); return; }
      if (res.ok && st.conversationId) { st.conversationId = null; st.customer = null; st.customerAsOf = 0; saveLocal(); }
      scheduleReconnect();
    });
  }

  /* A different conversation than the one on screen (the old one was not accessible any
   * more): start a clean log, since its seqs start again from 1. */
  function resetConversation() {
    st.seen = {}; st.contig = 0; st.replies = {}; st.queueNotes = {}; st.profile = {}; st.profileSeq = -1;
    st.customer = null; st.customerAsOf = 0;
    Array.prototype.slice.call(ui.log.children).forEach(function (n) {
      if (n.dataset.seq && n.dataset.seq !== '0' && n.dataset.pending !== '1') ui.log.removeChild(n);
    });
    renderProfile();
  }

  function onReady(ev) {
    st.retry = 0;
    if (st.boundTo && st.boundTo !== ev.conversation_id) resetConversation();
    st.boundTo = ev.conversation_id;
    st.conversationId = ev.conversation_id;
    saveLocal();
    setConn('online');
    sendFrame({ type: 'resume', last_seq: st.contig });
    st.pending.forEach(flushOne);
  }

  function showTyping(on) { ui.typing.hidden = !on; if (on) scrollDown(); }

  function onEvent(ev) {
    hooks.listeners.forEach(function (fn) {  // remote assist (remote.js) sees every frame; its slip never stops the chat
      try { fn(ev); } catch (err) { setTimeout(function () { throw err; }); }
    });
    switch (ev.type) {
      case 'ready': onReady(ev); return;
      case 'typing': showTyping(!!ev.on); return;
      case 'feedback_saved': onFeedbackSaved(ev.message_seq); return;
      case 'error': onError(ev); return;
    }
    if (typeof ev.seq !== 'number') return;
    if (ev.type === 'ack') onAck(ev);  // an ack settles its pending message even when seen before
    if (st.seen[ev.seq]) return;
    markSeen(ev.seq);
    if (hooks.renderers[ev.type]) hooks.renderers[ev.type](ev);
    else if (ev.type === 'reply') renderReply(ev);
    else if (ev.type === 'profile') applyProfile(ev.profile, ev.seq, ev);
    else if (HANDOFF_TYPES.test(ev.type)) renderHandoff(ev);
    scrollDown();
    scheduleSeen();
  }

  function onError(ev) {
    if (ev.code === 'token_expired') { authExpired(); return; }
    if (ev.client_msg_id) {
      var idx = -1;
      for (var i = 0; i < st.pending.length; i++) if (st.pending[i].id === ev.client_msg_id) idx = i;
      if (idx >= 0) { st.pending.splice(idx, 1); saveLocal(); }
      var node = ui.log.querySelector('[data-cmid="' + CSS.escape(ev.client_msg_id) + '"]');
      if (node) {
        node.classList.add('failed');
        delete node.dataset.pending;
        node.querySelector('.state').textContent = t('chat.failed') + '：' + (ev.message || ev.code);
      }
    } else {
      notice(ev.message || ev.code);
    }
  }

  /* "Seen" is what this page showed: after events arrive (a resume's replay, a live push)
   * and while the page is visible, POST .../seen with the highest seq shown without a gap, at
   * most every 400 ms.  The history list counts server-pushed events after it as unread. */
  function scheduleSeen() {
    clearTimeout(st.seenTimer);
    st.seenTimer = setTimeout(postSeen, 400);
  }
  function postSeen() {
    var cid = st.conversationId, seq = st.contig;
    if (!cid || seq <= 0 || document.visibilityState === 'hidden' || !CA.session.token()) return;
    if ((st.seenPosted[cid] || 0) >= seq) return;
    st.seenPosted[cid] = seq;
    CA.api('/api/conversations/' + encodeURIComponent(cid) + '/seen', { method: 'POST', body: { seq: seq } }).then(function (res) {
      if (!res.ok && res.status !== 422 && res.status !== 404) st.seenPosted[cid] = 0;  // try again next time
    });
  }
  document.addEventListener('visibilitychange', function () { if (document.visibilityState === 'visible') scheduleSeen(); });

  window.addEventListener('online', function () { if (!st.ws) { st.retry = 0; connect(); } });
  window.addEventListener('offline', function () { if (st.ws) st.ws.close(); setConn('offline'); });

  /* ------------------------------------------------------------------ handoff button */

  $('btn-expert').addEventListener('click', function () {
    if (!st.conversationId) { notice(t('handoff.need_conversation')); return; }
    var btn = $('btn-expert');
    btn.disabled = true;
    /* The browser's time zone stands for the customer's (a callback then falls in their waking
     * hours); a zone the server does not know is dropped rather than failing the request. */
    var zone = '';
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { zone = ''; }
    var ask = function (body) { return CA.api('/api/handoff/request', { method: 'POST', body: body }); };
    var body = { conversation_id: st.conversationId };
    if (zone && zone.length <= 64) body.customer_timezone = zone;
    ask(body).then(function (res) {
      if (res.status === 422 && res.data && res.data.code === 'timezone_invalid') {
        return ask({ conversation_id: st.conversationId });
      }
      return res;
    }).then(function (res) {
      btn.disabled = false;
      if (res.ok) notice(t('handoff.requested'));
      else if (res.status === 404 || res.status === 501 || res.status === 405) notice(t('handoff.unavailable'), 'warn');
      else if (res.status === 401) authExpired();
      else notice(CA.errorText(res), 'warn');
    });
  });

  /* ------------------------------------------------------------------ history (历史会话) */

  /* The caller's conversations (GET /api/conversations: newest first, ?q= search, paged);
   * opening one rebinds the socket to it and replays all its events with resume from 0.
   * A phone shows the panel as a full-screen sheet, a desktop as a side panel (app.css). */
  var PAGE = 20;

  function openHistory() {
    renderScope();
    if (!ui.history.open) ui.history.showModal();
    loadHistory(true);
    ui.historyQ.focus();
  }

  function loadHistory(reset) {
    var h = st.history;
    if (reset) { h.offset = 0; h.q = ui.historyQ.value.trim(); CA.clear(ui.historyList); }
    var mine = ++h.token;  // a newer search wins over an older answer still on its way
    ui.historyMore.hidden = true;
    ui.historyStatus.textContent = t('history.loading');
    var url = '/api/conversations?limit=' + (PAGE + 1) + '&offset=' + h.offset + (h.q ? '&q=' + encodeURIComponent(h.q) : '');
    var byCustomer = h.scope === 'customer' && st.customer;
    if (byCustomer) url += '&customer_id=' + encodeURIComponent(st.customer.id);
    CA.api(url).then(function (res) {
      if (mine !== h.token) return;
      if (res.status === 401) { authExpired(); return; }
      if (!res.ok || !Array.isArray(res.data)) { ui.historyStatus.textContent = CA.errorText(res); return; }
      var rows = res.data.slice(0, PAGE);
      rows.forEach(function (c) { ui.historyList.appendChild(historyItem(c)); });
      h.offset += rows.length;
      ui.historyMore.hidden = res.data.length <= PAGE;  // one more than a page came: there is more
      ui.historyStatus.textContent = ui.historyList.children.length ? '' : t(h.q ? 'history.none' : byCustomer ? 'history.none_customer' : 'history.empty');
    });
  }

  function when(iso) {
    var d = new Date(String(iso || '') + (/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(String(iso || '')) ? '' : 'Z'));  // stored as UTC
    if (isNaN(d.getTime())) return '';
    var lang = CA.lang === 'en' ? 'en-US' : 'zh-CN';
    var today = new Date().toDateString() === d.toDateString();
    return today ? d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit', hour12: false })
      : d.toLocaleDateString(lang, { month: 'short', day: 'numeric' });
  }

  function historyItem(c) {
    var unread = typeof c.unread === 'number' && c.unread > 0 ? c.unread : 0;
    var current = c.id === st.conversationId;
    var btn = el('button', { type: 'button', class: 'history-item', 'aria-current': current ? 'true' : null, dataset: { id: String(c.id) } },
      el('span', { class: 'history-row' },
        el('span', { class: 'history-name', text: c.title || t('history.untitled') }),
        el('time', { class: 'history-time', datetime: String(c.updated_at || ''), text: when(c.updated_at) })),
      c.customer_name ? el('span', { class: 'history-customer', text: t('history.customer', { name: c.customer_name }) }) : null,
      el('span', { class: 'history-row' },
        el('span', { class: 'history-preview', text: c.preview || '' }),
        unread ? el('span', { class: 'badge unread', 'aria-label': t('history.unread', { n: unread }), title: t('history.unread', { n: unread }), text: unread > 99 ? '99+' : String(unread) }) : null),
      current ? el('span', { class: 'visually-hidden', text: t('history.current') }) : null);
    btn.addEventListener('click', function () { openConversation(String(c.id), c); });
    return el('li', null, btn);
  }

  /* Bind the page to another conversation (null: a new one) and reconnect: ready, then resume
   * from 0 restores all its events. */
  function openConversation(cid, row) {
    if (cid === st.conversationId && cid) { ui.history.close(); return; }
    if (st.pending.length) { notice(t('history.pending'), 'warn'); return; }
    ui.history.close();
    if (st.ws) { st.ws.onclose = null; st.ws.close(); st.ws = null; }
    clearTimeout(st.timer);
    showTyping(false);
    resetConversation();
    st.conversationId = cid;
    st.boundTo = cid;
    saveLocal();
    if (row) { setCustomer(customerRef({ id: row.customer_id, name: row.customer_name }), +row.last_seq || 0); refreshProfile(); }
    renderProfile();
    st.retry = 0;
    connect();
    ui.input.focus();
  }

  $('btn-history').addEventListener('click', openHistory);
  $('history-close').addEventListener('click', function () { ui.history.close(); });
  $('history-new').addEventListener('click', function () { openConversation(null); });
  ui.historyMore.addEventListener('click', function () { loadHistory(false); });
  ui.history.addEventListener('click', function (e) { if (e.target === ui.history) ui.history.close(); });
  $('history-search').addEventListener('submit', function (e) { e.preventDefault(); loadHistory(true); });
  ui.historyQ.addEventListener('input', function () {
    clearTimeout(st.history.timer);
    st.history.timer = setTimeout(function () { loadHistory(true); }, 300);
  });

  /* ------------------------------------------------------------------ customers (客户) */

  /* A conversation belongs to at most one of the caller's customer records; its profile reads
   * from and writes to that customer.  The chip in the profile bar names it and opens the
   * picker (a sheet on a phone, a side panel on a desktop, like 历史会话): search
   * (GET /api/customers?q=), choose (PUT /api/conversations/{id}/customer), 不关联客户, or
   * 新建客户 from this conversation (POST /api/customers with from_conversation_id).  A reply may
   * offer to save or link a company the salesperson named (customer_offer): a bar under it. */

  function customerRef(c) {
    return c && typeof c === 'object' && typeof c.id === 'string' && c.id ? { id: c.id, name: String(c.name || '') } : null;
  }

  /* The conversation's customer as known after event `asOf`: a profile event tells it at its
   * turn (a binding or a correction by REST stores one too, which the other devices receive);
   * this page's own REST answer or a history row tells it now, and the profile then comes
   * from that answer or GET .../profile.  Replayed profile events up to asOf (resume from 0) are
   * skipped, so they do not undo a later binding.  Kept per tab: a reload shows it too. */
  var CUSTOMER_KEY = 'ca.customer';
  function setCustomer(customer, asOf) {
    st.customer = customer;
    st.customerAsOf = asOf;
    var s = store();
    if (s && st.conversationId) s.setItem(CUSTOMER_KEY, JSON.stringify({ cid: st.conversationId, customer: customer, asOf: asOf }));
  }
  function restoreCustomer() {
    var s = store(), saved = null;
    try { saved = s && JSON.parse(s.getItem(CUSTOMER_KEY) || 'null'); } catch (e) { saved = null; }
    if (saved && saved.cid && saved.cid === st.conversationId && typeof saved.asOf === 'number') {
      st.customer = customerRef(saved.customer);
      st.customerAsOf = saved.asOf;
      refreshProfile();
    }
  }

  /* The profile now (GET .../profile: the bound customer's), for a page that skips the replayed
   * profile events older than customerAsOf; a newer profile event wins over this answer. */
  function refreshProfile() {
    var cid = st.conversationId;
    if (!cid) return;
    CA.api('/api/conversations/' + encodeURIComponent(cid) + '/profile').then(function (res) {
      if (cid !== st.conversationId || !res.ok || !res.data || typeof res.data !== 'object') return;
      if (st.profileSeq > st.customerAsOf) return;
      st.profile = res.data;
      renderProfile();
    });
  }

  function renderCustomer() {
    var c = st.customer;
    ui.customerChip.textContent = c ? t('customer.chip', { name: c.name }) : t('customer.none');
    ui.customerChip.dataset.customerId = c ? c.id : '';
    ui.customerChip.classList.toggle('bound', !!c);
    // An offer for the customer the conversation now has is answered already.
    ui.log.querySelectorAll('.customer-offer').forEach(function (bar) {
      if (c && (bar.dataset.customerId ? bar.dataset.customerId === c.id : bar.dataset.name === c.name)) bar.remove();
    });
  }

  /* The conversation's customer changed (a PUT or POST answered): chip and profile follow. */
  function applyBinding(cid, customer, profile) {
    if (cid !== st.conversationId) return false;  // the page moved to another conversation meanwhile
    setCustomer(customer, Math.max(st.contig, st.profileSeq));
    if (profile && typeof profile === 'object') st.profile = profile;
    renderProfile();
    if (!ui.profileForm.hidden) buildProfileForm();
    return true;
  }

  function bindCustomer(customer) {
    var cid = st.conversationId;
    if (!cid) return Promise.resolve({ ok: false, status: 0, data: { message: t('customer.need_conversation') } });
    return CA.api('/api/conversations/' + encodeURIComponent(cid) + '/customer', {
      method: 'PUT', body: { customer_id: customer ? customer.id : null }
    }).then(function (res) {
      if (res.ok && res.data) {
        if (applyBinding(cid, customer ? { id: String(res.data.customer_id || customer.id), name: customer.name } : null, res.data.profile)) {
          notice(customer ? t('customer.bound', { name: customer.name }) : t('customer.unbound'));
        }
      } else if (res.status === 401) authExpired();
      return res;
    });
  }

  function createCustomer(name) {
    var cid = st.conversationId;
    if (!cid) return Promise.resolve({ ok: false, status: 0, data: { message: t('customer.need_conversation') } });
    return CA.api('/api/customers', { method: 'POST', body: { name: name, from_conversation_id: cid } }).then(function (res) {
      var c = res.ok && customerRef(res.data);
      if (c) {
        if (applyBinding(cid, c, res.data.profile)) notice(t('customer.created', { name: c.name }));
      } else if (res.status === 401) authExpired();
      return res;
    });
  }

  /* -- the picker */

  function openCustomers() {
    ui.customerError.textContent = '';
    ui.customerQ.value = '';  // each time the whole list, newest first
    if (!st.customer && !ui.customerName.value && st.profile.customer_name) ui.customerName.value = String(st.profile.customer_name);
    if (!ui.customers.open) ui.customers.showModal();
    loadCustomers(true);
    ui.customerQ.focus();
  }

  function loadCustomers(reset) {
    var h = st.customerList;
    if (reset) {
      h.offset = 0; h.q = ui.customerQ.value.trim();
      CA.clear(ui.customerList);
      ui.customerList.appendChild(customerItem(null));  // 不关联客户
    }
    var mine = ++h.token;  // a newer search wins over an older answer still on its way
    ui.customerMore.hidden = true;
    ui.customerStatus.textContent = t('history.loading');
    // mine=1: only the caller's own customers, the ones this conversation can be bound to
    var url = '/api/customers?mine=1&limit=' + (PAGE + 1) + '&offset=' + h.offset + (h.q ? '&q=' + encodeURIComponent(h.q) : '');
    CA.api(url).then(function (res) {
      if (mine !== h.token) return;
      if (res.status === 401) { authExpired(); return; }
      if (!res.ok || !Array.isArray(res.data)) { ui.customerStatus.textContent = CA.errorText(res); return; }
      var rows = res.data.slice(0, PAGE);
      rows.forEach(function (c) { if (customerRef(c)) ui.customerList.appendChild(customerItem(c)); });
      h.offset += rows.length;
      ui.customerMore.hidden = res.data.length <= PAGE;
      ui.customerStatus.textContent = h.offset ? '' : t(h.q ? 'customer.nomatch' : 'customer.empty');
    });
  }

  /* A row of the picker; c null is 不关联客户. */
  function customerItem(c) {
    var current = c ? !!st.customer && st.customer.id === c.id : !st.customer;
    var meta = c ? [c.region, c.industry, c.scale ? label('scale', c.scale) : ''].filter(function (x) { return x; }).map(String) : [];
    if (c && typeof c.conversation_count === 'number' && c.conversation_count > 0) meta.push(t('customer.count', { n: c.conversation_count }));
    var btn = el('button', { type: 'button', class: 'history-item customer-item' + (c ? '' : ' customer-unbind'), 'aria-current': current ? 'true' : null, dataset: { id: c ? String(c.id) : '' } },
      el('span', { class: 'history-row' }, el('span', { class: 'history-name', text: c ? String(c.name || '') : t('customer.unbind') })),
      meta.length ? el('span', { class: 'history-row' }, el('span', { class: 'history-preview', text: meta.join(' · ') })) : null,
      current ? el('span', { class: 'visually-hidden', text: t('customer.current') }) : null);
    btn.addEventListener('click', function () { chooseCustomer(c ? customerRef(c) : null, btn); });
    return el('li', null, btn);
  }

  function chooseCustomer(customer, btn) {
    var same = customer ? !!st.customer && st.customer.id === customer.id : !st.customer;
    if (same) { ui.customers.close(); return; }
    ui.customerError.textContent = '';
    btn.disabled = true;
    bindCustomer(customer).then(function (res) {
      btn.disabled = false;
      if (res.ok) { ui.customers.close(); return; }
      if (res.status === 401) return;
      ui.customerError.textContent = CA.errorText(res);
      if (res.status === 404) loadCustomers(true);  // gone meanwhile: show the list as it is now
    });
  }

  ui.customerChip.addEventListener('click', openCustomers);
  $('customer-close').addEventListener('click', function () { ui.customers.close(); });
  ui.customers.addEventListener('click', function (e) { if (e.target === ui.customers) ui.customers.close(); });
  ui.customerMore.addEventListener('click', function () { loadCustomers(false); });
  $('customer-search').addEventListener('submit', function (e) { e.preventDefault(); loadCustomers(true); });
  ui.customerQ.addEventListener('input', function () {
    clearTimeout(st.customerList.timer);
    st.customerList.timer = setTimeout(function () { loadCustomers(true); }, 300);
  });
  $('customer-create').addEventListener('submit', function (e) {
    e.preventDefault();
    var name = ui.customerName.value.trim();
    if (!name) { ui.customerName.focus(); return; }
    var submit = $('customer-create-submit');
    submit.disabled = true;
    ui.customerError.textContent = '';
    createCustomer(name).then(function (res) {
      submit.disabled = false;
      if (res.ok) { ui.customerName.value = ''; ui.customers.close(); return; }
      if (res.status === 401) return;
      ui.customerError.textContent = CA.errorText(res);  // customer_name_taken, customer_invalid: the server says which
      ui.customerName.focus();
    });
  });

  /* -- the offer under a reply */

  var OFFERS_KEY = 'ca.offers';
  function offerKey(seq) { return (st.conversationId || '') + '#' + seq; }
  function offerDone(key) {
    st.offersDone[key] = true;
    var s = store();
    if (!s) return;
    try {
      var done = JSON.parse(s.getItem(OFFERS_KEY) || '[]');
      done = (Array.isArray(done) ? done : []).concat([key]).slice(-200);
      s.setItem(OFFERS_KEY, JSON.stringify(done));
    } catch (e) { /* storage full or damaged: this page still remembers */ }
  }
  function offerWasDone(key) {
    if (st.offersDone[key]) return true;
    var s = store();
    try { return !!s && (JSON.parse(s.getItem(OFFERS_KEY) || '[]') || []).indexOf(key) >= 0; } catch (e) { return false; }
  }

  function renderOffer(ev) {
    var o = ev.customer_offer;
    if (!o || typeof o !== 'object' || typeof o.name !== 'string' || !o.name) return null;
    var existing = typeof o.customer_id === 'string' && o.customer_id ? { id: o.customer_id, name: o.name } : null;
    var key = offerKey(ev.seq);
    if (offerWasDone(key)) return null;
    var c = st.customer;
    if (c && (existing ? c.id === existing.id : c.name === o.name)) return null;  // already this conversation's
    var textId = 'offer-' + ev.seq;
    var error = el('span', { class: 'error', role: 'alert' });
    var bar = el('div', { class: 'customer-offer', dataset: { name: o.name, customerId: existing ? existing.id : '' } },
      el('span', { class: 'offer-text', id: textId, text: t(existing ? 'offer.link' : 'offer.save', { name: o.name }) }));
    var yes = el('button', { type: 'button', class: 'btn primary small', 'aria-describedby': textId, text: t(existing ? 'offer.do_link' : 'offer.do_save') });
    var no = el('button', { type: 'button', class: 'btn small', 'aria-describedby': textId, text: t('offer.dismiss') });
    yes.addEventListener('click', function () {
      yes.disabled = true; no.disabled = true; error.textContent = '';
      (existing ? bindCustomer(existing) : createCustomer(o.name)).then(function (res) {
        if (res.ok) { offerDone(key); bar.remove(); ui.input.focus(); return; }
        yes.disabled = false; no.disabled = false;
        if (res.status !== 401) error.textContent = CA.errorText(res);
      });
    });
    no.addEventListener('click', function () { offerDone(key); bar.remove(); ui.input.focus(); });
    bar.appendChild(el('span', { class: 'offer-actions' }, yes, no));
    bar.appendChild(error);
    return bar;
  }

  /* -- history: 当前客户 / 全部 */

  function renderScope() {
    var h = st.history;
    ui.historyScope.hidden = !st.customer;
    var byCustomer = h.scope === 'customer' && !!st.customer;
    $('history-scope-customer').setAttribute('aria-pressed', String(byCustomer));
    $('history-scope-all').setAttribute('aria-pressed', String(!byCustomer));
  }
  function setScope(scope) {
    st.history.scope = scope;
    renderScope();
    loadHistory(true);
  }
  $('history-scope-customer').addEventListener('click', function () { setScope('customer'); });
  $('history-scope-all').addEventListener('click', function () { setScope('all'); });

  /* ------------------------------------------------------------------ start, sign-in */

  function welcome() {
    if (ui.log.querySelector('.welcome')) return;
    var node = bubble('bot welcome');
    node.appendChild(el('div', { class: 'bubble' }, el('p', { class: 'text', text: t('chat.welcome') })));
    var chips = renderChips([t('chat.starter1'), t('chat.starter2'), t('chat.starter3'), t('chat.starter4')]);
    if (chips) { chips.classList.add('starters'); node.appendChild(chips); }
    node.dataset.seq = '0';
    ui.log.insertBefore(node, ui.log.firstChild);
  }

  function start() {
    ui.signin.hidden = true;
    ui.composer.hidden = false;
    ui.profile.hidden = false;
    $('btn-expert').hidden = false;  // an expert is asked for by a signed-in user only
    $('btn-history').hidden = MODE !== 'page';
    var so = $('btn-signout');
    if (so) so.hidden = MODE !== 'page';
    if (st.started) { connect(); return; }
    st.started = true;
    var s = store();
    if (s) {
      st.conversationId = s.getItem('ca.conversation') || null;
      try {
        (JSON.parse(s.getItem('ca.pending') || '[]') || []).forEach(function (p) {
          if (p && p.id && p.text) { st.pending.push(p); renderUser(p.text, p.id, true); }
        });
      } catch (e) { /* ignore a damaged entry */ }
    }
    welcome();
    restoreCustomer();
    renderProfile();
    connect();
    ui.input.focus();
  }

  function authExpired() {
    if (st.ws) { st.ws.onclose = null; st.ws.close(); st.ws = null; }
    CA.session.clear();
    if (MODE === 'widget') { requestIdentity(); return; }
    st.started = false;
    st.conversationId = null;
    st.pending = [];
    ui.log.querySelectorAll('[data-pending="1"]').forEach(function (n) {
      delete n.dataset.pending;
      n.classList.add('failed');
      n.querySelector('.state').textContent = t('chat.failed');
    });
    notice(t('auth.expired'), 'sticky');
    showSignIn();
  }

  function showSignIn() {
    ui.signin.hidden = false;
    ui.composer.hidden = true;
    ui.profile.hidden = true;
    $('btn-expert').hidden = true;
    $('btn-history').hidden = true;
    if (ui.history.open) ui.history.close();
    if (ui.customers.open) ui.customers.close();
    setConn('offline');
    var f = $('signin-form');
    if (f.elements.username) f.elements.username.focus();
  }

  $('btn-signout').addEventListener('click', function () {
    if (st.ws) { st.ws.onclose = null; st.ws.close(); st.ws = null; }
    CA.session.clear();
    location.reload();
  });

  CA.bindLangButton($('btn-lang'), function () { renderProfile(); if (!ui.profileForm.hidden) buildProfileForm(); });

  /* ------------------------------------------------------------------ widget mode */

  /* The iframe talks only to its parent, and only if the parent's origin is one the
   * portal allows (the server also sends frame-ancestors with the same list). */
  function parentOrigin() {
    var allowed = (body.getAttribute('data-origins') || '').split(/\s+/).filter(Boolean);
    var o = null;
    if (location.ancestorOrigins && location.ancestorOrigins.length) o = location.ancestorOrigins[0];
    else if (document.referrer) { try { o = new URL(document.referrer).origin; } catch (e) { o = null; } }
    return o && allowed.indexOf(o) >= 0 ? o : null;
  }

  function requestIdentity() {
    if (!st.widget) return;
    notice(t('widget.signing'));
    window.parent.postMessage({ type: 'cas:need-identity' }, st.widget.origin);
  }

  function exchangeIdentity(token) {
    CA.api('/api/widget/session', { method: 'POST', token: null, body: { portal_id: st.widget.portal, identity_token: String(token || '') } }).then(function (res) {
      if (!res.ok || !res.data || !res.data.access_token) {
        notice(t('widget.failed') + '：' + CA.errorText(res), 'sticky');
        return;
      }
      notice('');
      CA.session.set(res.data.access_token, res.data.expires_in, { name: res.data.display_name });
      start();
    });
  }

  function startWidget() {
    body.classList.add('widget');
    CA.session.persist = false;  // the access token lives in this frame's memory only
    var origin = window.parent !== window ? parentOrigin() : null;
    if (!origin) { notice(t('widget.forbidden'), 'sticky'); ui.composer.hidden = true; return; }
    st.widget = { origin: origin, portal: body.getAttribute('data-portal') || '' };
    var color = new URLSearchParams(location.search).get('color');
    if (color && /^#[0-9a-fA-F]{3,8}$/.test(color)) document.documentElement.style.setProperty('--accent', color);
    window.addEventListener('message', function (e) {
      if (e.source !== window.parent || e.origin !== st.widget.origin) return;
      var m = e.data;
      if (!m || typeof m !== 'object') return;
      if (m.type === 'cas:identity' && typeof m.token === 'string') exchangeIdentity(m.token);
      else if (m.type === 'cas:identity-error') notice(t('widget.failed'), 'sticky');
    });
    $('btn-close').addEventListener('click', function () { window.parent.postMessage({ type: 'cas:close' }, st.widget.origin); });
    requestIdentity();
  }

  /* ------------------------------------------------------------------ boot */

  CA.applyI18n(document);
  setConn('offline');
  if (MODE === 'widget') {
    startWidget();
  } else {
    CA.bindSignIn($('signin-form'), start);
    if (CA.session.token()) start(); else showSignIn();
  }
  window.CAChat = {  // for tests and debugging (read-only use of state), and remote.js's hooks
    state: st,
    send: sendFrame,
    listen: function (fn) { hooks.listeners.push(fn); },
    render: function (type, fn) { hooks.renderers[type] = fn; },
    place: place,
    open: openConversation,  // remote.js: a join code's link opens the handoff's conversation
    notice: notice,
    scrollDown: scrollDown
  };
})();
