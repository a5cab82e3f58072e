"""RasaBot against the Rasa stand-in over real HTTP, with the real rasa-sdk action server behind it.

The gateway only escalates when Rasa's answer carries the handoff payload the action built, and only gets the
bot back when it resumes exactly as specs/rasa.md section 2 found necessary; both are checked on the wire.
"""

from __future__ import annotations

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer
from structlog.testing import capture_logs

from gateway.bots.rasa import RESUME_EVENTS, RasaBot
from gateway.relay.errors import BotUnavailable
from gateway.relay.events import BotMessage
from gateway.relay.model import Button, ConversationId, Customer, Handback, Handoff, Outcome
from gateway.relay.ports import BotReply, BotTurn
from tests.support.action_server import free_port
from tests.support.rasa_standin import RasaStandIn
from tests.support.standin import TOKEN, StandIn

CONV = ConversationId("conv-1")
ANN = Customer(name="Ann", email="ann@example.com", language="de", extra={"plan": "gold"})
GREETING = "Hi! I'm the virtual assistant. How can I help?"
CONNECTING = "Connecting you to a human agent..."
HANDBACK_TEXT = "The agent has left the chat. I'm here again if you need anything."


def turn(text: str, customer: Customer = ANN, conversation_id: str = CONV) -> BotTurn:
    return BotTurn(ConversationId(conversation_id), text, customer)


async def test_text_reply_and_the_request_rasa_receives(bot: RasaBot, standin: StandIn) -> None:
    reply = await bot.respond(turn("hello there"))

    assert reply == BotReply(messages=(BotMessage(text=GREETING),))
    (request,) = standin.rasa.requests_to("/webhooks/rest/webhook")
    assert request.query == {}  # the REST channel is not behind the API token
    assert request.body == {
        "sender": "conv-1",
        "message": "hello there",
        "metadata": {
            "customer": {"name": "Ann", "email": "ann@example.com", "language": "de", "plan": "gold"},
            "channel": "web",
            "language": "de",
        },
    }


async def test_buttons_from_the_offer_agent_action(bot: RasaBot) -> None:
    reply = await bot.respond(turn("qwertz zxcv"))  # nlu_fallback -> action_offer_agent (action server)

    assert reply == BotReply(
        messages=(
            BotMessage(
                text="Would you like to talk to a human agent?",
                buttons=(Button("Talk to an agent", "/human_handoff"),),
            ),
        )
    )


async def test_buttons_from_a_domain_response(bot: RasaBot) -> None:
    reply = await bot.respond(turn("/not_an_intent"))  # core fallback -> utter_default

    (message,) = reply.messages
    assert message.buttons == (Button("Talk to an agent", "/human_handoff"),)
    assert reply.handoff is None


@pytest.mark.parametrize("text", ["I want to talk to a human", "agent please"])
async def test_handoff_carries_the_action_servers_payload(bot: RasaBot, standin: StandIn, text: str) -> None:
    reply = await bot.respond(turn(text))

    assert reply.messages == (BotMessage(text=CONNECTING),)
    assert reply.handoff is not None
    assert reply.handoff.reason == "customer_asked"
    assert reply.handoff.queue_id is None
    assert reply.handoff.customer == ANN  # from the metadata RasaBot sent, through the real action
    assert reply.handoff.context["intent"] == "human_handoff"
    check, call = standin.rasa.action_calls  # the example bot asks the gateway first (no URL here: yes)
    assert check["next_action"] == "action_check_agent_availability"
    assert call["next_action"] == "action_handoff_to_agent"
    assert call["tracker"]["latest_message"]["metadata"]["channel"] == "web"
    assert standin.rasa.trackers["conv-1"].paused


async def test_a_conversation_found_paused_is_resumed_and_the_line_sent_again(
    bot: RasaBot, standin: StandIn
) -> None:
    """The relay gives the bot a turn only when no agent has the chat, so Rasa holding it paused means a
    resume was lost (a restarted or another instance): the adapter resumes it instead of answering nothing."""
    await bot.respond(turn("I want to talk to a human"))
    assert standin.rasa.trackers["conv-1"].paused

    reply = await bot.respond(turn("hello"))

    assert reply == BotReply(messages=(BotMessage(text=GREETING),))
    assert not standin.rasa.trackers["conv-1"].paused
    (events,) = standin.rasa.requests_to("/conversations/conv-1/tracker/events")
    assert events.body == RESUME_EVENTS
    hellos = [r for r in standin.rasa.requests_to("/webhooks/rest/webhook") if r.body["message"] == "hello"]
    assert len(hellos) == 2  # the first got Rasa's silent [] while paused


async def test_an_empty_answer_of_an_unpaused_bot_stays_empty(bot: RasaBot, standin: StandIn) -> None:
    await bot.respond(turn("hello"))
    standin.rasa.action_endpoint = "http://127.0.0.1:9/webhook"  # the action server is gone: Rasa says []

    assert await bot.respond(turn("I want to talk to a human")) == BotReply()
    assert standin.rasa.requests_to("/conversations/conv-1/tracker/events") == []


async def test_resume_posts_two_events_then_the_handback_intent(bot: RasaBot, standin: StandIn) -> None:
    await bot.respond(turn("I want to talk to a human"))

    reply = await bot.resume(CONV, ANN, Handback(Outcome.COMPLETED, agent_name="Bob", duration_s=42.5))

    assert reply == BotReply(messages=(BotMessage(text=HANDBACK_TEXT),))
    (events,) = standin.rasa.requests_to("/conversations/conv-1/tracker/events")
    assert events.body == RESUME_EVENTS == [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
    assert events.query == {"token": TOKEN}
    (trigger,) = standin.rasa.requests_to("/conversations/conv-1/trigger_intent")
    assert trigger.query == {"output_channel": "latest", "token": TOKEN}
    assert trigger.body == {
        "name": "agent_left",
        "entities": {"outcome": "completed", "agent_name": "Bob", "duration_s": 42.5},
    }
    tracker = standin.rasa.trackers["conv-1"]
    assert not tracker.paused
    assert tracker.slots["handoff_requested"] is None  # action_hand_back cleared it
    assert await bot.respond(turn("hello")) == BotReply(messages=(BotMessage(text=GREETING),))


async def test_handback_outcome_reaches_the_action(bot: RasaBot) -> None:
    await bot.respond(turn("I want to talk to a human"))

    reply = await bot.resume(CONV, ANN, Handback(Outcome.FAILED, reason="no_agents"))

    (message,) = reply.messages
    assert message.text is not None
    assert message.text.startswith("Sorry, no agent could be reached right now.")


async def test_resume_without_a_listener_only_unpauses(bot: RasaBot, standin: StandIn) -> None:
    await bot.respond(turn("I want to talk to a human"))

    reply = await bot.resume(CONV, ANN, Handback(Outcome.ABANDONED, speak=False))

    assert reply == BotReply()
    assert standin.rasa.requests_to("/conversations/conv-1/trigger_intent") == []
    assert not standin.rasa.trackers["conv-1"].paused


async def test_unknown_handback_intent_means_silence(standin: StandIn) -> None:

    async with aiohttp.ClientSession() as session:
        bot = RasaBot(session, url=standin.url, timeout_s=5, token=TOKEN, handback_intent="not_in_domain")
        await bot.respond(turn("I want to talk to a human"))

        reply = await bot.resume(CONV, ANN, Handback(Outcome.COMPLETED))

    assert reply == BotReply()
    assert not standin.rasa.trackers["conv-1"].paused
    (trigger,) = standin.rasa.requests_to("/conversations/conv-1/trigger_intent")
    assert trigger.body == {"name": "not_in_domain", "entities": {"outcome": "completed"}}


async def test_bad_token_is_unavailable_and_never_logged(standin: StandIn) -> None:

    secret = "wrong-secret-4711"
    async with aiohttp.ClientSession() as session:
        bot = RasaBot(session, url=standin.url, timeout_s=5, token=secret)
        with capture_logs() as logs, pytest.raises(BotUnavailable, match="401") as err:
            await bot.resume(CONV, ANN, Handback(Outcome.COMPLETED))

    assert secret not in str(err.value)
    assert secret not in repr(logs)
    assert standin.rasa.requests_to("/conversations/conv-1/trigger_intent") == []


async def test_no_token_configured_sends_none(aiohttp_server: AiohttpServer, action_server: str) -> None:

    rasa = RasaStandIn(action_server, token=None)
    server = await aiohttp_server(rasa.app())
    async with aiohttp.ClientSession() as session:
        bot = RasaBot(session, url=str(server.make_url("/")), timeout_s=5)
        await bot.respond(turn("I want to talk to a human"))
        reply = await bot.resume(CONV, ANN, Handback(Outcome.COMPLETED))

    assert reply.messages == (BotMessage(text=HANDBACK_TEXT),)
    assert [r.query.get("token") for r in rasa.requests] == [None, None, None]


async def test_failing_action_server_is_silence_not_an_error(aiohttp_server: AiohttpServer) -> None:
    rasa = RasaStandIn(f"http://127.0.0.1:{free_port()}", token=TOKEN)  # nothing listens there
    server = await aiohttp_server(rasa.app())
    async with aiohttp.ClientSession() as session:
        bot = RasaBot(session, url=str(server.make_url("/")), timeout_s=5, token=TOKEN)
        reply = await bot.respond(turn("I want to talk to a human"))

    assert reply == BotReply()  # Rasa answers 200 [] and does not pause
    assert not rasa.trackers["conv-1"].paused


async def test_handoff_payload_round_trip_keeps_queue_and_reason(bot: RasaBot, standin: StandIn) -> None:
    # Slots set through the HTTP API (as a form or an earlier action would) shape the payload.

    async with aiohttp.ClientSession() as session:
        url = f"{standin.url.rstrip('/')}/conversations/conv-1/tracker/events"
        slots = [
            {"event": "slot", "name": "handoff_reason", "value": "billing"},
            {"event": "slot", "name": "handoff_queue", "value": "vip"},
        ]
        async with session.post(url, params={"token": TOKEN}, json=slots) as resp:
            assert resp.status == 200

    reply = await bot.respond(turn("I want to talk to a human"))

    assert reply.handoff == Handoff(
        reason="billing",
        queue_id="vip",
        customer=ANN,
        context={"intent": "human_handoff", "confidence": "1.0"},
    )
