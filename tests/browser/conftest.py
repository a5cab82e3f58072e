"""Browser-test fixtures: real Chromium (Debian's ``chromium``) driven by Playwright, the gateway wired to
the 8x8 emulator in manual mode (the agent is played on the emulator's console page, or by the test
through the emulator handle), and screenshots of the steps under ``test-output/browser/<test>/``.

Without Chromium, Playwright or axe-core the tests skip and say why, except when ``CI`` is set: there
they fail, because a CI run that quietly skipped the browser would prove nothing.
``scripts/install-browser`` installs all three (axe-core with ``npm ci`` from package-lock.json).
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer, unused_port
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from tests.conftest import SettingsFactory
from tests.integration.conftest import chat_api_settings, chat_gateway_settings

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
ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "browser"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


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
def axe_script() -> Path:
    """axe-core's browser build, from node_modules (``npm ci`` installs the version package-lock.json pins)."""
    if not AXE.is_file():
        unavailable(f"no axe-core at {AXE}: run scripts/install-browser")
    return AXE


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


@pytest.fixture
async def cgw_shop(aiohttp_server: AiohttpServer, make_settings: SettingsFactory, cc: Emulator) -> TestServer:
    """The demo shop's gateway escalating to the emulator's Chat Gateway (typing, read receipts, files)."""
    port = unused_port()
    settings = make_settings(
        public_url=f"http://127.0.0.1:{port}",
        contact_center="chat_gateway",
        chat_gateway=chat_gateway_settings(cc),
        relay={"retry_base_s": 0.05, "retry_cap_s": 0.3},
    )
    return await aiohttp_server(build_app(settings, demo_page=True), port=port)


HostPage = Callable[[str], Awaitable[str]]
DEMO_PAGE = ROOT / "gateway" / "channels" / "web" / "static" / "index.html"
DEMO_TAG = '<script src="/widget.js" data-title="Help" async>'


@pytest.fixture
async def host_page(aiohttp_server: AiohttpServer, shop: TestServer) -> HostPage:
    """``await host_page('data-lang="ar"')``: the URL of the demo shop on a site of its own (another
    origin), embedding the gateway's widget with these extra data-attributes on its script tag."""
    pages: dict[str, str] = {}

    async def serve(request: web.Request) -> web.Response:
        return web.Response(text=pages[request.match_info["name"]], content_type="text/html")

    app = web.Application()
    app.router.add_get("/{name}", serve)
    server = await aiohttp_server(app)

    async def make(attributes: str) -> str:
        tag = f'<script src="{shop.make_url("/widget.js")}" data-title="Help" {attributes} async>'
        name = f"shop-{len(pages)}"
        pages[name] = DEMO_PAGE.read_text().replace(DEMO_TAG, tag)
        return str(server.make_url(f"/{name}"))

    return make


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
