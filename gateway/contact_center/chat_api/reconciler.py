"""The Chat API's side of the orphan sweep (``gateway.contact_center.reconciler``)."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.contact_center.chat_api.client import ChatApiClient
from gateway.contact_center.core.ids import is_chat_gateway_id
from gateway.relay.model import CcConversationId


@dataclass(frozen=True, slots=True)
class ChatApiOrphanCheck:
    client: ChatApiClient

    def owns(self, cc_conversation_id: CcConversationId) -> bool:
        return not is_chat_gateway_id(cc_conversation_id)

    async def still_open(self, cc_conversation_id: CcConversationId) -> bool:
        remote = await self.client.get_conversation(cc_conversation_id)
        interactions = remote.get("interactions") or []
        # Open unless it has an end time: absent, null and "" all mean open (docs/8x8.md).
        return bool(interactions) and not interactions[-1].get("endTime")

    async def free(self, cc_conversation_id: CcConversationId) -> None:
        await self.client.customer_leave(cc_conversation_id)
