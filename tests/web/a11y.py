"""An axe-core audit of a Playwright page, with the vendored ``vendor/axe.min.js`` (nothing is
fetched at test time, and the app never serves it).

The pages send ``script-src 'self'``, so ``page.add_script_tag(content=...)`` (an inline
``<script>``) is refused unless the context was made with ``bypass_csp=True``, which would also
switch off the very policy the other checks rely on.  ``page.evaluate`` of the source runs it
through the DevTools protocol, which no page policy governs: the audit works in the same
context as the test, CSP left on.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")

RUN = """async (options) => {
  const result = await window.axe.run(document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || ''})),
  }));
}"""


@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page: Any, *, impacts: tuple[str, ...] = BLOCKING, rules: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now: those of the given impacts, and those of the
    given rule ids whatever their impact."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found: list[dict[str, Any]] = page.evaluate(RUN, {"resultTypes": ["violations"]})
    return [v for v in found if v["impact"] in impacts or v["id"] in rules]


def report(found: list[dict[str, Any]]) -> str:
    """One line per violation and node: readable in a failed assertion."""
    lines = []
    for v in found:
        for n in v["nodes"]:
            detail = " ".join(n["summary"].split())
            lines.append(f"[{v['impact']}] {v['id']}: {v['help']} at {n['target']}: {detail}")
    return "\n".join(lines)


def assert_no_serious(page: Any, where: str, *, rules: tuple[str, ...] = ()) -> None:
    """No serious or critical violation, nor any of ``rules`` (ids of lesser impact that a
    page has been cleared of and must stay clear of)."""
    found = violations(page, rules=rules)
    assert not found, f"{where}:\n{report(found)}"
