"""The whole escalation against a REAL Rasa 3.6.21 (examples/rasa): keeps the stand-in honest.

Covered here with the real server: the round trip in both hand-back modes (``trigger_intent`` for Rasa Open
Source, ``message`` as Rasa Pro CALM needs it, which Rasa Open Source handles the same way through its
``agent_left`` rule), the bot asking the gateway for availability before it promises a person (and staying in
charge out of hours), and a resume that fails for a while being retried until Rasa takes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer

from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.flaky_proxy import FlakyProxy
from tests.support.rasa_flow import rasa_escalation_round_trip
from tests.support.real_rasa import GatewayStarter, RasaServer

pytestmark = [pytest.mark.real_rasa, pytest.mark.timeout(180)]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

OPERATOR = {"Authorization": "Bearer ops"}  # /readyz gives its reasons to the metrics token only


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def tracker(http: aiohttp.ClientSession, rasa: RasaServer, conv: str) -> dict[str, object]:
    url = f"{rasa.url}/conversations/{conv}/tracker"
    async with http.get(url, params={"token": rasa.token, "include_events": "NONE"}) as resp:
        assert resp.status == 200
        state: dict[str, object] = await resp.json()
        return state


@pytest.mark.parametrize("mode", ["trigger_intent", "message"])
async def test_escalation_with_real_rasa(
    start_gateway_for: GatewayStarter, cc: Emulator, http: aiohttp.ClientSession, mode: str
) -> None:
    gateway = await start_gateway_for(bot={"handback_mode": mode})
    c = CustomerSocket(await http.ws_connect(gateway.make_url("/chat/ws")))

    await rasa_escalation_round_trip(c, cc)


async def test_out_of_hours_the_bot_says_when_agents_are_back_and_stays(
    start_gateway_for: GatewayStarter,
    cc: Emulator,
    http: aiohttp.ClientSession,
    rasa_server: RasaServer,
) -> None:
    other_day = DAYS[(datetime.now(UTC).weekday() + 3) % 7]
    gateway = await start_gateway_for(hours={"weekly": f"{other_day} 09:00-10:00", "timezone": "UTC"})
    c = CustomerSocket(await http.ws_connect(gateway.make_url("/chat/ws")))
    await c.start(customer={"name": "Ann"})

    await c.say("I want to talk to a human")
    answer = await c.bot_says(timeout=30)

    day = {
        "mon": "Monday",
        "tue": "Tuesday",
        "wed": "Wednesday",
        "thu": "Thursday",
        "fri": "Friday",
        "sat": "Saturday",
        "sun": "Sunday",
    }[other_day]
    assert answer["text"] == (
        f"No agent can take your chat right now; they are back on {day} at 09:00 (UTC). "
        "I'm here to help meanwhile."
    )
    await c.silent(0.5)  # no "connecting you", no closed notice, no state change: one clear line
    assert cc.conversation_ids() == []
    assert c.conversation_id is not None
    assert (await tracker(http, rasa_server, c.conversation_id))["paused"] is False
    await c.say("hello")
    assert (await c.bot_says(timeout=30))["text"].startswith("Hi!")


async def test_failed_resume_is_retried_until_rasa_takes_it(
    start_gateway_for: GatewayStarter,
    cc: Emulator,
    http: aiohttp.ClientSession,
    rasa_server: RasaServer,
    aiohttp_server: AiohttpServer,
) -> None:
    proxy = FlakyProxy(rasa_server.url)
    front = await aiohttp_server(proxy.app())
    gateway = await start_gateway_for(
        bot={"url": str(front.make_url("/")), "resume_retry_base_s": 0.2, "resume_retry_cap_s": 0.5},
        metrics={"token": "ops"},
    )
    c = CustomerSocket(await http.ws_connect(gateway.make_url("/chat/ws")))
    await c.start(customer={"name": "Ann"})
    await c.say("I want to talk to a human")
    await c.until("state", state="queued", timeout=30)
    cid = await cc.wait_for(lambda: next(iter(cc.conversation_ids()), None))
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    assert c.conversation_id is not None
    conv = c.conversation_id

    proxy.api_down = True  # Rasa's HTTP API answers 503 for a while (e.g. a rolling restart)
    await cc.agent_leave(cid)
    await c.until("state", state="bot")
    await asyncio.sleep(0.5)

    async with http.get(gateway.make_url("/readyz"), headers=OPERATOR) as resp:
        body = await resp.json()
    assert resp.status == 503
    assert "still paused in Rasa" in body["detail"]
    assert (await tracker(http, rasa_server, conv))["paused"] is True
    assert len(proxy.refused) >= 2  # the first try and at least one retry

    proxy.api_down = False
    for _ in range(100):
        if (await tracker(http, rasa_server, conv))["paused"] is False:
            break
        await asyncio.sleep(0.1)
    assert (await tracker(http, rasa_server, conv))["paused"] is False
    async with http.get(gateway.make_url("/metrics"), headers={"Authorization": "Bearer ops"}) as resp:
        metrics = await resp.text()
    assert 'gateway_bot_resumes_total{result="retried_ok"} 1.0' in metrics
    await c.say("hello")
    assert (await c.until("message", author="bot", timeout=30))["text"].startswith("Hi!")
