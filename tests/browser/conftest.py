"""Browser-test fixtures: real Chromium (Debian's ``chromium``) driven by Playwright, the gateway wired to
the 8x8 emulator in manual mode (the agent is played on the emulator's console page, or by the test
through the emulator handle), and screenshots of the steps under ``test-output/browser/<test>/``.

Without Chromium or Playwright the tests skip and say why, except when ``CI`` is set: there they fail,
because a CI run that quietly skipped the browser would prove nothing. ``scripts/install-browser``
installs both.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
from aiohttp.test_utils import TestServer, unused_port
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from tests.conftest import SettingsFactory
from tests.integration.conftest import chat_api_settings

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

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
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def chromium_path() -> Path:
    if not CHROMIUM.is_file():
        unavailable(f"no Chromium at {CHROMIUM}: run scripts/install-browser")
    return CHROMIUM


@pytest.fixture
async def browser(chromium_path: Path) -> AsyncIterator[Browser]:
    """A fresh headless Chromium per test (it starts in well under a second)."""
    try:
        api = importlib.import_module("playwright.async_api")
    except ImportError:
        unavailable("Playwright is not installed: run scripts/install-browser")
    async with api.async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def cc() -> AsyncIterator[Emulator]:
    """The 8x8 emulator in manual mode: agents act only when the test (or its console) says so."""
    async with running_emulator(
        EmulatorConfig(mode="manual", retry_scale=0.01, delivery_timeout=2.0)
    ) as emulator:
        yield emulator


@pytest.fixture
async def shop(aiohttp_server: AiohttpServer, make_settings: SettingsFactory, cc: Emulator) -> TestServer:
    """The gateway serving the demo shop page (``/``) and the widget, escalating to the emulator."""
    port = unused_port()
    settings = make_settings(
        public_url=f"http://127.0.0.1:{port}",
        chat_api=chat_api_settings(cc),
        relay={"retry_base_s": 0.05, "retry_cap_s": 0.3},
    )
    return await aiohttp_server(build_app(settings, demo_page=True), port=port)


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


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    folder = OUTPUT / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Screenshots(folder)
