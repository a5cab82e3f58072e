"""Fixtures for escalation tests: the 8x8 emulator and a gateway wired to it, both on real ports.

Every test that starts a gateway with ``start_gateway`` runs twice, once per 8x8 API the gateway can
escalate to (``cc_api``: ``chat_api`` = Chat API v2, ``chat_gateway`` = its successor); one emulator serves
both. A test about one API's particulars says so with ``@pytest.mark.apis("chat_api")``.
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
from tests.conftest import SettingsFactory
from tests.support.action_server import running_action_server
from tests.support.customer import CustomerSocket

GatewayFactory = Callable[..., Awaitable[TestServer]]

APIS = ("chat_api", "chat_gateway")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "apis(*names): run only against these 8x8 APIs (default: both)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "cc_api" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("apis")
        metafunc.parametrize("cc_api", marker.args if marker else APIS)


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


def chat_gateway_settings(cc: Emulator, **overrides: Any) -> dict[str, Any]:
    """Chat Gateway on the emulator. Its events carry no agent names: the directory is the emulator's agents."""
    return {
        "base_url": cc.base_url,
        "api_key": cc.config.chat_gateway_api_key,
        "tenant": cc.tenant_id,
        "queue_id": "101",
        "queues": ["102"],
        # The operator names agents as customers should see them (8x8 sends "First,Last" on the Chat API).
        "agent_names": {agent.id: agent.name.split(",")[0] for agent in cc.config.agents},
        **overrides,
    }


def api_settings(cc: Emulator, api: str) -> dict[str, Any]:
    """The settings that point a gateway at ``api`` (and only at it) on the emulator."""
    if api == "chat_gateway":
        return {"contact_center": "chat_gateway", "chat_gateway": chat_gateway_settings(cc)}
    return {"contact_center": "chat_api", "chat_api": chat_api_settings(cc)}


def operation(api: str, name: str) -> str:
    """The emulator's name of an operation (for ``fail_next``) on ``api``."""
    return f"cgw_{name}" if api == "chat_gateway" else name


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


async def escalate(c: CustomerSocket, cc: Emulator, *, text: str = "I want to talk to an agent") -> str:
    """Take a started customer to ``queued``; return the contact-center conversation id."""
    await c.say(text)
    await c.until("state", state="escalating")
    await c.until("state", state="queued")  # the create was accepted; 8x8's QUEUED then names the queue
    queued = await c.until("state", state="queued")
    assert queued["queue"] == {"id": "101", "name": "Billing"}
    mine = c.conversation_id
    assert mine is not None
    ids = await cc.wait_for(lambda: conversations_of(cc, mine))
    assert len(ids) == 1
    return str(ids[0])


def owner(view: dict[str, Any]) -> str | None:
    """The gateway conversation an emulator conversation belongs to (v2 ``customerId``, Chat Gateway ``userId``)."""
    user = view.get("user") or {}
    customer = view.get("customer") or {}
    return user.get("userId") or customer.get("customerId")


def conversations_of(cc: Emulator, conversation_id: str) -> list[str]:
    return [i for i in cc.conversation_ids() if owner(cc.conversation(i)) == conversation_id]


@pytest.fixture(scope="session")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real rasa-sdk action server running ``bot_actions``."""
    with running_action_server(tmp_path_factory.mktemp("action_server") / "server.log") as url:
        yield url
