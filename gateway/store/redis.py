"""The scale-out store: Redis (redis-py asyncio), shared by every gateway instance.

Key layout (every key starts with the prefix ``P``, ``GATEWAY_STORE__PREFIX``, default ``gw:``):

====================================  ======  ==========================================================
key                                   type    holds
====================================  ======  ==========================================================
``P conv:<id>``                       hash    ``version``, ``state``, ``cc``, ``active_at``, ``data``
                                              (the conversation as JSON), ``change`` (id of the last
                                              change); ``version`` is the CAS guard
``P session:<sha256 hex of token>``   string  conversation id (the token itself is never stored)
``P cc:<contact-center id>``          string  conversation id
``P state:<state>``                   zset    conversation ids in that state, scored by last activity
``P entries:<id>``                    zset    the transcript: entry JSON scored by ``seq``
``P client_ids:<id>``                 hash    client_id -> seq (a client_id is stored once)
``P outbox:<id>``                     zset    undelivered item keys, scored by a global order number
``P outbox_items``                    hash    item key -> item JSON
``P outbox_conversations``            zset    conversation ids with work, scored by their oldest item
``P outbox_next``, ``P inbound_next`` string  order counters
``P inbound:<event id>``              hash    ``cc``, ``received_at``, ``data``; once applied ``data`` is
                                              dropped and the key expires after ``processed_ttl_s``
``P inbound_pending``                 zset    unapplied event ids by arrival (also ``P inbound_pending:<cc id>``)
``P attachment:<key>``                hash    a file: ``conversation_id``, ``created_at``, ``meta``, ``data``
``P lease:<name>``                    string  holder of a lease, with a TTL (see ``redis_leases``)
``P fanout``                          pubsub  entries for customer sockets on other instances
``P fanout:<instance id>``            pubsub  nothing: an instance's presence, listened to with ``P fanout``
====================================  ======  ==========================================================

Every change (``commit``, ``create_conversation``, ``record_inbound``) is one Lua script, so it applies
atomically or not at all; ``commit`` compares the stored ``version`` first (like the SQLite store's
``WHERE version = ?``). A retried script whose first run was applied (the answer was lost with the
connection) is recognised by its change id and applied once. Durability is Redis's: run it with ``appendonly yes`` and
``appendfsync always`` (see docs/deploying.md, "Running several instances").

The hot path's commands (reads, scripts, lease claims and releases) go through ``self.batch``
(``redis_batch.CommandBatcher``): those issued in one turn of the event loop reach Redis as one pipeline.
A change that stores entries also publishes them for the other instances' sockets, from its script
(``publish_entries``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, ParamSpec, TypeVar, cast

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.relay import codec
from gateway.relay.errors import DuplicateEvent, RepeatedClientId, StaleConversation, StoreUnavailable
from gateway.relay.events import InboundEvent
from gateway.relay.model import CcConversationId, Conversation, ConversationId, Entry, OutboxItem, State
from gateway.relay.ports import Change, NotReady, StoredFile, StoreStats
from gateway.store import redis_scripts
from gateway.store.decoded import DecodedConversations
from gateway.store.json_text import ConversationJson, cc_event_json, dumps, entry_json, outbox_json
from gateway.store.readiness import pinged
from gateway.store.redis_batch import CommandBatcher

P = ParamSpec("P")
T = TypeVar("T")

SOCKET_TIMEOUT_S = 5.0
MAX_CONNECTIONS = 100  # per instance; more concurrent calls wait up to SOCKET_TIMEOUT_S for one


class StoreConflict(ValueError):
    """A change that breaks a uniqueness rule (a client_id, seq, item key or session stored twice)."""


def _unavailable_on_connection_errors(
    method: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    return wrapper


def connect(url: str, *, read_timeout_s: float | None = SOCKET_TIMEOUT_S) -> aioredis.Redis:
    """A client with timeouts and quick retries, so a Redis restart costs a moment, not an error.

    Its pool blocks: a call finding all ``MAX_CONNECTIONS`` in use waits for one (up to the socket
    timeout) instead of failing at once, so a burst of customers is slowed, not refused.
    ``read_timeout_s=None``: no timeout per answer read (the caller times a whole pipeline instead).
    """
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=SOCKET_TIMEOUT_S,
        decode_responses=True,
        socket_timeout=read_timeout_s,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        health_check_interval=15,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=5),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    return aioredis.Redis.from_pool(pool)


class RedisStore:
    """``Store`` on Redis; many gateway instances may share one."""

    def __init__(
        self, client: aioredis.Redis, url: str, *, prefix: str = "gw:", processed_ttl_s: float = 7 * 86400
    ) -> None:
        self.redis = client
        self.url = url
        self.prefix = prefix
        self._ttl = max(1, int(processed_ttl_s))
        self._commit = client.register_script(redis_scripts.COMMIT)
        self._record_inbound = client.register_script(redis_scripts.RECORD_INBOUND)
        self.put_attachment_script = client.register_script(redis_scripts.PUT_ATTACHMENT)
        self._read_outbox = client.register_script(redis_scripts.READ_OUTBOX)
        self._outbox_delivered = client.register_script(redis_scripts.OUTBOX_DELIVERED)
        self.batch = CommandBatcher(connect(url, read_timeout_s=None), timeout_s=SOCKET_TIMEOUT_S)
        """The hot path's commands, pipelined per turn of the event loop (see ``redis_batch``)."""
        self._fanout: tuple[str, str, str] | None = None  # see ``publish_entries``
        self._decoded = DecodedConversations()
        self._json = ConversationJson()
        self._cc_owner: dict[str, str] = {}  # contact-center id -> conversation id: never changes once set

    @classmethod
    async def open(cls, url: str, *, prefix: str = "gw:", processed_ttl_s: float = 7 * 86400) -> RedisStore:
        client = connect(url)
        store = cls(client, url, prefix=prefix, processed_ttl_s=processed_ttl_s)
        try:
            await store.ping()
        except BaseException:
            await client.aclose()
            raise
        return store

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def publish_entries(self, channel: str, instance_id: str) -> str:
        """From now on, every change that stores entries also publishes them on ``channel`` from its script
        while another instance listens: ``{"i": instance_id, "c": conversation id, "e": [entry, ...]}``.
        Returns this instance's presence channel, which its listener subscribes to with ``channel``: the
        script publishes only when ``channel`` has more listeners than that (see ``redis_fanout``)."""
        presence = f"{channel}:{instance_id}"
        self._fanout = (channel, '{"i":' + dumps(instance_id) + ',"c":', presence)
        return presence

    async def close(self) -> None:
        await self.batch.close()
        await self.redis.aclose()

    @_unavailable_on_connection_errors
    async def ping(self) -> None:
        await self.redis.ping()

    async def readiness(self) -> NotReady | None:
        return await pinged(self.ping)

    # --- conversations ---------------------------------------------------------------------------

    @_unavailable_on_connection_errors
    async def create_conversation(
        self, conversation: Conversation, token_hash: bytes, entries: Sequence[Entry] = ()
    ) -> None:
        change = self._change_json(conversation, expected=-1, entries=entries)
        change["token"] = token_hash.hex()
        result = await self.batch.evalsha(self._commit, self.prefix, dumps(change))
        if result == "exists":
            raise StoreConflict(f"conversation {conversation.id} exists")
        self._check(result, conversation.id)
        self._decoded.put(conversation)

    @_unavailable_on_connection_errors
    async def conversation(self, conversation_id: ConversationId) -> Conversation | None:
        found = await self.batch.call("HMGET", self.key("conv", conversation_id), "version", "data")
        version, data = cast(list[str | None], found)
        return None if data is None else self._decoded.decoded(conversation_id, int(version or 0), data)

    @_unavailable_on_connection_errors
    async def conversation_by_token(self, token_hash: bytes) -> Conversation | None:
        found = await self.batch.call("GET", self.key("session", token_hash.hex()))
        return None if found is None else await self.conversation(ConversationId(str(found)))

    @_unavailable_on_connection_errors
    async def conversation_by_cc_id(self, cc_conversation_id: CcConversationId) -> Conversation | None:
        conversation_id = self._cc_owner.get(cc_conversation_id)
        if conversation_id is None:
            conversation_id = cast(
                str | None, await self.batch.call("GET", self.key("cc", cc_conversation_id))
            )
            if conversation_id is None:
                return None
            if len(self._cc_owner) >= 10_000:
                self._cc_owner.clear()
            self._cc_owner[cc_conversation_id] = conversation_id
        return await self.conversation(ConversationId(conversation_id))

    @_unavailable_on_connection_errors
    async def commit(self, change: Change) -> None:
        payload = self._change_json(
            change.conversation, expected=change.expected_version, entries=change.entries
        )
        payload |= {
            "outbox_add": [[o.key, outbox_json(o)] for o in change.outbox_add],
            "outbox_done": list(change.outbox_done),
            "drop_outbox": change.drop_outbox,
            "inbound_done": list(change.inbound_done),
        }
        if (added := change.inbound_add) is not None:
            payload["inbound_add"] = [added.event_id, added.cc_conversation_id, repr(added.received_at)]
        result = await self.batch.evalsha(self._commit, self.prefix, dumps(payload))
        if result == "duplicate_event":
            raise DuplicateEvent(added.event_id if added else "")
        self._check(result, change.conversation.id)
        self._decoded.put(change.conversation)

    def _change_json(self, conv: Conversation, *, expected: int, entries: Sequence[Entry]) -> dict[str, Any]:
        return {
            "id": conv.id,
            "change": os.urandom(16).hex(),  # names this change, so a retry of it is recognised
            "expected": expected,
            "version": conv.version,
            "data": "" if conv.version == expected else self._json.data(conv),
            "state": conv.state.value,
            "active_at": repr(conv.active_at),
            "cc": conv.cc_conversation_id or "",
            "entries": [[e.seq, codec.entry_client_id(e) or "", entry_json(e)] for e in entries],
            "outbox_add": [],
            "outbox_done": [],
            "drop_outbox": False,
            "inbound_done": [],
            "ttl": self._ttl,
            "pub": [] if self._fanout is None or not entries else self._publication(conv.id),
        }

    def _publication(self, conversation_id: ConversationId) -> list[str]:
        """Channel, message up to its entries (the script appends them and closes it), presence channel."""
        assert self._fanout is not None
        channel, head, presence = self._fanout
        return [channel, head + dumps(conversation_id) + ',"e":[', presence]

    @staticmethod
    def _check(result: object, conversation_id: ConversationId) -> None:
        if result in ("ok", "same"):
            return
        if result == "stale":
            raise StaleConversation(conversation_id)
        if result == "duplicate_client_id":
            raise RepeatedClientId(conversation_id)
        raise StoreConflict(f"conversation {conversation_id}: {result}")

    @_unavailable_on_connection_errors
    async def idle_conversations(
        self, states: Sequence[State], *, before: float, after: float = 0.0, limit: int = 500
    ) -> list[ConversationId]:
        found: list[tuple[float, str]] = []
        for state in states:
            rows = await self.redis.zrangebyscore(
                self.key("state", state.value), after, f"({before!r}", start=0, num=limit, withscores=True
            )
            found.extend((float(score), str(member)) for member, score in cast(list[tuple[str, float]], rows))
        found.sort()
        return [ConversationId(member) for _score, member in found[:limit]]

    # --- transcript ------------------------------------------------------------------------------

    @_unavailable_on_connection_errors
    async def entries(
        self, conversation_id: ConversationId, *, after: int = 0, upto: int | None = None, limit: int = 1000
    ) -> list[Entry]:
        rows: list[str] = await self.batch.call(
            "ZRANGEBYSCORE",
            self.key("entries", conversation_id),
            f"({after}",
            "+inf" if upto is None else upto,
            "LIMIT",
            0,
            limit,
        )
        return [codec.entry_from_json(json.loads(r)) for r in rows]

    @_unavailable_on_connection_errors
    async def seq_of_client_id(self, conversation_id: ConversationId, client_id: str) -> int | None:
        seq = await self.batch.call("HGET", self.key("client_ids", conversation_id), client_id)
        return None if seq is None else int(seq)

    # --- outbox ----------------------------------------------------------------------------------

    @_unavailable_on_connection_errors
    async def outbox_delivered(self, conversation_id: ConversationId, keys: Sequence[str]) -> None:
        if keys:
            await self.batch.evalsha(self._outbox_delivered, self.prefix, conversation_id, *keys)

    @_unavailable_on_connection_errors
    async def outbox(self, conversation_id: ConversationId) -> list[OutboxItem]:
        rows = cast(
            list[str | None], await self.batch.evalsha(self._read_outbox, self.prefix, conversation_id)
        )
        return [codec.outbox_from_json(json.loads(r)) for r in rows if r is not None]

    @_unavailable_on_connection_errors
    async def conversations_with_outbox(self) -> list[ConversationId]:
        found: list[str] = await self.redis.zrange(self.key("outbox_conversations"), 0, -1)  # type: ignore[assignment]
        return [ConversationId(c) for c in found]

    @_unavailable_on_connection_errors
    async def stats(self) -> StoreStats:
        async with self.redis.pipeline(transaction=True) as pipe:
            for state in State:
                pipe.zcard(self.key("state", state.value))
            pipe.hlen(self.key("outbox_items"))
            pipe.zrange(self.key("outbox_conversations"), 0, 0)
            *counts, depth, oldest_conversation = await pipe.execute()
        oldest: float | None = None
        if oldest_conversation:
            items = await self.outbox(ConversationId(oldest_conversation[0]))
            if items:
                oldest = items[0].created_at
        return StoreStats(
            conversations_by_state={s.value: int(n) for s, n in zip(State, counts, strict=True) if n},
            outbox_depth=int(depth),
            outbox_oldest_created_at=oldest,
        )

    # --- attachments (see redis_files.py) ------------------------------------------------------

    @_unavailable_on_connection_errors
    async def put_attachment(self, file: StoredFile) -> None:
        from gateway.store.redis_files import put_attachment

        await put_attachment(self, file)

    @_unavailable_on_connection_errors
    async def attachment(self, key: str) -> StoredFile | None:
        from gateway.store.redis_files import attachment

        return await attachment(self, key)

    # --- inbound ---------------------------------------------------------------------------------

    @_unavailable_on_connection_errors
    async def record_inbound(self, event: InboundEvent) -> bool:
        fresh = await self.batch.evalsha(
            self._record_inbound,
            self.prefix,
            event.event_id,
            event.cc_conversation_id,
            repr(event.received_at),
            cc_event_json(event.event),
        )
        return bool(fresh)

    # --- retention (new; see redis_purge.py) -----------------------------------------------------

    @_unavailable_on_connection_errors
    async def purge(self, conversation_ids: Sequence[ConversationId]) -> int:
        """Delete these conversations and everything of theirs; returns how many existed."""
        from gateway.store.redis_purge import purge

        return await purge(self, conversation_ids)

    @_unavailable_on_connection_errors
    async def pending_inbound(self, cc_conversation_id: CcConversationId | None = None) -> list[InboundEvent]:
        pending = "inbound_pending" + ("" if cc_conversation_id is None else f":{cc_conversation_id}")
        # Usually nothing waits: one plain read then, no script. Else the events, in one more round trip.
        event_ids = cast(list[str], await self.batch.call("ZRANGE", self.prefix + pending, 0, -1))
        if not event_ids:
            return []
        reads = [
            self.batch.call("HMGET", self.key("inbound", e), "cc", "received_at", "data") for e in event_ids
        ]
        rows = cast(list[list[str | None]], await asyncio.gather(*reads))
        return [
            InboundEvent(
                event_id=event_id,
                cc_conversation_id=CcConversationId(str(cc)),
                received_at=float(str(received_at)),
                event=codec.cc_event_from_json(json.loads(data)),
            )
            for event_id, (cc, received_at, data) in zip(event_ids, rows, strict=True)
            if data is not None  # applied meanwhile
        ]
