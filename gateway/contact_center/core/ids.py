"""Which API opened a stored conversation, told by its id: Chat Gateway ids are stored ``cgw:<id>``, Chat API
v2 ids bare (as every id stored before Chat Gateway existed is)."""

from __future__ import annotations

from gateway.contact_center.core.errors import Rejected
from gateway.relay.model import CcConversationId

ID_PREFIX = "cgw:"


def qualify(conversation_id: str) -> CcConversationId:
    return CcConversationId(ID_PREFIX + conversation_id)


def is_chat_gateway_id(cc_conversation_id: str) -> bool:
    return cc_conversation_id.startswith(ID_PREFIX)


def bare(cc_conversation_id: CcConversationId) -> str:
    if not is_chat_gateway_id(cc_conversation_id):
        raise Rejected(f"{cc_conversation_id!r} is not a Chat Gateway conversation", status=404)
    return cc_conversation_id[len(ID_PREFIX) :]
