"""Chat Gateway indicators (spec chat-gateway-v1 §3.3, §3.4): typing, thinking, read receipt and
post-agent assignment, with their own 404/400 shapes. The integration's indicators are recorded for the agent
console and produce no webhook event. A post-agent assignment keeps the conversation with the integration's
bot after the agent leaves, until its timers (the emulator sends no event for it; our choice).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..errors import Problem
from ..runtime import runtime_key
from ..state import Conversation, now_ms
from .conversations import conversation_of
from .errors import entity_not_found, invalid_parameter, read_object

MAX_THINKING_S = 600


def _indicator_conversation(request: web.Request) -> Conversation:
    return conversation_of(request, entity_not_found)


async def _indicator_body(
    request: web.Request, conv: Conversation, *, optional: bool = False
) -> dict[str, Any]:
    rt = request.app[runtime_key]
    raw = await request.read()
    if not raw and optional:
        return {}
    try:
        return await read_object(request)
    except Problem:  # the general 400 shape; these endpoints answer their own
        raise invalid_parameter(conv.id, rt.config.tenant_id, "body: must be a JSON object") from None


async def typing(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = _indicator_conversation(request)
    body = await _indicator_body(request, conv)
    author = body.get("authorType")
    if author not in ("user", "bot"):
        raise invalid_parameter(
            conv.id, rt.config.tenant_id, f"authorType: must be one of [user, bot] (got {author})"
        )
    conv.typing_ms[str(author)] = now_ms()
    rt.store.changed()
    return web.Response(status=204)


async def thinking(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = _indicator_conversation(request)
    body = await _indicator_body(request, conv, optional=True)
    errors: list[str] = []
    if body.get("authorType", "bot") != "bot":
        errors.append("authorType: must be bot")
    seconds = body.get("maxThinkingTimeSeconds", 60)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 1 <= seconds <= MAX_THINKING_S:
        errors.append(f"maxThinkingTimeSeconds: must be an integer between 1 and {MAX_THINKING_S}")
    if errors:
        raise invalid_parameter(conv.id, rt.config.tenant_id, *errors)
    conv.thinking_until_ms = now_ms() + int(seconds) * 1000
    rt.store.changed()
    return web.Response(status=204)


async def read_receipt(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = _indicator_conversation(request)
    body = await _indicator_body(request, conv)
    errors: list[str] = []
    author, read_at = body.get("authorType"), body.get("readAt")
    if author not in ("user", "bot"):
        errors.append(f"authorType: must be one of [user, bot] (got {author})")
    if not isinstance(read_at, int) or isinstance(read_at, bool) or read_at <= 0:
        errors.append("readAt: must be a positive integer (milliseconds since the epoch)")
    if errors or not isinstance(read_at, int):
        raise invalid_parameter(conv.id, rt.config.tenant_id, *errors)
    conv.read_at_ms[str(author)] = max(read_at, conv.read_at_ms.get(str(author), 0))
    rt.store.changed()
    return web.Response(status=204)


async def post_agent_assignment(request: web.Request) -> web.StreamResponse:
    """Recorded; when the agent leaves, the conversation stays with the integration's bot (its and the user's
    messages do not re-queue it) until ``maxTotalMinutes`` since the agent left or ``userTimeoutInMinutes``
    since the last message."""
    rt = request.app[runtime_key]
    conv = _indicator_conversation(request)
    body = await _indicator_body(request, conv)
    errors: list[str] = []
    if body.get("type") != "webhook":
        errors.append("type: must be webhook")
    webhook_id = body.get("id")
    if not isinstance(webhook_id, str) or rt.store.webhooks.get(webhook_id) is None:
        errors.append(f"id: no webhook {webhook_id}")
    config = body.get("configuration", {})
    if not isinstance(config, dict):
        errors.append("configuration: must be an object")
        config = {}
    notify = config.get("notifyChannelWebhookIfExists")
    if notify is not None and notify not in ("true", "false"):
        errors.append('configuration.notifyChannelWebhookIfExists: must be the string "true" or "false"')
    for name, low, high in (("maxTotalMinutes", 20, 600), ("userTimeoutInMinutes", 10, 300)):
        value = config.get(name)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high
        ):
            errors.append(f"configuration.{name}: must be an integer between {low} and {high}")
    if errors:
        raise invalid_parameter(conv.id, rt.config.tenant_id, *errors)
    conv.post_agent_assignment = body
    rt.store.changed()
    return web.Response(status=201)


ROUTES = [
    ("POST", "/conversations/{conversation_id}/typing", typing, "cgw_typing"),
    ("POST", "/conversations/{conversation_id}/thinking", thinking, "cgw_thinking"),
    ("POST", "/conversations/{conversation_id}/read-receipt", read_receipt, "cgw_read_receipt"),
    (
        "POST",
        "/conversations/{conversation_id}/post-agent-assignment",
        post_agent_assignment,
        "cgw_post_agent_assignment",
    ),
]
