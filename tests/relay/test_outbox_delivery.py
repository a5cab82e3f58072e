"""The outbox delivery on its own: what reaches the contact center, in which order, how often, with which key.

Every customer line is acked once it is stored; from then on only the outbox gets it to the agent. These
tests drive the real relay on a real SQLite store and watch the calls a small in-process contact center
records (it can be told to be unavailable, or to refuse), so a lost, doubled, reordered or re-keyed line
shows here without sockets or an 8x8 emulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from gateway.bots.embedded import EmbeddedBot
from gateway.bots.rules import RuleSet
from gateway.channels.web.hub import Hub
from gateway.relay.decision import outbox_key
from gateway.relay.errors import ContactCenterRejected, ContactCenterUnavailable
from gateway.relay.events import AgentJoined, HandoffRequested
from gateway.relay.model import (
    AgentRef,
    AttachedFile,
    Author,
    CcConversationId,
    ConversationId,
    Customer,
    Handoff,
    MessageEntry,
    OutboxKind,
    State,
)
from gateway.relay.outbox import OutboxDelivery
from gateway.relay.ports import (
    Attachment,
    ContactCenterExtras,
    HistoryLine,
    NotReady,
    OpenRequest,
    StoredFile,
)
from gateway.relay.relay import Relay
from gateway.store.sqlite import SqliteStore
from tests.support.policies import policies_for_tests

RULES = Path(__file__).resolve().parents[2] / "gateway" / "bots" / "default_rules.toml"
FAST = replace(policies_for_tests().delivery, open_max_attempts=3, retry_base_s=0.001, retry_cap_s=0.002)


@dataclass
class RecordingContactCenter:
    """A contact center in memory: records each call that succeeded; fails the next calls when told to."""

    with_files: bool = False
    calls: list[tuple[str, str, object]] = field(default_factory=list)  # (operation, idempotency key, what)
    attempts: list[tuple[str, str]] = field(
        default_factory=list
    )  # every call, failed or not: (operation, key)
    unavailable: int = 0  # the next this many calls raise ContactCenterUnavailable
    refuse: set[str] = field(default_factory=set)  # operations refused for good
    opened: int = 0

    def _attempt(self, operation: str, key: str) -> None:
        self.attempts.append((operation, key))
        if operation in self.refuse:
            raise ContactCenterRejected(f"{operation} refused", status=400)
        if self.unavailable:
            self.unavailable -= 1
            raise ContactCenterUnavailable("try again")

    async def readiness(self) -> NotReady | None:
        return None

    async def open_conversation(self, request: OpenRequest, *, idempotency_key: str) -> CcConversationId:
        self._attempt("open", idempotency_key)
        self.opened += 1
        self.calls.append(("open", idempotency_key, tuple(line.text for line in request.history)))
        return CcConversationId(f"cc-{self.opened}")

    async def post_message(
        self, cc_conversation_id: CcConversationId, line: HistoryLine, *, idempotency_key: str
    ) -> None:
        self._attempt("post", idempotency_key)
        self.calls.append(("post", idempotency_key, (line.author, line.text)))

    async def customer_left(self, cc_conversation_id: CcConversationId, *, idempotency_key: str) -> None:
        self._attempt("leave", idempotency_key)
        self.calls.append(("leave", idempotency_key, cc_conversation_id))

    def can_reuse(self, cc_conversation_id: CcConversationId) -> bool:
        return True

    def extras(self, cc_conversation_id: CcConversationId | None = None) -> ContactCenterExtras | None:
        return _Files(self) if self.with_files else None


@dataclass
class _Files:
    cc: RecordingContactCenter

    async def post_attachment(
        self,
        cc_conversation_id: CcConversationId,
        attachment: Attachment,
        *,
        author: Author,
        idempotency_key: str,
    ) -> None:
        self.cc._attempt("file", idempotency_key)
        self.cc.calls.append(("file", idempotency_key, (attachment.filename, attachment.data)))

    async def bot_thinking(self, cc_conversation_id: CcConversationId) -> None: ...

    async def move_to_queue(self, cc_conversation_id: CcConversationId, queue_id: str) -> None: ...

    async def customer_typing(self, cc_conversation_id: CcConversationId) -> None: ...

    async def customer_read(self, cc_conversation_id: CcConversationId, *, read_at: float) -> None: ...

    async def fetch_attachment(
        self, cc_conversation_id: CcConversationId, attachment: AttachedFile
    ) -> tuple[str, bytes]:
        raise ContactCenterRejected("not kept here", status=404)


@dataclass
class Gateway:
    store: SqliteStore
    cc: RecordingContactCenter
    relay: Relay
    outbox: OutboxDelivery

    async def settle(self) -> None:
        for _ in range(3):
            await self.relay.idle()
            await self.outbox.idle()

    def operations(self) -> list[str]:
        return [op for op, _key, _what in self.cc.calls]


async def _gateway(store: SqliteStore, cc: RecordingContactCenter) -> Gateway:
    policies = policies_for_tests()
    relay = Relay(
        store=store,
        bot=EmbeddedBot(RuleSet.load(RULES)),
        fanout=Hub(store),
        contact_center=cc,
        on_outbox=lambda conversation_id: outbox.wake(conversation_id),
        bot_policy=policies.bot,
        conversation_policy=policies.conversation,
        extras_policy=policies.extras,
    )
    outbox = OutboxDelivery(
        relay, cc, FAST, store=store, file_url=lambda file: f"https://gw/files/{file.key}"
    )
    await relay.start()
    await outbox.start()
    return Gateway(store, cc, relay, outbox)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "store.db")
    yield opened
    await opened.close()


@pytest.fixture
async def gateway(store: SqliteStore) -> AsyncIterator[Gateway]:
    gw = await _gateway(store, RecordingContactCenter())
    yield gw
    await gw.outbox.stop()
    await gw.relay.stop()


async def _escalated(gw: Gateway, *lines: str) -> ConversationId:
    """A chat whose customer said ``lines`` to the bot, then asked for an agent (QUEUED once delivered)."""
    _token, conv = await gw.relay.start_session(Customer(name="Ann"))
    for i, text in enumerate(lines):
        await gw.relay.customer_says(conv.id, text, f"b{i}")
        await gw.settle()
    await gw.relay.apply(
        conv.id, HandoffRequested(Handoff(reason="customer_asked"), "esc-1", gw.relay.clock())
    )
    await gw.settle()
    return conv.id


async def test_an_escalation_opens_one_conversation_with_the_transcript_and_then_queues(
    gateway: Gateway,
) -> None:
    cid = await _escalated(gateway, "my order is late")
    ((operation, _key, history),) = gateway.cc.calls
    assert operation == "open"
    assert isinstance(history, tuple)
    assert "my order is late" in history
    conv = await gateway.relay.conversation(cid)
    assert (conv.state, conv.cc_conversation_id) == (State.QUEUED, "cc-1")
    assert await gateway.store.outbox(cid) == []


async def test_customer_lines_reach_the_agent_once_each_in_order_under_their_own_keys(
    gateway: Gateway,
) -> None:
    cid = await _escalated(gateway)
    for i in range(5):
        await gateway.relay.customer_says(cid, f"line {i}", f"k{i}")
    await gateway.relay.customer_says(cid, "line 0", "k0")  # the widget's retry of a stored line
    await gateway.settle()
    posts = [(key, what) for op, key, what in gateway.cc.calls if op == "post"]
    assert [what for _key, what in posts] == [(Author.CUSTOMER, f"line {i}") for i in range(5)]
    assert len({key for key, _what in posts}) == 5
    assert await gateway.store.outbox(cid) == []


async def test_an_unavailable_contact_center_is_tried_again_with_the_same_key(gateway: Gateway) -> None:
    cid = await _escalated(gateway)
    gateway.cc.unavailable = 2
    seq, _new = await gateway.relay.customer_says(cid, "still there?", "k1")
    await gateway.settle()
    key = outbox_key(cid, OutboxKind.POST, seq)
    assert [attempt for attempt in gateway.cc.attempts if attempt[0] == "post"] == [("post", key)] * 3
    assert [(op, k) for op, k, _ in gateway.cc.calls if op == "post"] == [("post", key)]
    assert await gateway.store.outbox(cid) == []


async def test_a_refused_escalation_tells_the_customer_and_hands_back_to_the_bot(gateway: Gateway) -> None:
    gateway.cc.refuse.add("open")
    cid = await _escalated(gateway)
    conv = await gateway.relay.conversation(cid)
    assert conv.state is State.BOT
    texts = [e.text for e in await gateway.relay.entries(cid) if isinstance(e, MessageEntry)]
    assert FAST.no_agent_text in texts
    assert await gateway.store.outbox(cid) == []


async def test_an_escalation_gives_up_after_its_last_attempt(gateway: Gateway) -> None:
    gateway.cc.unavailable = FAST.open_max_attempts
    cid = await _escalated(gateway)
    assert (await gateway.relay.conversation(cid)).state is State.BOT
    assert gateway.operations() == []
    assert FAST.no_agent_text in [
        e.text for e in await gateway.relay.entries(cid) if isinstance(e, MessageEntry)
    ]


async def test_a_refused_line_is_dropped_and_the_customer_told(gateway: Gateway) -> None:
    cid = await _escalated(gateway)
    gateway.cc.refuse.add("post")
    await gateway.relay.customer_says(cid, "hello?", "k1")
    await gateway.settle()
    assert FAST.undeliverable_text in [
        e.text for e in await gateway.relay.entries(cid) if isinstance(e, MessageEntry)
    ]
    assert await gateway.store.outbox(cid) == []


async def test_leaving_tells_the_contact_center(gateway: Gateway) -> None:
    cid = await _escalated(gateway)
    await gateway.relay.leave(cid)
    await gateway.settle()
    assert gateway.operations() == ["open", "leave"]


async def test_work_stored_by_a_previous_run_is_delivered_by_the_next_exactly_once(
    store: SqliteStore,
) -> None:
    first = await _gateway(store, RecordingContactCenter())
    cid = await _escalated(first)
    await first.relay.apply(cid, AgentJoined(AgentRef("a1", "Alex"), first.relay.clock()))
    first.cc.unavailable = 10**9  # nothing gets through before the process dies
    for i in range(3):
        await first.relay.customer_says(cid, f"line {i}", f"k{i}")
    await first.outbox.stop()
    await first.relay.stop()
    assert len(await store.outbox(cid)) == 3

    cc = RecordingContactCenter()
    second = await _gateway(store, cc)
    try:
        await second.settle()
    finally:
        await second.outbox.stop()
        await second.relay.stop()
    assert [what for op, _key, what in cc.calls if op == "post"] == [
        (Author.CUSTOMER, f"line {i}") for i in range(3)
    ]
    assert await store.outbox(cid) == []


async def test_files_go_as_attachments_where_the_contact_center_takes_them_else_as_links(
    store: SqliteStore,
) -> None:
    for with_files in (True, False):
        cc = RecordingContactCenter(with_files=with_files)
        gw = await _gateway(store, cc)
        try:
            cid = await _escalated(gw)
            file = AttachedFile(
                key=f"file-key-{with_files}", name="a.pdf", content_type="application/pdf", size=3
            )
            await store.put_attachment(StoredFile(cid, file, b"pdf", gw.relay.clock()))
            await gw.relay.customer_says(cid, "see attached", "f1", attachments=(file,))
            await gw.settle()
        finally:
            await gw.outbox.stop()
            await gw.relay.stop()
        sent = [(op, what) for op, _key, what in cc.calls if op != "open"]
        if with_files:
            assert sent == [("post", (Author.CUSTOMER, "see attached")), ("file", ("a.pdf", b"pdf"))]
        else:
            assert sent == [
                (
                    "post",
                    (
                        Author.CUSTOMER,
                        f"see attached\na.pdf (application/pdf, 3 B): https://gw/files/{file.key}",
                    ),
                )
            ]
