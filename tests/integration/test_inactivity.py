"""A customer who goes quiet is taken to have left: the conversation closes by itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from tests.support.customer import CustomerSocket
from tests.support.gateway import SettingsFactory


async def test_an_idle_conversation_is_closed_after_the_inactivity_timeout(
    aiohttp_server: AiohttpServer,
    make_settings: SettingsFactory,
    connect: Callable[..., Awaitable[CustomerSocket]],
) -> None:
    server = await aiohttp_server(build_app(make_settings(relay={"inactivity_timeout_s": 0.4})))
    c = await connect(server)
    await c.start()
    await c.say("hello")
    await c.expect("message", seq=2, author="bot")
    closed = await c.expect("state", seq=3, state="closed", timeout=3)
    assert "outcome" not in closed  # nothing was escalated
    await c.silent(0.6)  # closed once, not again on every sweep
    await c.send(type="message", text="back again", client_id="b")
    await c.expect("state", seq=4, state="bot")
