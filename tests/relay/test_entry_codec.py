"""Transcript entries stored by an earlier version still load, and today's are written byte for byte the same.

Transcripts outlive a deploy (SQLite rows, Redis values, and the fan-out's messages between instances of two
versions during a rolling one). These literals are what the version before entries had a class per kind
wrote, as the stores dump it (compact separators).
"""

from __future__ import annotations

import json

import pytest

from gateway.relay.codec import entry_from_json, entry_to_json
from gateway.relay.model import (
    AgentRef,
    AttachedFile,
    Author,
    Button,
    Card,
    CardAction,
    CardFact,
    Entry,
    EntryKind,
    MessageEntry,
    Outcome,
    QueueRef,
    State,
    StateEntry,
)

BEA = AgentRef("a1", "Bea")

WRITTEN_BEFORE = [
    (
        '{"seq":4,"kind":"message","ts":1700000004.5,"author":"agent","text":"Here you go","client_id":"c-1",'
        '"buttons":[{"title":"Yes","payload":"/yes"}],"image":"https://img/x.png","custom":"{\\"a\\":1}",'
        '"attachments":[{"key":"f-key","name":"a.pdf","content_type":"application/pdf","size":3,'
        '"remote_id":"r1","remote_url":"https://cc/f"}],"card":{"kind":"adaptive","title":"Order",'
        '"body":["Shipped"],"facts":[{"title":"No.","value":"42"}],"actions":[{"title":"Track",'
        '"url":"https://t"},{"title":"Call"}]},"agent":{"id":"a1","name":"Bea"}}',
        MessageEntry(
            4,
            1700000004.5,
            Author.AGENT,
            text="Here you go",
            client_id="c-1",
            buttons=(Button("Yes", "/yes"),),
            image="https://img/x.png",
            custom='{"a":1}',
            attachments=(
                AttachedFile(
                    "f-key", "a.pdf", "application/pdf", 3, remote_id="r1", remote_url="https://cc/f"
                ),
            ),
            card=Card(
                "adaptive",
                title="Order",
                body=("Shipped",),
                facts=(CardFact("No.", "42"),),
                actions=(CardAction("Track", "https://t"), CardAction("Call")),
            ),
            agent=BEA,
        ),
    ),
    (
        '{"seq":2,"kind":"message","ts":1700000002.0,"author":"customer","text":"hi"}',
        MessageEntry(2, 1700000002.0, Author.CUSTOMER, text="hi"),
    ),
    (  # an overflow notice names the new queue
        '{"seq":7,"kind":"message","ts":1700000007.0,"author":"system","text":"moved",'
        '"queue":{"id":"q2","name":"Billing"}}',
        MessageEntry(7, 1700000007.0, Author.SYSTEM, text="moved", queue=QueueRef("q2", "Billing")),
    ),
    (
        '{"seq":5,"kind":"state","ts":1700000005.0,"agent":{"id":"a1","name":"Bea"},"state":"closed",'
        '"queue":{"id":"q1","name":"Sales"},"outcome":"completed"}',
        StateEntry(
            5, 1700000005.0, State.CLOSED, queue=QueueRef("q1", "Sales"), outcome=Outcome.COMPLETED, agent=BEA
        ),
    ),
    (
        '{"seq":6,"kind":"state","ts":1700000006.0,"agent":{"id":"a1","name":"Bea"},"state":"agent"}',
        StateEntry(6, 1700000006.0, State.AGENT, agent=BEA),
    ),
    (
        '{"seq":1,"kind":"state","ts":1700000001.0,"state":"bot"}',
        StateEntry(1, 1700000001.0, State.BOT),
    ),
]


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)  # as both stores write


@pytest.mark.parametrize(("stored", "entry"), WRITTEN_BEFORE, ids=lambda v: str(getattr(v, "seq", "")))
def test_an_entry_stored_by_the_previous_version_loads_as_its_kind(stored: str, entry: Entry) -> None:
    loaded = entry_from_json(json.loads(stored))
    assert loaded == entry
    assert type(loaded) is (MessageEntry if json.loads(stored)["kind"] == "message" else StateEntry)


@pytest.mark.parametrize(("stored", "entry"), WRITTEN_BEFORE, ids=lambda v: str(getattr(v, "seq", "")))
def test_an_entry_is_written_as_the_previous_version_wrote_it(stored: str, entry: Entry) -> None:
    assert _dumps(entry_to_json(entry)) == stored


def test_each_kind_names_itself() -> None:
    assert MessageEntry.kind is EntryKind.MESSAGE
    assert StateEntry.kind is EntryKind.STATE
