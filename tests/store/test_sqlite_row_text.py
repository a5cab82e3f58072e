"""The SQLite store writes the JSON of its rows by hand for the common kinds (a conversation, a plain line, a
line for the agent, an agent's reply), and every byte of it must be what the codec's dicts dump to: the Redis
store writes those dumps, an older gateway reads them back, and a row written otherwise would be another
shape.

Each case compares the hand-written text with ``json.dumps`` of the codec's dict, the way the store wrote it
before, for any values of the model's types, times that are not finite numbers included (those take the
codec's path: Python's repr spells ``nan`` where JSON writes ``NaN``).
"""

from __future__ import annotations

import json
from math import inf, nan
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.relay import codec
from gateway.relay.events import AgentJoined, AgentLeft, AgentRead, AgentSaid, CcEvent, Queued, Transferred
from gateway.relay.model import (
    AgentRef,
    AttachedFile,
    Author,
    BotWindow,
    Button,
    Card,
    CardAction,
    CardFact,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    Entry,
    Escalation,
    Handoff,
    LeaveItem,
    MessageEntry,
    OpenItem,
    OutboxItem,
    Outcome,
    PostItem,
    QueueRef,
    State,
    StateEntry,
)
from gateway.store.json_text import ConversationJson, cc_event_json, entry_json, outbox_json


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)  # as the store wrote every row before


text = st.text(st.characters(codec=None, exclude_categories=()), max_size=10)  # lone surrogates, controls too
short = st.text(max_size=6) | text
times = (
    st.floats(min_value=0, max_value=4e9) | st.sampled_from([nan, inf, -inf, -0.0]) | st.floats()
)  # huge, tiny
counts = st.integers(min_value=0, max_value=2**53) | st.integers()
agents = st.builds(AgentRef, id=short, name=short)
queues = st.builds(QueueRef, id=short, name=st.none() | short)
files = st.builds(
    AttachedFile,
    key=short,
    name=short,
    content_type=short,
    size=st.none() | counts,
    remote_id=st.none() | short,
    remote_url=st.none() | short,
)
buttons = st.builds(Button, title=short, payload=short)
cards = st.builds(
    Card,
    kind=st.just("adaptive"),
    title=st.none() | short,
    body=st.tuples() | st.tuples(short),
    facts=st.tuples() | st.tuples(st.builds(CardFact, title=short, value=short)),
    actions=st.tuples() | st.tuples(st.builds(CardAction, title=short, url=st.none() | short)),
)
customers = st.builds(
    Customer,
    name=st.none() | short,
    email=st.none() | short,
    language=st.none() | short,
    extra=st.just({}) | st.dictionaries(short, short, max_size=2),
)


T = TypeVar("T")


def _plain_or_any(plain: st.SearchStrategy[T], anything: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """Mostly the common kind the store writes by hand, often anything else of the type."""
    return st.one_of(plain, plain, anything)


message_entries = st.builds(
    MessageEntry,
    seq=counts,
    ts=times,
    author=st.sampled_from(Author),
    text=st.none() | text,
    client_id=st.none() | short,
    buttons=st.tuples() | st.tuples(buttons),
    image=st.none() | short,
    custom=st.none() | short,
    attachments=st.tuples() | st.tuples(files),
    card=st.none() | cards,
    agent=st.none() | agents,
    queue=st.none() | queues,
)
plain_lines = st.builds(
    MessageEntry,
    seq=counts,
    ts=times,
    author=st.sampled_from(Author),
    text=text,
    client_id=st.none() | short,
    agent=st.none() | agents,
)
state_entries = st.builds(
    StateEntry,
    seq=counts,
    ts=times,
    state=st.sampled_from(State),
    queue=st.none() | queues,
    outcome=st.none() | st.sampled_from(Outcome),
    agent=st.none() | agents,
)


@settings(max_examples=1000, deadline=None)
@given(_plain_or_any(plain_lines, message_entries | state_entries))
def test_an_entry_row_is_the_codecs_json(entry: Entry) -> None:
    assert entry_json(entry) == _dumps(codec.entry_to_json(entry))


conversation_ids = short.map(ConversationId)
outbox_items = (
    st.builds(
        PostItem,
        key=short,
        conversation_id=conversation_ids,
        seq=counts,
        text=text,
        author=st.sampled_from(Author),
        attachments=st.tuples() | st.tuples(files) | st.tuples(files, files),
        created_at=times,
    )
    | st.builds(
        OpenItem,
        key=short,
        conversation_id=conversation_ids,
        seq=counts,
        escalation_id=short,
        from_seq=counts,
        created_at=times,
    )
    | st.builds(LeaveItem, key=short, conversation_id=conversation_ids, seq=counts, created_at=times)
)


@settings(max_examples=1000, deadline=None)
@given(outbox_items)
def test_an_outbox_row_is_the_codecs_json(item: OutboxItem) -> None:
    assert outbox_json(item) == _dumps(codec.outbox_to_json(item))


agent_said = st.builds(
    AgentSaid,
    agent=agents,
    text=text,
    at=times,
    attachments=st.tuples() | st.tuples(files),
    buttons=st.tuples() | st.tuples(buttons),
    card=st.none() | cards,
)
cc_events = st.one_of(
    agent_said,
    st.builds(Queued, queue=queues, at=times),
    st.builds(AgentJoined, agent=agents, at=times),
    st.builds(AgentRead, read_at=times, at=times),
    st.builds(Transferred, at=times),
    st.builds(
        AgentLeft, agent=st.none() | agents, at=times, bot_continues=st.none() | st.tuples(times, times)
    ),
)


@settings(max_examples=1000, deadline=None)
@given(_plain_or_any(st.builds(AgentSaid, agent=agents, text=text, at=times), cc_events))
def test_an_inbound_rows_event_is_the_codecs_json(event: CcEvent) -> None:
    assert cc_event_json(event) == _dumps(codec.cc_event_to_json(event))


escalations = st.builds(
    Escalation,
    id=short,
    handoff=st.builds(
        Handoff,
        reason=short,
        queue_id=st.none() | short,
        customer=customers,
        context=st.just({}) | st.dictionaries(short, short, max_size=2),
    ),
    started_at=times,
    handoff_seq=counts,
    agent=st.none() | agents,
    agent_joined_at=st.none() | times,
    outcome=st.none() | st.sampled_from(Outcome),
    failure=st.none() | short,
    queued_at=st.none() | times,
    offered_at=st.none() | times,
    overflowed_at=st.none() | times,
)
bot_windows = st.builds(BotWindow, ends_at=times, quiet_s=times, last_at=times)


@st.composite
def histories(draw: st.DrawFn) -> list[Conversation]:
    """Conversations one ``ConversationJson`` writes in turn: a few ids, and parts drawn from small pools, so
    that a part is often the very object of the conversation's last row, sometimes an equal new one."""
    ids = draw(st.lists(conversation_ids, min_size=1, max_size=3))

    def pool(parts: st.SearchStrategy[T], size: int) -> list[T]:
        return draw(st.lists(parts, min_size=size, max_size=size + 2))

    conversation = st.builds(
        Conversation,
        id=st.sampled_from(ids),
        state=st.sampled_from(State),
        customer=st.sampled_from(pool(customers, 1)),
        created_at=times,
        last_seq=counts,
        active_at=times,
        warned_at=st.none() | times,
        version=counts,
        cc_conversation_id=st.none() | short.map(CcConversationId),
        cc_synced_seq=counts,
        queue=st.sampled_from([None, *pool(queues, 0)]),
        agent=st.sampled_from([None, *pool(agents, 0)]),
        transferring=st.booleans(),
        escalation=st.sampled_from([None, *pool(escalations, 0)]),
        agent_read_seq=st.just(0) | counts,
        cc_bot=st.sampled_from([None, *pool(bot_windows, 0)]),
    )
    return draw(st.lists(conversation, min_size=1, max_size=12))


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(min_value=1, max_value=3))
def test_each_conversation_row_is_the_codecs_json(history: list[Conversation], limit: int) -> None:
    rows = ConversationJson()
    rows.LIMIT = limit  # conversations forgotten and written anew as well
    for conversation in history:
        assert rows.data(conversation) == _dumps(codec.conversation_to_json(conversation))
