"""``Idempotency-Key`` on every POST under ``/vcc/`` (spec §1, our choice).

Same key + tenant + method/path + body within the TTL → the first response (status, body) is replayed and the
handler does not run again; same key, different request → 400; a key that is not a UUID → 400. A concurrent
repeat waits for the first to finish. Responses with status ≥ 500 are not remembered: nothing was done, so a
client retrying an outage with its key must get a real second try.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from .errors import Problem, constraint_violation


@dataclass
class Remembered:
    fingerprint: str
    status: int
    body: bytes | None
    content_type: str
    stored_at: float


class IdempotencyCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.entries: dict[tuple[str, str], Remembered] = {}
        self.in_flight: dict[tuple[str, str], asyncio.Future[None]] = {}

    def get(self, key: tuple[str, str]) -> Remembered | None:
        entry = self.entries.get(key)
        if entry is not None and time.monotonic() - entry.stored_at > self.ttl:
            del self.entries[key]
            return None
        return entry


def _replay(entry: Remembered) -> web.Response:
    return web.Response(status=entry.status, body=entry.body, content_type=entry.content_type)


def idempotency_middleware(cache: IdempotencyCache) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        raw_key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not request.path.startswith("/vcc/") or raw_key is None:
            return await handler(request)
        try:
            uuid.UUID(raw_key.strip())
        except ValueError:
            raise constraint_violation("Idempotency-Key: must be a UUID") from None
        key = (request.match_info.get("tenant", ""), raw_key.strip().lower())
        digest = hashlib.sha256(await request.read()).hexdigest()
        fingerprint = f"{request.method} {request.path} {digest}"
        while (pending := cache.in_flight.get(key)) is not None:
            await asyncio.shield(pending)
        entry = cache.get(key)
        if entry is not None:
            if entry.fingerprint != fingerprint:
                raise constraint_violation("Idempotency-Key: reused with a different request")
            return _replay(entry)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        cache.in_flight[key] = done
        try:
            try:
                response = await handler(request)
            except Problem as problem:
                response = problem.response()
            if response.status < 500 and isinstance(response, web.Response):
                body = response.body
                cache.entries[key] = Remembered(
                    fingerprint,
                    response.status,
                    body if isinstance(body, bytes) else None,
                    response.content_type,
                    time.monotonic(),
                )
            return response
        finally:
            del cache.in_flight[key]
            done.set_result(None)

    return middleware
