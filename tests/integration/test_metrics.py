"""Operators see the gateway through /metrics: guarded by a token, counting what the relay does."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp.test_utils import unused_port
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.emulator_settings import operation
from tests.support.escalation import escalate
from tests.support.gateway import GatewayFactory, SettingsFactory
from tests.support.matrix import both_apis

Connect = Callable[..., Awaitable[CustomerSocket]]


def _value(text: str, metric: str) -> float:
    found = re.search(rf"^{re.escape(metric)} ([0-9.e+-]+)$", text, re.MULTILINE)
    assert found, f"{metric} not in metrics"
    return float(found[1])


@both_apis
async def test_metrics_need_the_token_and_count_a_conversation(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator, http: aiohttp.ClientSession, cc_api: str
) -> None:
    gateway = await start_gateway(metrics={"token": "ops-secret"})
    url = gateway.make_url("/metrics")
    async with http.get(url) as resp:
        assert resp.status == 401
    async with http.get(url, headers={"Authorization": "Bearer "}) as resp:
        assert resp.status == 401
    c = await connect(gateway)
    await c.start()
    await c.say("hello")
    await c.expect("message", author="bot")
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    await c.say("to the agent")
    await cc.wait_for_message(cid, "to the agent")
    await cc.agent_send(cid, "to the customer")
    await c.until("message", author="agent")
    async with http.get(url, headers={"Authorization": "Bearer ops-secret"}) as resp:
        assert resp.status == 200
        text = await resp.text()
    assert _value(text, 'gateway_conversations{state="agent"}') == 1
    assert _value(text, 'gateway_messages_relayed_total{direction="customer_to_bot"}') == 2
    assert _value(text, 'gateway_messages_relayed_total{direction="agent_to_customer"}') == 1
    assert _value(text, 'gateway_escalations_total{outcome="created",reason=""}') == 1
    agent_line = "cgw_MESSAGE" if cc_api == "chat_gateway" else "TEXT"
    assert _value(text, f'gateway_webhook_events_total{{event_type="{agent_line}",result="accepted"}}') == 1
    assert _value(text, 'gateway_bot_answers_total{result="handoff"}') == 1
    assert _value(text, "gateway_outbox_depth") == 0
    create = operation(cc_api, "create_conversation")
    assert f'gateway_chat_api_call_seconds_count{{operation="{create}",status="202"}} 1.0' in text


async def test_without_a_token_metrics_are_refused_and_a_separate_port_serves_them(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    closed = await aiohttp_server(build_app(make_settings()))
    for header in ("", "Bearer", "Bearer x"):
        async with http.get(closed.make_url("/metrics"), headers={"Authorization": header}) as resp:
            assert resp.status == 401
            assert "GATEWAY_METRICS__TOKEN" in (await resp.json())["detail"]
    port = unused_port()
    await aiohttp_server(build_app(make_settings(metrics={"port": port})))
    async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
        assert resp.status == 200
        assert "gateway_outbox_depth" in await resp.text()
