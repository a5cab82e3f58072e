"""Shared fixtures: the gateway on a real port with its own SQLite file, and customers on real sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from config.settings import Settings
from gateway.app import build_app
from tests.support.customer import CustomerSocket

SettingsFactory = Callable[..., Settings]
CustomerFactory = Callable[..., Awaitable[CustomerSocket]]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "gateway.db"


@pytest.fixture
def make_settings(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> SettingsFactory:
    """Settings for tests: none read from the machine's environment or a .env file."""
    import os

    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)

    def make(**overrides: Any) -> Settings:
        overrides.setdefault("store", {"url": f"sqlite:///{db_path}", "synchronous": "normal"})
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
