"""Fan-out across instances: entries stored by one instance reach customer sockets held by another.

``publish`` delivers to this instance's sockets (the local ``Hub``: ack for the sending socket, gap
filling from the store). The entries were published on the ``P fanout`` channel already, by the script
that stored them (``RedisStore.publish_entries``): no command of their own, and none stored unpublished
while another instance listens. Every instance listens on that channel and hands what other instances
published to its own hub (its own messages it recognises by their first bytes, without decoding them).
It also listens, on the same subscription, on a presence channel of its own (``P fanout:<instance id>``),
on which nothing is published: a script that finds no more listeners on ``P fanout`` than on its
instance's presence channel (the instance alone, or nobody) skips the publish, so an instance alone
hears nothing back. Nothing is lost in between:

- a socket that resumes subscribes locally first and then replays from the store, and the channel is
  listened to from start-up, so every entry stored after the replay's read is published after it;
- the hub skips what a socket already has and pulls gaps from the store, so duplicates and out-of-order
  messages from several publishers are harmless;
- pub/sub messages sent while an instance was cut off from Redis are lost to it, so after every
  re-subscription the hub brings all its sockets up to date from the store.

One channel for all conversations keeps this simple and race-free (no per-conversation subscribe on
resume); each instance sees every entry's JSON once, which Redis and the instances handle easily at chat
rates. Sharded channels per conversation would be the step beyond that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gateway.channels.web.hub import Hub
from gateway.relay import codec
from gateway.relay.errors import StoreUnavailable
from gateway.relay.model import Author, ConversationId, Entry, ReadUpTo, Signal, Typing
from gateway.store.redis import SOCKET_TIMEOUT_S, RedisStore

logger = structlog.get_logger(__name__)

RECONNECT_BASE_S = 0.05
RECONNECT_CAP_S = 2.0


class RedisFanout:
    """The ``Fanout`` of an instance that shares its store (Redis) with others."""

    def __init__(self, store: RedisStore, hub: Hub, *, instance_id: str | None = None) -> None:
        self._store = store
        self._hub = hub
        self.instance_id = instance_id or uuid.uuid4().hex
        self.channel = store.key("fanout")
        self._own = f'{{"i":{json.dumps(self.instance_id)},'  # how this instance's messages begin
        # entries: published by the commit's script, when another instance listens
        self._presence = store.publish_entries(self.channel, self.instance_id)
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        # Its own connection, which never reconnects behind our back: a silent re-subscription would
        # hide the messages missed meanwhile, so every disconnect surfaces here and ends in a resync.
        self._listening = aioredis.Redis.from_url(
            store.url,
            decode_responses=True,
            socket_connect_timeout=SOCKET_TIMEOUT_S,
            health_check_interval=5,
            retry=Retry(NoBackoff(), 0),
        )

    async def start(self) -> None:
        """Listen from now on (returns once subscribed, so nothing published after start is missed)."""
        self._listener = asyncio.create_task(self._listen())
        subscribed = asyncio.ensure_future(self._subscribed.wait())
        done, _ = await asyncio.wait({subscribed, self._listener}, return_when=asyncio.FIRST_COMPLETED)
        if self._listener in done:
            subscribed.cancel()
            self._listener.result()  # raises what stopped it

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._listening.aclose()

    async def publish(
        self, conversation_id: ConversationId, entries: Sequence[Entry], *, origin: str | None = None
    ) -> None:
        """To this instance's sockets; the others got the entries from the script that stored them."""
        await self._hub.publish(conversation_id, entries, origin=origin)

    async def signal(self, conversation_id: ConversationId, signal: Signal) -> None:
        """Typing and read receipts: to this instance's sockets, then to the others' (not stored)."""
        await self._hub.signal(conversation_id, signal)
        await self._send({"i": self.instance_id, "c": conversation_id, "s": _signal_to_json(signal)})

    async def _send(self, message: dict[str, object]) -> None:
        try:
            await self._store.batch.call(
                "PUBLISH", self.channel, json.dumps(message, separators=(",", ":"), ensure_ascii=False)
            )
        except (RedisError, OSError) as exc:
            # Stored already; sockets elsewhere get it with the next entry, a resync or a resume.
            logger.warning("fanout_publish_failed", conversation_id=message["c"], error=type(exc).__name__)

    async def _listen(self) -> None:
        delay = RECONNECT_BASE_S
        first = True
        while True:
            pubsub: PubSub = self._listening.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel, self._presence)  # at once: both or neither
                if first:
                    first = False
                    self._subscribed.set()
                else:
                    logger.info("fanout_resubscribed")
                    await self._hub.resync()
                delay = RECONNECT_BASE_S
                while True:
                    message = await pubsub.get_message(timeout=1.0)  # pings an idle link now and then
                    if message is not None and message.get("type") == "message":
                        await self._deliver(message["data"])
            except (RedisError, OSError, StoreUnavailable) as exc:
                if first:
                    raise
                logger.warning("fanout_disconnected", error=type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(RECONNECT_CAP_S, delay * 2)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    async def _deliver(self, data: str) -> None:
        if data.startswith(self._own):
            return  # delivered locally already
        try:
            message = json.loads(data)
            conversation_id = ConversationId(message["c"])
            if not self._hub.has_subscribers(conversation_id):
                return
            if "s" in message:
                await self._hub.signal(conversation_id, _signal_from_json(message["s"]))
                return
            entries = [codec.entry_from_json(e) for e in message["e"]]
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("fanout_message_unreadable", error=str(exc))
            return
        await self._hub.publish(conversation_id, entries)


def _signal_to_json(signal: Signal) -> dict[str, object]:
    match signal:
        case Typing(author=author, active=active, agent=agent):
            return {"type": "typing", "author": author, "active": active, "agent": codec.agent_to_json(agent)}
        case ReadUpTo(author=author, seq=seq, at=at):
            return {"type": "read", "author": author, "seq": seq, "at": at}


def _signal_from_json(d: dict[str, Any]) -> Signal:
    if d["type"] == "typing":
        return Typing(
            author=Author(d["author"]), active=bool(d["active"]), agent=codec.agent_from_json(d["agent"])
        )
    if d["type"] == "read":
        return ReadUpTo(author=Author(d["author"]), seq=int(d["seq"]), at=d["at"])
    raise ValueError(f"unknown signal {d['type']!r}")
