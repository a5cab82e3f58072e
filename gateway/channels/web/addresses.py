"""Who is asking: the client address, and how many sockets each address holds open."""

from __future__ import annotations

from collections import Counter

from aiohttp import web


def client_address(request: web.Request, *, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.remote or "unknown"


class SocketCounter:
    """Open customer sockets per address, to cap what one address can hold."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._open: Counter[str] = Counter()

    def try_open(self, address: str) -> bool:
        if self._open[address] >= self._limit:
            return False
        self._open[address] += 1
        return True

    def close(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]
