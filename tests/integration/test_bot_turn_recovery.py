"""A customer line stored and acked just before the process died still gets the bot's answer.

Bot turns run in memory; the line is in the store. The next process on the same store finds the chat whose
last entry is still the customer's line and asks the bot again, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from tests.support.customer import CustomerSocket
from tests.support.gateway import SettingsFactory

Connect = Callable[..., Awaitable[CustomerSocket]]


class SlowThenAnsweringBot:
    """A Rasa REST channel that holds the first turn until released, then answers every line."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.first_arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def webhook(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        self.asked.append(body["message"])
        if len(self.asked) == 1:
            self.first_arrived.set()
            await self.release.wait()
        return web.json_response([{"recipient_id": body["sender"], "text": f"echo: {body['message']}"}])

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self.webhook)
        return app


async def test_a_line_acked_before_the_process_died_gets_its_bot_answer_after_the_restart(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, connect: Connect
) -> None:
    bot = SlowThenAnsweringBot()
    bot_server = await aiohttp_server(bot.app())
    settings = make_settings(bot={"url": str(bot_server.make_url("/")), "timeout_s": 30})

    first = await aiohttp_server(build_app(settings))
    c = await connect(first)
    await c.start()
    assert (await c.say("where is my parcel"))["seq"] == 1  # stored and acked
    await asyncio.wait_for(bot.first_arrived.wait(), 10)
    await c.ws.close()
    await first.close()  # the process goes away with the bot's turn in flight: its answer is lost
    bot.release.set()

    second = await aiohttp_server(build_app(settings))
    again = await connect(second)
    again.session = c.session
    await again.start(resume=True, last_seq=1)
    answer = await again.expect("message", author="bot")
    assert answer["seq"] == 2
    assert answer["text"] == "echo: where is my parcel"
    assert bot.asked == ["where is my parcel", "where is my parcel"]  # asked again once, not more

    # A third start finds the line answered and asks nothing.
    await again.ws.close()
    await second.close()
    third = await aiohttp_server(build_app(settings))
    last = await connect(third)
    last.session = c.session
    await last.start(resume=True, last_seq=2)
    assert (await last.say("thanks"))["seq"] == 3
    assert (await last.expect("message", author="bot"))["text"] == "echo: thanks"
    assert bot.asked == ["where is my parcel", "where is my parcel", "thanks"]
