"""``python -m eval web --json OUT [--url http://host:port] [--runs N]``

The chat page in headless Chromium (Debian's ``/usr/bin/chromium``, driven by
Playwright; no browser download): first paint and first contentful paint on a cold
load in a fresh browser context, and the bytes of JavaScript and CSS the page loads
(uncompressed, from the Resource Timing API).  Without ``--url`` it starts its own
server on a free port over the configured corpus and index and a throw-away database.
The same figures for the dashboard and the widget page are reported alongside.

Each page is loaded ``--runs`` times (default 20, enough for a 95th percentile); the report
gives the median (p50) and the 95th percentile (nearest rank) of first paint and first
contentful paint, and whether the issue's target holds: the chat page's first paint p95 at
most ``FIRST_PAINT_P95_TARGET_MS`` on this machine (``target_ms`` and ``met`` in the JSON; a
line on stderr says it in words).  One uncounted load first warms the browser process (a
person's browser is already running); every counted load is still cold: a new context, an
empty cache.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from contextlib import ExitStack
from typing import Any

import httpx

from eval.service import in_process_service

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
ASSET_BUDGET_BYTES = 150 * 1000  # JavaScript + CSS of the chat page, uncompressed
FIRST_PAINT_P95_TARGET_MS = 300.0  # issue 18, item 4: chat page first paint p95 on this machine
DEFAULT_RUNS = 20

# Evaluated in the page (Runtime.callFunctionOn, not subject to the page's CSP).
METRICS_JS = """() => {
  const paint = Object.fromEntries(performance.getEntriesByType('paint').map(e => [e.name, e.startTime]));
  const nav = performance.getEntriesByType('navigation')[0];
  const assets = performance.getEntriesByType('resource')
    .filter(r => /\\.(js|css)(\\?|$)/.test(new URL(r.name).pathname))
    .map(r => ({url: new URL(r.name).pathname, bytes: r.decodedBodySize, transferred: r.transferSize}));
  return {
    first_paint_ms: paint['first-paint'] ?? null,
    first_contentful_paint_ms: paint['first-contentful-paint'] ?? null,
    dom_content_loaded_ms: nav ? nav.domContentLoadedEventEnd : null,
    load_ms: nav ? nav.loadEventEnd : null,
    assets,
  };
}"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="an already running service (default: start one)")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help=f"cold loads per page (default {DEFAULT_RUNS})")


def launch_browser(playwright: Any) -> Any:
    """Headless Debian Chromium.  Playwright gives each launch a fresh, empty user-data dir."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def page_metrics(browser: Any, url: str, *, viewport: tuple[int, int] = (360, 740)) -> dict[str, Any]:
    """One cold load of ``url`` in a new context: paint timings and JS/CSS bytes."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    try:
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.wait_for_timeout(100)  # paint entries are queued right after the first frame
        metrics: dict[str, Any] = page.evaluate(METRICS_JS)
        metrics["js_css_bytes"] = sum(int(a["bytes"]) for a in metrics["assets"])
        return metrics
    finally:
        context.close()


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0 < q <= 100) by nearest rank: a value that was measured.
    Of 20 samples, p95 is the 19th smallest."""
    if not values:
        raise ValueError("no values")
    if not 0 < q <= 100:
        raise ValueError(f"percentile out of range: {q}")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    def stat(key: str) -> dict[str, float | int | None]:
        values = [float(s[key]) for s in samples if s.get(key) is not None]
        if not values:
            return {"n": 0, "p50": None, "p95": None, "median": None, "max": None}
        return {
            "n": len(values),
            "p50": round(statistics.median(values), 1),
            "p95": round(percentile(values, 95), 1),
            "median": round(statistics.median(values), 1),
            "max": round(max(values), 1),
        }

    last = samples[-1]
    return {
        "first_paint_ms": stat("first_paint_ms"),
        "first_contentful_paint_ms": stat("first_contentful_paint_ms"),
        "dom_content_loaded_ms": stat("dom_content_loaded_ms"),
        "js_css_bytes": last["js_css_bytes"],
        "assets": last["assets"],
    }


def first_paint_target(chat: dict[str, Any], target_ms: float = FIRST_PAINT_P95_TARGET_MS) -> dict[str, Any]:
    """Whether the chat page's first paint p95 is within the target (no figure: not met)."""
    p95 = chat["first_paint_ms"]["p95"]
    return {
        "metric": "chat page first paint p95",
        "p95_ms": p95,
        "target_ms": target_ms,
        "met": p95 is not None and p95 <= target_ms,
    }


def target_line(target: dict[str, Any]) -> str:
    figure = "no figure" if target["p95_ms"] is None else f"{target['p95_ms']:.1f} ms"
    verdict = "met" if target["met"] else "NOT met"
    return f"{target['metric']}: {figure} (target <= {target['target_ms']:.0f} ms): {verdict}"


def run(args: argparse.Namespace) -> dict[str, Any]:
    with ExitStack() as stack:
        url = args.url or stack.enter_context(in_process_service("web"))[0]
        return _measure(url, args)


def _measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_browser(pw)
        try:
            httpx.get(f"{url}/", timeout=10)  # the server's first request pays for imports, not the page
            pages = {
                "chat": f"{url}/",
                "dashboard": f"{url}/dashboard",
                "widget_frame": f"{url}/widget/frame?portal=demo",
            }
            runs = max(1, args.runs)
            result: dict[str, Any] = {"url": url, "runs": runs}
            page_metrics(browser, pages["chat"])  # warms the browser process; not counted
            for name, page_url in pages.items():
                result[name] = _summary([page_metrics(browser, page_url) for _ in range(runs)])
            chat = result["chat"]
            target = first_paint_target(chat)
            result["first_paint_target"] = target
            result["target_ms"] = target["target_ms"]
            result["met"] = target["met"]
            result["targets"] = {
                "chat_first_paint_p95_at_most_300ms": target["met"],
                "chat_js_css_at_most_150kb": chat["js_css_bytes"] <= ASSET_BUDGET_BYTES,
            }
            for name in pages:
                fp, fcp = result[name]["first_paint_ms"], result[name]["first_contentful_paint_ms"]
                print(
                    f"{name}: first paint p50 {fp['p50']} ms, p95 {fp['p95']} ms; "
                    f"FCP p50 {fcp['p50']} ms, p95 {fcp['p95']} ms ({runs} cold loads)",
                    file=sys.stderr,
                )
            print(target_line(target), file=sys.stderr)
        finally:
            browser.close()
    return result
