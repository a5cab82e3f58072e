"""Bounds on customer uploads while they are read: how many at once, and how slowly they may arrive.

A file is read into memory (up to ``GATEWAY_ATTACHMENTS__MAX_BYTES``) before it is checked and stored, so
what an attacker can make the gateway hold is the number of uploads being read times that size. The
handler checks the cheap things first (session, state, ``Content-Length``), then takes a slot here: one
per session, a few per address, and a few for the whole instance. A body that stops arriving, or
arrives too slowly, is cut off with ``408`` and its slot is freed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Hashable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from gateway.relay.errors import CustomerError, RateLimited

T = TypeVar("T")


class UploadTimeout(CustomerError):
    code = "timeout"


class UploadSlots:
    """Uploads being read now, counted globally, per address and per session."""

    def __init__(self, *, total: int, per_address: int, per_session: int) -> None:
        self._total = total
        self._per_address = per_address
        self._per_session = per_session
        self._by_address: Counter[Hashable] = Counter()
        self._by_session: Counter[Hashable] = Counter()

    @property
    def in_flight(self) -> int:
        return self._by_address.total()

    @contextmanager
    def hold(self, *, address: str, session: str) -> Iterator[None]:
        """A slot for one upload, or ``RateLimited`` (``429``) when a bound is reached."""
        if self._by_session[session] >= self._per_session:
            raise RateLimited("one file at a time, please: wait for the last one to finish")
        if self._by_address[address] >= self._per_address or self.in_flight >= self._total:
            raise RateLimited("too many files are being sent right now, retry in a moment")
        self._by_address[address] += 1
        self._by_session[session] += 1
        try:
            yield
        finally:
            _release(self._by_address, address)
            _release(self._by_session, session)


def _release(counter: Counter[Hashable], key: Hashable) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]


async def within(read: Awaitable[T], *, idle_s: float) -> T:
    """One read of the body, given up with ``UploadTimeout`` when nothing arrives for ``idle_s``."""
    try:
        return await asyncio.wait_for(read, idle_s)
    except TimeoutError:
        raise UploadTimeout(f"the upload stalled: nothing arrived for {idle_s:g} s") from None
