"""The 8x8 webhook receiver at ``/webhooks/8x8``.

Order of checks, each refusing with a 4xx problem+json and no state change: body size, the delivery
headers, tenant, transmission-time window (replays), signature, JSON, event shape. Only then is the
event stored (deduplicated by ``x-8x8-event-id``) and answered 200; it is applied to the conversation
afterwards, so a slow relay never makes 8x8 retry. ``WEB_HOOK_VERIFY`` is answered 200, empty.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Literal

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.channels.web.problems import problem
from gateway.contact_center.chat_api.signature import REQUIRED_HEADERS, JwkCache, SignatureInvalid, verify
from gateway.relay.events import AgentJoined, AgentLeft, AgentSaid, CcEvent, InboundEvent, Queued, Transferred
from gateway.relay.model import AgentRef, CcConversationId, QueueRef
from gateway.relay.relay import Relay

logger = structlog.get_logger(__name__)

_ID = Field(min_length=1, max_length=256)
_LAST_MS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z: an event's time becomes a transcript entry's, which must be a date."""


class WebhookEvent(BaseModel):
    """A v2.0 conversation event (spec §5.2); unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")
    eventType: str = Field(max_length=64)
    conversationId: str | None = Field(default=None, min_length=1, max_length=256)
    timestamp: int | None = Field(default=None, ge=0, le=_LAST_MS)
    agentId: str | None = Field(default=None, max_length=256)
    agentName: str | None = Field(default=None, max_length=512)
    queueId: str | None = Field(default=None, max_length=256)
    queueName: str | None = Field(default=None, max_length=512)
    message: str | None = None


AgentNameStyle = Literal["first", "full", "as_sent"]


def display_name(sent: str, style: AgentNameStyle) -> str:
    """The agent's name as the customer sees it. 8x8 sends "First,Last" (e.g. "Cosmin,Malutan")."""
    if style == "as_sent":
        return sent
    parts = [p.strip() for p in sent.split(",") if p.strip()]
    if not parts:
        return sent
    return parts[0] if style == "first" else " ".join(parts)


def to_cc_event(
    ev: WebhookEvent, received_at: float, agent_name: AgentNameStyle = "first"
) -> CcEvent | Literal["malformed"] | None:
    """The relay's event, None for an event type we ignore, or "malformed" for a known type missing fields."""
    at = ev.timestamp / 1000 if ev.timestamp else received_at
    agent = AgentRef(ev.agentId, display_name(ev.agentName or ev.agentId, agent_name)) if ev.agentId else None
    match ev.eventType:
        case "QUEUED":
            return Queued(QueueRef(ev.queueId, ev.queueName), at) if ev.queueId else "malformed"
        case "AGENT_JOINED":
            return AgentJoined(agent, at) if agent else "malformed"
        case "TEXT":
            return AgentSaid(agent, ev.message, at) if agent and ev.message is not None else "malformed"
        case "TRANSFER":
            return Transferred(at)
        case "AGENT_LEFT":
            return AgentLeft(agent, at)
    return None


class ChatApiWebhook:
    def __init__(
        self,
        relay: Relay,
        keys: JwkCache,
        *,
        tenant_id: str,
        max_body_bytes: int,
        max_clock_skew_s: float,
        clock: Callable[[], float] = time.time,
        observe: Callable[[str, str], None] | None = None,
        agent_name: AgentNameStyle = "first",
    ) -> None:
        self._agent_name: AgentNameStyle = agent_name
        self._observe = observe or (lambda _type, _result: None)
        self._relay = relay
        self._keys = keys
        self._tenant_id = tenant_id
        self._max_body_bytes = max_body_bytes
        self._max_clock_skew_s = max_clock_skew_s
        self._clock = clock

    async def handle(self, request: web.Request) -> web.Response:
        response, event_type, result = await self._receive(request)
        self._observe(event_type, result)
        return response

    async def _receive(self, request: web.Request) -> tuple[web.Response, str, str]:
        raw = await request.content.read(self._max_body_bytes + 1)
        if len(raw) > self._max_body_bytes:
            return (
                problem("too_long", f"webhook bodies are limited to {self._max_body_bytes} bytes"),
                "-",
                "too_long",
            )
        headers = {name: request.headers.get(name, "") for name in REQUIRED_HEADERS}
        missing = [name for name, value in headers.items() if not value]
        if missing:
            return _refuse(401, "unsigned", f"missing header {missing[0]}"), "-", "unsigned"
        if headers["x-8x8-tenant-id"] != self._tenant_id:
            return _refuse(403, "wrong_tenant", "the event is for another tenant"), "-", "wrong_tenant"
        try:
            sent_at = int(headers["x-8x8-transmission-time"]) / 1000
        except ValueError:
            return _refuse(400, "malformed", "x-8x8-transmission-time must be an integer"), "-", "malformed"
        if abs(self._clock() - sent_at) > self._max_clock_skew_s:
            return (
                _refuse(400, "stale", "x-8x8-transmission-time is outside the accepted window"),
                "-",
                "stale",
            )
        try:
            await verify(raw, headers, self._keys)
        except SignatureInvalid as exc:
            logger.warning("webhook_refused", reason=str(exc), event_id=headers["x-8x8-event-id"][:64])
            return _refuse(401, "bad_signature", str(exc)), "-", "bad_signature"
        try:
            event = WebhookEvent.model_validate(json.loads(raw))
        except (ValueError, ValidationError):
            return _refuse(400, "malformed", "the body is not a v2.0 event"), "-", "malformed"
        if event.eventType == "WEB_HOOK_VERIFY":
            return web.Response(status=200), event.eventType, "verified"
        received_at = self._clock()
        cc_event = to_cc_event(event, received_at, self._agent_name)
        if cc_event is None:
            logger.info("webhook_event_ignored", event_type=event.eventType[:64])
            return web.Response(status=200), "unknown", "ignored"
        if cc_event == "malformed" or event.conversationId is None:
            return (
                _refuse(400, "malformed", f"{event.eventType} event without its required fields"),
                event.eventType,
                "malformed",
            )
        inbound = InboundEvent(
            event_id=headers["x-8x8-event-id"][:256],
            cc_conversation_id=CcConversationId(event.conversationId),
            event=cc_event,
            received_at=received_at,
        )
        fresh = await self._relay.accept_cc_event(inbound)
        logger.info(
            "webhook_received",
            cc_conversation_id=event.conversationId,
            event_type=event.eventType,
            event_id=inbound.event_id,
            duplicate=not fresh,
            retry=headers["x-8x8-retry"],
        )
        return web.Response(status=200), event.eventType, "accepted" if fresh else "duplicate"


def _refuse(status: int, code: str, detail: str) -> web.Response:
    body: dict[str, Any] = {
        "type": f"urn:chat-gateway:problem:webhook-{code}",
        "title": "Webhook refused",
        "status": status,
        "detail": detail,
        "code": code,
    }
    return web.Response(status=status, text=json.dumps(body), content_type="application/problem+json")
