// Remote-expert console.  Plain JS, no build step.
// Every string that comes from the server is put on the page with textContent
// (or as an <option>'s text / an input's value): never parsed as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const STATE_NAMES = {
    collecting: "信息收集中", queued: "排队中", assigned: "处理中",
    resolved: "已结束", ticket: "回电工单", cancelled: "已取消",
  };
  const URGENCY_NAMES = { high: "紧急", normal: "一般", low: "不急", "": "未说明" };
  const SLOT_NAMES = [
    ["product_model", "型号"], ["product_line", "产品线"], ["serial", "序列号"],
    ["firmware", "固件"], ["symptom", "现象"], ["site", "现场"], ["urgency", "紧急程度"],
  ];

  const ext = { frames: [], renders: [], logItems: {} }; // see window.ExpertConsole at the end
  const app = {
    token: sessionStorage.getItem("expert-token") || "",
    me: null,            // {user_id, username, display_name, skills, ...}
    ws: null,
    connecting: false,
    retry: 0,
    sessions: new Map(), // id -> {view, packet, events: [], lastSeq}
    current: null,       // selected session id
    mine: [],
    queue: [],
    experts: [],
    pending: new Map(),  // client_msg_id -> text, until the server's ack
  };

  // -- small DOM helpers (text only) ---------------------------------------------

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function toast(message) {
    const t = $("toast");
    t.textContent = message;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
  }

  function timeOf(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
  }

  function waited(view) {
    if (!view.queued_at) return "";
    const end = view.assigned_at ? new Date(view.assigned_at) : new Date();
    const minutes = Math.max(0, Math.round((end - new Date(view.queued_at)) / 60000));
    return `等待 ${minutes} 分钟`;
  }

  // -- HTTP ------------------------------------------------------------------------

  async function api(method, path, body) {
    const headers = { Authorization: `Bearer ${app.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (res.status === 401) { signOut("登录已失效，请重新登录。"); throw new Error("unauthorized"); }
    if (!res.ok) {
      const message = data && typeof data.message === "string" ? data.message : `请求失败（${res.status}）`;
      throw new Error(message);
    }
    return data;
  }

  // -- sign in ---------------------------------------------------------------------

  async function signIn(event) {
    event.preventDefault();
    $("signin-error").textContent = "";
    try {
      const res = await fetch("/api/auth/token", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: $("username").value.trim(), password: $("password").value }),
      });
      const data = await res.json();
      if (!res.ok) throw new Error(data && data.message ? data.message : "登录失败");
      app.token = data.access_token;
      const me = await api("GET", "/api/me");
      if (me.role !== "expert") {
        app.token = "";
        throw new Error("只有远程专家账号可以使用控制台。");
      }
      sessionStorage.setItem("expert-token", app.token);
      start();
    } catch (e) {
      $("signin-error").textContent = e.message;
    }
  }

  function signOut(message) {
    app.token = "";
    sessionStorage.removeItem("expert-token");
    if (app.ws) { app.ws.onclose = null; app.ws.close(); app.ws = null; }
    app.sessions.clear();
    app.current = null;
    $("console").hidden = true;
    $("signin").hidden = false;
    $("signout").hidden = true;
    $("who").textContent = "";
    setConn("off", "未连接");
    if (message) $("signin-error").textContent = message;
  }

  function start() {
    $("signin").hidden = true;
    $("console").hidden = false;
    $("signout").hidden = false;
    connect();
  }

  // -- WebSocket -------------------------------------------------------------------

  function setConn(state, label) {
    const c = $("conn");
    c.dataset.state = state;
    c.textContent = label;
  }

  // No token in any URL: each connection first gets a single-use ticket (a few seconds of life).
  async function connect() {
    if (app.ws || app.connecting) return;
    app.connecting = true;
    let res;
    try {
      res = await fetch("/api/ws-ticket", { method: "POST", headers: { Authorization: `Bearer ${app.token}` } });
    } catch (e) {
      res = null;
    }
    app.connecting = false;
    if (!app.token || app.ws) return;
    if (res && res.status === 401) { signOut("登录已失效，请重新登录。"); return; }
    const data = res && res.ok ? await res.json().catch(() => null) : null;
    if (!data || typeof data.ticket !== "string") { retryLater(); return; }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/expert?ticket=${encodeURIComponent(data.ticket)}`);
    app.ws = ws;
    ws.onopen = () => { app.retry = 0; setConn("on", "已连接"); };
    ws.onmessage = (m) => {
      let event;
      try { event = JSON.parse(m.data); } catch (e) { return; }
      handle(event);
    };
    ws.onclose = (e) => {
      if (app.ws === ws) app.ws = null;
      if (!app.token) return;
      if (e.code === 4401) { signOut("登录已过期，请重新登录。"); return; }
      if (e.code === 1008) { signOut("登录已失效或不是专家账号。"); return; }
      retryLater();
    };
  }

  function retryLater() {
    const delay = Math.min(10000, 500 * 2 ** app.retry++);
    setConn("retry", "重连中…");
    setTimeout(() => { if (app.token) connect(); }, delay);
  }

  function send(frame) {
    if (!app.ws || app.ws.readyState !== WebSocket.OPEN) { toast("连接已断开，正在重连…"); return false; }
    app.ws.send(JSON.stringify(frame));
    return true;
  }

  function handle(event) {
    for (const fn of ext.frames) { // remote assist (remote.js) sees every frame; its slip never stops the console
      try { fn(event); } catch (err) { setTimeout(() => { throw err; }); }
    }
    switch (event.type) {
      case "ready":
        app.me = event.expert;
        $("who").textContent = `${event.expert.display_name}（${event.expert.skills.join("、")}，可同时 ${event.expert.capacity} 个）`;
        setLists(event.mine, event.queue);
        for (const [id, s] of app.sessions) send({ type: "resume", session_id: id, last_seq: s.lastSeq });
        if (app.current) openSession(app.current);
        break;
      case "queue":
        setLists(event.mine, event.queue);
        break;
      case "session_event":
        addEvent(event);
        break;
      case "ack": {
        const text = app.pending.get(event.client_msg_id);
        app.pending.delete(event.client_msg_id);
        if (text !== undefined) {
          addEvent({
            session_id: event.session_id, seq: event.seq, kind: "message", sender: "expert",
            author: app.me ? app.me.display_name : "", text, created_at: new Date().toISOString(),
            client_msg_id: event.client_msg_id, data: {},
          });
        }
        break;
      }
      case "result":
        onResult(event);
        break;
      case "assigned":
        toast(`新会话：${event.session.slots.product_model || event.session.slots.product_line || "待确认型号"}`);
        upsertView(event.session);
        send({ type: "queue" });
        break;
      case "unassigned":
        toast("会话已转接给其他专家。");
        send({ type: "queue" });
        if (app.current === event.session_id) openSession(event.session_id);
        break;
      case "closed":
        upsertView(event.session);
        if (app.current === event.session.id) renderSession();
        break;
      case "error":
        if (event.code === "token_expired") { signOut("登录已过期，请重新登录。"); break; }
        toast(event.message || event.code);
        break;
      default:
        break;
    }
  }

  function onResult(event) {
    const data = event.data || {};
    if (event.action === "accept") {
      storeDetail(data);
      select(data.session.id);
      send({ type: "queue" });
    } else if (event.action === "join_code") {
      $("code-out").textContent = `加入码 ${data.code}（${timeOf(data.expires_at)} 前有效，仅可使用一次）`;
    } else if (event.action === "note") {
      addEvent(data);
    } else if (event.action === "transfer" || event.action === "resolve") {
      upsertView(data);
      renderSession();
      send({ type: "queue" });
      toast(event.action === "resolve" ? "会话已结束，总结已作为候选 FAQ 提交审核。" : "已转接。");
    }
  }

  // -- state -------------------------------------------------------------------------

  function entry(id) {
    if (!app.sessions.has(id)) app.sessions.set(id, { view: null, packet: null, events: [], lastSeq: 0 });
    return app.sessions.get(id);
  }

  function upsertView(view) {
    entry(view.id).view = view;
  }

  function storeDetail(detail) {
    const s = entry(detail.session.id);
    s.view = detail.session;
    if (detail.packet) s.packet = detail.packet;
    if (Array.isArray(detail.events)) {
      s.events = detail.events.slice();
      s.lastSeq = s.events.reduce((m, e) => Math.max(m, e.seq), 0);
    }
  }

  function addEvent(event) {
    const s = entry(event.session_id);
    if (event.seq <= s.lastSeq) return; // already shown (resume after a reconnect)
    s.events.push(event);
    s.lastSeq = event.seq;
    if (app.current === event.session_id) appendLogItem(event);
    else if (event.sender === "requester" && event.kind === "message") toast("现场有新消息");
  }

  // -- rendering -------------------------------------------------------------------

  function setLists(mine, queue) {
    app.mine = mine;
    app.queue = queue;
    mine.concat(queue).forEach(upsertView);
    renderList($("mine"), mine);
    renderList($("queue"), queue);
    $("mine-count").textContent = `${mine.length}`;
    $("queue-count").textContent = `${queue.length}`;
  }

  function renderList(ul, views) {
    ul.replaceChildren();
    for (const v of views) {
      const li = el("li");
      li.tabIndex = 0;
      li.dataset.id = v.id;
      if (v.id === app.current) li.setAttribute("aria-current", "true");
      const head = `${v.slots.product_model || v.slots.product_line || "型号待确认"} · ${STATE_NAMES[v.state] || v.state}`;
      li.append(el("div", head, "line1"));
      const urgency = el("span", URGENCY_NAMES[v.slots.urgency] || v.slots.urgency, v.slots.urgency === "high" ? "urgent" : "");
      const line2 = el("div", "", "line2");
      line2.append(urgency, document.createTextNode(` · ${v.requester_name} · ${waited(v)} · ${v.slots.symptom}`));
      li.append(line2);
      if (v.ticket_id) li.append(el("div", `工单 ${v.ticket_id}`, "line2"));
      li.addEventListener("click", () => select(v.id));
      li.addEventListener("keydown", (e) => { if (e.key === "Enter") select(v.id); });
      ul.append(li);
    }
  }

  async function select(id) {
    app.current = id;
    for (const li of document.querySelectorAll(".sessions li")) {
      li.setAttribute("aria-current", li.dataset.id === id ? "true" : "false");
    }
    $("code-out").textContent = "";
    await openSession(id);
  }

  async function openSession(id) {
    try {
      const detail = await api("GET", `/api/handoff/sessions/${encodeURIComponent(id)}`);
      storeDetail(detail);
      renderSession();
    } catch (e) {
      toast(e.message);
    }
  }

  function renderSession() {
    const s = app.current && app.sessions.get(app.current);
    $("session").hidden = !s || !s.view;
    $("empty").hidden = Boolean(s && s.view);
    if (!s || !s.view) return;
    const v = s.view;
    const mineNow = v.state === "assigned" && app.me && v.expert_id === app.me.user_id;
    $("s-title").textContent = `${v.slots.product_model || v.slots.product_line || "型号待确认"} · ${v.requester_name}`;
    $("s-state").textContent = STATE_NAMES[v.state] || v.state;
    $("s-meta").textContent = [v.ticket_id && `工单 ${v.ticket_id}`, waited(v), v.expert_name && `专家 ${v.expert_name}`]
      .filter(Boolean).join(" · ");
    $("accept").disabled = !(v.state === "queued" || v.state === "ticket");
    for (const id of ["joincode", "send-text"]) $(id).disabled = !mineNow;
    for (const form of ["send-form", "note-form", "transfer-form", "resolve-form"]) {
      for (const c of $(form).elements) c.disabled = !mineNow;
    }
    renderPacket(s.packet || {});
    renderLog(s.events);
    renderTransferTargets(v);
    for (const fn of ext.renders) fn(v);
  }

  function renderPacket(p) {
    $("p-summary").textContent = p.summary || "";
    const slots = $("p-slots");
    slots.replaceChildren();
    const values = p.slots || {};
    for (const [key, name] of SLOT_NAMES) {
      let value = values[key] || "";
      if (key === "urgency") value = URGENCY_NAMES[value] || value;
      slots.append(el("dt", name), el("dd", value || "—"));
    }
    const profile = $("p-profile");
    profile.replaceChildren();
    for (const [k, val] of Object.entries(p.profile || {})) profile.append(el("dt", k), el("dd", val));
    const ch = p.channel || {};
    $("p-channel").textContent = (ch.path || []).join(" › ") || "—";
    const docs = $("p-docs");
    docs.replaceChildren();
    for (const d of p.documents || []) {
      const li = el("li", d.title);
      li.append(el("div", `${d.doc_id} · ${d.snippet}`, "cite"));
      docs.append(li);
    }
    if (!docs.children.length) docs.append(el("li", "（本次会话还没有展示资料）"));
    const faults = $("p-faults");
    faults.replaceChildren();
    for (const f of p.faults || []) {
      const li = el("li");
      li.append(el("strong", f.symptom), el("div", `原因：${f.cause}`), el("div", `处理：${f.fix}`));
      li.append(el("div", f.citation, "cite"));
      faults.append(li);
    }
    if (!faults.children.length) faults.append(el("li", "（知识库中没有该设备的已知故障）"));
    const recent = $("p-recent");
    recent.replaceChildren();
    for (const m of p.recent_messages || []) recent.append(el("li", m));
  }

  function describe(e) {
    if (e.kind === "status") {
      const names = {
        queued: "进入队列", accepted: `${e.author} 接入`, transferred: "已转接", resolved: "已解决并结束",
        closed_unresolved: "已结束（未解决）", cancelled: "现场取消了请求", ar_joined: "现场已用加入码进入 AR 会话",
      };
      const base = e.text.startsWith("ticket:") ? "转为回电工单" : names[e.text] || e.text;
      return e.data && e.data.to ? `${base}：${e.data.from} → ${e.data.to}` : base;
    }
    if (e.kind === "join_code") return `已发送 AR 加入码（尾号 ${(e.data && e.data.code_tail) || ""}）`;
    return e.text;
  }

  function logItem(e) {
    if (ext.logItems[e.kind]) return ext.logItems[e.kind](e);
    const cls = e.kind === "status" || e.kind === "join_code" ? "status" : e.kind === "note" ? "note" : e.sender;
    const li = el("li", null, cls);
    li.dataset.seq = String(e.seq);
    if (cls === "status") {
      li.textContent = `${timeOf(e.created_at)} ${describe(e)}`;
      return li;
    }
    const who = e.kind === "note" ? `${e.author} · 内部备注` : e.author || (e.sender === "requester" ? "现场" : "专家");
    li.append(el("span", `${who} ${timeOf(e.created_at)}`, "who"), el("span", e.text, "bubble"));
    return li;
  }

  function renderLog(events) {
    const log = $("log");
    log.replaceChildren(...events.map(logItem));
    log.scrollTop = log.scrollHeight;
  }

  function appendLogItem(e) {
    const log = $("log");
    log.append(logItem(e));
    log.scrollTop = log.scrollHeight;
  }

  async function renderTransferTargets(view) {
    const picker = $("transfer-to");
    if (!app.experts.length) {
      try { app.experts = await api("GET", "/api/handoff/experts"); } catch (e) { return; }
    }
    picker.replaceChildren();
    for (const x of app.experts) {
      if (app.me && x.user_id === app.me.user_id) continue;
      if (view.slots.product_line && !x.skills.includes(view.slots.product_line)) continue;
      const option = el("option", `${x.display_name}${x.online ? "（在线）" : ""}`);
      option.value = x.username;
      picker.append(option);
    }
  }

  // -- actions -----------------------------------------------------------------------

  let sent = 0;
  function sendMessage(event) {
    event.preventDefault();
    const text = $("send-text").value.trim();
    if (!text || !app.current) return;
    const id = `e-${Date.now().toString(36)}-${(sent++).toString(36)}`;
    app.pending.set(id, text);
    if (send({ type: "message", session_id: app.current, client_msg_id: id, text })) $("send-text").value = "";
    else app.pending.delete(id);
  }

  function wire() {
    $("signin-form").addEventListener("submit", signIn);
    $("signout").addEventListener("click", () => signOut(""));
    $("send-form").addEventListener("submit", sendMessage);
    $("send-text").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) sendMessage(e);
    });
    $("accept").addEventListener("click", () => app.current && send({ type: "accept", session_id: app.current }));
    $("joincode").addEventListener("click", () => app.current && send({ type: "join_code", session_id: app.current }));
    $("note-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const text = $("note-text").value.trim();
      if (text && send({ type: "note", session_id: app.current, text })) $("note-text").value = "";
    });
    $("transfer-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const to = $("transfer-to").value;
      if (to) send({ type: "transfer", session_id: app.current, to, note: $("transfer-note").value.trim() });
    });
    $("resolve-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const summary = $("resolve-summary").value.trim();
      if (summary && send({ type: "resolve", session_id: app.current, summary, resolved: $("resolve-ok").checked })) {
        $("resolve-summary").value = "";
      }
    });
  }

  // -- extension points: remote assist video (remote.js, loaded after this file) ----------
  window.ExpertConsole = {
    app, send, toast, el,
    onFrame: (fn) => ext.frames.push(fn),
    onRender: (fn) => ext.renders.push(fn),
    logItem: (kind, fn) => { ext.logItems[kind] = fn; },
  };

  wire();
  if (app.token) start();
})();
