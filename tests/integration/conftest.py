"""Fixtures for escalation tests: the 8x8 emulator and a gateway wired to it, both on real ports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer, unused_port
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from tests.conftest import SettingsFactory
from tests.support.action_server import running_action_server
from tests.support.customer import CustomerSocket

GatewayFactory = Callable[..., Awaitable[TestServer]]


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(mode="manual", retry_scale=0.01, delivery_timeout=2.0)


@pytest.fixture
async def cc(emulator_config: EmulatorConfig) -> AsyncIterator[Emulator]:
    """The contact center: a real 8x8 Chat API emulator on a free port, driven as the agent."""
    async with running_emulator(emulator_config) as emulator:
        yield emulator


def chat_api_settings(cc: Emulator, **overrides: Any) -> dict[str, Any]:
    return {
        "base_url": cc.base_url,
        "region": cc.region,
        "tenant_id": cc.tenant_id,
        "api_key": cc.api_key,
        "api_secret": cc.api_secret,
        "queue_id": "101",
        "queues": ["102"],
        **overrides,
    }


@pytest.fixture
def start_gateway(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, cc: Emulator
) -> GatewayFactory:
    """Start a gateway wired to the emulator; call again with the same port to restart it on the same store."""

    async def start(port: int | None = None, **overrides: Any) -> TestServer:
        port = port or unused_port()
        overrides.setdefault("chat_api", chat_api_settings(cc))
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


async def escalate(c: CustomerSocket, cc: Emulator, *, text: str = "I want to talk to an agent") -> str:
    """Take a started customer to ``queued``; return the contact-center conversation id."""
    await c.say(text)
    await c.until("state", state="escalating")
    await c.until("state", state="queued")  # the create was accepted; 8x8's QUEUED then names the queue
    queued = await c.until("state", state="queued")
    assert queued["queue"] == {"id": "101", "name": "Billing"}
    ids = await cc.wait_for(
        lambda: [
            i
            for i in cc.conversation_ids()
            if cc.conversation(i)["customer"].get("customerId") == c.conversation_id
        ]
    )
    assert len(ids) == 1
    return str(ids[0])


@pytest.fixture(scope="session")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real rasa-sdk action server running ``bot_actions``."""
    with running_action_server(tmp_path_factory.mktemp("action_server") / "server.log") as url:
        yield url
