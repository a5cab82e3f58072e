"""Who is asking: the client address, and how many sockets each address holds open."""

from __future__ import annotations

from collections import Counter

from aiohttp import web

from gateway.settings import WebSettings


def client_address(request: web.Request, settings: WebSettings) -> str:
    """The address the per-address limits count against.

    Behind ``settings.trusted_proxies`` proxies that each append the address they saw to
    ``X-Forwarded-For`` (nginx's ``$proxy_add_x_forwarded_for``), the client is that many entries from the
    right. Everything further left was written by the client, so it is never used: a forged first hop
    cannot buy a fresh budget. A header with fewer entries than proxies counts as the peer's own.
    """
    if settings.trust_forwarded_for:
        joined = ",".join(request.headers.getall("X-Forwarded-For", []))
        hops = [hop.strip() for hop in joined.split(",") if hop.strip()]
        if len(hops) >= settings.trusted_proxies:
            return hops[-settings.trusted_proxies]
    return request.remote or "unknown"


class SocketCounter:
    """Open customer sockets per address, to cap what one address can hold."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._open: Counter[str] = Counter()

    @property
    def total(self) -> int:
        """Open customer sockets on this instance, from every address."""
        return self._open.total()

    def try_open(self, address: str) -> bool:
        if self._open[address] >= self._limit:
            return False
        self._open[address] += 1
        return True

    def close(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]
