"""The Chat Gateway webhook receiver at ``/webhooks/8x8/chat-gateway``.

Delivery headers and the signature are those of the Chat API v2 (spec §4), so the checks and their order
are the same as ``chat_api.webhook``: body size, delivery headers, tenant, transmission-time window,
signature, JSON, event shape, each refusing with a 4xx problem+json and no state change. Then the event
is stored (deduplicated by ``x-8x8-event-id``) and answered 200, and applied afterwards.

Chat Gateway's own quirks, handled here:
- ``MESSAGE`` comes for every participant, and our own posts come back with ``isEcho: true``: only
  non-echo messages of an agent are relayed.
- Agent names are not in any event: the name comes from the configured directory
  (``GATEWAY_CHAT_GATEWAY__AGENT_NAMES``), else the name last known for that agent in this conversation,
  else the configured display name.
- ``ACTIVITY typing`` is ephemeral (shown, never stored); ``CONVERSATION_UPDATE`` and the user's own
  ``MEMBERS_CHANGED`` change nothing here and are answered 200.
"""

from __future__ import annotations

import json
import mimetypes
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.channels.web.problems import problem
from gateway.contact_center.chat_api.signature import REQUIRED_HEADERS, JwkCache, SignatureInvalid, verify
from gateway.contact_center.chat_gateway.adapter import qualify
from gateway.relay.events import (
    AgentJoined,
    AgentLeft,
    AgentRead,
    AgentSaid,
    CcEvent,
    InboundEvent,
    Queued,
    Transferred,
)
from gateway.relay.model import AgentRef, AttachedFile, CcConversationId, QueueRef
from gateway.relay.relay import Relay

logger = structlog.get_logger(__name__)

_ID = Field(min_length=1, max_length=256)
_LAST_MS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z: a later event timestamp cannot be an entry's time (as on the Chat API)."""


class Member(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = _ID
    type: str = Field(max_length=32)


class FileRef(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = _ID
    type: str | None = Field(default=None, max_length=32)
    preSignedUrl: str | None = Field(default=None, max_length=4096)
    fileName: str | None = Field(default=None, max_length=512)


class EventData(BaseModel):
    """The union of every event's ``data`` fields we read (spec §4); unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")
    queueId: str | None = Field(default=None, max_length=256)
    queueName: str | None = Field(default=None, max_length=512)
    memberType: str | None = Field(default=None, max_length=32)
    change: str | None = Field(default=None, max_length=32)
    id: str | None = Field(default=None, max_length=256)
    isEcho: bool = False
    sender: Member | None = None
    text: str | None = None
    attachments: list[FileRef] = Field(default_factory=list, max_length=50)
    name: str | None = Field(default=None, max_length=128)
    value: Any = None


class GatewayEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    eventType: str = Field(max_length=64)
    conversationId: str | None = Field(default=None, min_length=1, max_length=256)
    timestamp: int | None = Field(default=None, ge=0, le=_LAST_MS)
    data: EventData = Field(default_factory=EventData)


Malformed = Literal["malformed"]


class AgentNames:
    """Agent id -> display name: the operator's directory first, then what this conversation last knew."""

    def __init__(self, directory: Mapping[str, str], *, fallback: str) -> None:
        self._directory = dict(directory)
        self._fallback = fallback

    def name(self, agent_id: str, last_known: AgentRef | None) -> str:
        if agent_id in self._directory:
            return self._directory[agent_id]
        if last_known is not None and last_known.id == agent_id:
            return last_known.name
        return self._fallback


def _file(ref: FileRef) -> AttachedFile:
    name = ref.fileName or ref.id
    guessed = mimetypes.guess_type(name)[0]
    return AttachedFile(
        key="",
        name=name,
        content_type=guessed or "application/octet-stream",
        remote_id=ref.id,
        remote_url=ref.preSignedUrl,
    )


def _typing_agents(value: Any) -> bool:
    users = value.get("users") if isinstance(value, dict) else None
    return isinstance(users, list) and any(isinstance(u, dict) and u.get("type") == "agent" for u in users)


def _agent_read_at(value: Any) -> float | None:
    """The latest timestamp (ms) at which an agent read, from ``[{timestamp, users[{id,type}]}]``."""
    latest: float | None = None
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("timestamp"), int | float):
            continue
        users = item.get("users") or []
        if any(isinstance(u, dict) and u.get("type") == "agent" for u in users):
            latest = max(latest or 0.0, item["timestamp"] / 1000)
    return latest


class ChatGatewayWebhook:
    def __init__(
        self,
        relay: Relay,
        keys: JwkCache,
        *,
        tenant: str,
        names: AgentNames,
        max_body_bytes: int,
        max_clock_skew_s: float,
        clock: Callable[[], float] = time.time,
        observe: Callable[[str, str], None] | None = None,
    ) -> None:
        self._observe = observe or (lambda _type, _result: None)
        self._relay = relay
        self._keys = keys
        self._tenant = tenant
        self._names = names
        self._max_body_bytes = max_body_bytes
        self._max_clock_skew_s = max_clock_skew_s
        self._clock = clock

    async def handle(self, request: web.Request) -> web.Response:
        response, event_type, result = await self._receive(request)
        self._observe(event_type, result)
        return response

    async def _last_agent(self, cc_id: CcConversationId) -> AgentRef | None:
        conv = await self._relay.store.conversation_by_cc_id(cc_id)
        if conv is None:
            return None
        if conv.agent is not None:
            return conv.agent
        return conv.escalation.agent if conv.escalation is not None else None

    async def _agent(self, cc_id: CcConversationId, agent_id: str) -> AgentRef:
        return AgentRef(agent_id, self._names.name(agent_id, await self._last_agent(cc_id)))

    async def to_cc_event(
        self, ev: GatewayEvent, cc_id: CcConversationId, received_at: float
    ) -> CcEvent | Malformed | None:
        """The relay's event; None for what changes nothing here; "malformed" when required fields lack."""
        at = received_at  # 8x8's timestamp only when plausible: a wild one must not date an entry
        if ev.timestamp is not None and abs(ev.timestamp / 1000 - received_at) <= self._max_clock_skew_s:
            at = ev.timestamp / 1000
        d = ev.data
        match ev.eventType:
            case "QUEUED":
                return Queued(QueueRef(d.queueId, d.queueName), at) if d.queueId else "malformed"
            case "TRANSFER":
                return Transferred(at)
            case "MEMBERS_CHANGED":
                if d.memberType is None or d.change not in ("joined", "left") or not d.id:
                    return "malformed"
                if d.memberType != "agent":
                    return None  # the user joined or left: we caused it, or it changes nothing
                agent = await self._agent(cc_id, d.id)
                return AgentJoined(agent, at) if d.change == "joined" else AgentLeft(agent, at)
            case "MESSAGE":
                if d.sender is None:
                    return "malformed"
                if d.isEcho or d.sender.type != "agent":
                    return None  # our own post coming back, or the user's/bot's line: never shown twice
                if d.text is None and not d.attachments:
                    return "malformed"
                files = tuple(_file(ref) for ref in d.attachments)
                return AgentSaid(await self._agent(cc_id, d.sender.id), d.text or "", at, attachments=files)
            case "ACTIVITY" if d.name == "read-receipts":
                read_at = _agent_read_at(d.value)
                return AgentRead(read_at, at) if read_at is not None else None
        return None

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
        if headers["x-8x8-tenant-id"] != self._tenant:
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
            logger.warning("webhook_refused", api="chat_gateway", reason=str(exc))
            return _refuse(401, "bad_signature", str(exc)), "-", "bad_signature"
        try:
            event = GatewayEvent.model_validate(json.loads(raw))
        except (ValueError, ValidationError):
            return _refuse(400, "malformed", "the body is not a Chat Gateway v1.0 event"), "-", "malformed"
        if event.eventType == "WEB_HOOK_VERIFY":
            return web.Response(status=200), event.eventType, "verified"
        if event.conversationId is None:
            return (
                _refuse(400, "malformed", f"{event.eventType} event without conversationId"),
                "-",
                "malformed",
            )
        cc_id = qualify(event.conversationId)
        received_at = self._clock()
        if event.eventType == "ACTIVITY" and event.data.name == "typing":
            # Ephemeral: shown to the customer's open sockets, never stored or deduplicated.
            await self._relay.agent_typing(cc_id, active=_typing_agents(event.data.value))
            return web.Response(status=200), "ACTIVITY", "typing"
        cc_event = await self.to_cc_event(event, cc_id, received_at)
        if cc_event is None:
            logger.info("webhook_event_ignored", api="chat_gateway", event_type=event.eventType[:64])
            return web.Response(status=200), event.eventType[:64], "ignored"
        if cc_event == "malformed":
            return (
                _refuse(400, "malformed", f"{event.eventType} event without its required fields"),
                event.eventType,
                "malformed",
            )
        inbound = InboundEvent(
            event_id=headers["x-8x8-event-id"][:256],
            cc_conversation_id=cc_id,
            event=cc_event,
            received_at=received_at,
        )
        fresh = await self._relay.accept_cc_event(inbound)
        logger.info(
            "webhook_received",
            api="chat_gateway",
            cc_conversation_id=cc_id,
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
