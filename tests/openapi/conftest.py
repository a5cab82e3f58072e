"""A gateway wired to the 8x8 emulator on real ports, with limits high enough that generated traffic is
not all answered 429, and a metrics token so ``/metrics`` is the token-guarded variant."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer, unused_port
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from tests.support.emulator_settings import chat_api_settings, chat_gateway_settings
from tests.support.gateway import SettingsFactory
from tests.support.openapi_gateway import api_settings


@pytest.fixture
async def cc() -> AsyncIterator[Emulator]:
    async with running_emulator(
        EmulatorConfig(mode="manual", retry_scale=0.01, delivery_timeout=2.0)
    ) as emulator:
        yield emulator


@pytest.fixture
async def api_gateway(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, cc: Emulator
) -> TestServer:
    port = unused_port()
    # Both APIs: escalations go to the Chat API, and the Chat Gateway's webhook is live too.
    settings = api_settings(
        make_settings,
        port,
        contact_center="chat_api",  # with both groups given, Chat Gateway would be the default
        chat_api=chat_api_settings(cc),
        chat_gateway=chat_gateway_settings(cc),
    )
    return await aiohttp_server(build_app(settings), port=port)
