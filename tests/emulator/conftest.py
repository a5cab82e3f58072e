"""Contract tests of the 8x8 Chat API emulator, over real HTTP.

The emulator runs on a free port (the shipped pytest plugin's ``emulator`` fixture, or ``running_emulator``
for other settings); a webhook receiver runs on another (pytest-aiohttp's ``aiohttp_server``) and records
every delivery with its raw body, headers and arrival time. ``Api`` is a deliberately naive client: these
tests must not borrow the gateway's own 8x8 client, or a shared mistake would pass unnoticed. The clients and
the receiver live in ``tests/support/emulator_api.py`` and ``tests/support/webhook_receiver.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from gateway.emulator.handle import Emulator
from tests.support.emulator_api import Api, GatewayApi
from tests.support.webhook_receiver import Receiver


@pytest.fixture
async def receiver(aiohttp_server: AiohttpServer) -> Receiver:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    server: TestServer = await aiohttp_server(app)
    rec.url = str(server.make_url("/hook"))
    return rec


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def api(session: aiohttp.ClientSession, emulator: Emulator) -> Api:
    return Api(session, emulator)


@pytest.fixture
def cgw(session: aiohttp.ClientSession, emulator: Emulator) -> GatewayApi:
    return GatewayApi(session, emulator)
