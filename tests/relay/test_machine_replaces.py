"""A stored contact-center id is replaced only on purpose: when its API is gone and a new conversation
was opened instead (the operator switched 8x8 APIs and removed the old one's settings)."""

from __future__ import annotations

import pytest

from gateway.relay.errors import IllegalTransition
from gateway.relay.events import EscalationCreated
from gateway.relay.machine import decide
from gateway.relay.model import CcConversationId, State, StateEntry
from tests.relay.machine_fixtures import BILLING, CC_ID, conversation

NEW = CcConversationId("cgw:new-1")


def test_a_new_id_replacing_the_stored_one_is_recorded_and_queues() -> None:
    d = decide(
        conversation(State.ESCALATING, queue=BILLING, cc_conversation_id=CC_ID),
        EscalationCreated(NEW, 20.0, replaces=CC_ID),
    )
    assert d.conversation.cc_conversation_id == NEW
    assert d.entries == (StateEntry(6, 20.0, State.QUEUED, queue=BILLING),)


def test_replacing_some_other_id_is_refused() -> None:
    with pytest.raises(IllegalTransition):
        decide(
            conversation(State.ESCALATING, cc_conversation_id=CC_ID),
            EscalationCreated(NEW, 20.0, replaces=CcConversationId("x")),
        )
