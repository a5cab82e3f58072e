"""Chat Gateway ``/conversations`` (spec chat-gateway-v1 §3, §3.1, §5): create (202), list (FIQL ``filter``,
``sort``, HAL), get, PUT/PATCH (re-route while queued, user data; 202), interactions, participants and the
user leaving by ``PATCH …/participants/user {"removed": true}``.

Our choices: ``assignment.type`` ``script`` is refused (no scripts are emulated); changing the assignment
while an agent handles the conversation is refused (400 ``invalid_assignment``); PUT without ``assignment``
routes to the (new) channel's queue.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..channels import parse_filter
from ..runtime import Runtime, runtime_key
from ..state import Api, Conversation, ConvState, iso
from .errors import filter_error, general_error, hal_response, invalid_json, read_object, resource_not_found
from .events import assignment_of, gateway_state
from .hal import hal_page, sort_order
from .validation import check_assignment, check_history, check_user, flat_customer

FILTER_SELECTORS = {
    "id": lambda c: c.id,
    "channelId": lambda c: c.channel_id,
    "state": gateway_state,
    "user.userId": lambda c: str(c.user.get("userId", "")),
    "user.email": lambda c: str(c.user.get("email", "")),
    "user.name": lambda c: str(c.user.get("name", "")),
    "assignment.id": lambda c: assignment_of(c)["id"],
    "assignment.type": lambda c: assignment_of(c)["type"],
}


def conversation_of(request: web.Request, not_found: Any = resource_not_found) -> Conversation:
    conversation_id = request.match_info["conversation_id"]
    conv = request.app[runtime_key].store.conversation(Api.CHAT_GATEWAY, conversation_id)
    if conv is None:
        raise not_found("Conversation", conversation_id)
    return conv


def conversation_json(conv: Conversation) -> dict[str, Any]:
    return {
        "id": conv.id,
        "channelId": conv.channel_id,
        "assignment": assignment_of(conv),
        "user": conv.user,
        "state": gateway_state(conv),
    }


def _queue_for(rt: Runtime, assignment: Any) -> str | None:
    """The queue an (already shape-checked) assignment names, or the 400 for scripts and unknown queues."""
    if assignment is None:
        return None
    if assignment["type"] == "script":
        raise general_error(("invalid_assignment", "Script assignments are not emulated; use a queue."))
    if rt.config.queue(assignment["id"]) is None:
        raise general_error(("invalid_queue", f"Queue ID {assignment['id']} is invalid."))
    return str(assignment["id"])


async def create_conversation(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    body = await read_object(request)
    errors: list[str] = []
    channel_id = body.get("channelId")
    if not isinstance(channel_id, str) or not channel_id:
        errors.append("channelId: May not be empty.")
    if "customer" in body:
        errors.append("customer: unknown property, send the customer as user")
    check_user(body.get("user"), errors)
    check_assignment(body.get("assignment"), errors)
    history = check_history(body.get("history"), errors)
    if errors:
        raise invalid_json(*errors)
    channel = rt.store.channel(Api.CHAT_GATEWAY, str(channel_id))
    if channel is None:
        raise general_error(("invalid_channel", f"Channel ID {channel_id} is invalid."))
    queue_id = _queue_for(rt, body.get("assignment"))
    user = dict(body["user"])
    user.setdefault("language", "en")
    lines = [{"type": m.author_type, "text": m.text, "cards": m.cards} for m in history]
    conv = await rt.lifecycle.create(channel, flat_customer(user), lines, user=user, queue_id=queue_id)
    return hal_response({"conversationId": conv.id, "createdAt": iso(conv.start_ms)}, status=202)


async def list_conversations(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    found = rt.store.listed([c for c in rt.store.conversations.values() if c.api is Api.CHAT_GATEWAY])
    if flt := request.query.get("filter"):
        predicate = parse_filter(flt, FILTER_SELECTORS, filter_error)
        found = [c for c in found if predicate(c)]
    key, reverse = sort_order(request, {"id": lambda c: c.id, "createdAt": lambda c: c.start_ms}, "id:asc")
    found.sort(key=key, reverse=reverse)
    return hal_response(hal_page(request, "conversations", [conversation_json(c) for c in found]))


async def get_conversation(request: web.Request) -> web.StreamResponse:
    return hal_response(conversation_json(conversation_of(request)))


def _apply_update(rt: Runtime, conv: Conversation, body: dict[str, Any], *, full: bool) -> None:
    errors: list[str] = []
    if full:
        channel_id = body.get("channelId")
        if not isinstance(channel_id, str) or not channel_id:
            errors.append("channelId: May not be empty.")
        check_user(body.get("user"), errors)
    else:
        if "user" not in body and "assignment" not in body:
            errors.append("body: send assignment and/or user")
        if "user" in body:
            check_user(body["user"], errors)
    check_assignment(body.get("assignment"), errors)
    if errors:
        raise invalid_json(*errors)
    channel = None
    if full:
        channel = rt.store.channel(Api.CHAT_GATEWAY, str(body["channelId"]))
        if channel is None:
            raise general_error(("invalid_channel", f"Channel ID {body['channelId']} is invalid."))
    queue_id = _queue_for(rt, body.get("assignment"))
    if queue_id is None and channel is not None:
        queue_id = channel.queue_id
    if queue_id is not None and queue_id != conv.queue_id and conv.state is ConvState.AGENT:
        raise general_error(
            (
                "invalid_assignment",
                f"Conversation {conv.id} is handled by an agent; its assignment can change only while queued.",
            )
        )
    if channel is not None:
        conv.channel_id, conv.webhook_id = channel.id, channel.webhook_id
    if "user" in body:
        user = dict(body["user"])
        user.setdefault("language", "en")
        rt.lifecycle.update_user(conv, user, flat_customer(user))
    if queue_id is not None:
        rt.lifecycle.reroute(conv, queue_id)


async def put_conversation(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = conversation_of(request)
    _apply_update(rt, conv, await read_object(request), full=True)
    return hal_response(conversation_json(conv), status=202)


async def patch_conversation(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = conversation_of(request)
    _apply_update(rt, conv, await read_object(request), full=False)
    return hal_response(conversation_json(conv), status=202)


async def list_interactions(request: web.Request) -> web.StreamResponse:
    conv = conversation_of(request)
    open_end = request.app[runtime_key].store.open_end
    items = [i.to_json(open_end=open_end) for i in conv.interactions]
    return hal_response(hal_page(request, "interactions", items))


def participant_json(conv: Conversation, pid: str) -> dict[str, Any]:
    found = conv.participant(pid)
    if found is None:
        return {"id": pid, "removed": False, "type": "system", "language": conv.language}
    return {"id": found.id, "removed": found.removed, "type": found.type, "language": found.language}


async def list_participants(request: web.Request) -> web.StreamResponse:
    conv = conversation_of(request)
    items = [participant_json(conv, p.id) for p in conv.participants]
    return hal_response(hal_page(request, "participants", items))


async def user_leave(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = conversation_of(request)
    body = await read_object(request)
    if body.get("removed") is not True:
        raise invalid_json('removed: must be true (the only change a client can make is {"removed": true})')
    rt.lifecycle.customer_leave(conv)
    return web.Response(status=204)


ROUTES = [
    ("GET", "/conversations", list_conversations, "cgw_list_conversations"),
    ("POST", "/conversations", create_conversation, "cgw_create_conversation"),
    ("GET", "/conversations/{conversation_id}", get_conversation, "cgw_get_conversation"),
    ("PUT", "/conversations/{conversation_id}", put_conversation, "cgw_put_conversation"),
    ("PATCH", "/conversations/{conversation_id}", patch_conversation, "cgw_patch_conversation"),
    ("GET", "/conversations/{conversation_id}/interactions", list_interactions, "cgw_list_interactions"),
    ("GET", "/conversations/{conversation_id}/participants", list_participants, "cgw_list_participants"),
    ("PATCH", "/conversations/{conversation_id}/participants/user", user_leave, "cgw_user_leave"),
]
