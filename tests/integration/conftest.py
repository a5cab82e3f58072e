"""Fixtures for escalation tests: the 8x8 emulator and a gateway wired to it, both on real ports.

A test that starts a gateway with ``start_gateway`` says which 8x8 API it escalates to (``cc_api``:
``chat_api`` = Chat API v2, ``chat_gateway`` = its successor) with ``@both_apis``, ``@chat_api_only`` or
``@chat_gateway_only`` from ``tests/support/matrix.py``; one emulator serves both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer, unused_port
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from tests.support.action_server import running_action_server
from tests.support.customer import CustomerSocket
from tests.support.emulator_settings import api_settings
from tests.support.gateway import GatewayFactory, SettingsFactory


@pytest.fixture
def cc_api() -> str:
    """Which 8x8 API the gateway escalates to: the test parametrises it, so it is never this fixture."""
    pytest.fail(
        "say which 8x8 API at the test: @both_apis, @chat_api_only or @chat_gateway_only (tests.support.matrix)"
    )


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(mode="manual", retry_scale=0.01, delivery_timeout=2.0)


@pytest.fixture
async def cc(emulator_config: EmulatorConfig) -> AsyncIterator[Emulator]:
    """The contact center: a real 8x8 Chat API emulator on a free port, driven as the agent."""
    async with running_emulator(emulator_config) as emulator:
        yield emulator


@pytest.fixture
def start_gateway(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, cc: Emulator, cc_api: str
) -> GatewayFactory:
    """Start a gateway wired to the emulator's ``cc_api``; call again with the same port to restart it on the
    same store. Settings given as keywords win (``contact_center``, ``chat_api``, ``chat_gateway`` included)."""

    async def start(port: int | None = None, **overrides: Any) -> TestServer:
        port = port or unused_port()
        if "chat_api" not in overrides and "chat_gateway" not in overrides:
            overrides = {**api_settings(cc, cc_api), **overrides}
        overrides.setdefault("relay", {"retry_base_s": 0.05, "retry_cap_s": 0.3})
        settings = make_settings(public_url=f"http://127.0.0.1:{port}", **overrides)
        return await aiohttp_server(build_app(settings), port=port)

    return start


@pytest.fixture
async def escalating_gateway(start_gateway: GatewayFactory) -> TestServer:
    return await start_gateway()


@pytest.fixture
def new_customer(
    escalating_gateway: TestServer, connect: Callable[..., Awaitable[CustomerSocket]]
) -> Callable[..., Awaitable[CustomerSocket]]:
    async def make() -> CustomerSocket:
        return await connect(escalating_gateway)

    return make


@pytest.fixture(scope="session")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real rasa-sdk action server running ``bot_actions``."""
    with running_action_server(tmp_path_factory.mktemp("action_server") / "server.log") as url:
        yield url
