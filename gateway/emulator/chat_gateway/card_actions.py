"""Chat Gateway card actions (spec chat-gateway-v1 §3, "Cards"): ``PUT /api/v1/tenant/{tenantId}/
conversations/{conversationId}/cards/{cardId}/action-submit`` ``{"name"}`` and ``…/action-execute``, 204.

Published outside ``/chat-gateway/v1`` with the tenant in the path; the emulator checks the same
``x-api-key`` and answers a tenant other than its own 403. A card id is ``<message id>-<index>`` (as
``GET …/messages/{id}/cards`` lists them). The action sets the card's ``actionSubmitted`` /
``actionExecuted`` flag and is recorded with its ``name`` for the agent console; as 8x8's text says, it
"sends the activity notification" to the agent's side (the console), not to the integration's webhook.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from ..runtime import runtime_key
from ..state import Message
from .conversations import conversation_of
from .errors import access_denied, entity_not_found, general_error, read_object, tenant_mismatch

PATH = "/api/v1/tenant/{tenant_id}/conversations/{conversation_id}/cards/{card_id}/{action}"
ACTIONS = {"action-submit": "submitted", "action-execute": "executed"}


def _card(messages: list[Message], card_id: str) -> tuple[Message, int] | None:
    message_id, _, index = card_id.rpartition("-")
    for message in messages:
        if message.id == message_id and index.isdigit() and int(index) < len(message.cards):
            return message, int(index)
    return None


async def card_action(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    key = request.headers.get("x-api-key", "").encode()
    if rt.faults.chat_gateway_key_revoked or not hmac.compare_digest(
        key, rt.config.chat_gateway_api_key.encode()
    ):
        raise access_denied()
    if request.match_info["tenant_id"] != rt.config.tenant_id:
        raise tenant_mismatch(rt.config.customer_id)
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise entity_not_found("Action", action)
    conv = conversation_of(request, entity_not_found)
    card_id = request.match_info["card_id"]
    found = _card(conv.messages, card_id)
    if found is None:
        raise entity_not_found("Card", card_id)
    body = await read_object(request)
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise general_error(("invalid_json_object", "name: must be a string"))
    message, index = found
    message.card_actions[index] = {"action": ACTIONS[action], "name": name or ""}
    rt.store.changed()
    return web.Response(status=204)


ROUTES = [("PUT", PATH, card_action, "cgw_card_action")]
