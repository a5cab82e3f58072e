"""Client frames read as the JSON module reads them; server frames built by hand are the bytes ``dumps`` writes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.channels.web.frames import (
    FrameError,
    ack_frame,
    dumps,
    entry_frame,
    entry_text,
    parse_client_frame,
)
from gateway.relay.model import (
    AgentRef,
    AttachedFile,
    Author,
    Button,
    Card,
    MessageEntry,
    QueueRef,
    State,
    StateEntry,
)


@pytest.mark.parametrize(
    "client_id",
    ["c-42-17", 'quote " and \\ backslash', "tab\tnew\nline\x00\x1f", "ünïcödé ✓ 🙂", "</script>", "x" * 128],
)
@pytest.mark.parametrize("seq", [1, 17, 2**53])
def test_an_ack_is_the_json_dumps_writes(client_id: str, seq: int) -> None:
    assert ack_frame(client_id, seq) == dumps({"type": "ack", "client_id": client_id, "seq": seq})


any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)  # lone surrogates too
message_like = st.builds(
    lambda fields, ascii, spaces: json.dumps(fields, ensure_ascii=ascii).replace(",", "," + spaces),
    st.fixed_dictionaries(
        {"type": st.just("message"), "text": any_text, "client_id": any_text},
        optional={"extra": st.none()},
    )
    | st.fixed_dictionaries(
        {"type": st.just("message") | any_text},
        optional={"text": any_text | st.integers(), "client_id": any_text},
    ),
    st.booleans(),
    st.sampled_from(["", " ", "\n", "\t", "\u00a0", "\ufeff"]),
)
mutated = st.builds(
    lambda frame, at, insert: frame[:at] + insert + frame[at:],
    message_like,
    st.integers(min_value=0, max_value=80),
    st.just("")
    | st.sampled_from([" ", "x", ",", '"', "\\", "\x00", "\ud800", "}", '"text":"b",', '"message"']),
)


@settings(max_examples=1500, deadline=None)
@given(mutated)
def test_a_message_frame_is_what_the_json_module_reads(data: str) -> None:
    """Message frames are read in one pass by pydantic; whatever it accepts, ``json.loads`` reads the same,
    and whatever ``json.loads`` refuses is ``bad_json``."""
    try:
        raw = json.loads(data)
    except ValueError:
        raw = None
    code = None
    try:
        frame = parse_client_frame(data, max_frame_bytes=65536, max_text_chars=6)
    except FrameError as exc:
        code = exc.code
    else:
        assert raw == frame.model_dump()
        return
    assert raw is not None or code == "bad_json"
    if isinstance(raw, dict) and raw.get("type") == "message" and isinstance(raw.get("text"), str):
        assert code == ("too_long" if len(raw["text"]) > 6 else "invalid_frame")


short = st.text(max_size=8) | any_text
message_entries = st.builds(
    MessageEntry,
    seq=st.integers(min_value=1, max_value=2**53),
    ts=st.floats(min_value=0, max_value=4e9),
    author=st.sampled_from(Author),
    text=st.none() | any_text,
    client_id=st.none() | short,
    buttons=st.just(()) | st.tuples(st.builds(Button, title=short, payload=short)),
    image=st.none() | st.just("https://example.com/a.png"),
    custom=st.none() | st.just('{"kind":"x"}'),
    attachments=st.just(()) | st.tuples(st.builds(AttachedFile, key=short, name=short, content_type=short)),
    card=st.none() | st.builds(Card, kind=st.just("adaptive"), title=st.none() | short),
    agent=st.none() | st.builds(AgentRef, id=short, name=short),
    queue=st.none() | st.builds(QueueRef, id=short, name=st.none() | short),
)
state_entries = st.builds(
    StateEntry,
    seq=st.integers(min_value=1, max_value=2**53),
    ts=st.floats(min_value=0, max_value=4e9),
    state=st.sampled_from(State),
    agent=st.none() | st.builds(AgentRef, id=short, name=short),
)


@settings(max_examples=1000, deadline=None)
@given(message_entries | state_entries)
def test_an_entry_frame_is_the_json_dumps_writes(entry: MessageEntry | StateEntry) -> None:
    assert entry_text(entry) == dumps(entry_frame(entry))
