"""8x8-native hand-back (issue 22, point 2) through the strict emulator: with
``GATEWAY_CHAT_GATEWAY__HANDBACK=post_agent_assignment`` the gateway schedules a post-agent assignment to its
own webhook when an agent joins; after the agent, the bot goes on inside the same 8x8 conversation (its lines
posted as ``bot``, the customer's as ``user``, nothing re-queued), and 8x8 is told when the bot is thinking.
The default stays the gateway's own hand-back."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from pytest_aiohttp import AiohttpServer

from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.emulator_settings import chat_gateway_settings
from tests.support.escalation import escalate
from tests.support.gateway import GatewayFactory
from tests.support.matrix import chat_gateway_only
from tests.support.rasa_standin import RasaStandIn

Connect = Callable[..., Awaitable[CustomerSocket]]
HANDBACK = {
    "handback": "post_agent_assignment",
    "handback_max_total_minutes": 30,
    "handback_user_timeout_minutes": 15,
}


def _lines(cc: Emulator, cid: str) -> list[tuple[str, str]]:
    return [
        (m["authorType"], m["text"]) for m in cc.conversation(cid)["messages"] if not m.get("fromHistory")
    ]


def _posted(cc: Emulator, cid: str, suffix: str) -> list[dict[str, Any]]:
    return [
        json.loads(r.body)
        for r in cc.requests
        if r.method == "POST" and r.path.endswith(f"/conversations/{cid}/{suffix}") and r.body
    ]


async def _agent_then_bot(c: CustomerSocket, cc: Emulator) -> str:
    await c.start()
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    await cc.wait_for(lambda: cc.conversation(cid).get("postAgentAssignment"))
    await cc.agent_send(cid, "anything else?")
    await c.until("message", author="agent")
    await cc.agent_leave(cid)
    assert (await c.until("state", state="bot"))["outcome"] == "completed"
    return cid


@chat_gateway_only
async def test_after_the_agent_the_bot_goes_on_inside_the_same_8x8_conversation(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    settings = chat_gateway_settings(cc, **HANDBACK)
    c = await connect(await start_gateway(contact_center="chat_gateway", chat_gateway=settings))
    cid = await _agent_then_bot(c, cc)
    assignment = cc.conversation(cid)["postAgentAssignment"]
    assert assignment["type"] == "webhook"
    assert assignment["configuration"] == {
        "notifyChannelWebhookIfExists": "false",
        "maxTotalMinutes": 30,
        "userTimeoutInMinutes": 15,
    }
    assert (
        len(_posted(cc, cid, "post-agent-assignment")) == 1
    )  # once, though the agent's events came in several

    resumed = await c.until("message", author="bot")  # the bot's hand-back line goes to 8x8 too
    await cc.wait_for(lambda: ("bot", resumed["text"]) in _lines(cc, cid))
    await c.say("hello again")
    answer = await c.until("message", author="bot")
    await cc.wait_for(lambda: ("bot", answer["text"]) in _lines(cc, cid))
    assert ("user", "hello again") in _lines(cc, cid)
    view = cc.conversation(cid)
    assert view["state"] == "closed"  # not queued again: the bot has it
    assert len(view["interactions"]) == 1
    assert view["withBotAfterAgent"] is True

    await c.send(type="leave")
    await c.until("state", state="closed")
    left = f"/conversations/{cid}/participants/user"
    await cc.wait_for(lambda: [r for r in cc.requests if r.method == "PATCH" and r.path.endswith(left)])
    assert cc.conversation(cid)["withBotAfterAgent"] is False  # the customer's leaving ends it on 8x8 too


@chat_gateway_only
async def test_the_default_hand_back_keeps_the_bot_out_of_8x8(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    c = await connect(await start_gateway())
    await c.start()
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    await cc.agent_leave(cid)
    await c.until("state", state="bot")
    await c.say("hello again")
    await c.until("message", author="bot")
    assert cc.conversation(cid)["postAgentAssignment"] is None
    assert ("user", "hello again") not in _lines(cc, cid)


@chat_gateway_only
async def test_a_slow_bot_after_the_agent_sends_8x8s_thinking_indicator(
    aiohttp_server: AiohttpServer,
    action_server: str,
    start_gateway: GatewayFactory,
    connect: Connect,
    cc: Emulator,
) -> None:
    rasa = RasaStandIn(action_server, token="t")
    server = await aiohttp_server(rasa.app())
    settings = chat_gateway_settings(cc, **HANDBACK)
    gateway = await start_gateway(
        contact_center="chat_gateway",
        chat_gateway=settings,
        bot={"url": str(server.make_url("/")), "token": "t"},
    )
    c = await connect(gateway)
    await c.start()
    await c.say("I want to talk to a human")  # a typed /intent is escaped: words, as a customer writes
    await c.until("state", state="queued")
    cid = str((await cc.wait_for(cc.conversation_ids))[0])
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    await cc.wait_for(lambda: cc.conversation(cid).get("postAgentAssignment"))
    await cc.agent_leave(cid)
    await c.until("state", state="bot")
    await c.until("message", author="bot", timeout=15)  # the bot's hand-back line
    assert _posted(cc, cid, "thinking") == []  # a quick answer: no indicator
    rasa.webhook_delay_s = 1.0
    await c.say("hello")
    assert (await c.until("typing", author="bot"))["active"] is True
    thinking = await cc.wait_for(lambda: _posted(cc, cid, "thinking"))
    assert thinking == [{"authorType": "bot", "maxThinkingTimeSeconds": 60}]
    greeting = await c.until("message", author="bot", timeout=5)
    await cc.wait_for(lambda: ("bot", greeting["text"]) in _lines(cc, cid))
