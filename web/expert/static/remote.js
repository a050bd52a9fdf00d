// Remote assist, video (issue 19): the expert's side of the call.  Loaded after console.js,
// used through window.ExpertConsole (every socket frame, send a frame, render hooks).
// The salesperson's page makes the offer; this side answers, shows the live video, draws
// arrows, circles and text (normalised 0..1 to the video frame, sent on pointerup over the
// "annotations" data channel, or as signal kind "annotation" on the socket when the channel
// is not open), freezes a frame to mark it up and sends it as a still, and can talk back.
// Every server string goes on the page with textContent; a still is an <img> of its URL.
"use strict";

(function () {
  const C = window.ExpertConsole;
  if (!C) return;
  const $ = (id) => document.getElementById(id);
  const STATE_NAMES = { connecting: "连接中", connected: "已连接", poor: "网络较差", reconnecting: "重连中", ended: "已结束" };
  const COLOR = "#ff2d2d";
  const MAX_STILL_BYTES = 1_500_000;
  const GATHER_WAIT_MS = 300; // at most this long for ICE candidates to go inside the answer
  const now = () => performance.timeOrigin + performance.now(); // a clock shared with the chat page

  const rc = {
    call: null,          // {session, pc, dc, pendingIce, stream, firstFrameAt, peerPoor}
    iceServers: null,
    tool: "arrow",
    live: [],            // marks sent on the live video
    frozen: null,        // {marks: []} while a frame is frozen
    drag: null,
    mic: null,           // the expert's microphone track when on
    seq: 0,
    early: new Map(),    // session id -> ICE candidates that came before the call was set up
    metrics: { frames: [], sent: [] },
  };
  const ui = {
    box: $("rtc"), state: $("rtc-state"), video: $("rtc-video"), frozen: $("rtc-frozen"), draw: $("rtc-draw"),
    text: $("rtc-text"), clear: $("rtc-clear"), freeze: $("rtc-freeze"), note: $("rtc-note"), still: $("rtc-still"),
    mic: $("rtc-mic"), hangup: $("rtc-hangup"), audio: $("rtc-audio"),
  };

  function setState(state) {
    ui.state.dataset.state = state;
    ui.state.textContent = STATE_NAMES[state] || state;
    if (rc.call) rc.call.state = state;
  }

  function mine(sessionId) {
    const s = C.app.sessions.get(sessionId);
    return Boolean(s && s.view && s.view.state === "assigned" && C.app.me && s.view.expert_id === C.app.me.user_id);
  }

  function signal(sessionId, sig) {
    if (!C.app.ws || C.app.ws.readyState !== WebSocket.OPEN) return false;
    C.app.ws.send(JSON.stringify({ type: "rtc", session_id: sessionId, signal: sig }));
    return true;
  }

  async function config() {
    if (rc.iceServers) return rc.iceServers;
    try {
      const res = await fetch("/api/rtc/config", { headers: { Authorization: `Bearer ${C.app.token}` } });
      const data = res.ok ? await res.json() : null;
      rc.iceServers = data && Array.isArray(data.ice_servers) ? data.ice_servers : [];
    } catch (e) {
      rc.iceServers = [];
    }
    return rc.iceServers;
  }

  // -- frames from the socket ----------------------------------------------------------

  C.onFrame((event) => {
    if (event.type === "rtc") onSignal(event);
    else if (event.type === "ready" && !rc.iceServers) config();
    if (event.type === "ready" && rc.call) {
      // Our socket came back: signals may have been lost; the salesperson's page restarts ICE.
      signal(rc.call.session, { kind: "state", state: "reconnected" });
    } else if (event.type === "closed" && rc.call && event.session && event.session.id === rc.call.session) {
      endCall("handoff_ended", false);
    } else if (event.type === "unassigned" && rc.call && event.session_id === rc.call.session) {
      endCall("transferred", true);
    }
  });

  async function onSignal(event) {
    const sig = event.signal;
    if (!sig || typeof sig !== "object" || typeof event.session_id !== "string") return;
    const sid = event.session_id;
    if (sig.kind === "hangup") {
      if (rc.call && rc.call.session === sid) endCall(sig.reason === "handoff_ended" ? "handoff_ended" : "remote", false);
      return;
    }
    if (sig.kind === "offer" && typeof sig.sdp === "string") {
      await onOffer(sid, sig.sdp);
      return;
    }
    const call = rc.call;
    if ((!call || call.session !== sid) && sig.kind === "ice" && sig.candidate) {
      // Candidates that overtook the call's set-up (it waits for the ICE config): kept a moment.
      const early = rc.early.get(sid) || [];
      if (early.length < 50) early.push(sig.candidate);
      rc.early.set(sid, early);
      return;
    }
    if (!call || call.session !== sid) return;
    if (sig.kind === "ice" && sig.candidate) {
      if (!call.pc.remoteDescription) call.pendingIce.push(sig.candidate);
      else call.pc.addIceCandidate(sig.candidate).catch(() => {});
    } else if (sig.kind === "state") {
      call.peerPoor = sig.state === "poor";
      onConnState();
    }
  }

  async function onOffer(sid, sdp) {
    if (rc.call && rc.call.session !== sid) {
      signal(sid, { kind: "hangup", reason: "busy" }); // one call at a time
      return;
    }
    if (!mine(sid)) return;
    if (!rc.call) await openCall(sid);
    const call = rc.call;
    if (!call || call.session !== sid) return;
    const pc = call.pc;
    try {
      await pc.setRemoteDescription({ type: "offer", sdp });
      // Answer with a send slot for the expert's voice (off until 开麦克风: no renegotiation then).
      for (const t of pc.getTransceivers()) {
        if (t.receiver.track && t.receiver.track.kind === "audio" && t.direction !== "stopped") {
          t.direction = "sendrecv";
          if (rc.mic) await t.sender.replaceTrack(rc.mic);
        }
      }
      call.trickle = false;
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc, GATHER_WAIT_MS);
      call.trickle = true;
      signal(sid, { kind: "answer", sdp: pc.localDescription.sdp });
      const queued = call.pendingIce;
      call.pendingIce = [];
      for (const c of queued) pc.addIceCandidate(c).catch(() => {});
    } catch (e) {
      C.toast(`视频连接失败：${e.message || e.name}`);
    }
  }

  async function openCall(sid) {
    const iceServers = await config();
    if (rc.call) return;
    const pc = new RTCPeerConnection({ iceServers });
    const call = { session: sid, pc, dc: null, pendingIce: rc.early.get(sid) || [], stream: null, firstFrameAt: null, peerPoor: false, state: "connecting" };
    rc.call = call;
    rc.early.clear();
    rc.live = [];
    rc.frozen = null;
    // Candidates found before the answer goes are in its SDP; only later ones go one by one.
    pc.onicecandidate = (e) => { if (e.candidate && call.trickle) signal(sid, { kind: "ice", candidate: e.candidate.toJSON() }); };
    pc.ondatachannel = (e) => { if (e.channel.label === "annotations") call.dc = e.channel; };
    pc.ontrack = (e) => {
      const stream = e.streams[0] || new MediaStream([e.track]);
      if (e.track.kind === "video") {
        call.stream = stream;
        ui.video.srcObject = stream;
        watchFirstFrame(call);
      } else if (e.track.kind === "audio") {
        ui.audio.srcObject = stream;
        ui.audio.play().catch(() => {});
      }
    };
    pc.onconnectionstatechange = onConnState;
    setState("connecting");
    if (C.app.current !== sid) C.toast("现场发起了视频协助");
    show();
  }

  // Resolves when ICE gathering is complete, or after ms (then the rest trickles).
  function gathered(pc, ms) {
    return new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") { resolve(); return; }
      const check = () => { if (pc.iceGatheringState === "complete") done(); };
      const done = () => { clearTimeout(timer); pc.removeEventListener("icegatheringstatechange", check); resolve(); };
      const timer = setTimeout(done, ms);
      pc.addEventListener("icegatheringstatechange", check);
    });
  }

  function watchFirstFrame(call) {
    const v = ui.video;
    const mark = () => {
      if (rc.call !== call || call.firstFrameAt) return;
      call.firstFrameAt = now();
      rc.metrics.frames.push({ session: call.session, at: call.firstFrameAt });
      draw();
    };
    if (v.requestVideoFrameCallback) v.requestVideoFrameCallback(mark);
    else v.addEventListener("loadeddata", mark, { once: true });
  }

  function onConnState() {
    const call = rc.call;
    if (!call) return;
    const s = call.pc.connectionState;
    if (s === "connected") setState(call.peerPoor ? "poor" : "connected");
    else if (s === "disconnected" || s === "failed") setState("reconnecting");
    else if (s === "closed") setState("ended");
  }

  function endCall(reason, tell) {
    const call = rc.call;
    if (!call) return;
    if (tell) signal(call.session, { kind: "hangup", reason });
    rc.call = null;
    call.pc.onicecandidate = call.pc.ontrack = call.pc.onconnectionstatechange = call.pc.ondatachannel = null;
    call.pc.close();
    if (call.stream) for (const t of call.stream.getTracks()) t.stop();
    rc.lastStream = call.stream; // kept for tests: its tracks are "ended" now
    ui.video.srcObject = null;
    ui.audio.srcObject = null;
    setMic(false);
    rc.live = [];
    setFrozen(false);
    setState("ended");
    draw();
    C.toast(reason === "handoff_ended" ? "会话已结束，视频已关闭。" : reason === "remote" ? "现场结束了视频。" : "视频已结束。");
  }

  // -- the panel follows the selected session ----------------------------------------------

  function show() {
    const call = rc.call;
    ui.box.hidden = !call || C.app.current !== call.session;
    if (!ui.box.hidden) draw();
  }
  C.onRender(show);

  // -- drawing -------------------------------------------------------------------------

  // Where the frame is inside the stage (object-fit: contain), in CSS pixels.
  function frameBox() {
    const w = ui.draw.clientWidth, h = ui.draw.clientHeight;
    const src = rc.frozen ? ui.frozen : ui.video;
    const vw = rc.frozen ? ui.frozen.width : ui.video.videoWidth;
    const vh = rc.frozen ? ui.frozen.height : ui.video.videoHeight;
    if (!vw || !vh || !src) return { x: 0, y: 0, w, h };
    const scale = Math.min(w / vw, h / vh);
    return { x: (w - vw * scale) / 2, y: (h - vh * scale) / 2, w: vw * scale, h: vh * scale };
  }

  function drawShape(ctx, m, box) {
    const pt = (p) => [box.x + p[0] * box.w, box.y + p[1] * box.h];
    const a = pt(m.points[0]);
    const b = m.points.length > 1 ? pt(m.points[m.points.length - 1]) : a;
    ctx.save();
    ctx.strokeStyle = ctx.fillStyle = m.color || COLOR;
    ctx.lineWidth = 4 * (box.line || 1);
    ctx.lineCap = "round";
    if (m.shape === "arrow") {
      const ang = Math.atan2(b[1] - a[1], b[0] - a[0]), head = 16 * (box.line || 1);
      ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(b[0], b[1]);
      ctx.lineTo(b[0] - head * Math.cos(ang - 0.45), b[1] - head * Math.sin(ang - 0.45));
      ctx.lineTo(b[0] - head * Math.cos(ang + 0.45), b[1] - head * Math.sin(ang + 0.45));
      ctx.closePath(); ctx.fill();
    } else if (m.shape === "circle") {
      const r = Math.max(4, Math.hypot(b[0] - a[0], b[1] - a[1]));
      ctx.beginPath(); ctx.arc(a[0], a[1], r, 0, 2 * Math.PI); ctx.stroke();
    } else if (m.shape === "text" && m.text) {
      ctx.font = `600 ${Math.round(18 * (box.line || 1))}px system-ui, sans-serif`;
      ctx.textBaseline = "top";
      ctx.strokeStyle = "rgba(0,0,0,.6)";
      ctx.strokeText(m.text, a[0], a[1]);
      ctx.fillText(m.text, a[0], a[1]);
    }
    ctx.restore();
  }

  function draw() {
    const c = ui.draw, dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth, h = c.clientHeight;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
    }
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const box = frameBox();
    const marks = rc.frozen ? rc.frozen.marks : rc.live;
    for (const m of marks) drawShape(ctx, m, box);
    if (rc.drag && rc.drag.preview) drawShape(ctx, rc.drag.preview, box);
  }
  window.addEventListener("resize", draw);
  ui.video.addEventListener("resize", draw);

  function normalised(e) {
    const r = ui.draw.getBoundingClientRect();
    const box = frameBox();
    const x = (e.clientX - r.left - box.x) / box.w;
    const y = (e.clientY - r.top - box.y) / box.h;
    return [Math.min(1, Math.max(0, +x.toFixed(4))), Math.min(1, Math.max(0, +y.toFixed(4)))];
  }

  function newMark(shape, points, text) {
    rc.seq += 1;
    const m = { id: `a-${Date.now().toString(36)}-${rc.seq}`, shape, points, color: COLOR };
    if (text) m.text = text;
    return m;
  }

  function sendMark(m) {
    const call = rc.call;
    if (!call) return;
    const wire = Object.assign({}, m, { sent_at: now() });
    rc.metrics.sent.push({ id: m.id, at: wire.sent_at });
    if (call.dc && call.dc.readyState === "open") call.dc.send(JSON.stringify({ annotation: wire }));
    else signal(call.session, { kind: "annotation", annotation: wire });
  }

  function place(m) {
    if (rc.frozen) rc.frozen.marks.push(m);
    else { rc.live.push(m); sendMark(m); }
    draw();
  }

  ui.draw.addEventListener("pointerdown", (e) => {
    if (!rc.call) return;
    e.preventDefault();
    if (rc.tool === "text") {
      const text = ui.text.value.trim();
      if (!text) { ui.text.focus(); C.toast("先输入标注文字"); return; }
      place(newMark("text", [normalised(e)], text));
      return;
    }
    ui.draw.setPointerCapture(e.pointerId);
    rc.drag = { start: normalised(e), preview: null };
  });
  ui.draw.addEventListener("pointermove", (e) => {
    if (!rc.drag) return;
    rc.drag.preview = { shape: rc.tool, points: [rc.drag.start, normalised(e)], color: COLOR };
    draw();
  });
  ui.draw.addEventListener("pointerup", (e) => {
    const drag = rc.drag;
    rc.drag = null;
    if (!drag) return;
    place(newMark(rc.tool, [drag.start, normalised(e)])); // sent on pointerup
  });
  ui.draw.addEventListener("pointercancel", () => { rc.drag = null; draw(); });

  for (const b of document.querySelectorAll("#rtc .tool")) {
    b.addEventListener("click", () => {
      rc.tool = b.dataset.tool;
      for (const o of document.querySelectorAll("#rtc .tool")) o.setAttribute("aria-pressed", String(o === b));
    });
  }
  ui.clear.addEventListener("click", () => {
    if (rc.frozen) { rc.frozen.marks = []; draw(); return; }
    rc.live = [];
    draw();
    const m = newMark("clear", []);
    sendMark(m);
  });

  // -- freeze, mark up, send as a still ----------------------------------------------------

  function setFrozen(on) {
    if (on) {
      const v = ui.video;
      if (!v.videoWidth) { C.toast("还没有画面"); return; }
      ui.frozen.width = v.videoWidth;
      ui.frozen.height = v.videoHeight;
      ui.frozen.getContext("2d").drawImage(v, 0, 0);
      rc.frozen = { marks: [] };
    } else {
      rc.frozen = null;
    }
    ui.frozen.hidden = !rc.frozen;
    ui.freeze.setAttribute("aria-pressed", String(Boolean(rc.frozen)));
    ui.freeze.textContent = rc.frozen ? "回到实时画面" : "冻结并标注";
    ui.still.disabled = !rc.frozen;
    draw();
  }
  ui.freeze.addEventListener("click", () => setFrozen(!rc.frozen));

  async function sendStill() {
    const call = rc.call;
    if (!rc.frozen || !call) return;
    const w = ui.frozen.width, h = ui.frozen.height;
    const out = document.createElement("canvas");
    out.width = w; out.height = h;
    const ctx = out.getContext("2d");
    ctx.drawImage(ui.frozen, 0, 0);
    const box = { x: 0, y: 0, w, h, line: Math.max(1, w / 640) };
    for (const m of rc.frozen.marks) drawShape(ctx, m, box);
    let blob = await new Promise((resolve) => out.toBlob(resolve, "image/png"));
    if (blob && blob.size > MAX_STILL_BYTES) blob = await new Promise((resolve) => out.toBlob(resolve, "image/jpeg", 0.85));
    if (!blob) { C.toast("截图失败"); return; }
    ui.still.disabled = true;
    const note = ui.note.value.trim();
    try {
      const res = await fetch(
        `/api/handoff/sessions/${encodeURIComponent(call.session)}/stills?note=${encodeURIComponent(note)}`,
        { method: "POST", headers: { Authorization: `Bearer ${C.app.token}`, "Content-Type": blob.type }, body: blob },
      );
      const data = await res.json().catch(() => null);
      if (!res.ok) throw new Error(data && typeof data.message === "string" ? data.message : `请求失败（${res.status}）`);
      ui.note.value = "";
      setFrozen(false);
      C.toast("截图已发送给现场");
    } catch (e) {
      ui.still.disabled = false;
      C.toast(`截图发送失败：${e.message}`);
    }
  }
  ui.still.addEventListener("click", sendStill);

  // -- the expert's voice ------------------------------------------------------------------

  function audioSender() {
    const call = rc.call;
    if (!call) return null;
    const t = call.pc.getTransceivers().find((x) => x.receiver.track && x.receiver.track.kind === "audio");
    return t ? t.sender : null;
  }

  async function setMic(on) {
    if (on && !rc.mic) {
      try {
        const s = await navigator.mediaDevices.getUserMedia({ audio: true });
        rc.mic = s.getAudioTracks()[0];
      } catch (e) {
        C.toast(`无法打开麦克风：${e.message || e.name}`);
        return;
      }
    }
    if (!on && rc.mic) { rc.mic.stop(); rc.mic = null; }
    const sender = audioSender();
    if (sender) await sender.replaceTrack(rc.mic || null).catch(() => {});
    ui.mic.setAttribute("aria-pressed", String(Boolean(rc.mic)));
    ui.mic.textContent = rc.mic ? "关麦克风" : "开麦克风";
  }
  ui.mic.addEventListener("click", () => setMic(!rc.mic));
  ui.hangup.addEventListener("click", () => endCall("ended", true));

  // -- stills in the session log -------------------------------------------------------------

  // The image needs the Authorization header and the page's img-src is 'self' only (no blob:
  // or data:), so it is fetched and painted into a <canvas role="img"> (not an image load).
  C.logItem("still", (e) => {
    const li = C.el("li", null, "still expert");
    li.dataset.seq = String(e.seq);
    const d = e.data || {};
    li.append(C.el("span", `${e.author || "专家"} ${e.text || "标注截图"}`, "who"));
    const url = typeof d.url === "string" ? d.url : "";
    if (/^\/api\/handoff\/stills\/[A-Za-z0-9_-]{1,64}$/.test(url)) {
      const pic = document.createElement("canvas");
      pic.setAttribute("role", "img");
      pic.setAttribute("aria-label", d.note ? `标注截图：${d.note}` : "标注截图");
      pic.dataset.stillId = String(d.still_id || "");
      pic.width = pic.height = 0;
      li.append(pic);
      fetch(url, { headers: { Authorization: `Bearer ${C.app.token}` } })
        .then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.blob(); })
        .then((blob) => createImageBitmap(blob))
        .then((bitmap) => {
          pic.width = bitmap.width;
          pic.height = bitmap.height;
          pic.getContext("2d").drawImage(bitmap, 0, 0);
          pic.dataset.loaded = "1";
        })
        .catch(() => { pic.setAttribute("aria-label", "截图加载失败"); });
    }
    if (d.note && !String(e.text || "").includes(d.note)) li.append(C.el("span", d.note, "bubble"));
    return li;
  });

  window.ExpertRemote = { state: rc, draw, frameBox };
})();
