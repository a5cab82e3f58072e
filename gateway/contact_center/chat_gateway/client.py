"""A small typed client of 8x8 Chat Gateway v1 (specs/chat-gateway-v1.md), on one aiohttp session.

Auth is the static ``x-api-key`` header (no token lifecycle), the tenant travels as ``X-8x8-Tenant``.
Every call has the session's timeout. Chat Gateway declares no Idempotency-Key, so only what is safe to
repeat is retried blindly here: reads, PUT/PATCH/DELETE, indicators, and any call that failed before it
reached 8x8 (refused connection, 429, 503). A POST that may have been carried out (timeout, dropped
connection, 500/502/504) is raised as ``ChatGatewayUnavailable(ambiguous=True)``; the adapter checks
whether it took effect before it tries again.
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

from gateway.contact_center.chat_gateway.errors import (
    ChatGatewayRejected,
    ChatGatewayUnavailable,
    error_for,
)

logger = structlog.get_logger(__name__)

PREFIX = "chat-gateway/v1/"
VERSION = "Chat Gateway v1.0"


def _q(value: str) -> str:
    return quote(value, safe="")


class ChatGatewayClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_key: str,
        tenant: str | None,
        max_attempts: int = 3,
        backoff_base_s: float = 0.2,
        observe: Callable[[str, int | None, float], None] | None = None,
    ) -> None:
        self._session = session
        self._headers = {"x-api-key": api_key}
        if tenant:
            self._headers["X-8x8-Tenant"] = tenant
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        self._observe = observe or (lambda _op, _status, _s: None)

    async def _send(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        json_body: Any,
        params: dict[str, str] | None,
        data: Any,
    ) -> tuple[int, bytes, str]:
        started = time.perf_counter()
        try:
            async with self._session.request(
                method, PREFIX + path, json=json_body, params=params, data=data, headers=self._headers
            ) as resp:
                raw = await resp.read()
                status, content_type = resp.status, resp.headers.get("Content-Type", "")
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            self._observe(operation, None, time.perf_counter() - started)
            raise ChatGatewayUnavailable(f"{operation}: {type(exc).__name__}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Sent, but no answer: 8x8 may or may not have acted on it.
            self._observe(operation, None, time.perf_counter() - started)
            raise ChatGatewayUnavailable(f"{operation}: {type(exc).__name__}", ambiguous=True) from exc
        duration = time.perf_counter() - started
        self._observe(operation, status, duration)
        logger.debug(
            "chat_gateway_call", operation=operation, status=status, duration_ms=round(duration * 1e3, 1)
        )
        return status, raw, content_type

    async def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        data: Any = None,
        repeatable: bool | None = None,
    ) -> Any:
        """One operation: the parsed JSON answer (None for an empty one), or a typed error.

        ``repeatable`` (default: everything but POST) says whether an ambiguous failure may be retried here.
        """
        if repeatable is None:
            repeatable = method != "POST"
        attempt = 0
        while True:
            try:
                status, raw, _ = await self._send(
                    method, path, operation, json_body=json_body, params=params, data=data
                )
                body = _parse(raw)
                if 200 <= status < 300:
                    return body
                raise error_for(status, body, operation=operation)
            except ChatGatewayUnavailable as exc:
                attempt += 1
                if attempt >= self._max_attempts or (exc.ambiguous and not repeatable):
                    raise
                delay = self._backoff_base_s * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
                logger.info("chat_gateway_retry", operation=operation, attempt=attempt, error=str(exc))
                await asyncio.sleep(delay)

    # --- conversations ---------------------------------------------------------------------------

    async def create_conversation(self, body: dict[str, Any]) -> str:
        """``POST /conversations`` (202): the new conversation's id."""
        answer = await self.request("POST", "conversations", operation="create_conversation", json_body=body)
        if not isinstance(answer, dict) or not isinstance(answer.get("conversationId"), str):
            raise ChatGatewayUnavailable("create_conversation: the answer has no conversationId")
        return str(answer["conversationId"])

    async def find_conversations(self, *, user_id: str) -> list[dict[str, Any]]:
        """Conversations whose ``user.userId`` is ``user_id`` (FIQL filter, checked again here)."""
        answer = await self.request(
            "GET",
            "conversations",
            operation="find_conversations",
            params={"filter": f'user.userId=="{user_id}"', "size": "100", "sort": "id:desc"},
        )
        found = _embedded(answer, "conversations")
        return [c for c in found if (c.get("user") or {}).get("userId") == user_id]

    async def get_conversation(self, conversation_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self.request(
            "GET", f"conversations/{_q(conversation_id)}", operation="get_conversation"
        )
        return answer

    async def interactions(self, conversation_id: str) -> list[dict[str, Any]]:
        answer = await self.request(
            "GET",
            f"conversations/{_q(conversation_id)}/interactions",
            operation="list_interactions",
            params={"size": "100"},
        )
        return _embedded(answer, "interactions")

    async def send_message(self, conversation_id: str, body: dict[str, Any]) -> None:
        """``POST …/messages`` (202); ``body`` always carries ``authorType``."""
        await self.request(
            "POST", f"conversations/{_q(conversation_id)}/messages", operation="send_message", json_body=body
        )

    async def recent_messages(self, conversation_id: str, *, size: int = 50) -> list[dict[str, Any]]:
        """The newest messages first."""
        answer = await self.request(
            "GET",
            f"conversations/{_q(conversation_id)}/messages",
            operation="list_messages",
            params={"size": str(size), "sort": "createdAt:desc"},
        )
        return _embedded(answer, "messages")

    async def user_left(self, conversation_id: str) -> None:
        """``PATCH …/participants/user {"removed":true}``: frees the agent, drops the queued interaction."""
        await self.request(
            "PATCH",
            f"conversations/{_q(conversation_id)}/participants/user",
            operation="user_leave",
            json_body={"removed": True},
        )

    async def typing(self, conversation_id: str, *, author_type: str = "user") -> None:
        await self.request(
            "POST",
            f"conversations/{_q(conversation_id)}/typing",
            operation="typing",
            json_body={"authorType": author_type},
            repeatable=True,
        )

    async def read_receipt(self, conversation_id: str, *, read_at_ms: int, author_type: str = "user") -> None:
        await self.request(
            "POST",
            f"conversations/{_q(conversation_id)}/read-receipt",
            operation="read_receipt",
            json_body={"authorType": author_type, "readAt": read_at_ms},
            repeatable=True,
        )

    async def upload_attachment(
        self, conversation_id: str, *, filename: str, content_type: str, data: bytes, author_type: str
    ) -> str:
        """Multipart upload; the attachment's id. Repeating it leaves at most an unused file behind."""
        form = aiohttp.FormData(quote_fields=False)  # the name as sent ("a b.pdf", not "a%20b.pdf")
        form.add_field("attachment", data, filename=filename, content_type=content_type)
        form.add_field("authorType", author_type)
        answer = await self.request(
            "POST",
            f"conversations/{_q(conversation_id)}/attachments",
            operation="upload_attachment",
            data=form,
            repeatable=False,  # a FormData body can be sent once only
        )
        if not isinstance(answer, dict) or not answer.get("id"):
            raise ChatGatewayUnavailable("upload_attachment: the answer has no id")
        return str(answer["id"])

    async def attachment_content(self, conversation_id: str, attachment_id: str) -> tuple[str, bytes]:
        status, raw, content_type = await self._send(
            "GET",
            f"conversations/{_q(conversation_id)}/attachments/{_q(attachment_id)}/content",
            "attachment_content",
            json_body=None,
            params=None,
            data=None,
        )
        if status != 200:
            raise error_for(status, _parse(raw), operation="attachment_content")
        return content_type or "application/octet-stream", raw

    # --- set-up ----------------------------------------------------------------------------------

    async def _all(self, path: str, name: str, operation: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 0
        while True:
            answer = await self.request(
                "GET", path, operation=operation, params={"size": "100", "page": str(page)}
            )
            items.extend(_embedded(answer, name))
            page += 1
            total = (answer.get("page") or {}).get("totalPages", 1) if isinstance(answer, dict) else 1
            if page >= int(total or 1):
                return items

    async def list_webhooks(self) -> list[dict[str, Any]]:
        return await self._all("webhooks", "webhooks", "list_webhooks")

    async def create_webhook(self, *, name: str, uri: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self.request(
            "POST",
            "webhooks",
            operation="create_webhook",
            json_body={"name": name, "uri": uri, "version": VERSION},
        )
        return answer

    async def update_webhook(self, webhook_id: str, *, name: str, uri: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self.request(
            "PUT",
            f"webhooks/{_q(webhook_id)}",
            operation="update_webhook",
            json_body={"name": name, "uri": uri, "version": VERSION},
        )
        return answer

    async def list_channels(self) -> list[dict[str, Any]]:
        return await self._all("channels", "channels", "list_channels")

    async def create_channel(self, *, name: str, webhook_id: str, queue_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self.request(
            "POST", "channels", operation="create_channel", json_body=_channel(name, webhook_id, queue_id)
        )
        return answer

    async def update_channel(
        self, channel_id: str, *, name: str, webhook_id: str, queue_id: str
    ) -> dict[str, Any]:
        answer: dict[str, Any] = await self.request(
            "PUT",
            f"channels/{_q(channel_id)}",
            operation="update_channel",
            json_body=_channel(name, webhook_id, queue_id),
        )
        return answer

    # --- keys ------------------------------------------------------------------------------------

    async def public_jwk(self, kid: str) -> dict[str, Any] | None:
        """The public key of a webhook signature, or None if 8x8 does not know the kid.

        Spec §4: the OpenAPI's path first, the validation page's v2 path on 404. No API key is sent.
        """
        for path in (f"{PREFIX}jwk/{_q(kid)}/public", f"vcc/us/chat/v2/jwk/{_q(kid)}/public"):
            try:
                async with self._session.get(path) as resp:
                    body = _parse(await resp.read())
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise ChatGatewayUnavailable(f"public_jwk: {type(exc).__name__}") from exc
            if status == 404:
                continue
            if status != 200 or not isinstance(body, dict):
                raise error_for(status, body, operation="public_jwk")
            return body
        return None


def _channel(name: str, webhook_id: str, queue_id: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "ChatAPI",
        "webHookId": webhook_id,
        "routingOptions": {"type": "queue", "id": queue_id},
    }


def _embedded(answer: Any, name: str) -> list[dict[str, Any]]:
    """The items of a HAL list (spec §1: read ``_embedded`` whatever ``required`` claims)."""
    if not isinstance(answer, dict):
        raise ChatGatewayRejected(f"expected a list of {name}", status=200)
    items = (answer.get("_embedded") or {}).get(name) or []
    return [item for item in items if isinstance(item, dict)]


def _parse(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"message": raw[:200].decode("utf-8", "replace")}
