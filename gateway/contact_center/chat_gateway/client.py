"""A small typed client of 8x8 Chat Gateway v1 (specs/chat-gateway-v1.md) on the shared HTTP core.

Auth is the static ``x-api-key`` header (no token lifecycle), the tenant travels as ``X-8x8-Tenant``.
Retries, timeouts, error mapping and the uncertain outcome are ``core.http``'s: a create or a send whose
outcome is uncertain is raised as ambiguous, and the adapter looks before it tries again.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp

from gateway.contact_center.core.errors import Rejected, Unavailable, error_for
from gateway.contact_center.core.http import HttpCore, Observe, StaticAuth, parse_body
from gateway.contact_center.core.setup import SetupRequests

PREFIX = "chat-gateway/v1/"
VERSION = "Chat Gateway v1.0"


def _q(value: str) -> str:
    return quote(value, safe="")


class ChatGatewayClient(SetupRequests):
    WEBHOOKS = "webhooks"
    VERSION = VERSION

    def channel_body(self, name: str, webhook_id: str, queue_id: str) -> dict[str, Any]:
        return {**super().channel_body(name, webhook_id, queue_id), "type": "ChatAPI"}

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_key: str,
        tenant: str | None,
        max_attempts: int = 3,
        backoff_base_s: float = 0.2,
        observe: Observe | None = None,
    ) -> None:
        headers = {"x-api-key": api_key}
        if tenant:
            headers["X-8x8-Tenant"] = tenant
        self.http = HttpCore(
            session,
            StaticAuth(headers),
            prefix=PREFIX,
            api="chat_gateway",
            max_attempts=max_attempts,
            backoff_base_s=backoff_base_s,
            observe=observe,
        )
        self.request = self.http.request
        # The card actions are published outside /chat-gateway/v1, with the tenant in the path (spec §3).
        self._tenant = tenant or ""
        self._outside = HttpCore(
            session,
            StaticAuth(headers),
            prefix="api/v1/",
            api="chat_gateway",
            max_attempts=max_attempts,
            backoff_base_s=backoff_base_s,
            observe=observe,
        )

    # --- conversations ---------------------------------------------------------------------------

    async def create_conversation(self, body: dict[str, Any]) -> str:
        """``POST /conversations`` (202): the new conversation's id."""
        answer = await self.request("POST", "conversations", operation="create_conversation", json_body=body)
        if not isinstance(answer, dict) or not isinstance(answer.get("conversationId"), str):
            raise Unavailable("create_conversation: the answer has no conversationId", ambiguous=True)
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

    async def thinking(self, conversation_id: str, *, max_seconds: int = 60) -> None:
        await self.request(
            "POST",
            f"conversations/{_q(conversation_id)}/thinking",
            operation="thinking",
            json_body={"authorType": "bot", "maxThinkingTimeSeconds": max_seconds},
            repeatable=True,
        )

    async def post_agent_assignment(
        self, conversation_id: str, *, webhook_id: str, max_total_minutes: int, user_timeout_minutes: int
    ) -> None:
        """``POST …/post-agent-assignment`` (201): after the agent, the conversation comes back to our webhook."""
        body = {
            "type": "webhook",
            "id": webhook_id,
            "configuration": {
                "notifyChannelWebhookIfExists": "false",  # a string in 8x8's schema
                "maxTotalMinutes": max_total_minutes,
                "userTimeoutInMinutes": user_timeout_minutes,
            },
        }
        await self.request(
            "POST",
            f"conversations/{_q(conversation_id)}/post-agent-assignment",
            operation="post_agent_assignment",
            json_body=body,
            repeatable=True,
        )

    async def assign_queue(self, conversation_id: str, queue_id: str) -> None:
        """``PATCH /conversations/{id}`` ``{"assignment":{"type":"queue","id"}}``: re-route while queued (202)."""
        await self.request(
            "PATCH",
            f"conversations/{_q(conversation_id)}",
            operation="patch_conversation",
            json_body={"assignment": {"type": "queue", "id": queue_id}},
            repeatable=True,
        )

    async def card_action_submit(self, conversation_id: str, card_id: str, *, name: str) -> None:
        """``PUT /api/v1/tenant/{t}/conversations/{c}/cards/{card}/action-submit {"name"}`` (204): the
        customer answered the card. ``name`` is the chosen option's postback (the schema names only ``name``)."""
        if not self._tenant:
            raise Rejected("card actions need the tenant (GATEWAY_CHAT_GATEWAY__TENANT)", status=400)
        await self._outside.request(
            "PUT",
            f"tenant/{_q(self._tenant)}/conversations/{_q(conversation_id)}/cards/{_q(card_id)}/action-submit",
            operation="card_action_submit",
            json_body={"name": name},
            repeatable=True,
        )

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
            raise Unavailable("upload_attachment: the answer has no id")
        return str(answer["id"])

    async def attachment_content(self, conversation_id: str, attachment_id: str) -> tuple[str, bytes]:
        status, raw, content_type, _ = await self.http.send(
            "GET",
            f"conversations/{_q(conversation_id)}/attachments/{_q(attachment_id)}/content",
            "attachment_content",
        )
        if status != 200:
            raise error_for(status, parse_body(raw), operation="attachment_content")
        return content_type or "application/octet-stream", raw

    # --- set-up ----------------------------------------------------------------------------------

    async def _all(self, path: str, name: str, operation: str) -> list[dict[str, Any]]:
        async def page(n: int) -> tuple[list[dict[str, Any]], int]:
            answer = await self.request(
                "GET", path, operation=operation, params={"size": "100", "page": str(n)}
            )
            total = (answer.get("page") or {}).get("totalPages", 1) if isinstance(answer, dict) else 1
            return _embedded(answer, name), int(total or 1)

        return await self.http.all_pages(page)

    async def list_webhooks(self) -> list[dict[str, Any]]:
        return await self._all("webhooks", "webhooks", "list_webhooks")

    async def list_channels(self) -> list[dict[str, Any]]:
        return await self._all("channels", "channels", "list_channels")

    # --- keys ------------------------------------------------------------------------------------

    async def public_jwk(self, kid: str) -> dict[str, Any] | None:
        """The public key of a webhook signature, or None if 8x8 does not know the kid.

        Spec §4: the OpenAPI's path first, the validation page's v2 path on 404. No API key is sent.
        """
        return await self.http.public_jwk(
            (f"{PREFIX}jwk/{_q(kid)}/public", f"vcc/us/chat/v2/jwk/{_q(kid)}/public")
        )


def _embedded(answer: Any, name: str) -> list[dict[str, Any]]:
    """The items of a HAL list (spec §1: read ``_embedded`` whatever ``required`` claims)."""
    if not isinstance(answer, dict):
        raise Rejected(f"expected a list of {name}", status=200)
    items = (answer.get("_embedded") or {}).get(name) or []
    return [item for item in items if isinstance(item, dict)]
