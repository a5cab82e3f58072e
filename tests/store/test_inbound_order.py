"""An inbound event answered 2xx comes before any customer line sent after that answer, on both stores.

The webhook handlers answer 2xx when ``Relay.accept_cc_event`` returns. Issue 18 saw, on Redis with two
instances, an agent line whose webhook was answered 2xx applied after the customer's next line, so the
transcript showed it out of causal order. These tests drive the relay on a real store (a SQLite file, the
test session's redis-server) with the embedded bot and the process's own fan-out hub.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.bots.embedded import EmbeddedBot
from gateway.bots.rules import RuleSet
from gateway.channels.web.hub import Hub
from gateway.contact_center.unconfigured import NoContactCenter
from gateway.relay.events import AgentSaid, InboundEvent
from gateway.relay.model import (
    AgentRef,
    Author,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    MessageEntry,
    State,
)
from gateway.relay.ports import Leases, Store
from gateway.relay.relay import Relay, hash_token
from gateway.store.redis import RedisStore
from gateway.store.redis_leases import RedisLeases
from gateway.store.sqlite import SqliteStore
from tests.support.policies import policies_for_tests

RULES = Path(__file__).resolve().parents[2] / "gateway" / "bots" / "default_rules.toml"
CC = CcConversationId("cc-order")
CID = ConversationId("c-order")


@pytest.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened: Store
    if request.param == "redis":
        opened = await RedisStore.open(request.getfixturevalue("redis_url"))
    else:
        opened = await SqliteStore.open(tmp_path / "store.db")
    yield opened
    await opened.close()


def _relay(store: Store, leases: Leases | None = None) -> Relay:
    policies = policies_for_tests()
    return Relay(
        store=store,
        bot=EmbeddedBot(RuleSet.load(RULES)),
        fanout=Hub(store),
        contact_center=NoContactCenter(),
        on_outbox=lambda _conversation_id: None,  # these chats are with an agent already: nothing to send
        bot_policy=policies.bot,
        conversation_policy=policies.conversation,
        extras_policy=policies.extras,
        leases=leases,
    )


async def _with_agent(store: Store) -> None:
    conv = Conversation(
        id=CID, state=State.AGENT, customer=Customer(name="Ann"), created_at=1.0, cc_conversation_id=CC
    )
    await store.create_conversation(conv, hash_token("token"))


def _agent_line(event_id: str, text: str) -> InboundEvent:
    return InboundEvent(event_id, CC, AgentSaid(AgentRef("a1", "Alex"), text, 2.0), 2.0)


async def _authors_in_order(store: Store) -> list[tuple[Author, str | None]]:
    return [(e.author, e.text) for e in await store.entries(CID) if isinstance(e, MessageEntry)]


async def test_an_agent_line_answered_before_a_customer_line_comes_first(store: Store) -> None:
    relay = _relay(store)
    await _with_agent(store)
    try:
        assert await relay.accept_cc_event(_agent_line("e1", "How can I help?"))  # the webhook's 2xx
        await relay.customer_says(CID, "My order is late", "k1")
        await relay.idle()
    finally:
        await relay.stop()
    assert await _authors_in_order(store) == [
        (Author.AGENT, "How can I help?"),
        (Author.CUSTOMER, "My order is late"),
    ]


async def test_on_redis_an_event_answered_while_another_instance_applies_comes_first(
    redis_url: str,
) -> None:
    """Two instances on one Redis: the other one holds the conversation's inbound lease while this one's
    webhook arrives; the 2xx waits until the event is applied, so the customer's next line comes after it."""
    store = await RedisStore.open(redis_url)
    this = _relay(store, RedisLeases(store, lease_s=1.0, instance_id="this"))
    other = _relay(store, RedisLeases(store, lease_s=1.0, instance_id="other"))
    other_leases = RedisLeases(store, lease_s=1.0, instance_id="other")
    await _with_agent(store)
    holding, release = asyncio.Event(), asyncio.Event()

    async def other_applies() -> None:
        async with other_leases.claim(f"inbound:{CC}") as mine:
            assert mine
            holding.set()
            await release.wait()

    holder = asyncio.create_task(other_applies())
    try:
        await holding.wait()
        answered = asyncio.create_task(this.accept_cc_event(_agent_line("e2", "One moment")))
        await asyncio.sleep(0.2)
        release.set()
        await holder
        assert await answered  # the webhook's 2xx
        await this.customer_says(CID, "Thanks", "k2")
        other.kick_inbound(CC)  # whatever is still pending is applied now
        await other.idle()
        await this.idle()
        assert await _authors_in_order(store) == [(Author.AGENT, "One moment"), (Author.CUSTOMER, "Thanks")]
    finally:
        release.set()
        await holder
        await this.stop()
        await other.stop()
        await store.close()
