"""The SQLite store writes a conversation's row byte for byte as the codec encodes it, though it reuses the
JSON of a customer and an escalation that are the same objects as at the conversation's last write.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from gateway.relay.codec import conversation_from_json, conversation_to_json
from gateway.relay.model import (
    AgentRef,
    BotWindow,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    Escalation,
    Handoff,
    Outcome,
    QueueRef,
    State,
)
from gateway.relay.ports import Change
from gateway.store.sqlite import SqliteStore

ANN = Customer(name='Ann "Q" \u00e9\x00', email="ann@example.com", language="en", extra={"plan": "gold\n"})
BEA = AgentRef("a1", "Bea \u2603")


def _escalation(
    agent: AgentRef | None = None, agent_joined_at: float | None = None, outcome: Outcome | None = None
) -> Escalation:
    handoff = Handoff(reason="customer_asked", queue_id="q1", customer=ANN, context={"topic": "billing"})
    return Escalation("e1", handoff, 10.25, 3, agent=agent, agent_joined_at=agent_joined_at, outcome=outcome)


def _changes(conv: Conversation) -> list[Conversation]:
    """Each conversation a later write of the one before: same customer and escalation objects, or new ones."""
    steps: list[Callable[[Conversation], Conversation]] = [
        lambda c: replace(c, last_seq=2, active_at=11.5),  # same customer, no escalation
        lambda c: replace(c, state=State.ESCALATING, escalation=_escalation()),
        lambda c: replace(
            c, state=State.QUEUED, cc_conversation_id=CcConversationId("cc-1"), queue=QueueRef("q1")
        ),
        lambda c: replace(c, last_seq=5, warned_at=12.0),  # same escalation object
        lambda c: replace(
            c, state=State.AGENT, agent=BEA, escalation=_escalation(agent=BEA, agent_joined_at=13.0)
        ),
        lambda c: replace(c, last_seq=6, cc_synced_seq=6, agent_read_seq=4, transferring=True),
        lambda c: replace(c, customer=ANN.merged(Customer(email="ann@new.example"))),
        lambda c: replace(c, cc_bot=BotWindow(ends_at=20.0, quiet_s=5.0, last_at=14.5), customer=Customer()),
        lambda c: replace(
            c, state=State.BOT, agent=None, queue=None, escalation=_escalation(outcome=Outcome.COMPLETED)
        ),
        lambda c: replace(
            c, escalation=None, cc_bot=None, warned_at=None, agent_read_seq=0, transferring=False
        ),
    ]
    out = [conv]
    for step in steps:
        out.append(replace(step(out[-1]), version=out[-1].version + 1))
    return out[1:]


async def test_each_row_is_the_codecs_json_as_the_conversation_changes(tmp_path: Path) -> None:
    path = tmp_path / "gw.db"
    conv = Conversation(id=ConversationId("c\u00e9"), state=State.BOT, customer=ANN, created_at=1.5)
    store = await SqliteStore.open(path)
    try:
        await store.create_conversation(conv, b"token")
        written = [conv]
        for changed in _changes(conv):
            await store.commit(Change(conversation=changed, expected_version=written[-1].version))
            written.append(changed)
            with sqlite3.connect(path) as db:
                (data,) = db.execute("SELECT data FROM conversations WHERE id = ?", (conv.id,)).fetchone()
            db.close()
            assert data == json.dumps(
                conversation_to_json(changed), separators=(",", ":"), ensure_ascii=False
            )
            assert conversation_from_json(json.loads(data)) == changed
    finally:
        await store.close()
