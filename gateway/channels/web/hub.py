"""Local fan-out: stored entries to the customer's open sockets, gap-free, never twice, never waited on.

The hub hands each socket's ``Subscriber`` the entries of its conversation; the subscriber's own writer
sends them (see ``subscriber.py``). Publishing, signalling and resyncing never wait for a socket, so one
customer who stops reading cannot delay anyone else's chat.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence

import structlog
from aiohttp import web

from gateway.channels.web.frames import dumps, signal_frame
from gateway.channels.web.subscriber import Rendered, Subscriber
from gateway.relay.model import ConversationId, Entry, Signal
from gateway.relay.ports import Store

logger = structlog.get_logger(__name__)


class Hub:
    """The ``Fanout`` of one gateway process."""

    def __init__(self, store: Store, *, queue_size: int = 256, send_timeout_s: float = 10.0) -> None:
        self._store = store
        self._queue_size = queue_size
        self._send_timeout_s = send_timeout_s
        self._subscribers: dict[ConversationId, dict[str, Subscriber]] = {}

    def subscribe(
        self,
        ws: web.WebSocketResponse,
        conversation_id: ConversationId,
        *,
        sent_seq: int,
        abort: Callable[[], None] = lambda: None,
        transport: asyncio.Transport | None = None,
    ) -> Subscriber:
        """A socket's subscriber, its writer started; queue its first frames before the next ``await``.
        With the socket's ``transport``, frames go straight to it while the socket keeps up."""
        subscriber = Subscriber(
            ws=ws,
            conversation_id=conversation_id,
            sent_seq=sent_seq,
            store=self._store,
            queue_size=self._queue_size,
            send_timeout_s=self._send_timeout_s,
            abort=abort,
            transport=transport,
        )
        subscriber.start()
        self._subscribers.setdefault(conversation_id, {})[subscriber.id] = subscriber
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscriber.stop()
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
                sub.replay()

    async def publish(
        self, conversation_id: ConversationId, entries: Sequence[Entry], *, origin: str | None = None
    ) -> None:
        subs = self._subscribers.get(conversation_id)
        if not subs:
            return
        rendered = [Rendered(e) for e in entries]  # serialised once for every socket that needs it
        for sub in list(subs.values()):
            sub.deliver(rendered, origin=origin)

    async def signal(self, conversation_id: ConversationId, signal: Signal) -> None:
        subs = self._subscribers.get(conversation_id)
        if not subs:
            return
        frame = dumps(signal_frame(signal))
        for sub in list(subs.values()):
            sub.notify(frame)


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
