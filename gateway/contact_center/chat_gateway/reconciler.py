"""Chat Gateway's side of the orphan sweep (``gateway.contact_center.reconciler``): conversations it
opened (stored as ``cgw:<id>``) whose last interaction has no ``endTime`` get the user removed."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.contact_center.chat_gateway.client import ChatGatewayClient
from gateway.contact_center.core.ids import bare, is_chat_gateway_id
from gateway.relay.model import CcConversationId


@dataclass(frozen=True, slots=True)
class ChatGatewayOrphanCheck:
    client: ChatGatewayClient

    def owns(self, cc_conversation_id: CcConversationId) -> bool:
        return is_chat_gateway_id(cc_conversation_id)

    async def still_open(self, cc_conversation_id: CcConversationId) -> bool:
        interactions = await self.client.interactions(bare(cc_conversation_id))
        return bool(interactions) and not interactions[-1].get("endTime")

    async def free(self, cc_conversation_id: CcConversationId) -> None:
        await self.client.user_left(bare(cc_conversation_id))
