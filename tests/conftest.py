"""Shared fixtures: the gateway on a real port with its own store, and customers on real sockets.

The store is SQLite unless a test says ``@both_stores`` (``tests/support/matrix.py``) or parametrises
``store_kind`` with ``"redis"``: then it is a real ``redis-server`` of the test session's own (emptied for
every test) on a free port. ``browser`` is a headless Chromium for the browser tests (and the emulator's
console test). Helpers live in ``tests/support``; no test imports a conftest.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.settings import Settings
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, unavailable
from tests.support.customer import CustomerSocket
from tests.support.gateway import CustomerFactory, SettingsFactory
from tests.support.redis_server import RedisServer

if TYPE_CHECKING:
    from playwright.async_api import Browser


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "gateway.db"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the session's tests that only need a Redis (not its durability)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), durable=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's redis-server, emptied for this test."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def store_kind() -> str:
    """``sqlite`` or ``redis``; tests parametrise it to run against both stores."""
    return "sqlite"


@pytest.fixture
def store_settings(request: pytest.FixtureRequest, store_kind: str, db_path: Path) -> dict[str, Any]:
    if store_kind == "redis":
        return {"url": request.getfixturevalue("redis_url"), "lease_s": 1.0}
    return {"url": f"sqlite:///{db_path}", "synchronous": "normal"}


@pytest.fixture
def make_settings(store_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> SettingsFactory:
    """Settings for tests: none read from the machine's environment or a .env file."""
    import os

    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)

    def make(**overrides: Any) -> Settings:
        overrides.setdefault("store", store_settings)
        return Settings(_env_file=None, **overrides)

    return make


@pytest.fixture
async def gateway(aiohttp_server: AiohttpServer, make_settings: SettingsFactory) -> TestServer:
    return await aiohttp_server(build_app(make_settings()))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def connect(http: aiohttp.ClientSession) -> Callable[..., Awaitable[CustomerSocket]]:
    async def open_socket(server: TestServer | web.Application, **kwargs: Any) -> CustomerSocket:
        assert isinstance(server, TestServer)
        ws = await http.ws_connect(server.make_url("/chat/ws"), **kwargs)
        return CustomerSocket(ws)

    return open_socket


@pytest.fixture
def customer(gateway: TestServer, connect: Callable[..., Awaitable[CustomerSocket]]) -> CustomerFactory:
    """A new customer socket on the test gateway (not yet started)."""

    async def make(**kwargs: Any) -> CustomerSocket:
        return await connect(gateway, **kwargs)

    return make


@pytest.fixture
def chromium_path() -> Path:
    """Debian's Chromium (``CHROMIUM_PATH``); without it the test skips (fails when ``CI`` is set)."""
    if not CHROMIUM.is_file():
        unavailable(f"no Chromium at {CHROMIUM}: run scripts/install-browser")
    return CHROMIUM


@pytest.fixture
async def browser(chromium_path: Path) -> AsyncIterator[Browser]:
    """A fresh headless Chromium per test, driven by Playwright (it starts in well under a second)."""
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
