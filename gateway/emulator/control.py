"""Test support under ``/_emulator/`` (not part of 8x8's API): act as the agent, inspect conversations.

``POST /_emulator/conversations/{id}/agent/join {"agentId"?}``, ``…/agent/messages {"text"}``,
``…/agent/leave``, ``…/agent/transfer {"queueId"}``; ``GET /_emulator/conversations[/{id}]``;
``GET /_emulator/config`` (queues, agents, tenant, mode) for the console.
"""

from __future__ import annotations

from aiohttp import web

from .errors import constraint_violation, json_response, read_json_object
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
    text = (await read_json_object(request)).get("text")
    errors: list[str] = []
    check_text("text", text, errors)
    if errors:
        raise constraint_violation(*errors)
    rt.lifecycle.agent_message(conv, str(text))
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
]
