"""Transcript entries stored by an earlier version still load, and today's are written byte for byte the same.

Transcripts outlive a deploy (SQLite rows, Redis values, and the fan-out's messages between instances of two
versions during a rolling one). ``tests/support/stored_entries.py`` holds what the version before entries had
a class per kind wrote.
"""

from __future__ import annotations

import json

import pytest

from gateway.relay.codec import entry_from_json, entry_to_json
from gateway.relay.model import Entry, EntryKind, MessageEntry, StateEntry
from tests.support.stored_entries import WRITTEN_BEFORE


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
