"""The contact center when none is configured: every escalation fails at once, plainly; and ``NoExtras``,
the typing, read receipts and files of an API that has none (Chat API v2).

The customer is told no agent is available and stays with the bot (design.md: each API's settings group is
optional as a whole).
"""

from __future__ import annotations

from gateway.contact_center.core.errors import Rejected
from gateway.relay.errors import ContactCenterNotConfigured
from gateway.relay.model import AttachedFile, Author, CcConversationId
from gateway.relay.ports import Attachment, Feature, HistoryLine, NotReady, OpenRequest


class NoExtras:
    """No typing indicators, read receipts, attachments or queue moves."""

    def supports(self, feature: Feature, cc_conversation_id: CcConversationId | None = None) -> bool:
        return False

    async def customer_typing(self, cc_conversation_id: CcConversationId) -> None:
        pass

    async def bot_thinking(self, cc_conversation_id: CcConversationId) -> None:
        pass

    async def move_to_queue(self, cc_conversation_id: CcConversationId, queue_id: str) -> None:
        raise Rejected("this 8x8 API cannot move a conversation to another queue", status=400)

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
        raise Rejected("this 8x8 API does not take attachments", status=400)

    async def fetch_attachment(
        self, cc_conversation_id: CcConversationId, attachment: AttachedFile
    ) -> tuple[str, bytes]:
        raise Rejected("this 8x8 API has no attachments", status=404)


class NoContactCenter(NoExtras):
    async def readiness(self) -> NotReady | None:
        """Nothing configured is no fault: the customer is told no agent is available."""
        return None

    async def open_conversation(self, request: OpenRequest, *, idempotency_key: str) -> CcConversationId:
        raise ContactCenterNotConfigured()

    async def post_message(
        self, cc_conversation_id: CcConversationId, line: HistoryLine, *, idempotency_key: str
    ) -> None:
        raise ContactCenterNotConfigured()

    async def customer_left(self, cc_conversation_id: CcConversationId, *, idempotency_key: str) -> None:
        raise ContactCenterNotConfigured()

    def can_reuse(self, cc_conversation_id: CcConversationId) -> bool:
        return False

    async def post_attachment(
        self,
        cc_conversation_id: CcConversationId,
        attachment: Attachment,
        *,
        author: Author,
        idempotency_key: str,
    ) -> None:
        raise ContactCenterNotConfigured()

    async def fetch_attachment(
        self, cc_conversation_id: CcConversationId, attachment: AttachedFile
    ) -> tuple[str, bytes]:
        raise ContactCenterNotConfigured()
