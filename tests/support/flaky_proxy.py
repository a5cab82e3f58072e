"""A reverse proxy in front of a real server that can refuse its HTTP API for a while: a fault a real Rasa
cannot be made to show on demand (its API briefly unavailable), while every answer that gets through is
the real server's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web


class FlakyProxy:
    """Forwards every request to ``upstream``; while ``api_down``, ``/conversations/...`` gets 503."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.api_down = False
        self.refused: list[str] = []
        self._session: aiohttp.ClientSession | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        app.cleanup_ctx.append(self._client)
        return app

    async def _client(self, app: web.Application) -> AsyncIterator[None]:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        yield
        await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        if self.api_down and request.path.startswith("/conversations/"):
            self.refused.append(request.path)
            return web.json_response({"status": "failure", "code": 503}, status=503)
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "accept")}
        async with self._session.request(
            request.method, self.upstream + request.rel_url.path_qs, data=body or None, headers=headers
        ) as resp:
            payload = await resp.read()
            return web.Response(
                status=resp.status, body=payload, content_type=resp.content_type, charset=resp.charset
            )
