"""Chat Gateway messages (spec chat-gateway-v1 §3, §3.2): list (newest first by default), get, cards, send.

Messages the integration posts (``authorType`` user or bot) are stored and come back as ``MESSAGE`` with
``isEcho: true``; a message to an idle conversation reopens it (new interaction, re-queued on its last
queue). Files it names must have been uploaded to the same conversation first.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..runtime import runtime_key
from ..state import Conversation, Message, iso
from .conversations import conversation_of, participant_json
from .errors import hal_response, invalid_message, read_object, resource_not_found
from .hal import hal_page, sort_order
from .validation import check_send_message


def message_json(conv: Conversation, message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "text": message.text,
        "createdAt": iso(message.timestamp_ms),
        "author": participant_json(conv, message.participant_id),
        "attachments": [{"id": a} for a in message.attachment_ids],
        "cards": [card_json(message, i) for i in range(len(message.cards))],
    }


def card_json(message: Message, index: int) -> dict[str, Any]:
    card = message.cards[index]
    return {
        "id": f"{message.id}-{index}",
        "contentType": card["contentType"],
        "content": card["content"],
        "actionSubmitted": message.card_actions.get(index, {}).get("action") == "submitted",
        "actionExecuted": message.card_actions.get(index, {}).get("action") == "executed",
    }


def _message(conv: Conversation, request: web.Request) -> Message:
    message_id = request.match_info["message_id"]
    found = next((m for m in conv.messages if m.id == message_id), None)
    if found is None:
        raise resource_not_found("Message", message_id)
    return found


async def list_messages(request: web.Request) -> web.StreamResponse:
    conv = conversation_of(request)
    # (createdAt, position): messages of the same millisecond keep the order they were posted in
    by_created = {"createdAt": lambda im: (im[1].timestamp_ms, im[0])}
    key, reverse = sort_order(request, by_created, "createdAt:desc")
    ordered = sorted(enumerate(conv.messages), key=key, reverse=reverse)
    items = [message_json(conv, m) for _, m in ordered]
    return hal_response(hal_page(request, "messages", items))


async def get_message(request: web.Request) -> web.StreamResponse:
    conv = conversation_of(request)
    return hal_response(message_json(conv, _message(conv, request)))


async def list_cards(request: web.Request) -> web.StreamResponse:
    conv = conversation_of(request)
    message = _message(conv, request)
    items = [card_json(message, i) for i in range(len(message.cards))]
    return hal_response(hal_page(request, "cards", items))


async def send_message(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = conversation_of(request)
    body = await read_object(request)
    errors: list[str] = []
    message = check_send_message(body, "", conv, errors)
    if errors or message is None:
        raise invalid_message(errors[0], *errors)
    rt.lifecycle.post_customer_message(
        conv, message.text, message.author_type, attachment_ids=message.attachment_ids, cards=message.cards
    )
    return web.Response(status=202)


ROUTES = [
    ("GET", "/conversations/{conversation_id}/messages", list_messages, "cgw_list_messages"),
    ("POST", "/conversations/{conversation_id}/messages", send_message, "cgw_send_message"),
    ("GET", "/conversations/{conversation_id}/messages/{message_id}", get_message, "cgw_get_message"),
    ("GET", "/conversations/{conversation_id}/messages/{message_id}/cards", list_cards, "cgw_list_cards"),
]
