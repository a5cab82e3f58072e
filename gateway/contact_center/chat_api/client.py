"""A small typed client of the 8x8 Chat API v2 (specs/chat-api-v2.md), on one aiohttp session.

Every call has the session's timeout. Transient failures (5xx, 429, timeouts, refused connections)
are retried a few times with backoff and jitter, always with the same Idempotency-Key; a 401 gets one
fresh token and one retry. What still fails is raised as ``ChatApiUnavailable`` (the outbox keeps
retrying) or ``ChatApiRejected`` (it never will succeed as it is).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog

from gateway.contact_center.chat_api.errors import ChatApiUnavailable, error_for
from gateway.contact_center.chat_api.token import TokenProvider

logger = structlog.get_logger(__name__)


class ChatApiClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        tokens: TokenProvider,
        *,
        region: str,
        tenant_id: str,
        max_attempts: int = 3,
        backoff_base_s: float = 0.2,
        observe: Callable[[str, int | None, float], None] | None = None,
    ) -> None:
        self._observe = observe or (lambda _op, _status, _s: None)
        self._session = session
        self._tokens = tokens
        self._region = region
        self._prefix = f"vcc/{region}/chat/v2/tenant/{quote(tenant_id, safe='')}/"
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s

    @property
    def tokens(self) -> TokenProvider:
        return self._tokens

    async def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """One logical operation: the parsed JSON answer (None for an empty one), or a typed error."""
        refreshed = False
        attempt = 0
        while True:
            token = await self._tokens.get()
            headers = {"Authorization": f"Bearer {token}"}
            if idempotency_key is not None:
                headers["Idempotency-Key"] = idempotency_key
            started = time.perf_counter()
            try:
                async with self._session.request(
                    method, self._prefix + path, json=json_body, params=params, headers=headers
                ) as resp:
                    status = resp.status
                    raw = await resp.read()
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                self._observe(operation, None, time.perf_counter() - started)
                error: Exception = ChatApiUnavailable(f"{operation}: {type(exc).__name__}")
            else:
                self._observe(operation, status, time.perf_counter() - started)
                logger.debug(
                    "chat_api_call",
                    operation=operation,
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )
                body = _parse(raw)
                if 200 <= status < 300:
                    return body
                if status == 401 and not refreshed:
                    self._tokens.invalidate(token)
                    refreshed = True
                    continue
                error = error_for(status, body, operation=operation)
            attempt += 1
            if not isinstance(error, ChatApiUnavailable) or attempt >= self._max_attempts:
                raise error
            delay = self._backoff_base_s * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
            logger.info("chat_api_retry", operation=operation, attempt=attempt, error=str(error))
            await asyncio.sleep(delay)

    # --- conversations ---------------------------------------------------------------------------

    async def create_conversation(self, body: dict[str, Any], *, idempotency_key: str) -> str:
        answer = await self.request(
            "POST",
            "conversations",
            operation="create_conversation",
            json_body=body,
            idempotency_key=idempotency_key,
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("conversationId"), str):
            raise ChatApiUnavailable("create_conversation: the answer has no conversationId")
        return str(answer["conversationId"])

    async def send_message(
        self, conversation_id: str, text: str, author_type: str, *, idempotency_key: str
    ) -> None:
        await self.request(
            "POST",
            f"conversations/{quote(conversation_id, safe='')}/messages",
            operation="send_message",
            json_body={"text": text, "authorType": author_type},
            idempotency_key=idempotency_key,
        )

    async def customer_leave(self, conversation_id: str) -> None:
        await self.request(
            "DELETE",
            f"conversations/{quote(conversation_id, safe='')}/participants/customer",
            operation="customer_leave",
        )

    async def get_conversation(self, conversation_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self.request(
            "GET", f"conversations/{quote(conversation_id, safe='')}", operation="get_conversation"
        )
        return answer

    # --- set-up ----------------------------------------------------------------------------------

    async def _all_pages(
        self, path: str, operation: str, params: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 0
        while True:
            answer = await self.request(
                "GET", path, operation=operation, params={**(params or {}), "size": "100", "page": str(page)}
            )
            items.extend(answer.get("data") or [])
            page_info = answer.get("page") or {}
            page += 1
            if page >= int(page_info.get("pageCount", 1)):
                return items

    async def list_webhooks(self) -> list[dict[str, Any]]:
        return await self._all_pages("web-hooks", "list_webhooks")

    async def create_webhook(self, *, name: str, uri: str, idempotency_key: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self.request(
            "POST",
            "web-hooks",
            operation="create_webhook",
            json_body={"name": name, "uri": uri, "version": "v2.0"},
            idempotency_key=idempotency_key,
        )
        return answer

    async def update_webhook(self, webhook_id: str, *, name: str, uri: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self.request(
            "PUT",
            f"web-hooks/{quote(webhook_id, safe='')}",
            operation="update_webhook",
            json_body={"name": name, "uri": uri, "version": "v2.0"},
        )
        return answer

    async def list_channels(self) -> list[dict[str, Any]]:
        return await self._all_pages("channels", "list_channels")

    async def create_channel(
        self, *, name: str, webhook_id: str, queue_id: str, idempotency_key: str
    ) -> dict[str, Any]:
        answer: dict[str, Any] = await self.request(
            "POST",
            "channels",
            operation="create_channel",
            json_body=_channel(name, webhook_id, queue_id),
            idempotency_key=idempotency_key,
        )
        return answer

    async def update_channel(
        self, channel_id: str, *, name: str, webhook_id: str, queue_id: str
    ) -> dict[str, Any]:
        answer: dict[str, Any] = await self.request(
            "PUT",
            f"channels/{quote(channel_id, safe='')}",
            operation="update_channel",
            json_body=_channel(name, webhook_id, queue_id),
        )
        return answer

    # --- keys ------------------------------------------------------------------------------------

    async def public_jwk(self, kid: str) -> dict[str, Any] | None:
        """The public key of a webhook signature, or None if 8x8 does not know the kid (no token needed)."""
        path = f"vcc/{self._region}/chat/v2/jwk/{quote(kid, safe='')}/public"
        try:
            async with self._session.get(path) as resp:
                if resp.status == 404:
                    return None
                body = _parse(await resp.read())
                if resp.status != 200 or not isinstance(body, dict):
                    raise error_for(resp.status, body, operation="public_jwk")
                return body
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise ChatApiUnavailable(f"public_jwk: {type(exc).__name__}") from exc


def _channel(name: str, webhook_id: str, queue_id: str) -> dict[str, Any]:
    return {"name": name, "webHookId": webhook_id, "routingOptions": {"type": "queue", "id": queue_id}}


def _parse(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"message": raw[:200].decode("utf-8", "replace")}
