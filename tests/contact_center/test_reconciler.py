"""The orphan sweep on its own: which finished conversations it asks 8x8 about, what it frees, and that one
failing conversation or sweep does not stop the rest. A real SQLite store; 8x8's side is ``Interactions``,
an ``OrphanCheck`` that knows which interactions are open (the Chat API and Chat Gateway checks against
the emulator are exercised end to end in tests/integration/test_orphans.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gateway.contact_center.reconciler import reconcile_once, run_reconciler
from gateway.relay.errors import ContactCenterUnavailable
from gateway.relay.model import CcConversationId, Conversation, Outcome, State
from gateway.store.sqlite import SqliteStore
from tests.support.records import append, conversation, create, leave, message

NOW = 10_000.0
WINDOW_S = 3600.0


@dataclass
class Interactions:
    """8x8's side as the sweep sees it: the interactions still open, those of this API (``mine:`` ids)."""

    open: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)
    freed: list[str] = field(default_factory=list)
    any_freed: asyncio.Event = field(default_factory=asyncio.Event)

    def owns(self, cc_conversation_id: CcConversationId) -> bool:
        return cc_conversation_id.startswith("mine:")

    async def still_open(self, cc_conversation_id: CcConversationId) -> bool:
        self.asked.append(cc_conversation_id)
        if cc_conversation_id in self.failing:
            raise ContactCenterUnavailable("8x8 answered 503")
        return cc_conversation_id in self.open

    async def free(self, cc_conversation_id: CcConversationId) -> None:
        self.freed.append(cc_conversation_id)
        self.open.discard(cc_conversation_id)
        self.any_freed.set()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "reconcile.db", synchronous="NORMAL")
    yield opened
    await opened.close()


def ended(
    cid: str,
    cc_id: str | None,
    *,
    active_at: float = NOW - 60,
    state: State = State.CLOSED,
    outcome: Outcome | None = Outcome.COMPLETED,
) -> Conversation:
    """A conversation escalated to ``cc_id`` whose escalation ended with ``outcome`` (None: not yet)."""
    return conversation(cid, state=state, active_at=active_at, cc_id=cc_id, outcome=outcome)


async def sweep(store: SqliteStore, check: Interactions) -> int:
    return await reconcile_once(store, check, now=NOW, window_s=WINDOW_S)


async def test_a_closed_conversation_whose_interaction_8x8_still_holds_is_freed_once(
    store: SqliteStore,
) -> None:
    await create(store, ended("c1", "mine:1"))
    check = Interactions(open={"mine:1"})
    fixed: list[None] = []

    assert (
        await reconcile_once(store, check, now=NOW, window_s=WINDOW_S, on_fixed=lambda: fixed.append(None))
        == 1
    )

    assert check.freed == ["mine:1"]
    assert len(fixed) == 1
    assert await sweep(store, check) == 0  # 8x8 ended it: the next sweep only asks
    assert check.freed == ["mine:1"]


async def test_a_conversation_back_with_the_bot_after_an_escalation_is_checked_too(
    store: SqliteStore,
) -> None:
    await create(store, ended("c1", "mine:1", state=State.BOT, outcome=Outcome.CANCELLED))
    check = Interactions(open={"mine:1"})
    assert await sweep(store, check) == 1
    assert check.freed == ["mine:1"]


async def test_an_interaction_8x8_has_ended_is_left_alone(store: SqliteStore) -> None:
    await create(store, ended("c1", "mine:1"))
    check = Interactions()
    assert await sweep(store, check) == 0
    assert check.asked == ["mine:1"]
    assert check.freed == []


async def test_only_finished_escalations_of_this_api_with_nothing_in_the_outbox_are_asked_about(
    store: SqliteStore,
) -> None:
    await create(store, ended("other-api", "theirs:1"))  # the other API's sweep looks after it
    await create(store, conversation("never-escalated", state=State.CLOSED, active_at=NOW - 60))
    await create(store, ended("still-escalating", "mine:2", outcome=None))
    await create(store, ended("with-agent", "mine:3", state=State.AGENT))  # never swept, whatever the outcome
    leaving = await create(store, ended("leave-pending", "mine:4"))
    await append(store, leaving, message(1, "bye"), outbox=(leave("leave-pending", 1),))
    await create(store, ended("due", "mine:5", outcome=Outcome.ABANDONED))
    check = Interactions(open={"theirs:1", "mine:2", "mine:3", "mine:4", "mine:5"})

    assert await sweep(store, check) == 1

    assert check.asked == ["mine:5"]
    assert check.freed == ["mine:5"]


async def test_only_conversations_active_within_the_window_and_not_this_instant_are_swept(
    store: SqliteStore,
) -> None:
    await create(store, ended("too-old", "mine:old", active_at=NOW - WINDOW_S - 1))
    await create(store, ended("oldest-in", "mine:edge", active_at=NOW - WINDOW_S))
    await create(store, ended("just-now", "mine:now", active_at=NOW))
    check = Interactions(open={"mine:old", "mine:edge", "mine:now"})

    assert await sweep(store, check) == 1
    assert check.freed == ["mine:edge"]


async def test_a_conversation_8x8_cannot_answer_for_is_skipped_and_the_rest_are_swept(
    store: SqliteStore,
) -> None:
    await create(store, ended("c1", "mine:1", active_at=NOW - 30))
    await create(store, ended("c2", "mine:2", active_at=NOW - 20))
    check = Interactions(open={"mine:1", "mine:2"}, failing={"mine:1"})

    assert await sweep(store, check) == 1

    assert check.asked == ["mine:1", "mine:2"]
    assert check.freed == ["mine:2"]


async def test_the_sweep_runs_every_interval_and_a_failed_sweep_does_not_end_it(store: SqliteStore) -> None:
    conv = conversation(
        "c1", state=State.CLOSED, active_at=NOW - 30, cc_id="mine:1", outcome=Outcome.COMPLETED
    )
    await create(store, conv)
    check = Interactions(open={"mine:1"})
    clock_calls = 0

    def clock() -> float:
        nonlocal clock_calls
        clock_calls += 1
        if clock_calls == 1:
            raise RuntimeError("the first sweep fails outright")
        return NOW

    task = asyncio.create_task(run_reconciler(store, check, interval_s=0.01, window_s=WINDOW_S, clock=clock))
    try:
        async with asyncio.timeout(5):
            await check.any_freed.wait()
    finally:
        task.cancel()
    assert check.freed == ["mine:1"]
    assert clock_calls >= 2
