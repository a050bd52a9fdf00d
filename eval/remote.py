"""``python -m eval remote --json OUT [--calls N] [--strokes K]``

Remote assist video calls (issue 19) in headless Debian Chromium with fake media devices
(``--use-fake-device-for-media-stream --use-fake-ui-for-media-stream``), over loopback: the
salesperson's chat page and the expert's console in two browser contexts of one browser,
against a server this command starts (like ``eval web``: the configured corpus and index, a
throw-away database, demo mode for the demo sales user and the demo experts).

Each call is set up and torn down: a handoff requested and accepted, 视频协助 tapped, the
camera allowed, the expert's first decoded frame, ``--strokes`` annotations, then the handoff
resolved (which ends the call on both sides).  Two figures per call, on one clock (both pages
run on this machine: ``performance.timeOrigin + performance.now()`` in each page):

* ``setup_ms``: from the click on 视频协助 to the first frame the expert's video decodes
  (``requestVideoFrameCallback``);
* ``annotation_ms``: from the expert's pointerup to the mark drawn on the salesperson's overlay.

The result: ``{"calls", "failed", "setup_ms": {"p50", "p95"}, "annotation_ms": {"p50", "p95"},
"targets"}``; a line on stderr for each figure vs its target (setup p95 <= 1500 ms,
annotation p95 <= 150 ms; a run with a failed call does not meet its target).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

import httpx

from eval.service import in_process_service
from eval.web import CHROMIUM, CHROMIUM_ARGS, percentile

log = logging.getLogger(__name__)

MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
SETUP_P95_TARGET_MS = 1500.0
ANNOTATION_P95_TARGET_MS = 150.0
DEFAULT_CALLS = 10
DEFAULT_STROKES = 5
SALES_USER = "hz_sales1"  # a demo salesperson of corpus/rebates/channels.yaml
EXPERT_USER = "exp_gateway"  # a demo expert of corpus/handoff/experts.yaml (EG)
PRODUCT = "EG-1100"
STEP_TIMEOUT_MS = 20_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--calls", type=int, default=DEFAULT_CALLS, help=f"calls (default {DEFAULT_CALLS})")
    parser.add_argument(
        "--strokes", type=int, default=DEFAULT_STROKES, help=f"annotations per call (default {DEFAULT_STROKES})"
    )


# -- the summary (pure: tests/eval/test_remote.py) --------------------------------------------


def stat(values: list[float]) -> dict[str, float | int | None]:
    """p50 and p95 (nearest rank: a value that was measured) of ``values``, in ms."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "max": round(max(values), 1),
    }


def summarise(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """The report of a run from its calls: each ``{"ok": bool, "setup_ms": float | None,
    "annotation_ms": [float, ...], "error": str?}``.  Figures come from the calls that
    succeeded; a failed call counts in ``failed`` and makes no target met."""
    ok = [c for c in calls if c.get("ok")]
    setup = [float(c["setup_ms"]) for c in ok if c.get("setup_ms") is not None]
    marks = [float(v) for c in ok for v in c.get("annotation_ms", [])]
    failed = len(calls) - len(ok)
    result: dict[str, Any] = {
        "calls": len(calls),
        "failed": failed,
        "setup_ms": stat(setup),
        "annotation_ms": stat(marks),
    }
    result["targets"] = {
        "setup_p95_at_most_1500ms": _met(result["setup_ms"]["p95"], SETUP_P95_TARGET_MS, failed),
        "annotation_p95_at_most_150ms": _met(result["annotation_ms"]["p95"], ANNOTATION_P95_TARGET_MS, failed),
        "no_failed_call": failed == 0 and len(calls) > 0,
    }
    errors = [str(c["error"]) for c in calls if c.get("error")]
    if errors:
        result["errors"] = errors[:10]
    return result


def _met(p95: float | None, target: float, failed: int) -> bool:
    return p95 is not None and p95 <= target and failed == 0


def target_lines(result: dict[str, Any]) -> list[str]:
    lines = []
    for key, name, target in (
        ("setup_ms", "setup (视频协助 tap -> first frame at the expert) p95", SETUP_P95_TARGET_MS),
        ("annotation_ms", "annotation (expert pointerup -> drawn at the salesperson) p95", ANNOTATION_P95_TARGET_MS),
    ):
        s = result[key]
        figure = "no figure" if s["p95"] is None else f"{s['p95']:.1f} ms (p50 {s['p50']:.1f} ms, n={s['n']})"
        met = _met(s["p95"], target, result["failed"])
        lines.append(f"{name}: {figure} (target <= {target:.0f} ms): {'met' if met else 'NOT met'}")
    lines.append(f"calls: {result['calls']}, failed: {result['failed']}")
    return lines


# -- the run ---------------------------------------------------------------------------------


def _token(url: str, username: str, password: str) -> str:
    r = httpx.post(f"{url}/api/auth/token", json={"username": username, "password": password}, timeout=10)
    r.raise_for_status()
    return str(r.json()["access_token"])


class _Pages:
    """The two signed-in pages of the run (one context each)."""

    def __init__(self, browser: Any, url: str, password: str) -> None:
        self.url = url
        self.sales_ctx = browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN")
        self.expert_ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        for ctx in (self.sales_ctx, self.expert_ctx):
            ctx.set_default_timeout(STEP_TIMEOUT_MS)
        self.sales = self.sales_ctx.new_page()
        self.expert = self.expert_ctx.new_page()
        self.expert.goto(f"{url}/expert")
        self.expert.fill("#username", EXPERT_USER)
        self.expert.fill("#password", password)
        self.expert.click("#signin-form button")
        self.expert.wait_for_selector("#conn[data-state='on']")
        self.sales.goto(f"{url}/")
        self.sales.fill("#signin-form [name=username]", SALES_USER)
        self.sales.fill("#signin-form [name=password]", password)
        self.sales.click("#signin-form button[type=submit]")
        self.sales.wait_for_selector("#conn[data-state='online']")
        self.conversation_id = str(self.sales.evaluate("() => window.CAChat.state.conversationId"))
        self.sales_token = _token(url, SALES_USER, password)
        self.expert_token = _token(url, EXPERT_USER, password)

    def close(self) -> None:
        self.sales_ctx.close()
        self.expert_ctx.close()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class CallFailedError(Exception):
    """A call that did not complete, with the step it stopped at."""


def one_call(pages: _Pages, strokes: int) -> dict[str, Any]:
    """Set up a call, draw ``strokes`` marks, tear it down (resolve the handoff)."""
    sales, expert, url = pages.sales, pages.expert, pages.url
    body = {
        "conversation_id": pages.conversation_id,
        "product_model": PRODUCT,
        "symptom": "串口无数据",
        "site": "一号车间",
        "serial": "EVAL-0001",
        "urgency": "normal",
    }
    r = httpx.post(f"{url}/api/handoff/request", headers=_auth(pages.sales_token), json=body, timeout=10)
    r.raise_for_status()
    sid = str(r.json()["id"])
    step = "accept"
    try:
        expert.evaluate("sid => window.ExpertConsole.send({type: 'accept', session_id: sid})", sid)
        sales.wait_for_selector("#btn-video:visible")
        calls_before = int(expert.evaluate("() => window.ExpertRemote.state.metrics.frames.length"))
        step = "call"
        sales.click("#btn-video")
        sales.click("#rtc-go")
        expert.wait_for_function(f"() => window.ExpertRemote.state.metrics.frames.length > {calls_before}")
        clicked = float(sales.evaluate("() => window.RemoteAssist.state.metrics.clickAt"))
        first = float(expert.evaluate("() => window.ExpertRemote.state.metrics.frames.at(-1).at"))
        expert.wait_for_selector("#rtc:visible")
        sales.wait_for_function("() => (window.RemoteAssist.state.dc || {}).readyState === 'open'")
        step = "annotations"
        box = expert.locator("#rtc-draw").bounding_box()
        assert box is not None
        marks: list[float] = []
        for i in range(strokes):
            x = box["x"] + box["width"] * (0.2 + 0.1 * (i % 5))
            y = box["y"] + box["height"] * (0.3 + 0.05 * (i % 4))
            expert.mouse.move(x, y)
            expert.mouse.down()
            expert.mouse.move(x + 40, y + 25, steps=2)
            expert.mouse.up()
            mark_id = str(expert.evaluate("() => window.ExpertRemote.state.live.at(-1).id"))
            sales.wait_for_function(
                "id => window.RemoteAssist.state.metrics.annotations.some(a => a.id === id)", arg=mark_id
            )
            got = sales.evaluate("id => window.RemoteAssist.state.metrics.annotations.find(a => a.id === id)", mark_id)
            marks.append(float(got["drawnAt"]) - float(got["sentAt"]))
        return {"ok": True, "setup_ms": first - clicked, "annotation_ms": marks}
    except Exception as exc:
        raise CallFailedError(f"{step}: {type(exc).__name__}: {exc}"[:300]) from exc
    finally:
        done = httpx.post(
            f"{url}/api/handoff/sessions/{sid}/resolve",
            headers=_auth(pages.expert_token),
            json={"summary": "评测通话结束。", "resolved": True},
            timeout=10,
        )
        if done.status_code == 200:
            sales.wait_for_function("() => window.RemoteAssist.state.pc === null")
            expert.wait_for_function("() => window.ExpertRemote.state.call === null")
        else:
            log.warning("resolve of %s answered %s", sid, done.status_code)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    calls_wanted = max(1, int(args.calls))
    strokes = max(1, int(args.strokes))
    calls: list[dict[str, Any]] = []
    # No chat turn is measured: no engine worker processes to wait for.
    service = in_process_service("remote", handoff_queue_timeout_seconds=600, engine_processes=0)
    with service as (url, settings):
        password = settings.demo_password
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + MEDIA_ARGS)
            try:
                pages = _Pages(browser, url, password)
                try:
                    for n in range(calls_wanted):
                        try:
                            calls.append(one_call(pages, strokes))
                        except (CallFailedError, httpx.HTTPError, PlaywrightError) as exc:  # counted; the run goes on
                            log.warning("call %s failed: %s", n + 1, exc)
                            calls.append({"ok": False, "error": str(exc)[:300]})
                finally:
                    pages.close()
            finally:
                browser.close()
    result = summarise(calls)
    result["url"] = url
    result["strokes_per_call"] = strokes
    for line in target_lines(result):
        print(line, file=sys.stderr)
    return result
