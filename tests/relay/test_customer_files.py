"""The relay's rules for a customer's file, whichever channel brought it.

Files go to agents only, the files of one chat share a quota, a ``client_id`` is at most 128 characters, and
a retried upload is answered with the line stored first (never stored twice). The channel only reads the
body and checks the media type; these tests call the relay as the channel does, on a real SQLite store.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.bots.embedded import EmbeddedBot
from gateway.bots.rules import RuleSet
from gateway.channels.web.hub import Hub
from gateway.contact_center.unconfigured import NoContactCenter
from gateway.relay.errors import InvalidInput, TooLarge, WrongState
from gateway.relay.files import Upload
from gateway.relay.model import Conversation, ConversationId, Customer, MessageEntry, State
from gateway.relay.relay import Relay, hash_token
from gateway.store.sqlite import SqliteStore
from tests.support.policies import policies_for_tests

RULES = Path(__file__).resolve().parents[2] / "gateway" / "bots" / "default_rules.toml"
QUOTA = 10


def _pdf(data: bytes = b"%PDF-") -> Upload:
    return Upload(name="a.pdf", data=data, content_type=lambda: "application/pdf")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "store.db")
    yield opened
    await opened.close()


@pytest.fixture
async def relay(store: SqliteStore) -> AsyncIterator[Relay]:
    policies = policies_for_tests()
    relay = Relay(
        store=store,
        bot=EmbeddedBot(RuleSet.load(RULES)),
        fanout=Hub(store),
        contact_center=NoContactCenter(),
        on_outbox=lambda _conversation_id: None,  # nothing is delivered here
        bot_policy=policies.bot,
        conversation_policy=policies.conversation,
        extras_policy=policies.extras,
    )
    yield relay
    await relay.stop()


async def _chat(store: SqliteStore, state: State) -> ConversationId:
    """A chat in ``state``, stored as the relay would have left it."""
    conv = Conversation(ConversationId(uuid.uuid4().hex), state, Customer(), created_at=1.0)
    await store.create_conversation(conv, hash_token(conv.id))
    return conv.id


async def test_a_file_for_the_agent_is_stored_with_its_line(relay: Relay, store: SqliteStore) -> None:
    cid = await _chat(store, State.QUEUED)
    seq, file = await relay.customer_sends_file(
        cid, _pdf(), text=" invoice ", client_id="u1", quota_bytes=QUOTA
    )
    assert file is not None
    assert (file.name, file.content_type, file.size) == ("a.pdf", "application/pdf", 5)
    (entry,) = await relay.entries(cid, after=seq - 1, upto=seq)
    assert isinstance(entry, MessageEntry)
    assert (entry.text, entry.attachments) == ("invoice", (file,))
    stored = await relay.open_file(file.key)
    assert stored is not None
    assert stored.data == b"%PDF-"


async def test_a_retried_upload_is_answered_with_the_first_line(relay: Relay, store: SqliteStore) -> None:
    cid = await _chat(store, State.AGENT)
    first = await relay.customer_sends_file(cid, _pdf(), text="", client_id="u1", quota_bytes=QUOTA)
    again = await relay.customer_sends_file(cid, _pdf(b"other"), text="", client_id="u1", quota_bytes=QUOTA)
    assert again == first
    assert len(await relay.entries(cid)) == 1


async def test_files_go_to_agents_only(relay: Relay, store: SqliteStore) -> None:
    cid = await _chat(store, State.BOT)
    conv = await relay.conversation(cid)
    with pytest.raises(WrongState):
        await relay.check_upload(conv, client_id=None, upto_bytes=5, quota_bytes=QUOTA)
    with pytest.raises(WrongState):
        await relay.customer_sends_file(cid, _pdf(), text="", client_id="u1", quota_bytes=QUOTA)
    assert await relay.entries(cid) == []


async def test_the_files_of_one_chat_share_a_quota(relay: Relay, store: SqliteStore) -> None:
    cid = await _chat(store, State.AGENT)
    await relay.customer_sends_file(cid, _pdf(b"123456"), text="", client_id="u1", quota_bytes=QUOTA)
    with pytest.raises(TooLarge):
        await relay.check_upload(
            await relay.conversation(cid), client_id=None, upto_bytes=5, quota_bytes=QUOTA
        )
    with pytest.raises(TooLarge):
        await relay.customer_sends_file(cid, _pdf(b"12345"), text="", client_id="u2", quota_bytes=QUOTA)
    await relay.customer_sends_file(cid, _pdf(b"1234"), text="", client_id="u3", quota_bytes=QUOTA)


async def test_a_client_id_is_at_most_128_characters(relay: Relay, store: SqliteStore) -> None:
    cid = await _chat(store, State.AGENT)
    await relay.customer_sends_file(cid, _pdf(), text="", client_id="x" * 128, quota_bytes=QUOTA)
    with pytest.raises(InvalidInput):
        await relay.customer_sends_file(cid, _pdf(), text="", client_id="y" * 129, quota_bytes=QUOTA)
