"""Browser-test fixtures: real Chromium (Debian's ``chromium``) driven by Playwright, the gateway wired to
the 8x8 emulator in manual mode (the agent is played on the emulator's console page, or by the test
through the emulator handle), and screenshots of the steps under ``test-output/browser/<test>/``.

Without Chromium, Playwright or axe-core the tests skip and say why, except when ``CI`` is set: there
they fail, because a CI run that quietly skipped the browser would prove nothing. The ``browser`` and
``chromium_path`` fixtures are in ``tests/conftest.py`` (the emulator's console test uses them too).
``scripts/install-browser`` installs all three (axe-core with ``npm ci`` from package-lock.json).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer, unused_port
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from tests.support.browser import AXE, DEMO_PAGE, DEMO_TAG, OUTPUT, HostPage, Screenshots, unavailable
from tests.support.emulator_settings import chat_api_settings, chat_gateway_settings
from tests.support.gateway import SettingsFactory


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")


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


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    folder = OUTPUT / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Screenshots(folder)
