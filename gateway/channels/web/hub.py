"""Local fan-out: stored entries to the customer's open sockets, gap-free and never twice.

Each socket (``Subscriber``) remembers the highest seq it has been sent. An entry at or below it is
skipped; an entry beyond the next one first pulls the missing ones from the store. So a resume that
races a live publish, or publishes that arrive out of order, still give every socket each entry
exactly once and in order. The socket that sent a customer line gets an ``ack`` instead of an echo.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog
from aiohttp import web

from gateway.channels.web.frames import dumps, entry_frame, signal_frame
from gateway.relay.model import Author, ConversationId, Entry, Signal
from gateway.relay.ports import Store

logger = structlog.get_logger(__name__)

Rendered = tuple[Entry, str]


@dataclass(eq=False)
class Subscriber:
    ws: web.WebSocketResponse
    conversation_id: ConversationId
    sent_seq: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    sending: set[str] = field(default_factory=set)
    """client_ids of the lines this socket is sending now: acked, not echoed, whichever way they arrive."""

    def _frame(self, entry: Entry, frame: str, origin: str | None) -> str:
        own = origin == self.id or entry.client_id in self.sending
        if own and entry.author is Author.CUSTOMER and entry.client_id is not None:
            return dumps({"type": "ack", "client_id": entry.client_id, "seq": entry.seq})
        return frame

    async def send(self, data: str) -> None:
        await self.ws.send_str(data)

    async def deliver(self, rendered: Sequence[Rendered], store: Store, *, origin: str | None) -> None:
        async with self.lock:
            for entry, frame in rendered:
                if entry.seq <= self.sent_seq:
                    continue
                if entry.seq > self.sent_seq + 1:
                    await self._catch_up(store, upto=entry.seq - 1)
                await self.send(self._frame(entry, frame, origin))
                self.sent_seq = entry.seq

    async def notify(self, frame: str) -> None:
        """A frame outside the transcript; sent under the lock so it never splits a catch-up."""
        async with self.lock:
            await self.send(frame)

    async def replay(self, store: Store) -> None:
        """Send everything stored after ``sent_seq`` (a resume)."""
        async with self.lock:
            await self._catch_up(store, upto=None)

    async def _catch_up(self, store: Store, *, upto: int | None) -> None:
        while True:
            entries = await store.entries(self.conversation_id, after=self.sent_seq, upto=upto, limit=500)
            for entry in entries:
                # A line of this socket's may come this way first (a gap filled, a resync): ack it here.
                await self.send(self._frame(entry, dumps(entry_frame(entry)), None))
                self.sent_seq = entry.seq
            if len(entries) < 500:
                return


class Hub:
    """The ``Fanout`` of one gateway process."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._subscribers: dict[ConversationId, dict[str, Subscriber]] = {}

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.setdefault(subscriber.conversation_id, {})[subscriber.id] = subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subs = self._subscribers.get(subscriber.conversation_id)
        if subs is not None:
            subs.pop(subscriber.id, None)
            if not subs:
                del self._subscribers[subscriber.conversation_id]

    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    def has_subscribers(self, conversation_id: ConversationId) -> bool:
        return conversation_id in self._subscribers

    async def resync(self) -> None:
        """Bring every socket up to date from the store (after publishes may have been missed)."""
        for subs in list(self._subscribers.values()):
            for sub in list(subs.values()):
                try:
                    await sub.replay(self._store)
                except (ConnectionError, RuntimeError) as exc:
                    logger.info(
                        "socket_send_failed", conversation_id=sub.conversation_id, error=type(exc).__name__
                    )

    async def publish(
        self, conversation_id: ConversationId, entries: Sequence[Entry], *, origin: str | None = None
    ) -> None:
        subs = self._subscribers.get(conversation_id)
        if not subs:
            return
        rendered = [(e, dumps(entry_frame(e))) for e in entries]  # serialised once for every socket
        for sub in list(subs.values()):
            try:
                await sub.deliver(rendered, self._store, origin=origin)
            except (ConnectionError, RuntimeError) as exc:
                # The socket went away mid-send; its handler unsubscribes it. The entry is stored,
                # so the client gets it on resume.
                logger.info("socket_send_failed", conversation_id=conversation_id, error=type(exc).__name__)

    async def signal(self, conversation_id: ConversationId, signal: Signal) -> None:
        subs = self._subscribers.get(conversation_id)
        if not subs:
            return
        frame = dumps(signal_frame(signal))
        for sub in list(subs.values()):
            try:
                await sub.notify(frame)
            except (ConnectionError, RuntimeError) as exc:
                logger.info("socket_send_failed", conversation_id=conversation_id, error=type(exc).__name__)


class OpenSockets:
    """Every open customer socket, weakly held, so shutdown can close them with 1001 (going away)."""

    def __init__(self) -> None:
        self._sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

    def add(self, ws: web.WebSocketResponse) -> None:
        self._sockets.add(ws)

    def __len__(self) -> int:
        return len(self._sockets)

    def snapshot(self) -> list[web.WebSocketResponse]:
        return list(self._sockets)
