"""Random event orders *and times* against the relay state machine (issue #7, item 2).

``tests/relay/test_machine_properties.py`` feeds random event sequences with increasing times. Events from
8x8 carry 8x8's own timestamp, and a late or retried webhook arrives after newer events: here the same
random sequences come with times in any order (within the window the webhook accepts), and the machine must
still never fail on them, never change a conversation it refuses an event for, keep seq contiguous, render
every entry as a frame, and never move the last activity (the inactivity clock) backwards.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.channels.web.frames import dumps, entry_frame
from gateway.relay.errors import IllegalTransition
from gateway.relay.events import Event
from gateway.relay.machine import decide
from gateway.relay.model import Conversation, ConversationId, Customer, State
from tests.relay.test_machine_properties import EVENTS

NOW = 1_764_000_000.0
times = st.floats(min_value=NOW - 300, max_value=NOW + 300)  # the webhook's accepted clock skew


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(EVENTS, times), min_size=1, max_size=60))
def test_events_with_times_in_any_order_keep_the_invariants(seq: list[tuple[Event, float]]) -> None:
    conv = Conversation(id=ConversationId("c1"), state=State.BOT, customer=Customer(), created_at=NOW - 300)
    for drawn, at in seq:
        event = replace(drawn, at=at)
        before = conv
        try:
            decision = decide(conv, event)
        except IllegalTransition:
            assert conv == before
            continue
        after = decision.conversation
        assert [e.seq for e in decision.entries] == list(range(before.last_seq + 1, after.last_seq + 1))
        for entry in decision.entries:
            assert dumps(entry_frame(entry))
        assert after.active_at >= before.active_at, (type(event).__name__, before.active_at, at)
        conv = after
