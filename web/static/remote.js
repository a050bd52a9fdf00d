/* Remote assist, video (issue 19): the salesperson's side of a WebRTC call with the accepted
 * expert of this conversation's handoff.  Loaded after chat.js, which it uses through
 * window.CAChat (listen to every socket frame, send a frame, render a stored event type).
 *
 * Signaling: {"type":"rtc","session_id":S,"signal":{kind,...}} on the chat socket; the server
 * relays to the expert (and only between the handoff's two parties).  This side makes the
 * RTCPeerConnection and the offer; the expert answers.  An RTCDataChannel "annotations" carries
 * the expert's marks (signal kind "annotation" over the socket when the channel is not open).
 * Marks are in coordinates normalised to the video frame (0..1 of its intrinsic size) and are
 * drawn through the element's object-fit, so a mark stays on the same image position.
 * Safety: server text only becomes text nodes; the still's image is an <img> of its URL. */
(function () {
  'use strict';
  var CA = window.CA, Chat = window.CAChat, t = CA.t, el = CA.el;
  if (!CA || !Chat) return;

  CA.addStrings({
    zh: {
      'rtc.start': '视频协助', 'rtc.title': '视频协助',
      'rtc.explain': '专家将看到你的摄像头画面，仅在本次协助中实时传输，不录制。接下来浏览器会询问是否允许使用摄像头。',
      'rtc.audio': '同时开启麦克风（和专家通话）', 'rtc.go': '开启摄像头', 'rtc.cancel': '取消',
      'rtc.camera': '摄像头', 'rtc.mute': '静音', 'rtc.unmute': '取消静音', 'rtc.end': '结束视频',
      'rtc.camera_n': '摄像头 {n}',
      'rtc.state.connecting': '连接中', 'rtc.state.connected': '已连接', 'rtc.state.poor': '网络较差',
      'rtc.state.reconnecting': '重连中', 'rtc.state.ended': '已结束',
      'rtc.unsupported': '这个浏览器不能进行视频通话。请在聊天中发送现场照片，专家会在截图上标注。',
      'rtc.no_camera': '无法打开摄像头（{reason}）。请在聊天中发送现场照片，专家会在截图上标注。',
      'rtc.denied': '没有获得摄像头权限。请在浏览器设置中允许，或在聊天中发送现场照片。',
      'rtc.failed': '视频连接失败（{reason}）。可以在聊天中继续，专家会发送标注截图。',
      'rtc.ended': '视频协助已结束。', 'rtc.ended_handoff': '协助已结束，视频已关闭。',
      'rtc.ended_expert': '专家结束了视频。',
      'still.title': '专家的标注截图', 'still.alt': '专家标注的现场截图', 'still.failed': '截图加载失败'
    },
    en: {
      'rtc.start': 'Video assist', 'rtc.title': 'Video assist',
      'rtc.explain': 'The expert will see your camera live, only during this assist, and nothing is recorded. Your browser will now ask to use the camera.',
      'rtc.audio': 'Also turn on the microphone (talk to the expert)', 'rtc.go': 'Turn on camera', 'rtc.cancel': 'Cancel',
      'rtc.camera': 'Camera', 'rtc.mute': 'Mute', 'rtc.unmute': 'Unmute', 'rtc.end': 'End video',
      'rtc.camera_n': 'Camera {n}',
      'rtc.state.connecting': 'connecting', 'rtc.state.connected': 'connected', 'rtc.state.poor': 'poor network',
      'rtc.state.reconnecting': 'reconnecting', 'rtc.state.ended': 'ended',
      'rtc.unsupported': 'This browser cannot make video calls. Send photos in the chat; the expert will mark up a still.',
      'rtc.no_camera': 'The camera could not be opened ({reason}). Send photos in the chat; the expert will mark up a still.',
      'rtc.denied': 'Camera permission was not given. Allow it in the browser settings, or send photos in the chat.',
      'rtc.failed': 'The video connection failed ({reason}). Carry on in the chat; the expert can send marked-up stills.',
      'rtc.ended': 'Video assist ended.', 'rtc.ended_handoff': 'The assist has ended; video is off.',
      'rtc.ended_expert': 'The expert ended the video.',
      'still.title': 'Marked-up still from the expert', 'still.alt': 'Site still marked up by the expert', 'still.failed': 'The still could not be loaded'
    }
  });

  var GATHER_WAIT_MS = 300;  // at most this long for ICE candidates to go inside the offer
  var POOR_LOSS = 0.05, POOR_RTT_S = 0.4, STATS_MS = 2000;  // issue 19: degrade on a poor link
  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    btn: $('btn-video'), panel: $('rtc-panel'), consent: $('rtc-consent'), audio: $('rtc-audio'),
    go: $('rtc-go'), cancel: $('rtc-cancel'), call: $('rtc-call'), video: $('rtc-local'),
    overlay: $('rtc-overlay'), state: $('rtc-state'), remote: $('rtc-remote'), camera: $('rtc-camera'),
    mute: $('rtc-mute'), end: $('rtc-end'), fallback: $('rtc-fallback')
  };
  CA.applyI18n(ui.panel);
  CA.applyI18n(ui.btn.parentNode);

  var now = function () { return performance.timeOrigin + performance.now(); };  // a clock shared with the console
  var rs = {
    session: null, assigned: false, iceServers: null,
    pc: null, dc: null, stream: null, callSession: null, pendingIce: [], state: 'ended', degraded: false,
    statsTimer: null, lastOut: null, restarts: 0, offers: 0, marks: [],
    metrics: { clickAt: null, annotations: [] }
  };

  /* ------------------------------------------------------------------ the handoff we are in */

  function setHandoff(sessionId, assigned) {
    if (sessionId) rs.session = sessionId;
    rs.assigned = !!assigned;
    ui.btn.hidden = !rs.assigned || !!rs.pc;
    if (!rs.assigned && !rs.pc && !ui.consent.hidden) closePanel();
    if (rs.assigned && !rs.iceServers) loadConfig();
  }

  function refreshHandoff() {
    var cid = Chat.state.conversationId;
    if (!cid) return;
    CA.api('/api/handoff/conversations/' + encodeURIComponent(cid)).then(function (res) {
      if (!res.ok || cid !== Chat.state.conversationId) return;  // the page moved on meanwhile
      var s = res.data;
      if (s && typeof s.id === 'string') setHandoff(s.id, s.state === 'assigned');
      else setHandoff(null, false);
    });
  }

  function loadConfig() {
    return CA.api('/api/rtc/config').then(function (res) {
      rs.iceServers = res.ok && res.data && Array.isArray(res.data.ice_servers) ? res.data.ice_servers : [];
      return rs.iceServers;
    });
  }

  Chat.listen(function (ev) {
    if (ev.type === 'ready') replay.to = +ev.last_seq || 0;
    else if (typeof ev.seq === 'number' && ev.seq >= replay.to && replay.waiting.length) setTimeout(flushReplay, 0);
    switch (ev.type) {
      case 'ready':
        refreshHandoff();
        if (rs.pc) restartIce('socket');  // the call survives a socket reconnect: new ICE, new offer
        inviteReady(ev);
        return;
      case 'rtc': onSignal(ev); return;
      case 'error':
        if (ev.code === 'rtc_not_allowed' || ev.code === 'rtc_invalid') onRtcError(ev);
        return;
      case 'expert_joined': setHandoff(ev.session_id, true); return;
      case 'expert_left':
        if (rs.pc && ev.session_id === rs.callSession) endCall('handoff_ended', false);  // the server hangs up too
        setHandoff(ev.session_id, false);
        return;
      case 'handoff_status':
        if (typeof ev.session_id === 'string') {
          setHandoff(ev.session_id, ev.state === 'assigned');
          if (ev.state !== 'assigned' && rs.pc && ev.session_id === rs.callSession) endCall('handoff_ended', false);
        }
        return;
    }
  });

  /* ------------------------------------------------------------------ panel and consent */

  function showFallback(text) {
    ui.fallback.textContent = text || '';
    ui.fallback.hidden = !text;
    if (text) ui.panel.hidden = false;
  }
  function closePanel() {
    ui.consent.hidden = true;
    ui.call.hidden = true;
    if (ui.fallback.hidden) ui.panel.hidden = true;
    ui.btn.hidden = !rs.assigned;
  }

  ui.btn.addEventListener('click', askConsent);
  function askConsent() {
    rs.metrics.clickAt = now();
    showFallback('');
    if (!supported()) { showFallback(t('rtc.unsupported')); return; }
    ui.panel.hidden = false;
    ui.consent.hidden = false;
    ui.call.hidden = true;
    ui.go.focus();
  }
  ui.cancel.addEventListener('click', function () { closePanel(); ui.btn.focus(); });
  ui.go.addEventListener('click', function () { startCall(ui.audio.checked); });
  ui.end.addEventListener('click', function () { hangup('ended'); ui.btn.focus(); });
  ui.mute.addEventListener('click', function () {
    var track = rs.stream && rs.stream.getAudioTracks()[0];
    if (!track) return;
    track.enabled = !track.enabled;
    ui.mute.setAttribute('aria-pressed', String(!track.enabled));
    ui.mute.textContent = t(track.enabled ? 'rtc.mute' : 'rtc.unmute');
  });
  ui.camera.addEventListener('change', function () { switchCamera(ui.camera.value); });

  function supported() {
    return !!(window.RTCPeerConnection && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  function setState(state) {
    rs.state = state;
    ui.state.dataset.state = state;
    ui.state.textContent = t('rtc.state.' + state);
  }

  /* ------------------------------------------------------------------ the call */

  function send(signal) {
    var sid = rs.callSession || rs.session;
    return !!sid && Chat.send({ type: 'rtc', session_id: sid, signal: signal });
  }

  function startCall(withAudio) {
    if (rs.pc || !rs.session) return;
    ui.go.disabled = true;
    var media = navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: !!withAudio });
    var config = rs.iceServers ? Promise.resolve(rs.iceServers) : loadConfig();
    Promise.all([media, config]).then(function (got) {
      ui.go.disabled = false;
      rs.stream = got[0];
      openCall(got[1]);
    }, function (err) {
      ui.go.disabled = false;
      closePanel();
      var name = err && err.name;
      showFallback(name === 'NotAllowedError' || name === 'SecurityError' ? t('rtc.denied') : t('rtc.no_camera', { reason: (err && (err.message || name)) || '?' }));
    });
  }

  function openCall(iceServers) {
    var pc;
    try { pc = new RTCPeerConnection({ iceServers: iceServers }); } catch (e) {
      stopStream();
      showFallback(t('rtc.failed', { reason: e.message || e.name }));
      return;
    }
    rs.pc = pc;
    rs.callSession = rs.session;
    rs.pendingIce = [];
    rs.marks = [];
    rs.degraded = false;
    ui.consent.hidden = true;
    ui.call.hidden = false;
    ui.btn.hidden = true;
    setState('connecting');
    ui.video.srcObject = rs.stream;
    var mic = rs.stream.getAudioTracks()[0];
    ui.mute.disabled = !mic;
    ui.mute.setAttribute('aria-pressed', 'false');
    ui.mute.textContent = t('rtc.mute');
    rs.stream.getTracks().forEach(function (track) { pc.addTrack(track, rs.stream); });
    if (!mic) pc.addTransceiver('audio', { direction: 'recvonly' });  // the expert's voice still comes
    var dc = pc.createDataChannel('annotations', { ordered: true });
    rs.dc = dc;
    dc.onmessage = function (e) {
      var msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      if (msg && msg.annotation) addMark(msg.annotation);
    };
    // Candidates found before the offer goes are in its SDP; only later ones go one by one
    // (fewer frames on the chat socket, which has a frame budget).
    pc.onicecandidate = function (e) { if (e.candidate && rs.trickle) send({ kind: 'ice', candidate: e.candidate.toJSON() }); };
    pc.ontrack = function (e) {
      if (e.track.kind !== 'audio') return;
      ui.remote.srcObject = e.streams[0] || new MediaStream([e.track]);
      var played = ui.remote.play();
      if (played && played.catch) played.catch(function () { /* autoplay refused: the next tap plays it */ });
    };
    pc.onconnectionstatechange = onConnState;
    pc.oniceconnectionstatechange = function () {
      var s = pc.iceConnectionState;
      if (s === 'disconnected' || s === 'failed') restartIce('ice');
    };
    listCameras();
    makeOffer(false);
    rs.statsTimer = setInterval(watchStats, STATS_MS);
    ui.end.focus();
  }

  /* Resolves when ICE gathering is complete, or after ms (then the rest trickles). */
  function gathered(pc, ms) {
    return new Promise(function (resolve) {
      if (pc.iceGatheringState === 'complete') { resolve(); return; }
      var timer = setTimeout(done, ms);
      function done() { clearTimeout(timer); pc.removeEventListener('icegatheringstatechange', check); resolve(); }
      function check() { if (pc.iceGatheringState === 'complete') done(); }
      pc.addEventListener('icegatheringstatechange', check);
    });
  }

  function onConnState() {
    var pc = rs.pc;
    if (!pc) return;
    var s = pc.connectionState;
    if (s === 'connected') setState(rs.degraded ? 'poor' : 'connected');
    else if (s === 'disconnected' || s === 'failed') setState('reconnecting');
    else if (s === 'new' || s === 'connecting') { if (rs.state !== 'reconnecting') setState('connecting'); }
  }

  function makeOffer(iceRestart) {
    var pc = rs.pc;
    if (!pc || pc.signalingState !== 'stable') return Promise.resolve();
    rs.offers += 1;
    rs.trickle = false;
    return pc.createOffer(iceRestart ? { iceRestart: true } : {}).then(function (offer) {
      return pc.setLocalDescription(offer);
    }).then(function () { return gathered(pc, GATHER_WAIT_MS); }).then(function () {
      rs.trickle = true;
      if (rs.pc === pc) send({ kind: 'offer', sdp: pc.localDescription.sdp });
    }).catch(function (e) { showFallback(t('rtc.failed', { reason: e.message || e.name })); });
  }

  /* Brief network loss: ICE disconnected/failed, or the chat socket came back (signals sent
   * meanwhile may be lost): a new offer with new ICE credentials.  At most one at a time. */
  function restartIce(why) {
    var pc = rs.pc;
    if (!pc || rs.restarting) return;
    if (why === 'ice') setState('reconnecting');
    rs.restarting = true;
    rs.restarts += 1;
    var again = function () {
      if (pc.signalingState === 'have-local-offer') {
        // The answer to an earlier offer never came (lost with the socket): start over.
        return pc.setLocalDescription({ type: 'rollback' }).then(function () { return makeOffer(true); });
      }
      return makeOffer(true);
    };
    again().then(function () { rs.restarting = false; }, function () { rs.restarting = false; });
  }

  function onSignal(ev) {
    var sig = ev.signal;
    if (!sig || typeof sig !== 'object') return;
    if (sig.kind === 'hangup') {
      if (rs.pc && (!ev.session_id || ev.session_id === rs.callSession)) {
        endCall(sig.reason === 'handoff_ended' ? 'handoff_ended' : 'remote', false);
      }
      return;
    }
    var pc = rs.pc;
    if (!pc || ev.session_id !== rs.callSession) return;
    if (sig.kind === 'answer' && typeof sig.sdp === 'string') {
      if (pc.signalingState !== 'have-local-offer') return;
      pc.setRemoteDescription({ type: 'answer', sdp: sig.sdp }).then(function () {
        var queued = rs.pendingIce;
        rs.pendingIce = [];
        queued.forEach(addIce);
      }).catch(function (e) { showFallback(t('rtc.failed', { reason: e.message || e.name })); });
    } else if (sig.kind === 'ice' && sig.candidate) {
      if (!pc.remoteDescription) rs.pendingIce.push(sig.candidate); else addIce(sig.candidate);
    } else if (sig.kind === 'annotation' && sig.annotation) {
      addMark(sig.annotation);
    } else if (sig.kind === 'state' && sig.state === 'reconnected') {
      restartIce('peer');  // the expert's socket came back: signals may have been lost
    }
  }

  function addIce(candidate) {
    if (!rs.pc) return;
    rs.pc.addIceCandidate(candidate).catch(function () { /* a stale candidate of an old ICE generation */ });
  }

  function onRtcError(ev) {
    var reason = ev.message || ev.code;
    if (rs.pc) { endCall('refused', true); showFallback(t('rtc.failed', { reason: reason })); }
  }

  /* Ends the call here and releases the camera; tell: say hangup to the other side. */
  function hangup(reason) { endCall(reason, true); }

  function endCall(reason, tell) {
    var pc = rs.pc;
    if (!pc) return;
    if (tell) send({ kind: 'hangup', reason: reason });
    rs.pc = null;
    clearInterval(rs.statsTimer);
    rs.statsTimer = null;
    try { if (rs.dc) rs.dc.close(); } catch (e) { /* already closed */ }
    rs.dc = null;
    pc.onicecandidate = pc.ontrack = pc.onconnectionstatechange = pc.oniceconnectionstatechange = null;
    pc.close();
    stopStream();
    ui.remote.srcObject = null;
    rs.marks = [];
    drawMarks();
    setState('ended');
    rs.callSession = null;
    closePanel();
    var words = reason === 'handoff_ended' ? 'rtc.ended_handoff' : reason === 'remote' ? 'rtc.ended_expert' : 'rtc.ended';
    if (reason !== 'refused') Chat.notice(t(words));
  }

  function stopStream() {
    if (rs.stream) rs.stream.getTracks().forEach(function (track) { track.stop(); });
    rs.lastStream = rs.stream;  // kept for tests: its tracks are "ended" now
    rs.stream = null;
    ui.video.srcObject = null;
  }

  /* ------------------------------------------------------------------ cameras */

  function listCameras() {
    navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var cams = devices.filter(function (d) { return d.kind === 'videoinput'; });
      var current = rs.stream && rs.stream.getVideoTracks()[0];
      var currentId = current && current.getSettings ? current.getSettings().deviceId : '';
      CA.clear(ui.camera);
      cams.forEach(function (d, i) {
        ui.camera.appendChild(el('option', { value: d.deviceId, selected: d.deviceId === currentId }, d.label || t('rtc.camera_n', { n: i + 1 })));
      });
      ui.camera.disabled = cams.length < 2;
    });
  }

  function switchCamera(deviceId) {
    if (!rs.pc || !rs.stream || !deviceId) return;
    navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: deviceId } } }).then(function (got) {
      var track = got.getVideoTracks()[0];
      var sender = videoSender();
      var old = rs.stream.getVideoTracks()[0];
      return (sender ? sender.replaceTrack(track) : Promise.resolve()).then(function () {
        if (old) { rs.stream.removeTrack(old); old.stop(); }
        rs.stream.addTrack(track);
        ui.video.srcObject = rs.stream;
      });
    }).catch(function (e) { Chat.notice(t('rtc.no_camera', { reason: e.message || e.name })); });
  }

  function videoSender() {
    if (!rs.pc) return null;
    return rs.pc.getSenders().filter(function (s) { return s.track && s.track.kind === 'video'; })[0] || null;
  }

  /* ------------------------------------------------------------------ poor link */

  function watchStats() {
    var pc = rs.pc;
    if (!pc || pc.connectionState !== 'connected') return;
    pc.getStats().then(function (report) {
      var loss = null, rtt = null, sent = 0, lost = 0;
      report.forEach(function (s) {
        if (s.type === 'remote-inbound-rtp' && s.kind === 'video') {
          if (typeof s.fractionLost === 'number') loss = s.fractionLost;
          if (typeof s.roundTripTime === 'number') rtt = s.roundTripTime;
          lost = s.packetsLost || 0;
        }
        if (s.type === 'outbound-rtp' && s.kind === 'video') sent = s.packetsSent || 0;
        if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded' && typeof s.currentRoundTripTime === 'number' && rtt === null) rtt = s.currentRoundTripTime;
      });
      if (rs.lastOut && sent > rs.lastOut.sent) {  // loss over the last interval, when the receiver reported it
        var d = (lost - rs.lastOut.lost) / (sent - rs.lastOut.sent);
        if (loss === null || d > loss) loss = Math.max(0, d);
      }
      rs.lastOut = { sent: sent, lost: lost };
      rs.lastStats = { loss: loss, rtt: rtt };
      setDegraded((loss !== null && loss > POOR_LOSS) || (rtt !== null && rtt > POOR_RTT_S));
    });
  }

  function setDegraded(poor) {
    if (poor === rs.degraded) return;
    rs.degraded = poor;
    var sender = videoSender();
    if (sender) {
      var params = sender.getParameters();
      if (!params.encodings || !params.encodings.length) params.encodings = [{}];
      params.encodings.forEach(function (enc) {
        enc.scaleResolutionDownBy = poor ? 2 : 1;
        if (poor) enc.maxFramerate = 12; else delete enc.maxFramerate;
      });
      sender.setParameters(params).catch(function () { /* not while negotiating: the next check tries again */ rs.degraded = !poor; });
    }
    send({ kind: 'state', state: poor ? 'poor' : 'good' });
    onConnState();
  }

  /* ------------------------------------------------------------------ annotations */

  function validMark(a) {
    if (!a || typeof a !== 'object' || typeof a.shape !== 'string') return false;
    if (a.shape === 'clear') return true;
    return Array.isArray(a.points) && a.points.length > 0 && a.points.length <= 200 && a.points.every(function (p) {
      return Array.isArray(p) && p.length === 2 && isFinite(p[0]) && isFinite(p[1]);
    });
  }

  function addMark(a) {
    if (!validMark(a)) return;
    if (a.shape === 'clear') rs.marks = [];
    else rs.marks = rs.marks.filter(function (m) { return m.id !== a.id; }).concat([a]).slice(-100);
    drawMarks();
    if (a.id) rs.metrics.annotations.push({ id: String(a.id), sentAt: +a.sent_at || null, drawnAt: now() });
    if (rs.metrics.annotations.length > 500) rs.metrics.annotations.shift();
  }

  /* Where the video's frame is inside the element (object-fit contain / cover / fill). */
  function frameBox(video, w, h) {
    var vw = video.videoWidth, vh = video.videoHeight;
    if (!vw || !vh) return { x: 0, y: 0, w: w, h: h };
    var fit = getComputedStyle(video).objectFit;
    if (fit === 'fill') return { x: 0, y: 0, w: w, h: h };
    var scale = fit === 'cover' ? Math.max(w / vw, h / vh) : Math.min(w / vw, h / vh);
    return { x: (w - vw * scale) / 2, y: (h - vh * scale) / 2, w: vw * scale, h: vh * scale };
  }

  /* One mark on a 2d context; box: where the video frame is (CSS pixels).  The same drawing
   * as the console's (web/expert/static/remote.js), so both sides show the same thing. */
  function drawShape(ctx, m, box) {
    var pt = function (p) { return [box.x + p[0] * box.w, box.y + p[1] * box.h]; };
    var color = /^#[0-9a-fA-F]{3,8}$/.test(m.color || '') ? m.color : '#ff2d2d';
    var a = pt(m.points[0]), b = m.points.length > 1 ? pt(m.points[m.points.length - 1]) : a;
    ctx.save();
    ctx.strokeStyle = ctx.fillStyle = color;
    ctx.lineWidth = 4;
    ctx.lineCap = 'round';
    if (m.shape === 'arrow') {
      var ang = Math.atan2(b[1] - a[1], b[0] - a[0]), head = 16;
      ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(b[0], b[1]);
      ctx.lineTo(b[0] - head * Math.cos(ang - 0.45), b[1] - head * Math.sin(ang - 0.45));
      ctx.lineTo(b[0] - head * Math.cos(ang + 0.45), b[1] - head * Math.sin(ang + 0.45));
      ctx.closePath(); ctx.fill();
    } else if (m.shape === 'circle') {
      var r = Math.max(4, Math.hypot(b[0] - a[0], b[1] - a[1]));
      ctx.beginPath(); ctx.arc(a[0], a[1], r, 0, 2 * Math.PI); ctx.stroke();
    } else if (m.shape === 'text' && typeof m.text === 'string') {
      ctx.font = '600 18px system-ui, sans-serif';
      ctx.textBaseline = 'top';
      ctx.lineWidth = 4; ctx.strokeStyle = 'rgba(0,0,0,.6)';
      ctx.strokeText(m.text.slice(0, 200), a[0], a[1]);
      ctx.fillText(m.text.slice(0, 200), a[0], a[1]);
    }
    ctx.restore();
  }

  function drawMarks() {
    var c = ui.overlay, v = ui.video;
    var w = v.clientWidth, h = v.clientHeight, dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
    }
    var ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    var box = frameBox(v, w, h);
    rs.marks.forEach(function (m) { drawShape(ctx, m, box); });
  }
  ui.video.addEventListener('loadedmetadata', drawMarks);
  ui.video.addEventListener('resize', drawMarks);
  window.addEventListener('resize', drawMarks);

  /* ------------------------------------------------------------------ a join code's invitation */

  /* The expert's join code is the invitation to this call: the page opened as /assist?code=
   * (after sign-in: at the socket's first ready), or the 打开远程协助 button of an ar_join_code
   * event (chat.js marks a link to our own /assist with data-assist="join"), redeems the code,
   * opens the handoff's conversation when the page is on another one, then offers the video
   * exactly as 视频协助 does (the explanation first, then the camera).  The code leaves the
   * address bar once the server answered, so a reload does not redeem it again. */
  var invite = { code: null, busy: false, session: null, conversation: null };
  // After a ready the server replays the log up to its last_seq (older sessions' status
  // events among it would close the panel again): the video is offered once that is done.
  var replay = { to: 0, waiting: [] };
  function afterReplay(fn) {
    if (Chat.state.contig >= replay.to) fn(); else replay.waiting.push(fn);
  }
  function flushReplay() {
    var waiting = replay.waiting;
    replay.waiting = [];
    waiting.forEach(function (fn) { fn(); });
  }
  if (location.pathname === '/assist') {
    var asked = new URLSearchParams(location.search).get('code');
    if (asked) invite.code = asked.slice(0, 64);
  }

  function dropCode() {
    var u = new URL(location.href);
    if (!u.searchParams.has('code')) return;
    u.searchParams.delete('code');
    history.replaceState(history.state, '', u.pathname + u.search + u.hash);
  }

  function inviteReady(ev) {
    if (invite.conversation) {  // waiting for the handoff's conversation to be open
      if (ev.conversation_id !== invite.conversation) return;
      invite.conversation = null;
      afterReplay(function () { offerVideo(invite.session); });
      return;
    }
    if (invite.code && !invite.busy) redeem(invite.code, true);
  }

  function redeem(code, fromAddress) {
    invite.busy = true;
    CA.api('/api/handoff/join-codes/redeem', { method: 'POST', body: { code: code } }).then(function (res) {
      invite.busy = false;
      if (res.status === 0) { showFallback(CA.errorText(res)); return; }  // offline: tried again at the next ready
      if (fromAddress) { invite.code = null; dropCode(); }
      var d = res.data;
      if (!res.ok || !d || typeof d.session_id !== 'string') { showFallback(CA.errorText(res)); return; }
      showFallback('');
      invite.session = d.session_id;
      if (typeof d.conversation_id === 'string' && d.conversation_id !== Chat.state.conversationId) {
        invite.conversation = d.conversation_id;
        Chat.open(d.conversation_id);  // its socket's ready offers the video
        return;
      }
      afterReplay(function () { offerVideo(d.session_id); });
    });
  }

  function offerVideo(sessionId) {
    if (rs.pc || !sessionId) return;
    setHandoff(sessionId, true);
    askConsent();
  }

  document.addEventListener('click', function (e) {
    var a = e.target && e.target.closest ? e.target.closest('a[data-assist="join"]') : null;
    if (!a) return;
    e.preventDefault();
    var code = new URL(a.href).searchParams.get('code');
    if (code && !invite.busy) redeem(code.slice(0, 64), false);
  });

  /* ------------------------------------------------------------------ stills in the chat */

  /* The image needs the caller's Authorization header, so it is fetched, then shown as a
   * data: URL (the page's img-src allows 'self' data:; an <img src> of the URL itself would
   * go without the header). */
  function renderStill(ev) {
    var url = typeof ev.url === 'string' ? ev.url : '';
    var node = el('div', { class: 'msg system handoff still' });
    node.appendChild(el('p', { class: 'text', text: typeof ev.text === 'string' && ev.text ? ev.text : t('still.title') }));
    node.dataset.stillId = String(ev.still_id || '');
    if (STILL_URL.test(url)) {
      var img = el('img', { class: 'still-img', alt: ev.note ? t('still.alt') + '：' + ev.note : t('still.alt') });
      node.appendChild(img);
      fetch(url, { headers: { Authorization: 'Bearer ' + (CA.session.token() || '') }, credentials: 'omit' })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.blob(); })
        .then(function (blob) {
          var reader = new FileReader();
          reader.onload = function () { if (/^data:image\/(png|jpeg);base64,/.test(String(reader.result))) img.src = String(reader.result); };
          reader.readAsDataURL(blob);
        })
        .catch(function () { img.alt = t('still.failed'); node.classList.add('failed'); });
    }
    Chat.place(node, ev.seq);
  }
  var STILL_URL = /^\/api\/handoff\/stills\/[A-Za-z0-9_-]{1,64}$/;
  ['still', 'handoff_still', 'expert_still'].forEach(function (type) { Chat.render(type, renderStill); });

  window.RemoteAssist = { state: rs, invite: invite, drawMarks: drawMarks, frameBox: frameBox };
})();
