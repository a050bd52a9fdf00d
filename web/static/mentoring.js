/* Channel mentoring (issue 15, item 2): upcoming sharing sessions with the seats left and a
 * sign-up / cancel button, past sessions with their notes and recording link, the host's
 * form to create a session and, after it, to record notes and attendance, and the admins'
 * mentor confirmation list.
 *
 * Reads GET /api/me, /api/training/mentoring/me, /sessions?when=upcoming|past,
 * /mentors, /mentors/candidates; POST /sessions, /sessions/{id}/signup, /cancel, /record,
 * /attendance, /mentors/{user}/confirm, /withdraw, with the user's token only: the server
 * decides who may do what and which sessions are visible.  Everything from the server is
 * set as text (CA.el / textContent), never as HTML; a recording link becomes a link only
 * when it is http or https. */
(function () {
  'use strict';
  var CA = window.CA, el = CA.el, t = CA.t;
  var BASE = '/api/training/mentoring';

  CA.addStrings({
    zh: {
      'mt.title': '导师与分享会',
      'mt.intro': '向排名靠前伙伴的资深同事学习：报名经验分享会，会后查看纪要和回放。',
      'mt.stats': '已参加 {n} 场分享会，共 {m} 分钟；待参加 {u} 场',
      'mt.upcoming': '即将开始的分享会',
      'mt.past': '往期分享会',
      'mt.more': '加载更多',
      'mt.none_upcoming': '暂时没有可报名的分享会。',
      'mt.none_past': '还没有往期分享会。',
      'mt.loading': '加载中…',
      'mt.seats': '剩余 {n} / {c} 个名额',
      'mt.minutes': '{n} 分钟',
      'mt.host_by': '主讲：{name}',
      'mt.signup': '报名',
      'mt.cancel': '取消报名',
      'mt.full': '已满员',
      'mt.signed': '已报名',
      'mt.attended': '已出勤',
      'mt.notes': '会议纪要',
      'mt.recording': '回放',
      'mt.no_record': '主讲人尚未上传纪要或回放。',
      'mt.host': '发起分享会',
      'mt.topic': '主题',
      'mt.starts': '开始时间',
      'mt.duration': '时长（分钟）',
      'mt.capacity': '人数上限',
      'mt.line': '产品线（可选）',
      'mt.line_none': '不限',
      'mt.host_user': '主讲导师',
      'mt.create': '发布分享会',
      'mt.created': '已发布。',
      'mt.manage': '主讲人操作',
      'mt.signups': '报名名单（{n}）',
      'mt.nobody': '还没有人报名。',
      'mt.notes_ph': '要点、案例、常见问题…',
      'mt.url_ph': 'https://…',
      'mt.save_record': '保存纪要和回放',
      'mt.save_attendance': '保存出勤',
      'mt.saved': '已保存。',
      'mt.candidates': '导师候选（按排名）',
      'mt.admin_rule': '排名前 {n} 的伙伴的销售与经理；确认后方可主讲分享会。',
      'mt.rank': '第 {n} 名',
      'mt.confirm': '确认为导师',
      'mt.withdraw': '撤销导师',
      'mt.confirmed': '已确认',
      'mt.no_candidates': '本期没有导师候选。',
      'mt.bad_url': '回放链接须以 http:// 或 https:// 开头。'
    },
    en: {
      'mt.title': 'Mentors & sharing sessions',
      'mt.intro': 'Learn from senior staff of the top-ranked partners: sign up to a sharing session, read the notes or watch the recording afterwards.',
      'mt.stats': '{n} sessions attended, {m} minutes; {u} coming up',
      'mt.upcoming': 'Upcoming sessions',
      'mt.past': 'Past sessions',
      'mt.more': 'Load more',
      'mt.none_upcoming': 'No session to sign up to yet.',
      'mt.none_past': 'No past session yet.',
      'mt.loading': 'Loading…',
      'mt.seats': '{n} of {c} seats left',
      'mt.minutes': '{n} min',
      'mt.host_by': 'Host: {name}',
      'mt.signup': 'Sign up',
      'mt.cancel': 'Cancel sign-up',
      'mt.full': 'Full',
      'mt.signed': 'Signed up',
      'mt.attended': 'Attended',
      'mt.notes': 'Notes',
      'mt.recording': 'Recording',
      'mt.no_record': 'The host has not shared notes or a recording yet.',
      'mt.host': 'Host a session',
      'mt.topic': 'Topic',
      'mt.starts': 'Starts at',
      'mt.duration': 'Duration (minutes)',
      'mt.capacity': 'Capacity',
      'mt.line': 'Product line (optional)',
      'mt.line_none': 'Any',
      'mt.host_user': 'Host mentor',
      'mt.create': 'Publish the session',
      'mt.created': 'Published.',
      'mt.manage': 'Host tools',
      'mt.signups': 'Signed up ({n})',
      'mt.nobody': 'Nobody has signed up yet.',
      'mt.notes_ph': 'Key points, cases, questions…',
      'mt.url_ph': 'https://…',
      'mt.save_record': 'Save notes and recording',
      'mt.save_attendance': 'Save attendance',
      'mt.saved': 'Saved.',
      'mt.candidates': 'Mentor candidates (by ranking)',
      'mt.admin_rule': 'Sales staff and managers of the top {n} partners; once confirmed they may host sessions.',
      'mt.rank': 'Rank {n}',
      'mt.confirm': 'Confirm as mentor',
      'mt.withdraw': 'Withdraw',
      'mt.confirmed': 'Confirmed',
      'mt.no_candidates': 'No candidates this period.',
      'mt.bad_url': 'The recording link must start with http:// or https://.'
    }
  });

  var $ = function (id) { return document.getElementById(id); };
  var st = { me: null, mine: null, lists: { upcoming: [], past: [] }, total: { upcoming: 0, past: 0 }, candidates: null, mentors: [] };

  function when(iso) {
    var d = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : iso + 'Z');
    if (isNaN(d.getTime())) return '';
    return d.toLocaleString(CA.lang === 'en' ? 'en-US' : 'zh-CN', {
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit'
    });
  }
  function safeLink(url) {
    try {
      var u = new URL(url);
      return (u.protocol === 'http:' || u.protocol === 'https:') ? u.href : null;
    } catch (e) { return null; }
  }
  function showError(id, res) { $(id).textContent = res ? CA.errorText(res) : ''; }

  /* ------------------------------------------------------------------ the caller */

  function loadMine() {
    return CA.api(BASE + '/me').then(function (res) {
      if (!res.ok || !res.data) { showError('page-error', res); return; }
      st.mine = res.data;
      renderStats();
      var host = st.mine.is_mentor || st.mine.is_admin;
      $('host-panel').hidden = !host;
      $('admin-panel').hidden = !st.mine.is_admin;
      if (host) fillCreateForm();
      if (st.mine.is_admin) { loadCandidates(); loadMentors(); }
    });
  }

  function renderStats() {
    if (!st.mine) return;
    var a = st.mine.attendance;
    $('my-stats').textContent = t('mt.stats', { n: a.sessions, m: a.minutes, u: st.mine.upcoming_signups });
  }

  /* ------------------------------------------------------------------ sessions */

  function loadSessions(kind, more) {
    var list = st.lists[kind];
    var offset = more ? list.length : 0;
    $(kind).dataset.state = 'loading';
    return CA.api(BASE + '/sessions?when=' + kind + '&offset=' + offset + '&limit=20').then(function (res) {
      if (!res.ok || !res.data) { $(kind).dataset.state = 'error'; showError('page-error', res); return; }
      st.lists[kind] = more ? list.concat(res.data.sessions) : res.data.sessions;
      st.total[kind] = res.data.total;
      renderList(kind);
    });
  }

  function renderList(kind) {
    var ul = $(kind + '-list');
    CA.clear(ul);
    var items = st.lists[kind];
    if (!items.length) ul.appendChild(el('li', { class: 'state', text: t(kind === 'upcoming' ? 'mt.none_upcoming' : 'mt.none_past') }));
    items.forEach(function (s) { ul.appendChild(sessionItem(s)); });
    $(kind + '-more').hidden = items.length >= st.total[kind];
    $(kind).dataset.state = items.length ? 'ok' : 'empty';
  }

  function replaceSession(s) {
    ['upcoming', 'past'].forEach(function (kind) {
      st.lists[kind] = st.lists[kind].map(function (x) { return x.id === s.id ? s : x; });
      var old = $(kind + '-list').querySelector('li[data-id="' + s.id + '"]');
      if (old) old.replaceWith(sessionItem(s));
    });
  }

  function sessionItem(s) {
    var tags = el('div', { class: 'tags' },
      el('span', { class: 'tag', text: t('mt.minutes', { n: s.duration_minutes }) }),
      s.product_line ? el('span', { class: 'tag', text: s.product_line }) : null,
      s.mine && !s.started ? el('span', { class: 'tag on', text: t('mt.signed') }) : null,
      s.attended ? el('span', { class: 'tag on', 'data-field': 'attended', text: t('mt.attended') }) : null);
    var li = el('li', { class: 'session' + (s.mine ? ' mine' : ''), 'data-id': s.id },
      el('div', { class: 't', 'data-field': 'topic', text: s.topic }),
      el('div', { class: 'meta' },
        el('span', { class: 'when', text: when(s.starts_at) }),
        el('span', { class: 'host', text: t('mt.host_by', { name: s.host_name + (s.host_partner_name ? ' · ' + s.host_partner_name : '') }) })),
      tags);
    if (!s.started) {
      li.appendChild(el('div', { class: 'seat-row' },
        el('span', { class: 'seats', 'data-field': 'seats', text: t('mt.seats', { n: s.seats_left, c: s.capacity }) }),
        seatButton(s)));
    } else {
      li.appendChild(recordView(s));
    }
    if (s.can_manage) li.appendChild(manageBox(s));
    return li;
  }

  function seatButton(s) {
    if (s.can_manage && s.host_user_id === (st.me && st.me.user_id)) return null;
    if (s.mine) return el('button', { type: 'button', class: 'btn small', 'data-action': 'cancel', text: t('mt.cancel'), onclick: function (e) { seat(s, 'cancel', e.target); } });
    if (s.seats_left <= 0) return el('button', { type: 'button', class: 'btn small', disabled: true, text: t('mt.full') });
    return el('button', { type: 'button', class: 'btn small primary', 'data-action': 'signup', text: t('mt.signup'), onclick: function (e) { seat(s, 'signup', e.target); } });
  }

  function seat(s, action, btn) {
    btn.disabled = true;
    showError('page-error', null);
    CA.api(BASE + '/sessions/' + encodeURIComponent(s.id) + '/' + action, { method: 'POST' }).then(function (res) {
      if (!res.ok || !res.data) {
        btn.disabled = false;
        showError('page-error', res);
        if (res.status === 409) loadSessions('upcoming');
        return;
      }
      replaceSession(res.data);
      loadMine();
    });
  }

  function recordView(s) {
    var box = el('div', { class: 'record' });
    if (s.notes) box.appendChild(el('div', { class: 'notes' }, el('strong', { text: t('mt.notes') }), el('p', { 'data-field': 'notes', text: s.notes })));
    if (s.recording_url) {
      var href = safeLink(s.recording_url);
      box.appendChild(el('p', { class: 'rec' }, el('strong', { text: t('mt.recording') + '：' }),
        href ? el('a', { href: href, rel: 'noopener noreferrer nofollow', target: '_blank', 'data-field': 'recording', text: s.recording_url })
             : el('span', { 'data-field': 'recording', text: s.recording_url })));
    }
    if (!s.notes && !s.recording_url) box.appendChild(el('p', { class: 'sub', text: t('mt.no_record') }));
    return box;
  }

  /* The host's (or an admin's) tools: the sign-up list; after the start, notes and attendance. */
  function manageBox(s) {
    var box = el('details', { class: 'manage' }, el('summary', { text: t('mt.manage') + ' · ' + t('mt.signups', { n: s.signed_up }) }));
    if (!s.signups.length) box.appendChild(el('p', { class: 'sub', text: t('mt.nobody') }));
    var msg = el('p', { class: 'ok', role: 'status' });
    var err = el('p', { class: 'error', role: 'alert' });
    if (!s.started) {
      var names = el('ul', { class: 'names' });
      s.signups.forEach(function (p) { names.appendChild(el('li', { text: p.display_name })); });
      box.appendChild(names);
      return box;
    }
    var att = el('form', { class: 'attendance' });
    s.signups.forEach(function (p) {
      att.appendChild(el('label', { class: 'check' },
        el('input', { type: 'checkbox', name: 'attended', value: p.user_id, checked: p.attended }),
        el('span', { text: p.display_name })));
    });
    if (s.signups.length) att.appendChild(el('button', { type: 'submit', class: 'btn small', 'data-action': 'attendance', text: t('mt.save_attendance') }));
    att.addEventListener('submit', function (e) {
      e.preventDefault();
      var ids = Array.prototype.slice.call(att.querySelectorAll('input[name=attended]:checked')).map(function (i) { return i.value; });
      save(s, 'attendance', { attended: ids }, msg, err);
    });
    var rec = el('form', { class: 'mt-form record-form' },
      el('label', null, el('span', { text: t('mt.notes') }),
        el('textarea', { name: 'notes', rows: 4, maxlength: (st.mine && st.mine.rules.notes_chars) || 4000, placeholder: t('mt.notes_ph') })),
      el('label', null, el('span', { text: t('mt.recording') }),
        el('input', { name: 'recording_url', type: 'url', inputmode: 'url', maxlength: (st.mine && st.mine.rules.recording_url_chars) || 500, placeholder: t('mt.url_ph') })),
      el('button', { type: 'submit', class: 'btn small primary', 'data-action': 'record', text: t('mt.save_record') }));
    rec.elements.notes.value = s.notes || '';
    rec.elements.recording_url.value = s.recording_url || '';
    rec.addEventListener('submit', function (e) {
      e.preventDefault();
      var url = rec.elements.recording_url.value.trim();
      if (url && !safeLink(url)) { err.textContent = t('mt.bad_url'); return; }
      save(s, 'record', { notes: rec.elements.notes.value, recording_url: url }, msg, err);
    });
    box.appendChild(att);
    box.appendChild(rec);
    box.appendChild(msg);
    box.appendChild(err);
    return box;
  }

  function save(s, action, body, msg, err) {
    msg.textContent = ''; err.textContent = '';
    CA.api(BASE + '/sessions/' + encodeURIComponent(s.id) + '/' + action, { method: 'POST', body: body }).then(function (res) {
      if (!res.ok || !res.data) { err.textContent = CA.errorText(res); return; }
      replaceSession(res.data);
      var li = document.querySelector('li[data-id="' + s.id + '"]');
      var box = li && li.querySelector('details.manage');
      if (box) { box.open = true; box.querySelector('p.ok').textContent = t('mt.saved'); }
    });
  }

  /* ------------------------------------------------------------------ create */

  function fillCreateForm() {
    var r = st.mine.rules;
    var topic = $('c-topic'), dur = $('c-duration'), cap = $('c-capacity');
    topic.minLength = r.topic_min; topic.maxLength = r.topic_max;
    dur.min = r.duration_min; dur.max = r.duration_max;
    cap.min = r.capacity_min; cap.max = r.capacity_max;
    var line = $('c-line'), keep = line.value;
    CA.clear(line);
    line.appendChild(el('option', { value: '', text: t('mt.line_none') }));
    r.product_lines.forEach(function (p) { line.appendChild(el('option', { value: p, text: p })); });
    line.value = keep;
    $('c-host-box').hidden = !st.mine.is_admin;
  }

  function fillHosts() {
    var sel = $('c-host'), keep = sel.value;
    CA.clear(sel);
    st.mentors.filter(function (m) { return m.confirmed; }).forEach(function (m) {
      sel.appendChild(el('option', { value: m.user_id, text: m.display_name + ' · ' + m.partner_name }));
    });
    if (keep) sel.value = keep;
  }

  function create(e) {
    e.preventDefault();
    var f = $('create-form');
    showError('create-error', null);
    $('create-ok').textContent = '';
    var start = new Date(f.elements.starts_at.value);
    var body = {
      topic: f.elements.topic.value.trim(),
      starts_at: isNaN(start.getTime()) ? f.elements.starts_at.value : start.toISOString(),
      duration_minutes: parseInt(f.elements.duration_minutes.value, 10),
      capacity: parseInt(f.elements.capacity.value, 10)
    };
    if (f.elements.product_line.value) body.product_line = f.elements.product_line.value;
    if (st.mine && st.mine.is_admin && f.elements.host_user_id.value) body.host_user_id = f.elements.host_user_id.value;
    $('btn-create').disabled = true;
    CA.api(BASE + '/sessions', { method: 'POST', body: body }).then(function (res) {
      $('btn-create').disabled = false;
      if (!res.ok || !res.data) { showError('create-error', res); return; }
      $('create-ok').textContent = t('mt.created');
      f.elements.topic.value = '';
      loadSessions('upcoming');
    });
  }

  /* ------------------------------------------------------------------ admins */

  function loadCandidates() {
    return CA.api(BASE + '/mentors/candidates').then(function (res) {
      if (!res.ok || !res.data) { $('admin-panel').dataset.state = 'error'; showError('admin-error', res); return; }
      st.candidates = res.data;
      renderCandidates();
    });
  }

  function loadMentors() {
    return CA.api(BASE + '/mentors').then(function (res) {
      if (res.ok && res.data) { st.mentors = res.data.mentors; fillHosts(); }
    });
  }

  function renderCandidates() {
    var c = st.candidates;
    if (!c) return;
    $('admin-rule').textContent = t('mt.admin_rule', { n: c.top_partners });
    var ul = $('candidate-list');
    CA.clear(ul);
    if (!c.candidates.length) ul.appendChild(el('li', { class: 'state', text: t('mt.no_candidates') }));
    c.candidates.forEach(function (p) {
      var action = p.confirmed ? 'withdraw' : 'confirm';
      ul.appendChild(el('li', { class: p.confirmed ? 'on' : '', 'data-user': p.user_id },
        el('div', null,
          el('div', { class: 't', text: p.display_name + ' (' + p.username + ')' }),
          el('div', { class: 'sub', text: t('mt.rank', { n: p.rank }) + ' · ' + p.partner_name })),
        p.confirmed ? el('span', { class: 'tag on', text: t('mt.confirmed') }) : null,
        el('button', { type: 'button', class: 'btn small' + (p.confirmed ? '' : ' primary'), 'data-action': action,
          text: t(p.confirmed ? 'mt.withdraw' : 'mt.confirm'),
          onclick: function (e) { decide(p, action, e.target); } })));
    });
    $('admin-panel').dataset.state = 'ok';
  }

  function decide(p, action, btn) {
    btn.disabled = true;
    showError('admin-error', null);
    CA.api(BASE + '/mentors/' + encodeURIComponent(p.user_id) + '/' + action, { method: 'POST' }).then(function (res) {
      if (!res.ok) { btn.disabled = false; showError('admin-error', res); return; }
      loadCandidates();
      loadMentors();
    });
  }

  /* ------------------------------------------------------------------ page */

  function start() {
    $('signin-view').hidden = true;
    CA.api('/api/me').then(function (res) {
      if (res.status === 401) { CA.session.clear(); showSignIn(); return; }
      $('mentoring').hidden = false;
      $('btn-signout').hidden = false;
      st.me = res.ok ? res.data : null;
      if (st.me) $('who').textContent = [st.me.display_name, st.me.username].filter(Boolean).join(' · ');
      loadMine().then(function () { loadSessions('upcoming'); loadSessions('past'); });
    });
  }

  function showSignIn() {
    $('mentoring').hidden = true;
    $('signin-view').hidden = false;
    $('btn-signout').hidden = true;
  }

  $('create-form').addEventListener('submit', create);
  $('upcoming-more').addEventListener('click', function () { loadSessions('upcoming', true); });
  $('past-more').addEventListener('click', function () { loadSessions('past', true); });
  $('btn-signout').addEventListener('click', function () { CA.session.clear(); location.reload(); });
  CA.bindLangButton($('btn-lang'), function () {
    if (!CA.session.token()) return;
    renderStats();
    renderList('upcoming');
    renderList('past');
    if (st.mine && (st.mine.is_mentor || st.mine.is_admin)) fillCreateForm();
    renderCandidates();
  });
  CA.bindSignIn($('signin-form'), start);
  CA.applyI18n(document);
  if (CA.session.token()) start(); else showSignIn();
})();
