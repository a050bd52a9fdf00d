"""Where browser tests keep what they leave for people to look at (screenshots, figures):
``$TEST_ARTIFACTS_DIR`` when set, else ``var/test-artifacts/`` in the repository (git-ignored
with the rest of ``var/``).  One place, so CI can collect one directory."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DESKTOP = {"width": 1366, "height": 768}  # the desktop width (issue 18)
PHONE = {"width": 390, "height": 800}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def artifacts_dir() -> Path:
    """The artifacts directory, created if missing."""
    configured = os.environ.get("TEST_ARTIFACTS_DIR", "").strip()
    path = Path(configured) if configured else REPO / "var" / "test-artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """A PNG of the page as it is now, as ``<name>.png`` (unsafe characters made ``-``)."""
    path = artifacts_dir() / (_UNSAFE.sub("-", name).strip("-") + ".png")
    page.screenshot(path=str(path), full_page=full_page)
    return path
