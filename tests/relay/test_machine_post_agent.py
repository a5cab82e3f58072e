"""The bot inside the contact center's conversation after the agent (8x8 post-agent assignment, issue 22
point 2): both sides' lines go there too while 8x8's timers allow, then the conversation is the bot's alone."""

from __future__ import annotations

from gateway.relay.codec import (
    cc_event_from_json,
    cc_event_to_json,
    conversation_from_json,
    conversation_to_json,
)
from gateway.relay.events import AgentLeft, BotMessage, BotSaid, CustomerLeft, CustomerSaid, HandoffRequested
from gateway.relay.machine import decide
from gateway.relay.model import Author, BotWindow, Conversation, Handoff, OutboxKind, PostItem, State
from tests.relay.machine_fixtures import ALICE, conversation

LEFT_AT = 100.0
TIMERS = (30 * 60.0, 15 * 60.0)  # maxTotalMinutes 30, userTimeoutInMinutes 15


def _after_agent() -> Conversation:
    d = decide(conversation(State.AGENT), AgentLeft(ALICE, LEFT_AT, bot_continues=TIMERS))
    return d.conversation


def test_the_agent_leaving_opens_the_window_a_minute_inside_8x8s_timers() -> None:
    conv = _after_agent()
    assert conv.state is State.BOT
    assert conv.cc_bot == BotWindow(ends_at=LEFT_AT + 1800 - 60, quiet_s=900 - 60, last_at=LEFT_AT)
    plain = decide(conversation(State.AGENT), AgentLeft(ALICE, LEFT_AT)).conversation
    assert plain.cc_bot is None  # the gateway's own hand-back


def test_customer_and_bot_lines_go_to_the_contact_center_while_the_window_is_open() -> None:
    conv = _after_agent()
    said = decide(conv, CustomerSaid("fine, thanks", "k1", LEFT_AT + 10))
    assert all(isinstance(o, PostItem) for o in said.outbox)
    assert [(o.kind, o.author, o.text) for o in said.outbox if isinstance(o, PostItem)] == [
        (OutboxKind.POST, Author.CUSTOMER, "fine, thanks")
    ]
    assert said.conversation.cc_synced_seq == said.entries[-1].seq  # a later reopen does not post it again
    bot = decide(
        said.conversation, BotSaid((BotMessage(text="Rate us 1-5"), BotMessage(image="x.png")), LEFT_AT + 11)
    )
    assert all(isinstance(o, PostItem) for o in bot.outbox)
    assert [(o.author, o.text) for o in bot.outbox if isinstance(o, PostItem)] == [
        (Author.BOT, "Rate us 1-5")
    ]  # no text: nothing to post
    assert bot.conversation.cc_bot is not None
    assert bot.conversation.cc_bot.last_at == LEFT_AT + 11


def test_after_8x8s_timers_the_lines_stay_with_the_gateway() -> None:
    conv = _after_agent()
    late = decide(
        conv, CustomerSaid("hello?", "k1", LEFT_AT + 1800)
    )  # past maxTotalMinutes (less the margin)
    assert late.outbox == ()
    assert late.conversation.cc_bot is None
    quiet = decide(conv, CustomerSaid("back", "k2", LEFT_AT + 900))  # silent longer than userTimeoutInMinutes
    assert quiet.outbox == ()


def test_the_customer_leaving_ends_it_on_8x8_and_a_new_handoff_ends_the_window() -> None:
    conv = _after_agent()
    left = decide(conv, CustomerLeft(LEFT_AT + 5))
    assert [o.kind for o in left.outbox] == [OutboxKind.LEAVE]
    assert left.conversation.cc_bot is None
    again = decide(conv, HandoffRequested(Handoff(), "esc-2", LEFT_AT + 5))
    assert again.conversation.cc_bot is None


def test_the_window_and_the_event_survive_the_store() -> None:
    conv = _after_agent()
    assert conversation_from_json(conversation_to_json(conv)) == conv
    ev = AgentLeft(ALICE, LEFT_AT, bot_continues=TIMERS)
    assert cc_event_from_json(cc_event_to_json(ev)) == ev
    assert cc_event_from_json(cc_event_to_json(AgentLeft(None, 1.0))) == AgentLeft(None, 1.0)
