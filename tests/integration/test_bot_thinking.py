"""The bot is thinking (issue 22, point 4): while a slow bot (Rasa can take seconds) computes its answer, the
customer sees the assistant typing, and it stops when the answer is in; a fast bot shows nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from tests.support.customer import CustomerSocket
from tests.support.gateway import GatewayFactory
from tests.support.matrix import chat_gateway_only
from tests.support.rasa_standin import RasaStandIn

TOKEN = "gateway-test-token"

# @chat_gateway_only at each test: the bot side is the same whichever 8x8 API is in use


async def _with_rasa(
    aiohttp_server: AiohttpServer, action_server: str, start_gateway: GatewayFactory, delay_s: float
) -> tuple[RasaStandIn, TestServer]:
    rasa = RasaStandIn(action_server, token=TOKEN)
    rasa.webhook_delay_s = delay_s
    server = await aiohttp_server(rasa.app())
    gateway = await start_gateway(bot={"url": str(server.make_url("/")), "token": TOKEN})
    return rasa, gateway


@chat_gateway_only
async def test_a_slow_bot_shows_the_assistant_typing_until_its_answer(
    aiohttp_server: AiohttpServer,
    action_server: str,
    start_gateway: GatewayFactory,
    connect: Callable[..., Awaitable[CustomerSocket]],
) -> None:
    _, gateway = await _with_rasa(aiohttp_server, action_server, start_gateway, delay_s=1.0)
    c = await connect(gateway)
    await c.start()
    await c.say("hello")
    typing = await c.expect("typing", timeout=1.0)
    assert typing == {"type": "typing", "author": "bot", "active": True}
    stopped = await c.expect("typing", timeout=3.0)  # nothing else in between, and before the answer
    assert stopped == {"type": "typing", "author": "bot", "active": False}
    answer = await c.expect("message", author="bot")
    assert "virtual assistant" in answer["text"]


@chat_gateway_only
async def test_a_fast_bot_answers_without_a_typing_signal(
    aiohttp_server: AiohttpServer,
    action_server: str,
    start_gateway: GatewayFactory,
    connect: Callable[..., Awaitable[CustomerSocket]],
) -> None:
    _, gateway = await _with_rasa(aiohttp_server, action_server, start_gateway, delay_s=0.0)
    c = await connect(gateway)
    await c.start()
    await c.say("hello")
    await c.expect("message", author="bot")
    assert not [f for f in c.seen if f["type"] == "typing"]


@chat_gateway_only
async def test_a_bot_that_fails_after_thinking_stops_the_typing_and_the_customer_is_told(
    aiohttp_server: AiohttpServer,
    action_server: str,
    start_gateway: GatewayFactory,
    connect: Callable[..., Awaitable[CustomerSocket]],
) -> None:
    rasa = RasaStandIn(action_server, token=TOKEN)
    rasa.webhook_delay_s = 3.0  # longer than the gateway waits for the bot
    server = await aiohttp_server(rasa.app())
    gateway = await start_gateway(bot={"url": str(server.make_url("/")), "token": TOKEN, "timeout_s": 1})
    c = await connect(gateway)
    await c.start()
    await c.say("hello")
    assert (await c.expect("typing", timeout=1.0))["active"] is True
    assert (await c.expect("typing", timeout=4.0))["active"] is False
    notice = await c.expect("message", author="bot")
    assert notice["text"] == "Sorry, the assistant is unavailable right now."
