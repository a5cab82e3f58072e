"""How customers see an agent's name: 8x8 sends "First,Last"."""

from __future__ import annotations

import time

import pytest

from gateway.contact_center.chat_api.webhook import AgentNameStyle, ChatApiTranslator, display_name
from gateway.contact_center.core.receiver import Accepted
from gateway.relay.events import AgentSaid


@pytest.mark.parametrize(
    ("sent", "style", "shown"),
    [
        ("Cosmin,Malutan", "first", "Cosmin"),
        ("Cosmin,Malutan", "full", "Cosmin Malutan"),
        ("Cosmin,Malutan", "as_sent", "Cosmin,Malutan"),
        ("Cosmin", "first", "Cosmin"),
        ("Mary Ann,van Dijk", "full", "Mary Ann van Dijk"),
        (" Cosmin , Malutan ", "first", "Cosmin"),
        (",", "first", ","),  # nothing usable: shown as sent rather than blank
        ("cmalutan", "full", "cmalutan"),  # no name sent: 8x8's agent id stands in
    ],
)
def test_display_name(sent: str, style: AgentNameStyle, shown: str) -> None:
    assert display_name(sent, style) == shown


async def test_each_event_shows_the_name_it_was_sent_with() -> None:
    """The translator keeps the agents it has seen: a name 8x8 changes between events is shown changed, and
    an agent with no name sent stands in by id."""
    translator = ChatApiTranslator(window_s=60.0, agent_name="full")
    shown = []
    for agent_id, name in [
        ("a1", "Ann,Lee"),
        ("a1", "Ann,Lee"),
        ("a1", "Ann,Smith"),
        ("a2", None),
        ("a1", "Ann,Lee"),
    ]:
        body = {
            "eventType": "TEXT",
            "conversationId": "c1",
            "agentId": agent_id,
            "agentName": name,
            "message": "hi",
        }
        _, translation = await translator.translate(body, time.time())
        assert isinstance(translation, Accepted)
        assert isinstance(translation.event, AgentSaid)
        shown.append((translation.event.agent.id, translation.event.agent.name))
    assert shown == [
        ("a1", "Ann Lee"),
        ("a1", "Ann Lee"),
        ("a1", "Ann Smith"),
        ("a2", "a2"),
        ("a1", "Ann Lee"),
    ]
