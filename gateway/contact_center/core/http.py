"""One HTTP call to 8x8, the same for both APIs: timeout, retries, error mapping, the uncertain outcome.

Every call has the session's timeout. What may be repeated here without looking first: any call that did
not reach 8x8 (refused connection, 408/429/503), and calls that are safe to repeat (reads, PUT, PATCH,
DELETE, indicators). A POST whose outcome is uncertain (timeout or dropped connection after it went out,
500/502/504) is raised as ``Unavailable(ambiguous=True)``: the adapter finds out whether 8x8 acted before
it tries again (``core.uncertain``). A 401 gets one fresh credential and one more try.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any, Protocol

import aiohttp
import structlog

from gateway.contact_center.core.errors import Unavailable, error_for

logger = structlog.get_logger(__name__)

Observe = Callable[[str, int | None, float], None]

_JSON = MappingProxyType({"Content-Type": "application/json"})


class Auth(Protocol):
    async def headers(self) -> dict[str, str]:
        """The headers that authenticate one call."""
        ...

    def refresh(self, used: Mapping[str, str]) -> bool:
        """After a 401 with ``used``: True when a fresh credential is worth one more try."""
        ...


class StaticAuth:
    """Fixed headers (Chat Gateway's ``x-api-key`` and ``X-8x8-Tenant``): a 401 stays a 401."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)

    async def headers(self) -> dict[str, str]:
        return dict(self._headers)

    def refresh(self, used: Mapping[str, str]) -> bool:
        return False


def parse_body(raw: bytes) -> Any:
    """JSON, None for an empty body, or the start of a non-JSON body as ``{"message": …}``."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"message": raw[:200].decode("utf-8", "replace")}


class HttpCore:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        auth: Auth,
        *,
        prefix: str,
        api: str,
        max_attempts: int = 3,
        backoff_base_s: float = 0.2,
        observe: Observe | None = None,
    ) -> None:
        self.session = session
        self._auth = auth
        self._prefix = prefix
        self._api = api
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        self._observe = observe or (lambda _op, _status, _s: None)

    async def send(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        raw_json: bytes | None = None,
    ) -> tuple[int, bytes, str, dict[str, str]]:
        """One attempt: (status, body, content type, the auth headers used); raises ``Unavailable``.

        ``raw_json`` is a JSON body already encoded: sent as it is (aiohttp's ``json=`` costs twice as much).
        """
        auth = await self._auth.headers()
        if raw_json is not None:
            data, headers = raw_json, {**_JSON, **(headers or {})}
        started = time.perf_counter()
        try:
            async with self.session.request(
                method,
                self._prefix + path,
                json=json_body,
                params=params,
                data=data,
                headers={**auth, **headers} if headers else auth,
            ) as resp:
                raw = await resp.read()
                status, content_type = resp.status, resp.headers.get("Content-Type", "")
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            self._observe(operation, None, time.perf_counter() - started)
            raise Unavailable(f"{operation}: {type(exc).__name__}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Sent, but no answer: 8x8 may or may not have acted on it.
            self._observe(operation, None, time.perf_counter() - started)
            raise Unavailable(f"{operation}: {type(exc).__name__}", ambiguous=True) from exc
        duration = time.perf_counter() - started
        self._observe(operation, status, duration)
        logger.debug(
            "cc_call", api=self._api, operation=operation, status=status, duration_ms=round(duration * 1e3, 1)
        )
        return status, raw, content_type, auth

    async def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        data: Any = None,
        raw_json: bytes | None = None,
        repeatable: bool | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """One operation: the parsed JSON answer (None for an empty one), or a typed error.

        ``repeatable`` (default: everything but POST) says whether an ambiguous failure may be retried here.
        ``idempotency_key`` is sent as ``Idempotency-Key`` (declared by Chat API v2; nothing relies on it).
        """
        if repeatable is None:
            repeatable = method != "POST"
        extra = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else None
        refreshed = False
        attempt = 0
        while True:
            try:
                status, raw, _, used = await self.send(
                    method,
                    path,
                    operation,
                    json_body=json_body,
                    params=params,
                    data=data,
                    headers=extra,
                    raw_json=raw_json,
                )
                body = parse_body(raw)
                if 200 <= status < 300:
                    return body
                if status == 401 and not refreshed and self._auth.refresh(used):
                    refreshed = True
                    continue
                raise error_for(status, body, operation=operation)
            except Unavailable as exc:
                attempt += 1
                if attempt >= self._max_attempts or (exc.ambiguous and not repeatable):
                    raise
                delay = self._backoff_base_s * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
                logger.info("cc_retry", api=self._api, operation=operation, attempt=attempt, error=str(exc))
                await asyncio.sleep(delay)

    async def all_pages(
        self, fetch: Callable[[int], Awaitable[tuple[list[dict[str, Any]], int]]]
    ) -> list[dict[str, Any]]:
        """Every item of a paged list; ``fetch(page)`` returns (items, page count)."""
        items: list[dict[str, Any]] = []
        page = 0
        while True:
            found, pages = await fetch(page)
            items.extend(found)
            page += 1
            if page >= pages:
                return items

    async def public_jwk(self, paths: tuple[str, ...]) -> dict[str, Any] | None:
        """The public key at the first of ``paths`` that knows it (no credentials), or None (unknown kid)."""
        for path in paths:
            try:
                async with self.session.get(path) as resp:
                    body = parse_body(await resp.read())
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise Unavailable(f"public_jwk: {type(exc).__name__}") from exc
            if status == 404:
                continue
            if status != 200 or not isinstance(body, dict):
                raise error_for(status, body, operation="public_jwk")
            return body
        return None


def open_session(base_url: str, timeout_s: float) -> aiohttp.ClientSession:
    """One session per API: every call gets ``timeout_s`` in all, and at most 3 s to connect."""
    return aiohttp.ClientSession(
        base_url=base_url.rstrip("/") + "/",
        timeout=aiohttp.ClientTimeout(total=timeout_s, connect=min(3.0, timeout_s)),
        raise_for_status=False,
    )
