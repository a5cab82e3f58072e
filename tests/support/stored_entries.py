"""Transcript entries exactly as the version before entries had a class per kind stored them.

Both stores keep an entry as this JSON (compact separators): SQLite in ``entries.data``, Redis as the
member of ``entries:<id>``. Captured from that version's codec; the codec and store tests hold today's
code to it, so a deploy never strands a transcript.
"""

from __future__ import annotations

from gateway.relay.model import (
    AgentRef,
    AttachedFile,
    Author,
    Button,
    Card,
    CardAction,
    CardFact,
    Entry,
    MessageEntry,
    Outcome,
    QueueRef,
    State,
    StateEntry,
)

BEA = AgentRef("a1", "Bea")

WRITTEN_BEFORE: list[tuple[str, Entry]] = [
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
