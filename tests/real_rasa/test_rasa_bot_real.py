"""RasaBot against a real Rasa 3.6.21 (examples/rasa) and the real action server running ``bot_actions``.

This is what keeps RasaBot and the stand-in in tests/bots honest: the handoff payload, the pause, the
two-event resume and the hand-back intent are checked on a real server, and the stand-in's error bodies are
compared byte for byte with Rasa's.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer

from gateway.bots.rasa import RasaBot
from gateway.relay.errors import BotUnavailable
from gateway.relay.events import BotMessage
from gateway.relay.model import ConversationId, Customer, Handback, Outcome
from gateway.relay.ports import BotReply, BotTurn
from tests.support.rasa_standin import RasaStandIn
from tests.support.real_rasa import RasaServer

# The example bot asks the gateway for availability before it hands off: one listens on gateway_port.
pytestmark = [pytest.mark.real_rasa, pytest.mark.timeout(180), pytest.mark.usefixtures("open_gateway")]

ANN = Customer(name="Ann", email="ann@example.com", language="en", extra={"plan": "gold"})
GREETING = "Hi! I'm the virtual assistant. How can I help?"
CONNECTING = "Connecting you to a human agent..."
HANDBACK_TEXT = "The agent has left the chat. I'm here again if you need anything."


def new_conversation() -> ConversationId:
    return ConversationId(f"real-{uuid.uuid4().hex[:12]}")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def bot(rasa_server: RasaServer, session: aiohttp.ClientSession) -> RasaBot:
    return RasaBot(session, url=rasa_server.url, timeout_s=30, token=rasa_server.token)


async def tracker(session: aiohttp.ClientSession, rasa: RasaServer, conv: str) -> dict[str, object]:
    url = f"{rasa.url}/conversations/{conv}/tracker"
    async with session.get(url, params={"token": rasa.token, "include_events": "NONE"}) as resp:
        assert resp.status == 200
        state: dict[str, object] = await resp.json()
        return state


@pytest.mark.parametrize("text", ["connect me to an agent", "I want to talk to a human"])
async def test_handoff_pause_resume_handback_and_greet_again(
    bot: RasaBot, session: aiohttp.ClientSession, rasa_server: RasaServer, text: str
) -> None:
    conv = new_conversation()

    reply = await bot.respond(BotTurn(conv, text, ANN))

    assert reply.messages == (BotMessage(text=CONNECTING),)
    assert reply.handoff is not None
    assert reply.handoff.customer == ANN  # request metadata -> tracker.latest_message -> action -> payload
    assert reply.handoff.reason == "customer_asked"
    assert reply.handoff.context["intent"] == "human_handoff"
    assert (await tracker(session, rasa_server, conv))["paused"] is True
    # The text came from the domain's utter_handoff_connecting (the action named it; Rasa's NLG rendered it).
    url = f"{rasa_server.url}/conversations/{conv}/tracker"
    async with session.get(url, params={"token": rasa_server.token, "include_events": "ALL"}) as resp:
        events = (await resp.json())["events"]
    said = [e for e in events if e["event"] == "bot" and e.get("text") == CONNECTING]
    assert [e["metadata"].get("utter_action") for e in said] == ["utter_handoff_connecting"]
    webhook = f"{rasa_server.url}/webhooks/rest/webhook"
    async with session.post(webhook, json={"sender": conv, "message": "hello"}) as resp:
        assert await resp.json() == []  # paused: Rasa answers []

    back = await bot.resume(conv, ANN, Handback(Outcome.COMPLETED, agent_name="Bob", duration_s=42.0))

    assert back == BotReply(messages=(BotMessage(text=HANDBACK_TEXT),))
    state = await tracker(session, rasa_server, conv)
    assert state["paused"] is False
    slots = state["slots"]
    assert isinstance(slots, dict)
    assert slots["handoff_requested"] is None  # action_hand_back cleared it
    assert await bot.respond(BotTurn(conv, "hello", ANN)) == BotReply(messages=(BotMessage(text=GREETING),))


async def test_a_conversation_found_paused_is_resumed_and_answered(
    bot: RasaBot, session: aiohttp.ClientSession, rasa_server: RasaServer
) -> None:
    conv = new_conversation()
    await bot.respond(BotTurn(conv, "I want to talk to a human", ANN))
    assert (await tracker(session, rasa_server, conv))["paused"] is True

    reply = await bot.respond(BotTurn(conv, "hello", ANN))  # as if the resume had been lost with a restart

    assert reply == BotReply(messages=(BotMessage(text=GREETING),))
    assert (await tracker(session, rasa_server, conv))["paused"] is False


async def test_handback_entities_reach_the_action(bot: RasaBot) -> None:
    conv = new_conversation()
    await bot.respond(BotTurn(conv, "I want to talk to a human", ANN))

    back = await bot.resume(conv, ANN, Handback(Outcome.FAILED, reason="no_agents"))

    (message,) = back.messages
    assert message.text is not None
    assert message.text.startswith("Sorry, no agent could be reached right now.")


async def test_unknown_handback_intent_is_silence(
    rasa_server: RasaServer, session: aiohttp.ClientSession
) -> None:
    bot = RasaBot(
        session, url=rasa_server.url, timeout_s=30, token=rasa_server.token, handback_intent="not_in_domain"
    )
    conv = new_conversation()
    await bot.respond(BotTurn(conv, "I want to talk to a human", ANN))

    assert await bot.resume(conv, ANN, Handback(Outcome.COMPLETED)) == BotReply()  # Rasa: 404
    assert await bot.respond(BotTurn(conv, "hello", ANN)) == BotReply(messages=(BotMessage(text=GREETING),))


async def test_bad_token_is_unavailable(rasa_server: RasaServer, session: aiohttp.ClientSession) -> None:
    bot = RasaBot(session, url=rasa_server.url, timeout_s=30, token="wrong")

    with pytest.raises(BotUnavailable, match="401"):
        await bot.resume(new_conversation(), ANN, Handback(Outcome.COMPLETED))


async def test_standin_error_bodies_match_rasa(
    rasa_server: RasaServer,
    action_server: str,
    session: aiohttp.ClientSession,
    aiohttp_server: AiohttpServer,
) -> None:
    standin = RasaStandIn(action_server, token=rasa_server.token)
    fake = str((await aiohttp_server(standin.app())).make_url("")).rstrip("/")
    requests = [
        ("/webhooks/rest/webhook", {}, b"not json"),
        ("/conversations/c1/tracker/events", {"token": "wrong"}, b'{"event":"resume"}'),
        ("/conversations/c1/trigger_intent", {"token": "wrong"}, b'{"name":"greet"}'),
    ]
    for path, params, body in requests:
        answers = []
        for base in (rasa_server.url, fake):
            headers = {"Content-Type": "application/json"}
            async with session.post(base + path, params=params, data=body, headers=headers) as resp:
                answers.append((resp.status, await resp.read()))
        assert answers[0] == answers[1], path


async def test_standin_rest_answers_match_rasa(
    rasa_server: RasaServer,
    action_server: str,
    session: aiohttp.ClientSession,
    aiohttp_server: AiohttpServer,
) -> None:
    standin = RasaStandIn(action_server, token=rasa_server.token)
    fake = str((await aiohttp_server(standin.app())).make_url("")).rstrip("/")
    conv = new_conversation()
    metadata = {"customer": {"name": "Ann", "language": "en"}, "queue_id": "vip", "channel": "web"}
    turns = [("hello", {}), ("/human_handoff", metadata), ("hello", {}), ("/not_an_intent", {})]
    for text, meta in turns:
        answers = []
        for base in (rasa_server.url, fake):
            body = {"sender": conv, "message": text, "metadata": meta}
            async with session.post(f"{base}/webhooks/rest/webhook", json=body) as resp:
                answers.append((resp.status, await resp.read()))
        assert answers[0] == answers[1], text
    errors: list[tuple[int, str, str]] = []
    for base in (rasa_server.url, fake):
        url = f"{base}/conversations/{conv}/trigger_intent"
        async with session.post(url, params={"token": rasa_server.token}, json={"name": "nope"}) as resp:
            error = await resp.json()
            errors.append((resp.status, error["reason"], error["message"][:10]))
    assert errors[0] == errors[1] == (404, "NotFound", "The intent")


async def test_typed_intent_is_escaped_and_an_offered_button_passes(
    bot: RasaBot, session: aiohttp.ClientSession, rasa_server: RasaServer
) -> None:
    conv = new_conversation()

    # A customer spoofing the gateway's hand-back: unescaped, Rasa would run action_hand_back with "failed".
    spoofed = await bot.respond(BotTurn(conv, '/agent_left{"outcome": "failed"}', ANN))

    state = await tracker(session, rasa_server, conv)
    latest = state["latest_message"]
    assert isinstance(latest, dict)
    assert latest["entities"] == []
    assert latest["intent"]["name"] != "agent_left"  # NLU read it as text (agent_left has no examples)
    assert latest["intent"]["confidence"] < 1.0  # the /intent shortcut gives exactly 1.0
    assert all("no agent could be reached" not in (m.text or "") for m in spoofed.messages)

    conv = new_conversation()  # the spoofed line may have been read as a request for a person (paused)
    offer = await bot.respond(BotTurn(conv, "what is 2+2", ANN))  # nlu_fallback -> action_offer_agent
    assert [b.payload for m in offer.messages for b in m.buttons] == ["/human_handoff"]
    clicked = await bot.respond(BotTurn(conv, "/human_handoff", ANN))  # the button the bot offered
    assert clicked.handoff is not None
    latest = (await tracker(session, rasa_server, conv))["latest_message"]
    assert isinstance(latest, dict)
    assert latest["intent"] == {"name": "human_handoff", "confidence": 1.0}


async def test_token_checked_against_real_rasa(
    rasa_server: RasaServer, session: aiohttp.ClientSession
) -> None:
    def bot(token: str | None) -> RasaBot:
        return RasaBot(session, url=rasa_server.url, timeout_s=30, token=token)

    assert await bot(rasa_server.token).check_token() is None
    assert await bot("wrong").check_token() == "GATEWAY_BOT__TOKEN: Rasa's HTTP API refused it (HTTP 401)"
    assert (
        await bot(None).check_token()
        == "GATEWAY_BOT__TOKEN: not set, but Rasa's HTTP API needs one (HTTP 401)"
    )
