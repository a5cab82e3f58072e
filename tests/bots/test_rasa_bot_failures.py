"""RasaBot when Rasa is down, slow or answers something Rasa never sends: always ``BotUnavailable``.

The relay turns ``BotUnavailable`` into "assistant unavailable" plus an offer of an agent; anything else
escaping the adapter would leave the customer with no answer at all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from gateway.bots.rasa import RasaBot
from gateway.relay.errors import BotUnavailable
from gateway.relay.events import BotMessage
from gateway.relay.model import ConversationId, Customer, Handback, Outcome
from gateway.relay.ports import BotReply, BotTurn
from gateway.settings import BotSettings
from tests.support.action_server import free_port

TURN = BotTurn(ConversationId("c1"), "hello", Customer())
HANDBACK = Handback(Outcome.COMPLETED, agent_name="Bob")


@dataclass
class Canned:
    """What the fake Rasa answers on every route: status, raw body, and a delay before answering."""

    status: int = 200
    body: str = "[]"
    delay_s: float = 0.0
    paths: list[str] = field(default_factory=list)


@pytest.fixture
async def canned(aiohttp_server: AiohttpServer) -> tuple[Canned, str]:
    answer = Canned()

    async def handle(request: web.Request) -> web.Response:
        answer.paths.append(request.path)
        await asyncio.sleep(answer.delay_s)
        return web.Response(status=answer.status, text=answer.body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server = await aiohttp_server(app)
    return answer, str(server.make_url("/"))


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


MakeBot = Callable[..., RasaBot]


@pytest.fixture
def make_bot(session: aiohttp.ClientSession) -> MakeBot:
    def make(url: str, timeout_s: float = 5) -> RasaBot:
        return RasaBot(session, url=url, timeout_s=timeout_s, token="t")

    return make


async def test_image_item_becomes_an_image_message(canned: tuple[Canned, str], make_bot: MakeBot) -> None:
    answer, url = canned
    answer.body = '[{"recipient_id":"c1","text":"Here"},{"recipient_id":"c1","image":"https://x.test/a.png"}]'

    reply = await make_bot(url).respond(TURN)

    assert reply == BotReply(messages=(BotMessage(text="Here"), BotMessage(image="https://x.test/a.png")))


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("<html>502 Bad Gateway</html>", id="not-json"),
        pytest.param('{"text": "hi"}', id="not-a-list"),
        pytest.param('[1, "hi"]', id="list-of-non-objects"),
        pytest.param('[{"custom": {"handoff": {"customer": "Ann"}}}]', id="broken-handoff"),
        pytest.param('[{"text": "pick", "buttons": [{"title": "no payload"}]}]', id="broken-buttons"),
    ],
)
async def test_malformed_answer_is_unavailable(
    canned: tuple[Canned, str], make_bot: MakeBot, body: str
) -> None:
    answer, url = canned
    answer.body = body

    with pytest.raises(BotUnavailable):
        await make_bot(url).respond(TURN)


@pytest.mark.parametrize("status", [500, 502, 404, 401])
async def test_non_2xx_is_unavailable(canned: tuple[Canned, str], make_bot: MakeBot, status: int) -> None:
    answer, url = canned
    answer.status = status

    with pytest.raises(BotUnavailable, match=str(status)):
        await make_bot(url).respond(TURN)
    with pytest.raises(BotUnavailable, match=str(status)):
        await make_bot(url).resume(ConversationId("c1"), Customer(), HANDBACK)


@pytest.mark.parametrize("body", ["[]", "not json", '{"messages": "hi"}'])
async def test_malformed_trigger_intent_answer_is_unavailable(
    canned: tuple[Canned, str], make_bot: MakeBot, body: str
) -> None:
    answer, url = canned
    answer.body = body  # the events call gets it too: only trigger_intent reads it

    with pytest.raises(BotUnavailable):
        await make_bot(url).resume(ConversationId("c1"), Customer(), HANDBACK)
    assert answer.paths == ["/conversations/c1/tracker/events", "/conversations/c1/trigger_intent"]


async def test_missing_messages_in_trigger_intent_answer_is_silence(
    canned: tuple[Canned, str], make_bot: MakeBot
) -> None:
    answer, url = canned
    answer.body = '{"tracker": {"sender_id": "c1"}}'  # what Rasa sends for a non-collecting output channel

    assert await make_bot(url).resume(ConversationId("c1"), Customer(), HANDBACK) == BotReply()


async def test_slow_bot_times_out_quickly(canned: tuple[Canned, str], make_bot: MakeBot) -> None:
    answer, url = canned
    answer.delay_s = 10
    bot = make_bot(url, timeout_s=0.3)

    calls: list[Callable[[], Awaitable[BotReply]]] = [
        lambda: bot.respond(TURN),
        lambda: bot.resume(ConversationId("c1"), Customer(), HANDBACK),
    ]
    for call in calls:
        started = time.monotonic()
        with pytest.raises(BotUnavailable, match=r"no answer in 0\.3 s"):
            await call()
        assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda bot: bot.respond(TURN), id="respond"),
        pytest.param(lambda bot: bot.resume(ConversationId("c1"), Customer(), HANDBACK), id="resume"),
    ],
)
async def test_bot_down_is_unavailable(
    make_bot: MakeBot, call: Callable[[RasaBot], Awaitable[BotReply]]
) -> None:
    bot = make_bot(f"http://127.0.0.1:{free_port()}")  # nothing listens: connection refused

    with pytest.raises(BotUnavailable, match="ClientConnectorError"):
        await call(bot)


async def test_open_owns_and_closes_its_session(canned: tuple[Canned, str]) -> None:
    answer, url = canned
    answer.body = '[{"recipient_id":"c1","text":"hi"}]'
    settings = BotSettings(url=url, timeout_s=2, token="secret")

    bot = await RasaBot.open(settings)
    try:
        assert await bot.respond(TURN) == BotReply(messages=(BotMessage(text="hi"),))
    finally:
        await bot.close()

    with pytest.raises(RuntimeError, match="Session is closed"):
        await bot.respond(TURN)


async def test_open_refuses_embedded() -> None:
    with pytest.raises(ValueError, match="embedded"):
        await RasaBot.open(BotSettings(url="embedded"))
