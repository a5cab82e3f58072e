"""Test support under ``/_emulator/`` (not part of 8x8's API): act as the agent, inspect conversations.

``POST /_emulator/conversations/{id}/agent/join {"agentId"?}``, ``…/agent/messages {"text", "cards"?}``
(cards: Chat Gateway only, as in its send-message body; text may then be empty),
``…/agent/leave``, ``…/agent/transfer {"queueId"}``; Chat Gateway only: ``…/agent/typing {"active"?}``,
``…/agent/read {"readAt"?}``, ``…/agent/attachments?filename=&text=`` (raw body, its Content-Type);
``GET /_emulator/conversations[/{id}]``, ``GET /_emulator/conversations/{id}/attachments/{aid}`` (the file);
``GET /_emulator/config`` (queues, agents, tenant, mode) for the console.
"""

from __future__ import annotations

from aiohttp import web

from .chat_gateway.attachments import content_disposition
from .chat_gateway.validation import check_cards
from .errors import constraint_violation, json_response, not_found, read_json_object
from .runtime import runtime_key
from .validation import check_text
from .views import conversation_view


def _conv_id(request: web.Request) -> str:
    return request.match_info["conversation_id"]


async def _optional_json(request: web.Request) -> dict[str, object]:
    return await read_json_object(request) if await request.read() else {}


async def list_all(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    convs = [conversation_view(rt.config, c, full=False) for c in rt.store.conversations.values()]
    return json_response({"conversations": convs})


async def get_one(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    return json_response(conversation_view(rt.config, rt.lifecycle.conversation(_conv_id(request))))


async def join(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = rt.lifecycle.conversation(_conv_id(request))
    agent_id = (await _optional_json(request)).get("agentId")
    if agent_id is not None and not isinstance(agent_id, str):
        raise constraint_violation("agentId: must be a string")
    rt.lifecycle.join(conv, agent_id)
    return json_response(conversation_view(rt.config, conv))


async def agent_message(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = rt.lifecycle.conversation(_conv_id(request))
    body = await read_json_object(request)
    errors: list[str] = []
    cards = check_cards(body.get("cards"), "", errors)
    text = body.get("text", "" if cards else None)
    if not (cards and text == ""):
        check_text("text", text, errors)
    if errors:
        raise constraint_violation(*errors)
    rt.lifecycle.agent_message(conv, str(text), cards=cards)
    return json_response(conversation_view(rt.config, conv))


async def leave(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = rt.lifecycle.conversation(_conv_id(request))
    rt.lifecycle.agent_leave(conv)
    return json_response(conversation_view(rt.config, conv))


async def transfer(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = rt.lifecycle.conversation(_conv_id(request))
    queue_id = (await read_json_object(request)).get("queueId")
    if not isinstance(queue_id, str) or not queue_id:
        raise constraint_violation("queueId: May not be empty.")
    rt.lifecycle.transfer(conv, queue_id)
    return json_response(conversation_view(rt.config, conv))


async def typing(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = rt.lifecycle.conversation(_conv_id(request))
    active = (await _optional_json(request)).get("active", True)
    if not isinstance(active, bool):
        raise constraint_violation("active: must be true or false")
    rt.lifecycle.agent_typing(conv, active)
    return web.Response(status=204)


async def read(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = rt.lifecycle.conversation(_conv_id(request))
    read_at = (await _optional_json(request)).get("readAt")
    if read_at is not None and (not isinstance(read_at, int) or isinstance(read_at, bool) or read_at <= 0):
        raise constraint_violation("readAt: must be a positive integer (ms since the epoch)")
    rt.lifecycle.agent_read(conv, read_at)
    return web.Response(status=204)


async def send_attachment(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = rt.lifecycle.conversation(_conv_id(request))
    filename = request.query.get("filename", "")
    data = await request.read()
    errors: list[str] = []
    if not filename or "/" in filename or "\\" in filename:
        errors.append("filename: May not be empty or contain a path.")
    if not data:
        errors.append("body: the file may not be empty.")
    if len(data) > rt.config.attachment_max_bytes:
        errors.append(f"body: larger than {rt.config.attachment_max_bytes} bytes")
    if errors:
        raise constraint_violation(*errors)
    rt.lifecycle.require_gateway(conv, "attachments")
    rt.lifecycle.active_agent(conv)
    content_type = request.content_type or "application/octet-stream"
    att = rt.lifecycle.add_attachment(conv, filename, content_type, data, "agent")
    rt.lifecycle.agent_message(conv, request.query.get("text", ""), attachment_ids=[att.id])
    return json_response(conversation_view(rt.config, conv))


async def attachment_file(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = rt.lifecycle.conversation(_conv_id(request))
    attachment_id = request.match_info["attachment_id"]
    att = conv.attachments.get(attachment_id)
    if att is None:
        raise not_found("Attachment", attachment_id)
    return web.Response(
        body=att.data,
        content_type=att.content_type,
        headers={
            "Content-Disposition": content_disposition("inline", att.filename),
            "Cache-Control": "no-store",
        },
    )


async def config_view(request: web.Request) -> web.StreamResponse:
    cfg = request.app[runtime_key].config
    return json_response(
        {
            "tenantId": cfg.tenant_id,
            "customerId": cfg.customer_id,
            "regions": cfg.regions,
            "mode": cfg.mode,
            "queues": [q.model_dump() for q in cfg.queues],
            "agents": [a.model_dump() for a in cfg.agents],
        }
    )


ROUTES = [
    ("GET", "/_emulator/config", config_view, "emulator_config"),
    ("GET", "/_emulator/conversations", list_all, "emulator_conversations"),
    ("GET", "/_emulator/conversations/{conversation_id}", get_one, "emulator_conversation"),
    ("POST", "/_emulator/conversations/{conversation_id}/agent/join", join, "agent_join"),
    ("POST", "/_emulator/conversations/{conversation_id}/agent/messages", agent_message, "agent_message"),
    ("POST", "/_emulator/conversations/{conversation_id}/agent/leave", leave, "agent_leave"),
    ("POST", "/_emulator/conversations/{conversation_id}/agent/transfer", transfer, "agent_transfer"),
    ("POST", "/_emulator/conversations/{conversation_id}/agent/typing", typing, "agent_typing"),
    ("POST", "/_emulator/conversations/{conversation_id}/agent/read", read, "agent_read"),
    (
        "POST",
        "/_emulator/conversations/{conversation_id}/agent/attachments",
        send_attachment,
        "agent_attachment",
    ),
    (
        "GET",
        "/_emulator/conversations/{conversation_id}/attachments/{attachment_id}",
        attachment_file,
        "emulator_attachment",
    ),
]
