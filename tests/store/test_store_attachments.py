"""The ``Store`` port's promises about files (parametrised by store like the contract suite).

A customer's upload is acked only once its bytes are stored, so they must come back exactly, survive a
restart, and an agent's file recorded without bytes must be fillable once (the proxied copy) but never
overwritten: a link handed out keeps serving what it served first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.relay.model import AttachedFile, ConversationId
from gateway.relay.ports import Store, StoredFile
from gateway.store.sqlite import SqliteStore

CID = ConversationId("c1")
PNG = AttachedFile(key="key-png", name="shot.png", content_type="image/png", size=4)
REMOTE = AttachedFile(key="key-remote", name="a.pdf", content_type="application/pdf", remote_id="att-1")


@pytest.fixture(params=["sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = await SqliteStore.open(tmp_path / "store.db")
    yield opened
    await opened.close()


async def test_a_file_comes_back_byte_for_byte(store: Store) -> None:
    data = bytes(range(256)) * 3
    await store.put_attachment(StoredFile(CID, PNG, data, 5.0))
    assert await store.attachment("key-png") == StoredFile(CID, PNG, data, 5.0)
    assert await store.attachment("key-unknown") is None


async def test_a_proxied_file_is_filled_in_once_and_never_replaced(store: Store) -> None:
    await store.put_attachment(StoredFile(CID, REMOTE, None, 1.0))
    stored = await store.attachment("key-remote")
    assert stored is not None
    assert stored.data is None
    await store.put_attachment(StoredFile(CID, REMOTE, b"first", 2.0))
    await store.put_attachment(StoredFile(CID, REMOTE, b"second", 3.0))
    again = await store.attachment("key-remote")
    assert again == StoredFile(CID, REMOTE, b"first", 1.0)


async def test_files_survive_reopening(tmp_path: Path) -> None:
    first = await SqliteStore.open(tmp_path / "again.db")
    await first.put_attachment(StoredFile(CID, PNG, b"\x89PNG", 5.0))
    await first.close()
    second = await SqliteStore.open(tmp_path / "again.db")
    try:
        found = await second.attachment("key-png")
        assert found is not None
        assert found.data == b"\x89PNG"
    finally:
        await second.close()
