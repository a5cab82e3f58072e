"""The contact center when none is configured: every escalation fails at once, plainly.

The customer is told no agent is available and stays with the bot (design.md: each API's settings group is
optional as a whole). It offers no extras (typing, read receipts, files, queue moves).
"""

from __future__ import annotations

from gateway.relay.errors import ContactCenterNotConfigured
from gateway.relay.model import CcConversationId
from gateway.relay.ports import ContactCenterExtras, HistoryLine, NotReady, OpenRequest


class NoContactCenter:
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

    def extras(self, cc_conversation_id: CcConversationId | None = None) -> ContactCenterExtras | None:
        return None
