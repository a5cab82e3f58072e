"""A real HTTP proxy in front of the emulator that can lose an answer *after* 8x8 acted on the request.

The emulator's own faults answer before the handler runs, so they can only show "not carried out". A
timeout or a dropped connection after the request was carried out is the case Chat Gateway (no
Idempotency-Key) makes hard; this proxy causes it for real: it forwards the request, lets the emulator
answer, then closes the client's connection without passing the answer on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

_HOP = {"host", "content-length", "transfer-encoding", "connection"}


@dataclass
class LossyProxy:
    upstream: str
    url: str = ""
    lose: dict[tuple[str, str], int] = field(default_factory=dict)  # (method, path suffix) -> how many
    drop: dict[tuple[str, str], int] = field(default_factory=dict)  # ... dropped before 8x8 sees them
    lost: list[str] = field(default_factory=list)
    session: aiohttp.ClientSession | None = None

    def lose_next_answer(self, method: str, path_suffix: str, count: int = 1) -> None:
        self.lose[(method, path_suffix)] = count

    def drop_next_request(self, method: str, path_suffix: str, count: int = 1) -> None:
        """The same broken connection for the client, but 8x8 never saw the request."""
        self.drop[(method, path_suffix)] = count

    @staticmethod
    def _take(switches: dict[tuple[str, str], int], method: str, path: str) -> bool:
        for (m, suffix), count in switches.items():
            if m == method and path.endswith(suffix) and count > 0:
                switches[(m, suffix)] = count - 1
                return True
        return False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if self._take(self.drop, request.method, request.path):
            self.lost.append(f"{request.method} {request.path} -> dropped")
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=502)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        assert self.session is not None
        async with self.session.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as upstream:
            raw = await upstream.read()
            status = upstream.status
            out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP}
        if self._take(self.lose, request.method, request.path):
            self.lost.append(f"{request.method} {request.path} -> {status}")
            assert request.transport is not None
            request.transport.close()  # 8x8 acted; the client never hears of it
            return web.Response(status=status)
        return web.Response(status=status, body=raw, headers=out_headers)


@asynccontextmanager
async def running_lossy_proxy(upstream: str) -> AsyncIterator[LossyProxy]:
    proxy = LossyProxy(upstream.rstrip("/"))
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy.handle)
    async with aiohttp.ClientSession() as session:
        proxy.session = session
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        proxy.url = f"http://{host}:{port}"
        try:
            yield proxy
        finally:
            await runner.cleanup()
