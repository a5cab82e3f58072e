"""``ContactCenter`` on the 8x8 Chat API v2: which channel serves which queue, and long lines split.

The queue -> channel map comes from set-up, which runs in the background once the gateway listens
(8x8 verifies a new web-hook by calling it). Until then an escalation waits a little, then counts as
"unavailable", so the outbox retries it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping

import structlog

from gateway.contact_center.chat_api.client import ChatApiClient
from gateway.contact_center.chat_api.errors import ChatApiRejected, ChatApiUnavailable
from gateway.contact_center.chat_api.transcript import create_body, split_text
from gateway.relay.model import AttachedFile, Author, CcConversationId
from gateway.relay.ports import Attachment, Feature, HistoryLine, OpenRequest

logger = structlog.get_logger(__name__)


class ChatApiContactCenter:
    def __init__(self, client: ChatApiClient, *, default_queue: str, setup_wait_s: float = 10.0) -> None:
        self.client = client
        self._default_queue = default_queue
        self._channels: dict[str, str] = {}
        self._ready = asyncio.Event()
        self._setup_wait_s = setup_wait_s

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def set_channels(self, channels: Mapping[str, str]) -> None:
        """``channels`` maps each configured queue id to the channel routed to it."""
        self._channels = dict(channels)
        self._ready.set()

    async def _wait_ready(self) -> None:
        if not self._ready.is_set():
            try:
                await asyncio.wait_for(self._ready.wait(), self._setup_wait_s)
            except TimeoutError:
                raise ChatApiUnavailable("the Chat API set-up has not finished yet") from None

    def channel_for(self, queue_id: str | None) -> str:
        if queue_id and queue_id in self._channels:
            return self._channels[queue_id]
        if queue_id:
            logger.warning("unknown_queue", queue_id=queue_id, fallback=self._default_queue)
        return self._channels[self._default_queue]

    async def open_conversation(self, request: OpenRequest, *, idempotency_key: str) -> CcConversationId:
        await self._wait_ready()
        body = create_body(request, channel_id=self.channel_for(request.queue_id))
        cc_id = await self.client.create_conversation(body, idempotency_key=idempotency_key)
        logger.info(
            "cc_conversation_created",
            conversation_id=request.conversation_id,
            cc_conversation_id=cc_id,
            history=len(body.get("history", {}).get("messages", [])),
        )
        return CcConversationId(cc_id)

    async def post_message(
        self, cc_conversation_id: CcConversationId, line: HistoryLine, *, idempotency_key: str
    ) -> None:
        author_type = "bot" if line.author is Author.BOT else "user"
        pieces = split_text(line.text)
        for i, piece in enumerate(pieces):
            # One key per piece, derived from the line's key, so a retry re-sends no piece twice.
            key = idempotency_key if i == 0 else str(uuid.uuid5(uuid.UUID(idempotency_key), f"part-{i}"))
            await self.client.send_message(cc_conversation_id, piece, author_type, idempotency_key=key)

    async def customer_left(self, cc_conversation_id: CcConversationId, *, idempotency_key: str) -> None:
        await self.client.customer_leave(cc_conversation_id)

    # The Chat API v2 has no typing indicators, read receipts or attachments.

    def can_reuse(self, cc_conversation_id: CcConversationId) -> bool:
        return True

    def supports(self, feature: Feature, cc_conversation_id: CcConversationId | None = None) -> bool:
        return False

    async def customer_typing(self, cc_conversation_id: CcConversationId) -> None:
        pass

    async def customer_read(self, cc_conversation_id: CcConversationId, *, read_at: float) -> None:
        pass

    async def post_attachment(
        self,
        cc_conversation_id: CcConversationId,
        attachment: Attachment,
        *,
        author: Author,
        idempotency_key: str,
    ) -> None:
        raise ChatApiRejected("the Chat API v2 does not take attachments", status=400)

    async def fetch_attachment(
        self, cc_conversation_id: CcConversationId, attachment: AttachedFile
    ) -> tuple[str, bytes]:
        raise ChatApiRejected("the Chat API v2 has no attachments", status=404)
