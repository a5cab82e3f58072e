"""``GET /bot/availability`` and ``action_check_agent_availability``: the bot asks before it promises a person,
so out of hours the customer reads when agents are back instead of "connecting you..." followed by "closed".
The gateway runs on a real port against the 8x8 emulator; the action runs in rasa-sdk's executor and asks
that gateway over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer
from rasa_sdk.executor import ActionExecutor

from bot_actions import ActionCheckAgentAvailability, BotActionsConfig
from gateway.app import build_app
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from gateway.relay.hours import BusinessHours
from tests.bot_actions.builders import action_call
from tests.support.emulator_settings import chat_gateway_settings
from tests.support.gateway import SettingsFactory

TOKEN = "bot-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def other_day_hours() -> dict[str, str]:
    """Hours that are certainly closed now: one hour on a day three days away."""
    return {"weekly": f"{DAYS[(datetime.now(UTC).weekday() + 3) % 7]} 09:00-10:00", "timezone": "UTC"}


@pytest.fixture
async def cc() -> AsyncIterator[Emulator]:
    async with running_emulator(EmulatorConfig(mode="manual", retry_scale=0.01)) as emulator:
        yield emulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def start(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, cc: Emulator | None, **overrides: Any
) -> TestServer:
    from aiohttp.test_utils import unused_port

    port = unused_port()
    if cc is not None:
        overrides = {"contact_center": "chat_gateway", "chat_gateway": chat_gateway_settings(cc), **overrides}
    settings = make_settings(public_url=f"http://127.0.0.1:{port}", bot={"token": TOKEN}, **overrides)
    return await aiohttp_server(build_app(settings), port=port)


async def ready(http: aiohttp.ClientSession, gateway: TestServer) -> None:
    for _ in range(100):
        async with http.get(gateway.make_url("/readyz")) as resp:
            if resp.status == 200:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the gateway never got ready")


async def ask(http: aiohttp.ClientSession, gateway: TestServer, query: str = "", **headers: str) -> Any:
    async with http.get(gateway.make_url("/bot/availability" + query), headers=headers or AUTH) as resp:
        return resp.status, resp.content_type, await resp.json(content_type=None)


async def test_open_with_a_ready_contact_center_is_available(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    gateway = await start(aiohttp_server, make_settings, cc)
    await ready(http, gateway)

    assert await ask(http, gateway) == (
        200,
        "application/json",
        {
            "queue_id": "101",
            "available": True,
            "reason": "open",
            "open_now": True,
            "next_open": None,
            "next_open_text": None,
            "hours": None,
        },
    )
    assert (await ask(http, gateway, "?queue_id=102"))[2]["queue_id"] == "102"
    # A queue that is not configured: a handoff naming it goes to the default queue, so that is the answer.
    assert (await ask(http, gateway, "?queue_id=vip"))[2]["queue_id"] == "101"


async def test_closed_says_when_agents_are_back(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    hours = other_day_hours()
    gateway = await start(aiohttp_server, make_settings, cc, hours=hours)
    await ready(http, gateway)
    expected = BusinessHours.parse(hours["weekly"], "UTC")

    status, _, body = await ask(http, gateway)

    assert status == 200
    assert (body["available"], body["reason"], body["open_now"]) == (False, "closed", False)
    assert datetime.fromisoformat(body["next_open"]) == expected.next_open(datetime.now(UTC).timestamp())
    assert body["next_open_text"].startswith("on ")
    assert body["next_open_text"].endswith(" at 09:00 (UTC)")
    assert body["hours"] == expected.describe()


async def test_without_a_contact_center_nobody_is_available(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    gateway = await start(aiohttp_server, make_settings, None)

    status, _, body = await ask(http, gateway)

    assert status == 200
    assert (body["available"], body["reason"]) == (False, "no_contact_center")


async def test_contact_center_not_set_up_yet_is_not_available(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    # A key the emulator refuses: set-up with the Chat Gateway cannot finish.
    gateway = await start(
        aiohttp_server, make_settings, cc, chat_gateway=chat_gateway_settings(cc, api_key="x")
    )

    status, _, body = await ask(http, gateway)

    assert status == 200
    assert (body["available"], body["reason"]) == (False, "contact_center_unavailable")


@pytest.mark.parametrize(
    ("query", "headers", "status", "code"),
    [
        ("", {"Authorization": "Bearer wrong"}, 401, "unauthorized"),
        ("", {"X-Nothing": "1"}, 401, "unauthorized"),
        ("?queue=101", AUTH, 422, "invalid_frame"),
    ],
)
async def test_bad_requests_get_a_precise_problem(
    aiohttp_server: AiohttpServer,
    make_settings: SettingsFactory,
    cc: Emulator,
    http: aiohttp.ClientSession,
    query: str,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    gateway = await start(aiohttp_server, make_settings, cc)

    got_status, content_type, body = await ask(http, gateway, query, **headers)

    assert (got_status, content_type, body["code"]) == (status, "application/problem+json", code)
    assert TOKEN not in str(body)


async def test_without_a_bot_token_the_endpoint_refuses_and_says_why(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    gateway = await aiohttp_server(build_app(make_settings()))

    status, _, body = await ask(http, gateway, **{"Authorization": "Bearer "})

    assert (status, body["code"]) == (401, "unauthorized")
    assert "GATEWAY_BOT__TOKEN" in body["detail"]


# --- the action, asking a real gateway ------------------------------------------------------------------


async def run_check(config: BotActionsConfig, **call: Any) -> list[tuple[str, Any]]:
    executor = ActionExecutor()
    executor.register_action(ActionCheckAgentAvailability(config))
    result = await executor.run(action_call("action_check_agent_availability", **call))
    assert result is not None
    return [(e["name"], e["value"]) for e in result.model_dump()["events"]]


async def test_action_sets_the_slots_from_the_gateway(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    gateway = await start(aiohttp_server, make_settings, cc, hours=other_day_hours())
    await ready(http, gateway)
    config = BotActionsConfig(gateway_url=str(gateway.make_url("/")), gateway_token=TOKEN)

    slots = await run_check(config, metadata={"queue_id": "102"})

    assert slots[0] == ("agents_available", False)
    assert slots[1][0] == "agents_next_open"
    assert slots[1][1].endswith(" at 09:00 (UTC)")


async def test_action_with_agents_there(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    gateway = await start(aiohttp_server, make_settings, cc)
    await ready(http, gateway)
    config = BotActionsConfig(gateway_url=str(gateway.make_url("/")), gateway_token=TOKEN)

    assert await run_check(config) == [("agents_available", True), ("agents_next_open", None)]


async def test_action_without_a_gateway_url_does_not_ask_and_lets_the_handoff_go_ahead() -> None:
    assert await run_check(BotActionsConfig()) == [("agents_available", True), ("agents_next_open", None)]


@pytest.mark.parametrize("token", ["wrong", ""])
async def test_action_that_cannot_ask_answers_no_agent(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, cc: Emulator, token: str
) -> None:
    gateway = await start(aiohttp_server, make_settings, cc)
    config = BotActionsConfig(gateway_url=str(gateway.make_url("/")), gateway_token=token)

    assert await run_check(config) == [("agents_available", False), ("agents_next_open", "later")]
