"""The hand-back in ``message`` mode, for Rasa Pro (CALM) where ``trigger_intent`` cannot start a flow: after
the two-event resume the gateway sends ``/agent_left{...}`` on the REST channel, which a flow's ``nlu_trigger``
(or, on Rasa Open Source, a rule) matches; the outcome travels as entities and as metadata."""

from __future__ import annotations

import aiohttp

from gateway.bots.rasa import RESUME_EVENTS, RasaBot
from gateway.relay.model import ConversationId, Customer, Handback, Outcome
from gateway.relay.ports import BotTurn
from tests.support.standin import TOKEN, StandIn

CONV = ConversationId("conv-m")
ANN = Customer(name="Ann", language="en")


async def test_message_mode_sends_the_handback_intent_as_a_message(standin: StandIn) -> None:
    async with aiohttp.ClientSession() as session:
        bot = RasaBot(session, url=standin.url, timeout_s=5, token=TOKEN, handback_mode="message")
        await bot.respond(BotTurn(CONV, "I want to talk to a human", ANN))

        reply = await bot.resume(CONV, ANN, Handback(Outcome.FAILED, reason="queue_full"))

    assert [m.text for m in reply.messages] == [
        "Sorry, no agent could be reached right now. I'm here again if you need anything, "
        "or you can try again later."
    ]
    (events,) = standin.rasa.requests_to(f"/conversations/{CONV}/tracker/events")
    assert events.body == RESUME_EVENTS
    assert standin.rasa.requests_to(f"/conversations/{CONV}/trigger_intent") == []
    handback = standin.rasa.requests_to("/webhooks/rest/webhook")[-1]
    assert handback.query == {}
    assert handback.body == {
        "sender": CONV,
        "message": '/agent_left{"outcome":"failed","reason":"queue_full"}',
        "metadata": {
            "customer": {"name": "Ann", "language": "en"},
            "channel": "web",
            "handback": {"outcome": "failed", "reason": "queue_full"},
        },
    }
    assert not standin.rasa.trackers[CONV].paused


async def test_message_mode_says_nothing_when_the_customer_left(standin: StandIn) -> None:
    async with aiohttp.ClientSession() as session:
        bot = RasaBot(session, url=standin.url, timeout_s=5, token=TOKEN, handback_mode="message")
        await bot.respond(BotTurn(CONV, "I want to talk to a human", ANN))

        reply = await bot.resume(CONV, ANN, Handback(Outcome.ABANDONED, speak=False))

    assert reply.messages == ()
    assert len(standin.rasa.requests_to("/webhooks/rest/webhook")) == 1  # only the customer's line
    assert not standin.rasa.trackers[CONV].paused
