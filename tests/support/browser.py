"""For browser tests: where Chromium, axe-core and the screenshots are, how a missing one is reported, the
demo shop page the widget is embedded in, and ``Screenshots`` (what the ``shots`` fixture gives)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Page

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "browser"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

HostPage = Callable[[str], Awaitable[str]]
"""``await host_page('data-lang="ar"')``: the URL of the demo shop on another origin, embedding the widget."""
DEMO_PAGE = ROOT / "gateway" / "channels" / "web" / "static" / "index.html"
DEMO_TAG = '<script src="/widget.js" data-title="Help" async>'


def unavailable(reason: str) -> NoReturn:
    """Skip the test, saying why; fail instead when ``CI`` is set (a quietly skipped browser proves nothing)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


class Screenshots:
    """``await shots(page, "queued")`` saves ``NN-queued.png`` in the test's own folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def __call__(self, page: Page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        await page.screenshot(path=str(path))
        return path
