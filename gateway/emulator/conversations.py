"""``/conversations`` (spec §4.3): create, list with filters, get, participants, customer leave, messages."""

from __future__ import annotations

from aiohttp import web

from .errors import constraint_violation, json_response, not_found, read_json_object
from .paging import paged
from .runtime import runtime_key
from .state import STATUS_OF, Api, Conversation
from .validation import validate_create, validate_message

STATUSES = {"all", "created", "pending", "handling", "deleted"}


def _conversation(request: web.Request) -> Conversation:
    conversation_id = request.match_info["conversation_id"]
    conv = request.app[runtime_key].store.conversation(Api.CHAT_API, conversation_id)
    if conv is None:
        raise not_found("Conversation", conversation_id)
    return conv


async def create_conversation(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    channel_id, customer, history = validate_create(await read_json_object(request))
    channel = rt.store.channel(Api.CHAT_API, channel_id)
    if channel is None:
        raise constraint_violation(f"channelId: Channel {channel_id} not found")
    conv = await rt.lifecycle.create(channel, customer, history)
    return json_response({"conversationId": conv.id, "timestamp": conv.start_ms}, status=202)


def _matches(conv: Conversation, query: dict[str, str]) -> bool:
    if (cid := query.get("channel-id")) and conv.channel_id != cid:
        return False
    status = query.get("status", "all") or "all"
    if status != "all" and STATUS_OF[conv.state] != status:
        return False
    if (user := query.get("userId")) and conv.customer.get("customerId") != user:
        return False
    for key, value in query.items():
        if key.startswith("customer.") and conv.customer.get(key.removeprefix("customer.")) != value:
            return False
    return True


async def list_conversations(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    query = dict(request.query)
    if query.get("status", "all") not in STATUSES:
        raise constraint_violation(f"status: must be one of [{', '.join(sorted(STATUSES))}]")
    order = query.get("order", "asc")
    if order not in {"asc", "desc"}:
        raise constraint_violation("order: must be one of [asc, desc]")
    found = [c for c in rt.store.conversations.values() if c.api is Api.CHAT_API and _matches(c, query)]
    found = rt.store.listed(found)
    found.sort(key=lambda c: c.start_ms, reverse=order == "desc")
    return json_response(paged(request, [c.to_json(open_end=rt.store.open_end) for c in found]))


async def get_conversation(request: web.Request) -> web.StreamResponse:
    open_end = request.app[runtime_key].store.open_end
    return json_response(_conversation(request).to_json(open_end=open_end))


async def list_participants(request: web.Request) -> web.StreamResponse:
    conv = _conversation(request)
    return json_response({"participants": [p.to_json() for p in conv.participants]})


async def customer_leave(request: web.Request) -> web.StreamResponse:
    request.app[runtime_key].lifecycle.customer_leave(_conversation(request))
    return web.Response(status=204)


async def list_messages(request: web.Request) -> web.StreamResponse:
    conv = _conversation(request)
    interaction_id = request.query.get("interaction-id")
    messages = [m for m in conv.messages if interaction_id is None or m.interaction_id == interaction_id]
    return json_response(
        {
            "messages": [m.to_json() for m in messages],
            "participants": [p.to_json() for p in conv.participants],
        }
    )


async def send_message(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = _conversation(request)
    text, author_type = validate_message(await read_json_object(request))
    rt.lifecycle.post_customer_message(conv, text, author_type)
    return web.Response(status=202)


ROUTES = [
    ("GET", "/conversations", list_conversations, "list_conversations"),
    ("POST", "/conversations", create_conversation, "create_conversation"),
    ("GET", "/conversations/{conversation_id}", get_conversation, "get_conversation"),
    ("GET", "/conversations/{conversation_id}/participants", list_participants, "list_participants"),
    ("DELETE", "/conversations/{conversation_id}/participants/customer", customer_leave, "customer_leave"),
    ("GET", "/conversations/{conversation_id}/messages", list_messages, "list_messages"),
    ("POST", "/conversations/{conversation_id}/messages", send_message, "send_message"),
]
