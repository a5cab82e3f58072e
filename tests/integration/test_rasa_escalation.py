"""Escalation with a Rasa bot: the gateway, a byte-faithful Rasa stand-in, the real action server, the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
from pytest_aiohttp import AiohttpServer

from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.gateway import GatewayFactory
from tests.support.matrix import chat_api_only
from tests.support.rasa_flow import rasa_escalation_round_trip
from tests.support.rasa_standin import RasaStandIn

TOKEN = "gateway-test-token"

# @chat_api_only at each test: the bot side is the same whichever 8x8 API escalations use


@chat_api_only
async def test_escalation_crosses_the_real_rasa_sdk_boundary(
    aiohttp_server: AiohttpServer,
    action_server: str,
    start_gateway: GatewayFactory,
    connect: Callable[..., Awaitable[CustomerSocket]],
    cc: Emulator,
) -> None:
    rasa = RasaStandIn(action_server, token=TOKEN)
    rasa_server = await aiohttp_server(rasa.app())
    gateway = await start_gateway(bot={"url": str(rasa_server.make_url("/")), "token": TOKEN})
    c = await connect(gateway)
    await rasa_escalation_round_trip(c, cc)

    webhook_calls = [r.body for r in rasa.requests_to("/webhooks/rest/webhook")]
    assert all(body["sender"] == c.conversation_id for body in webhook_calls)
    assert webhook_calls[0]["metadata"]["customer"]["name"] == "Ann Rasa"
    assert not any(body["message"] == "while the agent is here" for body in webhook_calls)
    resumes = [r.body for r in rasa.requests_to(f"/conversations/{c.conversation_id}/tracker/events")]
    assert resumes == [[{"event": "resume"}, {"event": "action", "name": "action_listen"}]]
    trigger = rasa.requests_to(f"/conversations/{c.conversation_id}/trigger_intent")[0]
    assert trigger.body["name"] == "agent_left"
    assert trigger.body["entities"]["outcome"] == "completed"
    assert trigger.body["entities"]["agent_name"] == "Alice"


@chat_api_only
async def test_readiness_names_the_bot_when_rasa_is_down(
    aiohttp_server: AiohttpServer,
    action_server: str,
    start_gateway: GatewayFactory,
    http: aiohttp.ClientSession,
) -> None:
    from aiohttp.test_utils import unused_port

    rasa_server = await aiohttp_server(RasaStandIn(action_server, token=TOKEN).app())
    up = await start_gateway(bot={"url": str(rasa_server.make_url("/")), "token": TOKEN})
    for _ in range(50):
        async with http.get(up.make_url("/readyz")) as resp:
            if resp.status == 200:
                break
        await asyncio.sleep(0.05)
    assert resp.status == 200
    down = await start_gateway(
        bot={"url": f"http://127.0.0.1:{unused_port()}", "timeout_s": 1}, metrics={"token": "ops"}
    )
    async with http.get(down.make_url("/readyz"), headers={"Authorization": "Bearer ops"}) as resp:
        assert resp.status == 503
        body = await resp.json()
    assert "bot" in body["failed"]
    assert "rasa" in body["detail"]
