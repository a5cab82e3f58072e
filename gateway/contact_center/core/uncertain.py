"""Exactly once without relying on ``Idempotency-Key``, the same for both APIs.

When a create or a send fails in a way that leaves open whether 8x8 acted on it (timeout, dropped
connection, 5xx other than 503), the adapter remembers the outbox key and when that attempt started. When
the outbox tries that key again, the adapter first finds out whether the first attempt took effect, and only
if not repeats the call:

- A create: the conversation lists may lag, so a list that does not show it yet is not proof that 8x8 did
  nothing. ``find_created`` looks again with backoff, and takes a conversation named by a verified webhook
  since the attempt (its first event, e.g. ``QUEUED``) as proof too, once 8x8 confirms that conversation is
  this chat's. Until ``settle_s`` have passed since the uncertain attempt it does not conclude "nothing
  happened" (the outbox tries again later), so a chat never gets two conversations.
- A send: each API counts its messages with this text (``Delivered`` knows which lines this process sent).

The memory is per process. A line that another process may have sent (one that died, or another instance
whose work this one took over) comes with ``HistoryLine.sent_before``: how many lines by the same author with
the same text came before it. ``went_through`` compares that with what 8x8 holds: more there can only mean
the line arrived. A list that lags, or a count of ours that is too high, ends in a repeat, never a loss.

A create that another process may have made comes with ``OpenRequest.maybe_created_since`` (when the handoff
was queued). ``inherit`` takes it as an uncertain attempt of this process made at that time: the create is
looked for as above (a conversation of this chat begun since then), and "none" is concluded only ``settle_s``
after this process first looked (the other process tried before that), once per key.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from gateway.contact_center.core.errors import Unavailable

logger = structlog.get_logger(__name__)

T = TypeVar("T")

LOOK_DELAYS_S = (0.0, 0.25, 0.5, 1.0, 2.0)
"""Backoff of the looks after an uncertain create, within one attempt of the outbox."""

CLOCK_SLACK_S = 5.0
"""A conversation or a webhook this much older than the attempt (by 8x8's clock against ours) still counts."""


class _Bounded(OrderedDict[str, T]):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self._limit = limit

    def put(self, key: str, value: T) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self._limit:
            self.popitem(last=False)


class Delivered:
    """Per conversation, the lines this process knows reached 8x8: (author type, text) -> times, and when."""

    def __init__(self, conversations: int = 2000) -> None:
        self._lines: _Bounded[list[tuple[str, str, float]]] = _Bounded(conversations)
        self._complete: _Bounded[bool] = _Bounded(conversations)

    def opened(self, conversation_id: str) -> None:
        """This process created the conversation: it knows every line in it."""
        self._complete.put(conversation_id, True)

    def knows_all(self, conversation_id: str) -> bool:
        return self._complete.get(conversation_id, False) and conversation_id in self._lines

    def add(self, conversation_id: str, kind: str, text: str, at: float) -> None:
        lines = self._lines.get(conversation_id)
        if lines is None:
            lines = []
            self._lines.put(conversation_id, lines)
        lines.append((kind, text, at))

    def count(self, conversation_id: str, kind: str, text: str, *, since: float = 0.0) -> int:
        return sum(
            1 for k, t, at in self._lines.get(conversation_id, ()) if (k, t) == (kind, text) and at >= since
        )

    def counts(self, conversation_id: str) -> Counter[tuple[str, str]]:
        return Counter((k, t) for k, t, _ in self._lines.get(conversation_id, ()))

    def posted(self, conversation_id: str, text: str) -> bool:
        """Whether this process posted ``text`` to the conversation (user or bot)."""
        return any(t == text for _, t, _ in self._lines.get(conversation_id, ()))


class Sightings:
    """Conversation ids named by verified webhooks, when first seen (bounded)."""

    def __init__(self, limit: int = 5000, clock: Callable[[], float] = time.time) -> None:
        self._seen: _Bounded[float] = _Bounded(limit)
        self._clock = clock

    def saw(self, conversation_id: str) -> None:
        if conversation_id not in self._seen:
            self._seen.put(conversation_id, self._clock())

    def since(self, started: float) -> list[str]:
        return [cid for cid, at in self._seen.items() if at >= started]


class Uncertain:
    """Outbox keys whose last attempt may have taken effect, with when that attempt started (bounded)."""

    def __init__(
        self,
        *,
        settle_s: float = 10.0,
        look_delays_s: tuple[float, ...] = LOOK_DELAYS_S,
        clock: Callable[[], float] = time.time,
        limit: int = 10_000,
    ) -> None:
        self._started: _Bounded[float] = _Bounded(limit)
        self._settle_from: _Bounded[float] = _Bounded(limit)  # inherited keys: when this process first looked
        self._cleared: _Bounded[bool] = _Bounded(limit)  # inherited keys found to have no conversation
        self._owners: _Bounded[str | None] = _Bounded(limit)
        self.settle_s = settle_s
        self._look_delays_s = look_delays_s
        self._clock = clock
        self.delivered = Delivered()
        self.sightings = Sightings(clock=clock)

    def started(self, key: str) -> float | None:
        return self._started.get(key)

    def forget(self, key: str) -> None:
        self._started.pop(key, None)
        self._settle_from.pop(key, None)

    def inherit(self, key: str, *, since: float) -> None:
        """Another process (one that died, or an instance whose work this one took over) may have made the
        create with ``key`` at some time after ``since``: look for it as after an uncertain attempt of this
        process made at ``since``. Once per key: nothing after this process's own attempts, or after it found
        that none was made."""
        if key in self._started or key in self._cleared:
            return
        self._started.put(key, since)
        self._settle_from.put(key, self._clock())

    async def guarded(self, key: str, call: Awaitable[T]) -> T:
        """``call``, remembering ``key`` when it fails with an uncertain outcome."""
        started = self._clock()
        try:
            result = await call
        except Unavailable as exc:
            if exc.ambiguous and key not in self._started:
                self._started.put(key, started)
            raise
        self.forget(key)
        return result

    async def find_created(
        self,
        key: str,
        chat_id: str,
        *,
        listed: Callable[[float], Awaitable[str | None]],
        owner_of: Callable[[str], Awaitable[str | None]],
    ) -> str | None:
        """After an uncertain create with ``key``: the conversation 8x8 made for ``chat_id``, or None once it is
        certain there is none. Raises ``Unavailable`` while it is too early to tell.

        ``listed(since)``: this chat's newest conversation at 8x8 begun since ``since`` (less ``CLOCK_SLACK_S``),
        if any; ``owner_of(id)``: the chat a conversation belongs to."""
        started = self._started.get(key)
        if started is None:
            return None
        inherited = key in self._settle_from
        for delay in self._look_delays_s:
            await asyncio.sleep(delay)
            found = await listed(started)
            if found is None:
                found = await self._sighted(chat_id, started, owner_of)
            if found is not None:
                self.forget(key)
                logger.info(
                    "cc_conversation_found_after_uncertain_create",
                    cc_conversation_id=found,
                    inherited=inherited,
                )
                return found
        if self._clock() - self._settle_from.get(key, started) < self.settle_s:
            raise Unavailable("create_conversation: not yet known whether 8x8 acted on the first attempt")
        self.forget(key)
        if inherited:
            self._cleared.put(key, True)
        return None

    async def _sighted(
        self, chat_id: str, started: float, owner_of: Callable[[str], Awaitable[str | None]]
    ) -> str | None:
        for cc_id in self.sightings.since(started - CLOCK_SLACK_S):
            if cc_id not in self._owners:
                self._owners.put(cc_id, await owner_of(cc_id))
            if self._owners.get(cc_id) == chat_id:
                return cc_id
        return None


def went_through(*, at_8x8: int, sent_before: int, api: str, cc_conversation_id: str) -> bool:
    """Whether a line another process may have sent reached 8x8: 8x8 holds more lines like it than the
    gateway sent before it (``HistoryLine.sent_before``)."""
    if at_8x8 > sent_before:
        logger.info("cc_message_found_after_takeover", api=api, cc_conversation_id=cc_conversation_id)
        return True
    return False
