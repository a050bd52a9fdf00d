/* Knowledge-base editor: list and search, edit a YAML body with per-field problems,
 * draft -> review -> publish, version history with diffs and rollback, release
 * progress, and the review queue (questions the knowledge base did not answer well).
 *
 * Speaks only to /api/content/... with the signed-in user's token; who may do what is
 * the server's decision (content admins and admins; anyone else gets 403 "forbidden",
 * shown as the page's no-permission message).  Everything from the server or the user is
 * put on the page as text (CA.el / textContent); nothing here assigns innerHTML. */
(function () {
  'use strict';
  var CA = window.CA, el = CA.el;

  var KINDS = { faq: '常见问题', products: '产品', scripts: '话术', cases: '案例', lessons: '培训课程' };
  var STATUS = { draft: '草稿', review: '审核中', published: '已发布', superseded: '已被取代', withdrawn: '已撤回' };
  var SOURCES = { handoff: '专家解决', thumbs_down: '点踩', unanswered: '未答出' };
  var ROLES = { user: '销售', assistant: '助手', expert: '专家' };
  var REL_STATUS = { pending: '等待中', building: '构建中', live: '已上线', failed: '发布失败' };
  var REL_STAGE = {
    queued: '排队中', materialize: '导出内容', index: '建立索引', 'switch': '切换到新内容', live: '已上线', failed: '失败'
  };
  var ENTRY_ID = /^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$/;
  var PAGE_SIZE = 20;
  var POLL_MS = 500;

  var TEMPLATES = {
    faq: [
      '# category 可选：installation configuration compatibility firmware warranty ordering pricing rebate training remote_assist',
      'id: {id}', 'category: configuration', "question: ''", "answer: ''", 'variants: []', 'products: []', "product_line: ''"
    ],
    scripts: [
      '# persona 可选：tech_decision_maker roi_manager procurement operator it_security',
      '# stage 可选：opening discovery objection closing',
      'id: {id}', "title: ''", 'persona: tech_decision_maker', 'stage: opening', "product_line: ''", "template: ''", 'tips: []'
    ],
    cases: [
      '# scale 可选：small medium large',
      'id: {id}', "title: ''", "customer: ''", "industry: ''", 'scale: medium', "region: ''", "city: ''",
      'pain_points: []', "solution: ''", 'products: []', 'results: []', 'year: 2026'
    ],
    lessons: [
      '# mode 可选：practice mentoring theory；duration_minutes 8 到 12',
      'id: {id}', "title: ''", 'mode: practice', 'duration_minutes: 10', "product_line: ''", 'objectives: []',
      "content: ''", 'exercises: []'
    ],
    products: [
      '# price.band 可选：entry mid high project；params 至少 3 项，competitors 至少 2 项',
      'id: {id}', "name: ''", "name_en: ''", "line: ''", "summary: ''", 'price:', '  list_price: 1', '  band: mid',
      "firmware: ''", 'warranty_months: 24', 'params: []', 'scenarios: []', 'competitors: []', 'faults: []'
    ]
  };

  var st = {
    me: null,
    filter: { kind: '', q: '', status: '', offset: 0 },
    listSeq: 0,
    detail: null,      // the open item's detail (null for a new entry)
    kind: '',
    entryId: '',
    base: 0,           // the version the text was loaded from (0: a new entry)
    loaded: '',        // the text as loaded, to tell unsaved changes
    reviewId: null,    // the review item a new FAQ is drafted from
    reviewQuestion: '',
    pendingOpen: '',
    busy: false,
    release: null,
    releaseTimer: null,
    releaseOwn: false,
    rollbackVersion: 0,
    diffFor: '',       // the item@latest the diff shown was made against
    reviews: []
  };

  function $(id) { return document.getElementById(id); }

  /* ------------------------------------------------------------------ helpers */

  function when(value) {
    if (!value) return '';
    var s = String(value);
    if (!/(Z|[+-]\d\d:?\d\d)$/.test(s)) s += 'Z'; // the API's times are UTC without an offset
    var d = new Date(s);
    if (isNaN(d)) return String(value);
    return d.toLocaleString('zh-CN', { hour12: false });
  }
  function kindName(kind) { return KINDS[kind] || kind; }
  function statusName(status) { return STATUS[status] || status || ''; }

  /* A REST call; 401 and 403 are handled for the whole page. */
  function call(path, opts) {
    return CA.api(path, opts).then(function (res) {
      if (res.status === 401) { CA.session.clear(); showSignIn('登录已过期，请重新登录。'); }
      else if (res.status === 403 && res.data && res.data.code === 'forbidden') showDenied(res);
      return res;
    });
  }
  function query(values) {
    var q = new URLSearchParams();
    Object.keys(values).forEach(function (k) { if (values[k] !== '' && values[k] !== null && values[k] !== undefined) q.set(k, values[k]); });
    var s = q.toString();
    return s ? '?' + s : '';
  }
  function itemPath(kind, entryId) { return '/api/content/items/' + encodeURIComponent(kind) + '/' + encodeURIComponent(entryId); }
  function setMessage(id, text, kind) {
    var node = $(id);
    node.textContent = text || '';
    node.className = 'msg-line' + (kind ? ' ' + kind : '');
  }

  /* Server messages of the schema (pydantic, English) in Chinese where they are common. */
  function problemText(text) {
    var s = String(text || '');
    var m;
    if (s === 'Field required') return '必填，不能缺少';
    if (/^String should have at least 1 character/.test(s)) return '不能为空';
    if (s === 'Extra inputs are not permitted') return '不认识的字段（请检查拼写）';
    if ((m = /^Input should be a valid (string|integer|number|list|dictionary)/.exec(s))) {
      return '类型不对，应为' + ({ string: '文本', integer: '整数', number: '数字', list: '列表', dictionary: '映射（键: 值）' })[m[1]];
    }
    if ((m = /^Input should be (.+)$/.exec(s))) return '取值应为 ' + m[1].replace(/ or /g, '、').replace(/, /g, '、') + ' 之一';
    if ((m = /^List should have at least (\d+) items?/.exec(s))) return '至少需要 ' + m[1] + ' 项';
    if ((m = /^cannot parse YAML: (.*)$/.exec(s))) return 'YAML 格式有误：' + m[1];
    if ((m = /^must be '(.*)', the item being edited$/.exec(s))) return "必须是 '" + m[1] + "'（正在编辑的条目编号）";
    return s;
  }
  function fieldLabel(field) { return !field || field === '-' ? '整条内容' : '字段 ' + field; }

  /* ------------------------------------------------------------------ views */

  var TABS = ['list', 'edit', 'history', 'release', 'review'];
  function showTab(name, focus) {
    TABS.forEach(function (t) {
      var on = t === name;
      var tab = $('tab-' + t);
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
      tab.tabIndex = on ? 0 : -1;
      $('panel-' + t).hidden = !on;
    });
    if (focus) $('tab-' + name).focus();
    if (name === 'review') loadReview();
    if (name === 'release') loadReleases();
  }

  function showSignIn(message) {
    stopPolling();
    $('cms').hidden = true;
    $('denied-view').hidden = true;
    $('signin-view').hidden = false;
    $('btn-signout').hidden = true;
    var err = $('signin-form').querySelector('[data-role=error]');
    err.textContent = message || '';
  }

  function showDenied(res) {
    stopPolling();
    $('cms').hidden = true;
    $('signin-view').hidden = true;
    $('denied-view').hidden = false;
    $('btn-signout').hidden = false;
    $('denied-message').textContent = CA.errorText(res) + '知识库管理仅限内容管理员使用；如需权限，请联系管理员。';
    var me = st.me;
    $('denied-who').textContent = me ? '当前账号：' + [me.display_name, me.username].filter(Boolean).join(' · ') : '';
  }

  function start() {
    $('signin-view').hidden = true;
    CA.api('/api/me').then(function (res) {
      if (res.status === 401) { CA.session.clear(); showSignIn(); return; }
      st.me = res.ok ? res.data : null;
      // the content API decides: a 403 here shows the no-permission message
      call('/api/content/items' + query({ limit: 1 })).then(function (probe) {
        if (probe.status === 401 || probe.status === 403) return; // sign-in or no-permission shown
        // anything else (still starting, no network): the page, with the list saying why
        $('denied-view').hidden = true;
        $('cms').hidden = false;
        $('btn-signout').hidden = false;
        if (st.me) $('who').textContent = '已登录：' + [st.me.display_name, st.me.username].filter(Boolean).join(' · ');
        loadList();
        loadReview();
      });
    });
  }

  /* ------------------------------------------------------------------ list */

  function loadList() {
    var seq = ++st.listSeq;
    var f = st.filter;
    $('list-state').textContent = '加载中…';
    call('/api/content/items' + query({ kind: f.kind, q: f.q, status: f.status, limit: PAGE_SIZE, offset: f.offset })).then(function (res) {
      if (seq !== st.listSeq) return;
      if (!res.ok || !res.data) { $('list-state').textContent = CA.errorText(res); return; }
      renderList(res.data);
    });
  }

  function renderList(page) {
    var list = $('items');
    CA.clear(list);
    var items = Array.isArray(page.items) ? page.items : [];
    var total = Number(page.total) || 0;
    $('list-state').textContent = total ? '共 ' + total + ' 条' : '没有符合条件的内容。';
    items.forEach(function (it) {
      var published = !it.published_version ? '尚未发布' : it.published_version !== it.latest_version ? '线上 v' + it.published_version : null;
      list.appendChild(el('li', { 'data-kind': it.kind, 'data-id': it.entry_id },
        el('button', { type: 'button', class: 'item', 'aria-label': '打开 ' + kindName(it.kind) + ' ' + it.entry_id + ' ' + (it.title || ''), onclick: function () { openItem(it.kind, it.entry_id); } },
          el('span', { class: 'item-title', text: it.title || it.entry_id }),
          el('span', { class: 'item-meta' },
            el('span', { class: 'tag', text: kindName(it.kind) }),
            el('span', { class: 'mono', text: it.entry_id }),
            el('span', { class: 'status s-' + it.status, text: 'v' + it.latest_version + ' ' + statusName(it.status) }),
            published ? el('span', { text: published }) : null,
            el('span', { text: (it.updated_by || '') + ' ' + when(it.updated_at) })))));
    });
    var pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    var current = Math.floor(st.filter.offset / PAGE_SIZE) + 1;
    $('page-info').textContent = '第 ' + current + ' / ' + pages + ' 页';
    $('btn-prev').disabled = st.filter.offset <= 0;
    $('btn-next').disabled = st.filter.offset + PAGE_SIZE >= total;
  }

  /* ------------------------------------------------------------------ editor */

  function dirty() { return !$('editor').hidden && $('ed-yaml').value !== st.loaded; }
  function updateDirty() {
    $('ed-dirty').hidden = !dirty();
    updateButtons();
  }

  function latestStatus() { return st.detail ? st.detail.item.status : ''; }

  function updateButtons() {
    var isDirty = dirty(), status = latestStatus();
    var canPublish = !st.busy && !isDirty && (status === 'draft' || status === 'review');
    $('btn-save').disabled = st.busy || !isDirty;
    $('btn-submit').disabled = st.busy || !(isDirty || status === 'draft');
    $('btn-publish').disabled = !canPublish;
    $('btn-save-publish').disabled = st.busy || !(isDirty || status === 'draft' || status === 'review');
    $('btn-publish').title = isDirty ? '有未保存的修改：请先保存，或用“保存并发布”' : '';
  }

  function clearFeedback() {
    $('ed-problems').hidden = true;
    CA.clear($('ed-problem-list'));
    $('ed-conflict').hidden = true;
    $('ed-conflict-latest').hidden = true;
    setMessage('ed-message', '');
  }

  function showEditor() {
    $('edit-empty').hidden = true;
    $('editor').hidden = false;
  }

  function renderEditorHead() {
    var d = st.detail;
    $('ed-title').textContent = d ? (d.item.title || d.item.entry_id) : '新建' + kindName(st.kind);
    var meta = $('ed-meta');
    CA.clear(meta);
    CA.append(meta, [
      el('span', { class: 'tag', text: kindName(st.kind) }),
      el('span', { class: 'mono', id: 'ed-id', text: st.entryId }),
      d ? el('span', { class: 'status s-' + d.item.status, id: 'ed-status', text: '最新 v' + d.item.latest_version + ' ' + statusName(d.item.status) })
        : el('span', { class: 'status s-draft', id: 'ed-status', text: '新条目，尚未保存' }),
      d ? el('span', { text: d.item.published_version ? '线上 v' + d.item.published_version : '尚未发布' }) : null,
      d ? el('span', { class: 'muted', text: d.item.file }) : null
    ]);
    var origin = $('ed-origin');
    origin.hidden = !st.reviewId;
    origin.textContent = st.reviewId ? '来自待审核问题：“' + st.reviewQuestion + '”。保存后该问题将移出待审核队列。' : '';
  }

  /* Show an item's latest version (keeps the message line unless told otherwise). */
  function setDetail(detail, keepMessage) {
    st.detail = detail;
    st.kind = detail.item.kind;
    st.entryId = detail.item.entry_id;
    st.base = detail.item.latest_version;
    st.loaded = detail.yaml;
    st.reviewId = null;
    st.pendingOpen = '';
    $('ed-yaml').value = detail.yaml;
    if (!keepMessage) clearFeedback();
    showEditor();
    renderEditorHead();
    updateDirty();
    renderHistory();
  }

  function openItem(kind, entryId) {
    var key = kind + '/' + entryId;
    if (dirty() && st.pendingOpen !== key && !(st.kind === kind && st.entryId === entryId)) {
      st.pendingOpen = key;
      $('list-state').textContent = '编辑器中有未保存的修改。再点一次将放弃这些修改并打开 ' + entryId + '。';
      return;
    }
    $('list-state').textContent = '正在打开 ' + entryId + '…';
    call(itemPath(kind, entryId)).then(function (res) {
      if (!res.ok || !res.data) { $('list-state').textContent = CA.errorText(res); return; }
      $('list-state').textContent = '';
      $('ed-note').value = '';
      setDetail(res.data);
      setMessage('history-message', '');
      $('ed-release').hidden = true;
      showTab('edit');
      $('ed-yaml').focus();
    });
  }

  /* A new entry: base version 0; from the review queue with its review id. */
  function newEntry(kind, entryId, yaml, review) {
    st.detail = null;
    st.kind = kind;
    st.entryId = entryId;
    st.base = 0;
    st.loaded = '';
    st.reviewId = review ? review.id : null;
    st.reviewQuestion = review ? review.question : '';
    $('ed-yaml').value = yaml;
    $('ed-note').value = review ? '来自待审核：' + (SOURCES[review.source] || review.source) : '新建';
    clearFeedback();
    $('ed-release').hidden = true;
    showEditor();
    renderEditorHead();
    updateDirty();
    renderHistory();
    showTab('edit');
    var area = $('ed-yaml');
    area.focus();
    var at = area.value.search(/^answer: ''$/m); // put the cursor where the answer goes
    if (at >= 0) area.setSelectionRange(at + 8, at + 10);
  }

  function showProblems(res) {
    var box = $('ed-problems'), list = $('ed-problem-list');
    CA.clear(list);
    var problems = (res.data && Array.isArray(res.data.problems)) ? res.data.problems : [];
    $('ed-problems-message').textContent = CA.errorText(res);
    problems.forEach(function (p) {
      var other = p.entry_id && p.entry_id !== st.entryId ? '（' + p.entry_id + '）' : '';
      var text = fieldLabel(p.field) + other + '：' + problemText(p.problem);
      list.appendChild(el('li', { 'data-field': p.field || '-' },
        el('button', { type: 'button', class: 'problem', title: p.problem || '', onclick: function () { jumpTo(p.field); } }, text)));
    });
    box.hidden = false;
    setMessage('ed-message', '没有保存：请按右侧（手机上为下方）提示修改。', 'error');
  }

  /* Put the cursor on the line of a top-level field. */
  function jumpTo(field) {
    var area = $('ed-yaml');
    var key = String(field || '').split('.')[0];
    if (!key || key === '-') { area.focus(); return; }
    var re = new RegExp('^' + key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + ':', 'm');
    var at = area.value.search(re);
    area.focus();
    if (at >= 0) {
      var end = area.value.indexOf('\n', at);
      area.setSelectionRange(at, end < 0 ? area.value.length : end);
    }
  }

  function showConflict(res) {
    var current = res.data && res.data.current_version;
    $('ed-conflict-message').textContent = CA.errorText(res);
    $('ed-conflict-version').textContent = current ? 'v' + current : '未知';
    $('ed-conflict').dataset.version = current || '';
    $('ed-conflict-latest').hidden = true;
    $('ed-conflict').hidden = false;
    setMessage('ed-message', '没有保存：有人先保存了新版本 v' + (current || '?') + '。', 'error');
  }

  /* PUT the text as a new draft; resolves the new detail, or null (problems shown). */
  function save() {
    var text = $('ed-yaml').value;
    var body = { yaml: text, base_version: st.base, note: $('ed-note').value.trim() };
    if (st.reviewId) body.review_id = st.reviewId;
    var fromReview = !!st.reviewId;
    clearFeedback();
    setMessage('ed-message', '正在保存…');
    return call(itemPath(st.kind, st.entryId), { method: 'PUT', body: body }).then(function (res) {
      if (res.ok && res.data) {
        setDetail(res.data, true);
        $('ed-note').value = '';
        setMessage('ed-message', '已保存为 v' + res.data.item.latest_version + '（' + statusName(res.data.item.status) + '）。', 'ok');
        loadList();
        if (fromReview) loadReview();
        return res.data;
      }
      if (res.status === 422) showProblems(res);
      else if (res.status === 409) showConflict(res);
      else if (res.status !== 403 && res.status !== 401) setMessage('ed-message', '没有保存：' + CA.errorText(res), 'error');
      return null;
    });
  }

  function busy(on) { st.busy = on; updateButtons(); }

  function submitLatest(detail) {
    var version = detail.item.latest_version;
    return call(itemPath(st.kind, st.entryId) + '/submit', { method: 'POST', body: { version: version } }).then(function (res) {
      if (res.ok && res.data) {
        setDetail(res.data, true);
        setMessage('ed-message', 'v' + version + ' 已提交审核。', 'ok');
        loadList();
        return res.data;
      }
      if (res.status !== 403 && res.status !== 401) setMessage('ed-message', '提交审核失败：' + CA.errorText(res), 'error');
      return null;
    });
  }

  function publishLatest(detail) {
    var version = detail.item.latest_version;
    setMessage('ed-message', '正在发布 v' + version + '…');
    var ref = { kind: detail.item.kind, entry_id: detail.item.entry_id, version: version };
    return call('/api/content/publish', { method: 'POST', body: { items: [ref] } }).then(function (res) {
      if (res.ok && res.data) {
        setMessage('ed-message', 'v' + version + ' 已发布，正在更新助手的知识库…', 'ok');
        follow(res.data);
        refreshDetail(true);
        loadList();
        return res.data;
      }
      if (res.status === 422) showProblems(res);
      else if (res.status === 409 && res.data && res.data.code === 'content_conflict') showConflict(res);
      else if (res.status !== 403 && res.status !== 401) setMessage('ed-message', '发布失败：' + CA.errorText(res), 'error');
      return null;
    });
  }

  function refreshDetail(keepMessage) {
    if (!st.detail || dirty()) return;
    var kind = st.kind, entryId = st.entryId;
    call(itemPath(kind, entryId)).then(function (res) {
      if (res.ok && res.data && st.kind === kind && st.entryId === entryId && !dirty()) setDetail(res.data, keepMessage);
    });
  }

  function onSave() {
    busy(true);
    save().then(function () { busy(false); });
  }
  function onSubmit() {
    busy(true);
    var step = dirty() || !st.detail ? save() : Promise.resolve(st.detail);
    step.then(function (d) { return d ? submitLatest(d) : null; }).then(function () { busy(false); });
  }
  function onPublish() {
    if (!st.detail || dirty()) return;
    busy(true);
    publishLatest(st.detail).then(function () { busy(false); });
  }
  function onSaveAndPublish() {
    busy(true);
    var step = dirty() || !st.detail ? save() : Promise.resolve(st.detail);
    step.then(function (d) { return d ? publishLatest(d) : null; }).then(function () { busy(false); });
  }

  function conflictShowLatest() {
    call(itemPath(st.kind, st.entryId)).then(function (res) {
      var pre = $('ed-conflict-latest');
      pre.hidden = false;
      pre.textContent = res.ok && res.data ? '最新版本 v' + res.data.item.latest_version + '：\n' + res.data.yaml : CA.errorText(res);
    });
  }
  function conflictRebase() {
    var current = Number($('ed-conflict').dataset.version) || 0;
    if (!current) return;
    if (!st.detail) {
      // someone created the same new entry first: continue from theirs
      call(itemPath(st.kind, st.entryId)).then(function (res) {
        if (!res.ok || !res.data) return;
        var mine = $('ed-yaml').value, review = st.reviewId ? { id: st.reviewId, question: st.reviewQuestion } : null;
        setDetail(res.data, true);
        if (review) { st.reviewId = review.id; st.reviewQuestion = review.question; renderEditorHead(); }
        $('ed-yaml').value = mine;
        finishRebase();
      });
      return;
    }
    st.base = current;
    finishRebase();
  }
  function finishRebase() {
    st.loaded = '\u0000'; // the text differs from any version: it is unsaved
    $('ed-conflict').hidden = true;
    setMessage('ed-message', '你的文本将作为 v' + st.base + ' 之后的新版本保存；保存前请确认已合并别人的修改。', 'warn');
    updateDirty();
    $('ed-yaml').focus();
  }

  /* ------------------------------------------------------------------ history */

  function renderHistory() {
    var d = st.detail;
    $('history-empty').hidden = !!d;
    $('history').hidden = !d;
    $('rollback-confirm').hidden = true;
    var key = d ? d.item.kind + '/' + d.item.entry_id + '@' + d.item.latest_version : '';
    if (st.diffFor !== key) $('diff-box').hidden = true; // a diff against an older "latest"
    if (!d) return;
    $('history-title').textContent = kindName(d.item.kind) + ' ' + d.item.entry_id + ' · ' + (d.item.title || '');
    var list = $('versions');
    CA.clear(list);
    var latest = d.item.latest_version;
    (d.versions || []).forEach(function (v) {
      var isLatest = v.version === latest;
      var isLive = v.version === d.item.published_version;
      list.appendChild(el('li', { 'data-version': v.version, class: isLive ? 'live' : null },
        el('div', { class: 'v-head' },
          el('strong', { text: 'v' + v.version }),
          el('span', { class: 'status s-' + v.status, text: statusName(v.status) }),
          isLatest ? el('span', { class: 'tag', text: '最新' }) : null,
          isLive ? el('span', { class: 'tag live', text: '线上' }) : null),
        el('div', { class: 'v-meta' },
          el('span', { text: '作者 ' + (v.author || '') }),
          el('span', { text: when(v.created_at) }),
          v.published_at ? el('span', { text: '发布于 ' + when(v.published_at) + (v.published_by ? '（' + v.published_by + '）' : '') }) : null),
        v.note ? el('div', { class: 'v-note', text: v.note }) : null,
        el('div', { class: 'v-actions' },
          isLatest ? null : el('button', { type: 'button', class: 'btn small', 'aria-label': '对比 v' + v.version + ' 与最新版本', onclick: function () { showDiff(v.version, latest); } }, '与最新版对比'),
          isLatest && latest > 1 ? el('button', { type: 'button', class: 'btn small', 'aria-label': '对比 v' + (latest - 1) + ' 与 v' + latest, onclick: function () { showDiff(latest - 1, latest); } }, '与上一版对比') : null,
          isLive && isLatest ? null : el('button', { type: 'button', class: 'btn small warn', 'aria-label': '回滚到 v' + v.version, onclick: function () { askRollback(v.version); } }, '回滚到此版本'))));
    });
  }

  function showDiff(oldV, newV) {
    var box = $('diff-box'), pre = $('diff');
    st.diffFor = st.kind + '/' + st.entryId + '@' + newV;
    box.hidden = false;
    $('diff-title').textContent = 'v' + oldV + ' → v' + newV + ' 的差异';
    pre.textContent = '加载中…';
    call(itemPath(st.kind, st.entryId) + '/diff' + query({ old: oldV, 'new': newV })).then(function (res) {
      CA.clear(pre);
      if (!res.ok || !res.data) { pre.textContent = CA.errorText(res); return; }
      var text = res.data.diff || '';
      if (!text) { pre.textContent = '两个版本内容相同。'; return; }
      text.replace(/\n$/, '').split('\n').forEach(function (line) {
        var cls = /^(\+\+\+|---)/.test(line) ? 'd-file' : line[0] === '+' ? 'd-add' : line[0] === '-' ? 'd-del' : line[0] === '@' ? 'd-hunk' : 'd-ctx';
        pre.appendChild(el('span', { class: cls, text: line + '\n' }));
      });
      pre.focus();
    });
  }

  function askRollback(version) {
    st.rollbackVersion = version;
    $('rollback-text').textContent = '把 v' + version + ' 的内容作为新版本重新发布？线上内容将回到 v' + version + '。';
    $('rollback-confirm').hidden = false;
    $('btn-rollback-yes').focus();
  }

  function doRollback() {
    var version = st.rollbackVersion;
    if (!version || !st.detail) return;
    $('btn-rollback-yes').disabled = true;
    setMessage('history-message', '正在回滚到 v' + version + '…');
    call(itemPath(st.kind, st.entryId) + '/rollback', { method: 'POST', body: { version: version } }).then(function (res) {
      $('btn-rollback-yes').disabled = false;
      $('rollback-confirm').hidden = true;
      if (res.ok && res.data) {
        setDetail(res.data.item, true);
        setMessage('history-message', '已回滚：v' + version + ' 的内容发布为 v' + res.data.item.item.latest_version + '。', 'ok');
        follow(res.data.release);
        loadList();
        return;
      }
      if (res.status === 422 && res.data) {
        var problems = (res.data.problems || []).map(function (p) { return fieldLabel(p.field) + '：' + problemText(p.problem); });
        setMessage('history-message', '回滚失败：' + CA.errorText(res) + ' ' + problems.join('；'), 'error');
      } else if (res.status !== 403 && res.status !== 401) {
        setMessage('history-message', '回滚失败：' + CA.errorText(res), 'error');
      }
    });
  }

  /* ------------------------------------------------------------------ releases */

  function stopPolling() {
    if (st.releaseTimer) clearTimeout(st.releaseTimer);
    st.releaseTimer = null;
  }

  function finished(r) { return r.status === 'live' || r.status === 'failed'; }

  function renderRelease(box, r) {
    CA.clear(box);
    box.hidden = false;
    box.dataset.status = r.status;
    box.dataset.release = r.id;
    var pct = Math.round(Math.max(0, Math.min(1, Number(r.progress) || 0)) * 100);
    if (r.status === 'live') pct = 100;
    var label = '发布 #' + r.id + ' 进度';
    CA.append(box, [
      el('div', { class: 'r-head' },
        el('strong', { text: '发布 #' + r.id }),
        el('span', { class: 'r-status s-' + r.status, 'data-role': 'status', text: REL_STATUS[r.status] || r.status })),
      el('progress', { max: '100', value: String(pct), 'aria-label': label }),
      el('div', { class: 'r-stage', 'data-role': 'stage', text: (REL_STAGE[r.stage] || r.stage || '') + ' · ' + pct + '%' }),
      (r.items && r.items.length) ? el('div', { class: 'r-items muted', text: '内容：' + r.items.join('，') }) : null,
      r.status === 'failed' ? el('p', { class: 'error', 'data-role': 'error', text: '发布失败，线上仍是之前的内容。原因：' + (r.error || '未知') }) : null,
      r.status === 'live' ? el('p', { class: 'ok', text: '已上线：助手现在按新内容回答。' }) : null
    ]);
  }

  function showRelease(r) {
    st.release = r;
    renderRelease($('release-current'), r);
    $('release-empty').hidden = true;
    if (!$('editor').hidden && st.releaseOwn) renderRelease($('ed-release'), r);
  }

  /* Follow a release until it is live or failed (every ~500 ms). */
  function follow(release, own) {
    stopPolling();
    st.releaseOwn = own !== false; // published from this page now (not picked from the list)
    showRelease(release);
    if (finished(release)) { onReleaseDone(release); return; }
    var id = release.id, misses = 0;
    function poll() {
      call('/api/content/releases/' + encodeURIComponent(id)).then(function (res) {
        if (!st.release || st.release.id !== id) return;
        if (res.ok && res.data) {
          misses = 0;
          showRelease(res.data);
          if (finished(res.data)) { st.releaseTimer = null; onReleaseDone(res.data); return; }
        } else if (res.status === 401 || res.status === 403 || res.status === 404) {
          st.releaseTimer = null;
          return;
        } else {
          misses += 1;
        }
        st.releaseTimer = setTimeout(poll, misses ? Math.min(5000, POLL_MS * (misses + 1)) : POLL_MS);
      });
    }
    st.releaseTimer = setTimeout(poll, POLL_MS);
  }

  function onReleaseDone(r) {
    if (st.releaseOwn && r.status === 'live') setMessage('ed-message', '发布 #' + r.id + ' 已上线。', 'ok');
    else if (st.releaseOwn) setMessage('ed-message', '发布 #' + r.id + ' 失败：' + (r.error || '未知原因'), 'error');
    refreshDetail(true);
    loadList();
    if (!$('panel-release').hidden) loadReleases();
  }

  function loadReleases() {
    call('/api/content/releases' + query({ limit: 10 })).then(function (res) {
      var list = $('releases');
      CA.clear(list);
      if (!res.ok || !Array.isArray(res.data)) { list.appendChild(el('li', { class: 'muted', text: CA.errorText(res) })); return; }
      if (!res.data.length) { list.appendChild(el('li', { class: 'muted', text: '还没有发布记录。' })); return; }
      res.data.forEach(function (r) {
        list.appendChild(el('li', { 'data-release': r.id },
          el('button', { type: 'button', class: 'item', 'aria-label': '查看发布 #' + r.id, onclick: function () { follow(r, false); } },
            el('span', { class: 'item-title' }, '#' + r.id + ' ', el('span', { class: 'r-status s-' + r.status, text: REL_STATUS[r.status] || r.status })),
            el('span', { class: 'item-meta' },
              el('span', { text: (r.items || []).join('，') }),
              el('span', { text: (r.created_by || '') + ' ' + when(r.created_at) }),
              r.error ? el('span', { class: 'error', text: r.error }) : null))));
      });
    });
  }

  /* ------------------------------------------------------------------ review queue */

  function loadReview() {
    call('/api/content/review' + query({ limit: 50 })).then(function (res) {
      if (!res.ok || !res.data) { $('review-state').textContent = CA.errorText(res); return; }
      st.reviews = Array.isArray(res.data.items) ? res.data.items : [];
      renderReview();
    });
  }

  function renderReview() {
    var list = $('reviews');
    CA.clear(list);
    var n = st.reviews.length;
    var count = $('review-count');
    count.hidden = !n;
    count.textContent = n ? String(n) : '';
    $('review-state').textContent = n ? '共 ' + n + ' 条待处理。' : '没有待审核的问题。';
    st.reviews.forEach(function (it) {
      var context = el('ol', { class: 'context', 'aria-label': '对话上下文' });
      (it.context || []).forEach(function (c) {
        context.appendChild(el('li', { class: 'turn ' + c.role },
          el('span', { class: 'role', text: (ROLES[c.role] || c.role) + '：' }),
          el('span', { class: 'text', text: c.text })));
      });
      var status = el('p', { class: 'msg-line', role: 'status' });
      list.appendChild(el('li', { class: 'review', 'data-review': it.id, 'data-source': it.source },
        el('div', { class: 'rv-head' },
          el('span', { class: 'source src-' + it.source, text: SOURCES[it.source] || it.source }),
          el('span', { class: 'muted', text: when(it.created_at) })),
        el('div', { class: 'rv-q' }, el('span', { class: 'k', text: '问题：' }), el('span', { 'data-role': 'question', text: it.question })),
        el('div', { class: 'rv-a' }, el('span', { class: 'k', text: it.source === 'handoff' ? '专家的解答：' : '助手的回答：' }), el('span', { 'data-role': 'answer', text: it.answer || '（无）' })),
        (it.context && it.context.length) ? el('details', { class: 'rv-context', open: true }, el('summary', { text: '对话上下文（' + it.context.length + ' 条）' }), context) : null,
        el('div', { class: 'rv-actions' },
          el('button', { type: 'button', class: 'btn primary small', 'aria-label': '转为 FAQ：' + it.question, onclick: function () { toFaq(it); } }, '转为 FAQ'),
          el('button', { type: 'button', class: 'btn small', 'aria-label': '忽略：' + it.question, onclick: function (ev) { dismiss(it, ev.currentTarget, status); } }, '忽略')),
        status));
    });
  }

  function toFaq(it) {
    var id = it.suggestion && it.suggestion.id;
    if (!id) return;
    if (dirty() && st.pendingOpen !== 'review:' + it.id) {
      st.pendingOpen = 'review:' + it.id;
      $('review-state').textContent = '编辑器中有未保存的修改。再点一次“转为 FAQ”将放弃这些修改。';
      return;
    }
    st.pendingOpen = '';
    newEntry('faq', id, it.suggestion_yaml || '', it);
  }

  function dismiss(it, btn, status) {
    btn.disabled = true;
    call('/api/content/review/' + encodeURIComponent(it.id) + '/dismiss', { method: 'POST' }).then(function (res) {
      if (res.ok) {
        st.reviews = st.reviews.filter(function (r) { return r.id !== it.id; });
        renderReview();
        $('review-state').textContent = '已忽略：“' + it.question + '”。' + $('review-state').textContent;
        return;
      }
      btn.disabled = false;
      status.textContent = '忽略失败：' + CA.errorText(res);
      if (res.status === 404) loadReview();
    });
  }

  /* ------------------------------------------------------------------ wiring */

  TABS.forEach(function (t) {
    $('tab-' + t).addEventListener('click', function () { showTab(t); });
  });
  $('cms').querySelector('[role=tablist]').addEventListener('keydown', function (ev) {
    var i = TABS.indexOf((document.activeElement && document.activeElement.id || '').replace('tab-', ''));
    if (i < 0) return;
    if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
      ev.preventDefault();
      showTab(TABS[(i + (ev.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length], true);
    }
  });

  $('filter-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    st.filter = { kind: $('filter-kind').value, q: $('filter-q').value.trim(), status: $('filter-status').value, offset: 0 };
    loadList();
  });
  ['filter-kind', 'filter-status'].forEach(function (id) {
    $(id).addEventListener('change', function () { $('filter-form').requestSubmit(); });
  });
  $('btn-prev').addEventListener('click', function () { st.filter.offset = Math.max(0, st.filter.offset - PAGE_SIZE); loadList(); });
  $('btn-next').addEventListener('click', function () { st.filter.offset += PAGE_SIZE; loadList(); });

  $('btn-new').addEventListener('click', function () {
    var form = $('new-form');
    form.hidden = !form.hidden;
    $('btn-new').setAttribute('aria-expanded', form.hidden ? 'false' : 'true');
    if (!form.hidden) $('new-id').focus();
  });
  $('btn-new-cancel').addEventListener('click', function () {
    $('new-form').hidden = true;
    $('btn-new').setAttribute('aria-expanded', 'false');
  });
  $('new-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var kind = $('new-kind').value, id = $('new-id').value.trim(), err = $('new-error');
    err.textContent = '';
    if (!ENTRY_ID.test(id)) { err.textContent = '编号只能用字母、数字和 - _ .，以字母或数字开头，最多 64 个字符。'; return; }
    if (dirty() && st.pendingOpen !== 'new:' + kind + '/' + id) {
      st.pendingOpen = 'new:' + kind + '/' + id;
      err.textContent = '编辑器中有未保存的修改。再点一次“开始编辑”将放弃这些修改。';
      return;
    }
    call(itemPath(kind, id)).then(function (res) {
      if (res.ok) { err.textContent = '这个编号已经存在：请在列表中打开它，或换一个编号。'; return; }
      if (res.status !== 404) { if (res.status !== 403 && res.status !== 401) err.textContent = CA.errorText(res); return; }
      $('new-form').hidden = true;
      $('btn-new').setAttribute('aria-expanded', 'false');
      $('new-id').value = '';
      newEntry(kind, id, TEMPLATES[kind].join('\n').replace('{id}', id) + '\n', null);
    });
  });

  $('ed-yaml').addEventListener('input', updateDirty);
  $('ed-yaml').addEventListener('keydown', function (ev) {
    if (ev.key === 's' && (ev.ctrlKey || ev.metaKey)) { // Ctrl+S / ⌘S: save a draft
      ev.preventDefault();
      if (!$('btn-save').disabled) onSave();
    }
  });
  $('btn-save').addEventListener('click', onSave);
  $('btn-submit').addEventListener('click', onSubmit);
  $('btn-publish').addEventListener('click', onPublish);
  $('btn-save-publish').addEventListener('click', onSaveAndPublish);
  $('btn-conflict-show').addEventListener('click', conflictShowLatest);
  $('btn-conflict-rebase').addEventListener('click', conflictRebase);
  $('btn-rollback-yes').addEventListener('click', doRollback);
  $('btn-rollback-no').addEventListener('click', function () { $('rollback-confirm').hidden = true; setMessage('history-message', ''); });

  function signOut() { stopPolling(); CA.session.clear(); location.reload(); }
  $('btn-signout').addEventListener('click', signOut);
  $('btn-switch-user').addEventListener('click', signOut);

  CA.setLang('zh', false); // this page is Chinese only
  CA.session.persist = true;
  CA.bindSignIn($('signin-form'), start);
  if (CA.session.token()) start(); else showSignIn();
})();
