"""Remote assist video (issue 19), end to end: a real uvicorn server, Debian's Chromium with
fake media devices, the salesperson's chat page (390 px) and the expert's console (1366 px)
in two browser contexts, a call over loopback.

The tests of this module run in order on one call: set-up, an annotation, a still, a third
user refused, a dropped chat socket, and ending the handoff last."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from eval.web import CHROMIUM, CHROMIUM_ARGS
from tests.api.conftest import LiveServer, free_port, make_server_settings
from tests.web.a11y import assert_no_serious
from tests.web.artifacts import DESKTOP, PHONE, screenshot

pytestmark = [pytest.mark.web, pytest.mark.slow]

PASSWORD = "pw-test-123"
EXPERTS = """\
experts:
  - {username: exp_eg, display_name: 周工, skills: [EG], capacity: 2}
  - {username: exp_eg2, display_name: 吴工, skills: [EG], capacity: 1}
"""
MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
TOLERANCE = 0.02  # normalised coordinates: the same image position on both sides

# Frames advance on the expert's video: currentTime grows between two reads 400 ms apart.
ADVANCING_JS = """async () => {
  const v = document.getElementById('rtc-video');
  const t0 = v.currentTime;
  await new Promise(r => setTimeout(r, 400));
  return {w: v.videoWidth, h: v.videoHeight, t0, t1: v.currentTime};
}"""

# The red marks on the salesperson's overlay: their bounding box in CSS pixels, and where the
# video frame lies in the element (object-fit worked out here, independently of remote.js).
OVERLAY_JS = """() => {
  const c = document.getElementById('rtc-overlay'), v = document.getElementById('rtc-local');
  const ctx = c.getContext('2d'), d = ctx.getImageData(0, 0, c.width, c.height).data;
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) {
    const i = (y * c.width + x) * 4;
    if (d[i + 3] > 200 && d[i] > 200 && d[i + 1] < 90 && d[i + 2] < 90) {
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return null;
  const k = c.width / c.clientWidth;
  const w = v.clientWidth, h = v.clientHeight, vw = v.videoWidth, vh = v.videoHeight;
  const fit = getComputedStyle(v).objectFit;
  const s = fit === 'cover' ? Math.max(w / vw, h / vh) : Math.min(w / vw, h / vh);
  const box = {x: (w - vw * s) / 2, y: (h - vh * s) / 2, w: vw * s, h: vh * s};
  const cx = ((x0 + x1) / 2) / k, cy = ((y0 + y1) / 2) / k;
  return {x: (cx - box.x) / box.w, y: (cy - box.y) / box.h, fit};
}"""


@dataclass
class Call:
    server: LiveServer
    browser: Any
    sales: Any  # the salesperson's chat page
    expert: Any  # the expert's console
    session_id: str
    conversation_id: str
    alice: str  # access tokens
    expert_token: str


def watched(context: Any) -> Any:
    page = context.new_page()
    page.errors = []
    page.logs = []  # the console's messages, shown when an assertion fails
    page.on("console", lambda m: page.logs.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("dialog", lambda d: (page.errors.append(f"dialog: {d.message}"), d.dismiss()))
    return page


def wait_until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def sign_in_chat(page: Any, server: LiveServer, username: str) -> str:
    page.goto(f"{server.http}/")
    page.fill("#signin-form [name=username]", username)
    page.fill("#signin-form [name=password]", PASSWORD)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#conn[data-state='online']")
    cid = page.evaluate("window.CAChat.state.conversationId")
    assert isinstance(cid, str) and cid
    return cid


def frames_advance(expert: Any) -> bool:
    got = expert.evaluate(ADVANCING_JS)
    return bool(got["w"] > 0 and got["h"] > 0 and got["t1"] > got["t0"])


@pytest.fixture(scope="module")
def call(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Call]:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (Debian's chromium)")
    from playwright.sync_api import sync_playwright

    root = tmp_path_factory.mktemp("remote")
    experts = root / "experts.yaml"
    experts.write_text(EXPERTS, encoding="utf-8")
    settings = make_server_settings(
        root, handoff_experts_file=experts, handoff_sweep_seconds=0.1, handoff_queue_timeout_seconds=600
    )
    server = LiveServer(settings, free_port())
    server.start(180)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + MEDIA_ARGS)
            try:
                sales_ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
                expert_ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN")
                for ctx in (sales_ctx, expert_ctx):
                    ctx.set_default_timeout(20_000)
                sales, expert = watched(sales_ctx), watched(expert_ctx)

                expert.goto(f"{server.http}/expert")
                expert.fill("#username", "exp_eg")
                expert.fill("#password", PASSWORD)
                expert.click("#signin-form button")
                expert.wait_for_selector("#conn[data-state='on']")

                cid = sign_in_chat(sales, server, "alice")
                assert sales.locator("#btn-video").is_hidden()  # no expert yet: no video button
                alice = server.token("alice")
                body = {
                    "conversation_id": cid,
                    "product_model": "EG-2100",
                    "symptom": "串口 2 无数据",
                    "site": "一号车间",
                    "serial": "LT21A00001",
                    "urgency": "high",
                }
                r = httpx.post(
                    f"{server.http}/api/handoff/request", headers={"Authorization": f"Bearer {alice}"}, json=body
                )
                assert r.status_code == 200, r.text
                sid = r.json()["id"]
                expert.wait_for_selector(f"#queue li[data-id='{sid}']").click()
                expert.click("#accept")
                expert.wait_for_selector(f"#mine li[data-id='{sid}']")
                sales.wait_for_selector("#btn-video:visible")
                yield Call(server, browser, sales, expert, sid, cid, alice, server.token("exp_eg"))
            finally:
                browser.close()
    finally:
        server.stop()


def test_without_a_camera_the_page_says_so_and_suggests_photos(call: Call) -> None:
    sales = call.sales
    sales.evaluate(
        """() => { window.__gum = navigator.mediaDevices.getUserMedia;
             navigator.mediaDevices.getUserMedia =
               () => Promise.reject(new DOMException('no camera', 'NotFoundError')); }"""
    )
    try:
        sales.click("#btn-video")
        sales.click("#rtc-go")
        sales.wait_for_selector("#rtc-fallback:visible")
        words = sales.locator("#rtc-fallback").inner_text()
        assert "无法打开摄像头" in words and "照片" in words
        assert sales.evaluate("() => window.RemoteAssist.state.pc") is None
        assert sales.locator("#rtc-call").is_hidden() and sales.locator("#btn-video").is_visible()
        screenshot(sales, "remote-sales-no-camera-390")
    finally:
        sales.evaluate("() => { navigator.mediaDevices.getUserMedia = window.__gum; }")


def test_call_is_established_and_explained_first(call: Call) -> None:
    sales, expert = call.sales, call.expert
    sales.click("#btn-video")
    # The camera prompt is explained in Chinese first; the microphone is off unless chosen.
    assert "专家将看到你的摄像头画面，仅在本次协助中实时传输，不录制" in sales.locator("#rtc-consent").inner_text()
    assert not sales.locator("#rtc-audio").is_checked()
    assert sales.evaluate("window.RemoteAssist.state.pc") is None  # nothing asked before the consent click
    screenshot(sales, "remote-sales-consent-390")
    sales.click("#rtc-go")
    sales.wait_for_selector("#rtc-call:visible, #rtc-fallback:visible")
    assert sales.locator("#rtc-fallback").is_hidden(), (sales.locator("#rtc-fallback").text_content(), sales.logs)
    expert.wait_for_selector("#rtc:visible")
    expert.wait_for_function("() => document.getElementById('rtc-video').videoWidth > 0")
    wait_until(lambda: frames_advance(expert), 15)
    sales.wait_for_selector("#rtc-state[data-state='connected']")
    expert.wait_for_selector("#rtc-state[data-state='connected']")
    assert sales.locator("#rtc-state").inner_text() == "已连接"
    # The salesperson sees the own camera; the expert's voice slot is there though the mic is off.
    assert sales.evaluate("document.getElementById('rtc-local').videoWidth") > 0
    assert sales.evaluate("window.RemoteAssist.state.stream.getAudioTracks().length") == 0
    assert sales.evaluate("window.RemoteAssist.state.dc.readyState") == "open"
    # Buttons are named (accessible names) and reachable by keyboard.
    for sel in ("#rtc-mute", "#rtc-end", "#rtc-camera"):
        assert sales.locator(sel).get_attribute("tabindex") in (None, "0")
    assert sales.get_by_role("button", name="结束视频").is_visible()
    assert expert.get_by_role("button", name="冻结并标注").is_visible()
    # The call is in the session's log on both sides (started).
    expert.wait_for_function("() => [...document.querySelectorAll('#log li')].some(li => /视频/.test(li.textContent))")
    screenshot(sales, "remote-sales-call-390")
    screenshot(expert, "remote-expert-call-1366")
    assert_no_serious(sales, "chat page during a video call")
    assert_no_serious(expert, "console during a video call")
    assert not sales.errors and not expert.errors


def test_annotation_appears_at_the_same_relative_position(call: Call) -> None:
    sales, expert = call.sales, call.expert
    expert.click("#rtc .tool[data-tool='circle']")
    box = expert.locator("#rtc-draw").bounding_box()
    assert box is not None
    frame = expert.evaluate("window.ExpertRemote.frameBox()")
    # A circle centred at 30 % / 40 % of the frame, radius 8 % of its width.
    cx, cy = box["x"] + frame["x"] + 0.3 * frame["w"], box["y"] + frame["y"] + 0.4 * frame["h"]
    expert.mouse.move(cx, cy)
    expert.mouse.down()
    expert.mouse.move(cx + 0.08 * frame["w"], cy, steps=4)
    expert.mouse.up()
    sent = expert.evaluate("window.ExpertRemote.state.live.at(-1)")
    assert sent["shape"] == "circle"
    assert abs(sent["points"][0][0] - 0.3) < 0.01 and abs(sent["points"][0][1] - 0.4) < 0.01
    sales.wait_for_function(f"() => window.RemoteAssist.state.marks.some(m => m.id === {sent['id']!r})")
    drawn = sales.evaluate(OVERLAY_JS)
    assert drawn is not None, "nothing drawn on the salesperson's overlay"
    assert abs(drawn["x"] - sent["points"][0][0]) <= TOLERANCE, drawn
    assert abs(drawn["y"] - sent["points"][0][1]) <= TOLERANCE, drawn
    # The same image position at another element size (the phone turned, a bigger screen).
    sales.set_viewport_size({"width": 700, "height": 900})
    sales.wait_for_timeout(200)
    resized = sales.evaluate(OVERLAY_JS)
    assert resized is not None
    assert abs(resized["x"] - sent["points"][0][0]) <= TOLERANCE, resized
    assert abs(resized["y"] - sent["points"][0][1]) <= TOLERANCE, resized
    sales.set_viewport_size(PHONE)
    screenshot(sales, "remote-sales-annotation-390")
    screenshot(expert, "remote-expert-annotation-1366")
    # Clear removes the marks on both sides.
    expert.click("#rtc-clear")
    sales.wait_for_function("() => window.RemoteAssist.state.marks.length === 0")
    assert sales.evaluate(OVERLAY_JS) is None


def test_still_is_stored_and_shows_on_both_sides(call: Call) -> None:
    sales, expert = call.sales, call.expert
    expert.click("#rtc-freeze")
    assert expert.locator("#rtc-frozen").is_visible() and expert.locator("#rtc-still").is_enabled()
    expert.click("#rtc .tool[data-tool='arrow']")
    box = expert.locator("#rtc-draw").bounding_box()
    assert box is not None
    expert.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    expert.mouse.down()
    expert.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5, steps=3)
    expert.mouse.up()
    assert expert.evaluate("window.ExpertRemote.state.live.length") == 0  # a frozen mark is not sent live
    expert.fill("#rtc-note", "接这里的 RS485 端子")
    expert.click("#rtc-still")
    expert.wait_for_selector("#log li.still canvas[data-loaded='1']")
    assert expert.locator("#rtc-frozen").is_hidden()
    size = expert.evaluate(
        "() => { const c = document.querySelector('#log li.still canvas'); return [c.width, c.height]; }"
    )
    assert size[0] > 0 and size[1] > 0
    sales.wait_for_selector(".msg.still img.still-img")
    sales.wait_for_function("() => document.querySelector('.msg.still img.still-img').naturalWidth > 0")
    assert "接这里的 RS485 端子" in sales.locator(".msg.still").inner_text()
    # Stored: in the session's history, and the image is served to the two parties only.
    events = httpx.get(
        f"{call.server.http}/api/handoff/sessions/{call.session_id}/events",
        headers={"Authorization": f"Bearer {call.expert_token}"},
        timeout=10,
    ).json()
    stills = [e for e in events if e["kind"] == "still"]
    assert len(stills) == 1 and stills[0]["data"]["note"] == "接这里的 RS485 端子"
    url = stills[0]["data"]["url"]
    image = httpx.get(f"{call.server.http}{url}", headers={"Authorization": f"Bearer {call.alice}"}, timeout=10)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    bob = call.server.token("bob")
    refused = httpx.get(f"{call.server.http}{url}", headers={"Authorization": f"Bearer {bob}"}, timeout=10)
    assert refused.status_code == 404
    chat = httpx.get(
        f"{call.server.http}/api/conversations/{call.conversation_id}/events",
        headers={"Authorization": f"Bearer {call.alice}"},
        timeout=10,
    ).json()["events"]
    assert any(e["type"] == "handoff_still" and e["url"] == url for e in chat)
    screenshot(sales, "remote-sales-still-390")
    screenshot(expert, "remote-expert-still-1366")


# A link the salesperson's page measures as poor (RTT 600 ms): getStats answers so for a while.
POOR_STATS_JS = """() => {
  const pc = window.RemoteAssist.state.pc;
  window.__realStats = pc.getStats.bind(pc);
  pc.getStats = async () => new Map([['r', {type: 'remote-inbound-rtp', kind: 'video', roundTripTime: 0.6,
                                             fractionLost: 0, packetsLost: 0}]]);
}"""
ENCODING_JS = """() => {
  const s = window.RemoteAssist.state.pc.getSenders().find(x => x.track && x.track.kind === 'video');
  const e = s.getParameters().encodings[0] || {};
  return {scale: e.scaleResolutionDownBy ?? 1, fps: e.maxFramerate ?? null};
}"""


def test_a_poor_link_lowers_resolution_and_frame_rate_and_says_so(call: Call) -> None:
    sales, expert = call.sales, call.expert
    assert sales.evaluate(ENCODING_JS)["scale"] == 1
    sales.evaluate(POOR_STATS_JS)
    try:
        sales.wait_for_selector("#rtc-state[data-state='poor']", timeout=8_000)  # checked every 2 s
        assert sales.locator("#rtc-state").inner_text() == "网络较差"
        assert sales.evaluate(ENCODING_JS) == {"scale": 2, "fps": 12}
        expert.wait_for_selector("#rtc-state[data-state='poor']")
        assert expert.locator("#rtc-state").inner_text() == "网络较差"
        screenshot(sales, "remote-sales-poor-link-390")
    finally:
        sales.evaluate("() => { window.RemoteAssist.state.pc.getStats = window.__realStats; }")
    sales.wait_for_selector("#rtc-state[data-state='connected']", timeout=8_000)
    assert sales.evaluate(ENCODING_JS) == {"scale": 1, "fps": None}
    expert.wait_for_selector("#rtc-state[data-state='connected']")
    wait_until(lambda: frames_advance(expert), 15)


def test_a_third_user_cannot_join(call: Call) -> None:
    ctx = call.browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        bob = watched(ctx)
        sign_in_chat(bob, call.server, "bob")
        assert bob.locator("#btn-video").is_hidden()
        offers_before = call.expert.evaluate("window.ExpertRemote.state.metrics.frames.length")
        bob.evaluate(
            """sid => { window.__rtcErrors = []; window.CAChat.listen(ev => {
                 if (ev.type === 'error') window.__rtcErrors.push(ev.code); });
               window.CAChat.send({type: 'rtc', session_id: sid, signal: {kind: 'offer', sdp: 'v=0\\r\\n'}}); }""",
            call.session_id,
        )
        bob.wait_for_function("() => window.__rtcErrors.length > 0")
        assert bob.evaluate("window.__rtcErrors") == ["rtc_not_allowed"]
        # Nothing reached the expert: the call in progress is still the salesperson's, no new one.
        assert call.expert.evaluate("window.ExpertRemote.state.call.session") == call.session_id
        assert call.expert.evaluate("window.ExpertRemote.state.metrics.frames.length") == offers_before
        assert bob.evaluate("document.getElementById('rtc-local').srcObject") is None
    finally:
        ctx.close()


def test_a_dropped_chat_socket_reconnects_and_the_call_recovers(call: Call) -> None:
    sales, expert = call.sales, call.expert
    restarts = sales.evaluate("window.RemoteAssist.state.restarts")
    offers = sales.evaluate("window.RemoteAssist.state.offers")
    sales.context.set_offline(True)
    sales.wait_for_selector("#conn[data-state='offline']")
    sales.wait_for_timeout(500)
    sales.context.set_offline(False)
    sales.wait_for_selector("#conn[data-state='online']", timeout=20_000)
    # A new offer with an ICE restart went out after the socket came back, and was answered.
    sales.wait_for_function(f"() => window.RemoteAssist.state.offers > {offers}")
    assert sales.evaluate("window.RemoteAssist.state.restarts") > restarts
    sales.wait_for_function("() => (window.RemoteAssist.state.pc || {}).signalingState === 'stable'")
    sales.wait_for_selector("#rtc-state[data-state='connected']")
    wait_until(lambda: frames_advance(expert), 15)
    assert sales.evaluate("window.RemoteAssist.state.stream.getVideoTracks()[0].readyState") == "live"
    screenshot(sales, "remote-sales-reconnected-390")


def test_ending_the_handoff_ends_the_call_on_both_sides(call: Call) -> None:
    sales, expert = call.sales, call.expert
    expert.fill("#resolve-summary", "RS485 A/B 接反，调换后恢复。")
    expert.click("#resolve-form button[type=submit]")
    sales.wait_for_function("() => window.RemoteAssist.state.pc === null")
    expert.wait_for_function("() => window.ExpertRemote.state.call === null")
    # The camera is released: every track of the salesperson's stream has ended.
    states = sales.evaluate("window.RemoteAssist.state.lastStream.getTracks().map(t => t.readyState)")
    assert states and set(states) == {"ended"}
    assert expert.evaluate("document.getElementById('rtc-video').srcObject") is None
    assert expert.locator("#rtc-state").text_content() == "已结束"
    assert sales.locator("#rtc-call").is_hidden() and sales.locator("#btn-video").is_hidden()
    sales.wait_for_function("() => document.getElementById('notice').textContent.includes('视频已关闭')")
    screenshot(sales, "remote-sales-ended-390")
    screenshot(expert, "remote-expert-ended-1366")
    assert not sales.errors and not expert.errors


def test_only_the_chat_page_may_ask_for_the_camera(call: Call) -> None:
    # Chromium refuses getUserMedia under "camera=()": the chat page allows its own origin; the
    # other pages and the widget frame (another site's iframe) keep both devices off.
    def policy(path: str) -> str:
        r = httpx.get(f"{call.server.http}{path}", timeout=10)
        assert r.status_code in (200, 404), r.text
        return r.headers["permissions-policy"]

    assert "camera=(self), microphone=(self)" in policy("/")
    for path in ("/dashboard", "/learn", "/widget/frame?portal=nope"):
        assert "camera=(), microphone=()" in policy(path)


# --------------------------------------------------------------------------- the join code invites


INVITE: dict[str, str] = {}  # the session and the used code, from one test to the next


def open_invitation(page: Any, server: LiveServer, link: str, username: str) -> None:
    """Open a join code's link (``/assist?code=``) in a fresh tab and sign in there."""
    page.goto(f"{server.http}{link}")
    page.fill("#signin-form [name=username]", username)
    page.fill("#signin-form [name=password]", PASSWORD)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#conn[data-state='online']")


def issue_code(call: Call, session_id: str) -> dict[str, Any]:
    """What the console's 生成加入码 does."""
    r = httpx.post(
        f"{call.server.http}/api/handoff/sessions/{session_id}/join-code",
        headers={"Authorization": f"Bearer {call.expert_token}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_join_code_link_brings_the_call_up_on_another_device(call: Call) -> None:
    expert = call.expert
    # A new handoff on the first conversation (the earlier one was resolved), accepted in the console.
    body = {
        "conversation_id": call.conversation_id,
        "product_model": "EG-2100",
        "symptom": "网口不通",
        "site": "二号车间",
        "serial": "LT21A00002",
        "urgency": "high",
    }
    r = httpx.post(
        f"{call.server.http}/api/handoff/request",
        headers={"Authorization": f"Bearer {call.alice}"},
        json=body,
        timeout=10,
    )
    assert r.status_code == 200 and r.json()["state"] == "queued", r.text
    sid = r.json()["id"]
    expert.wait_for_selector(f"#queue li[data-id='{sid}']").click()
    expert.click("#accept")
    expert.wait_for_selector(f"#mine li[data-id='{sid}']")
    issued = issue_code(call, sid)
    assert issued["link"] == f"/assist?code={issued['code']}"  # our own page, on any host
    ctx = call.browser.new_context(viewport=PHONE, locale="zh-CN")
    ctx.set_default_timeout(20_000)
    try:
        phone = watched(ctx)
        open_invitation(phone, call.server, issued["link"], "alice")
        # Redeemed, the handoff's conversation opened (the fresh tab began on a new one), and the
        # video offered as 视频协助 does: the explanation first, the camera only after consent.
        phone.wait_for_selector("#rtc-consent:visible")
        assert "专家将看到你的摄像头画面" in phone.locator("#rtc-consent").inner_text()
        phone.wait_for_function(f"() => window.CAChat.state.conversationId === {call.conversation_id!r}")
        assert phone.evaluate("window.RemoteAssist.state.pc") is None
        assert "code=" not in phone.url and phone.url.endswith("/assist"), phone.url
        phone.click("#rtc-go")
        phone.wait_for_selector("#rtc-call:visible")
        expert.wait_for_selector("#rtc:visible")
        wait_until(lambda: frames_advance(expert), 15)
        assert expert.evaluate("window.ExpertRemote.state.call.session") == sid
        phone.wait_for_selector("#rtc-state[data-state='connected']")
        screenshot(phone, "remote-sales-invited-390")
        # The expert's log says the requester joined with the code.
        events = httpx.get(
            f"{call.server.http}/api/handoff/sessions/{sid}/events",
            headers={"Authorization": f"Bearer {call.expert_token}"},
            timeout=10,
        ).json()
        assert any(e["text"] == "ar_joined" for e in events)
        phone.click("#rtc-end")
        expert.wait_for_function("() => window.ExpertRemote.state.call === null")
        assert not phone.errors, phone.errors
    finally:
        ctx.close()
    INVITE.update(session=sid, used=issued["link"])


def test_a_used_join_code_shows_the_servers_message(call: Call) -> None:
    assert INVITE, "runs after the invitation test"
    ctx = call.browser.new_context(viewport=PHONE, locale="zh-CN")
    ctx.set_default_timeout(20_000)
    try:
        phone = watched(ctx)
        open_invitation(phone, call.server, INVITE["used"], "alice")
        phone.wait_for_selector("#rtc-fallback:visible")
        assert "这个加入码已经用过了" in phone.locator("#rtc-fallback").inner_text()
        assert phone.locator("#rtc-consent").is_hidden()
        assert "code=" not in phone.url
        # A reload (signed in still) does not redeem again: no message this time.
        phone.reload()
        phone.wait_for_selector("#conn[data-state='online']")
        phone.wait_for_timeout(300)
        assert phone.locator("#rtc-fallback").is_hidden()
        assert phone.evaluate("window.RemoteAssist.invite.code") is None
    finally:
        ctx.close()


def test_a_third_users_redeem_is_refused_and_the_button_starts_the_video_here(call: Call) -> None:
    assert INVITE, "runs after the invitation test"
    sales, expert = call.sales, call.expert
    issued = issue_code(call, INVITE["session"])
    ctx = call.browser.new_context(viewport=PHONE, locale="zh-CN")
    ctx.set_default_timeout(20_000)
    try:
        bob = watched(ctx)
        open_invitation(bob, call.server, issued["link"], "bob")
        bob.wait_for_selector("#rtc-fallback:visible")
        assert "加入码无效" in bob.locator("#rtc-fallback").inner_text()
        assert bob.locator("#rtc-consent").is_hidden() and bob.evaluate("window.RemoteAssist.state.pc") is None
        assert expert.evaluate("window.ExpertRemote.state.call") is None
    finally:
        ctx.close()
    # The salesperson's first page is on the handoff's conversation: its 打开远程协助 button (the
    # code bob could not use) starts the video on this device, without leaving the page.
    button = sales.locator(f"#log a[data-assist='join'][href='{issued['link']}']")
    button.wait_for()
    assert button.inner_text() == "打开远程协助"
    url = sales.url
    button.click()
    sales.wait_for_selector("#rtc-consent:visible")
    assert sales.url == url
    sales.click("#rtc-go")
    expert.wait_for_selector("#rtc:visible")
    wait_until(lambda: frames_advance(expert), 15)
    sales.click("#rtc-end")
    expert.wait_for_function("() => window.ExpertRemote.state.call === null")
