"""A resume Rasa refuses after the agent left: the gateway retries it with backoff, /readyz and /metrics show
it meanwhile, the customer is told rather than met with silence, and start-up refuses a wrong token."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from pytest_aiohttp import AiohttpServer

from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.escalation import conversations_of
from tests.support.gateway import GatewayFactory
from tests.support.matrix import chat_api_only
from tests.support.process import failed_start_up, gateway_env
from tests.support.rasa_standin import RasaStandIn

TOKEN = "resume-test-token"
METRICS = {"Authorization": "Bearer ops"}


OPERATOR = {"Authorization": "Bearer ops"}  # /readyz gives its reasons to the metrics token only


async def metric(http: aiohttp.ClientSession, base: str, line_start: str) -> float:
    async with http.get(f"{base}/metrics", headers=METRICS) as resp:
        text = await resp.text()
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start)]
    return values[0] if values else 0.0


@chat_api_only
async def test_refused_resume_is_retried_and_visible_until_rasa_takes_it(
    aiohttp_server: AiohttpServer,
    action_server: str,
    start_gateway: GatewayFactory,
    connect: Callable[..., Awaitable[CustomerSocket]],
    cc: Emulator,
    http: aiohttp.ClientSession,
) -> None:
    rasa = RasaStandIn(action_server, token=TOKEN)
    rasa_server = await aiohttp_server(rasa.app())
    gateway = await start_gateway(
        bot={
            "url": str(rasa_server.make_url("/")),
            "token": TOKEN,
            "resume_retry_base_s": 0.1,
            "resume_retry_cap_s": 0.3,
        },
        metrics={"token": "ops"},
    )
    base = str(gateway.make_url("")).rstrip("/")
    c = await connect(gateway)
    await c.start(customer={"name": "Ann"})
    await c.say("I want to talk to a human")
    await c.until("state", state="queued", timeout=15)
    (cid,) = await cc.wait_for(lambda: conversations_of(cc, c.conversation_id or ""))
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")

    rasa.token = "rotated-token"  # Rasa restarted with another --auth-token: the resume gets 401
    await cc.agent_leave(cid)
    await c.until("state", state="bot")

    async with http.get(f"{base}/readyz", headers=OPERATOR) as resp:
        assert resp.status == 503
        body = await resp.json()
    assert body["failed"] == ["bot"]
    assert "still paused in Rasa" in body["detail"]
    assert "HTTP 401" in body["detail"]
    assert await metric(http, base, 'gateway_bot_resumes_total{result="failed"}') >= 1
    assert await metric(http, base, "gateway_bot_resumes_pending ") == 1

    await c.say("hello")  # Rasa would answer [] for a paused conversation: the customer is told instead
    told = await c.until("message", author="bot", timeout=10)
    assert told["text"] == "Sorry, the assistant is unavailable right now."

    rasa.token = TOKEN  # fixed: the next retry goes through
    for _ in range(100):
        async with http.get(f"{base}/readyz") as resp:
            if resp.status == 200:
                break
        await asyncio.sleep(0.05)
    assert resp.status == 200
    assert not rasa.trackers[c.conversation_id or ""].paused
    assert await metric(http, base, 'gateway_bot_resumes_total{result="retried_ok"}') == 1
    assert await metric(http, base, "gateway_bot_resumes_pending ") == 0
    await c.say("hello")
    again = await c.until("message", author="bot", timeout=10)
    assert again["text"] == "Hi! I'm the virtual assistant. How can I help?"


async def test_a_wrong_token_stops_start_up_with_one_line(
    aiohttp_server: AiohttpServer, action_server: str, tmp_path: Path
) -> None:
    rasa_server = await aiohttp_server(RasaStandIn(action_server, token=TOKEN).app())
    env = gateway_env(
        GATEWAY_BOT__URL=str(rasa_server.make_url("/")),
        GATEWAY_BOT__TOKEN="not-the-token",
        GATEWAY_STORE__URL=f"sqlite:///{tmp_path / 'gw.db'}",
        GATEWAY_PORT="0",
    )
    lines = await failed_start_up(env, tmp_path)
    assert len(lines) == 1, lines
    assert lines[0].endswith("GATEWAY_BOT__TOKEN: Rasa's HTTP API refused it (HTTP 401)")
    assert "not-the-token" not in lines[0]
