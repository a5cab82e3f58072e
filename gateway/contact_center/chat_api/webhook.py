"""Chat API v2 events at ``/webhooks/8x8``: their model and their translation into the relay's events.

The receive path (checks, signature, event-id record, problem answers) is ``core.receiver``'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field, ValidationError

from gateway.contact_center.core.events import Envelope, event_time
from gateway.contact_center.core.receiver import (
    DEFAULT_WINDOW_S,
    Accepted,
    Ignored,
    Malformed,
    Translation,
    WebhookReceiver,
)
from gateway.contact_center.core.signature import JwkCache
from gateway.relay.events import AgentJoined, AgentLeft, AgentSaid, CcEvent, Queued, Transferred
from gateway.relay.model import AgentRef, CcConversationId, QueueRef
from gateway.relay.relay import Relay


class WebhookEvent(Envelope):
    """A v2.0 conversation event (spec §5.2)."""

    queueId: str | None = Field(default=None, max_length=256)
    queueName: str | None = Field(default=None, max_length=512)


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
    ev: WebhookEvent, received_at: float, *, max_skew_s: float, agent: AgentRef | None
) -> CcEvent | Literal["malformed"] | None:
    """The relay's event, None for an event type we ignore, or "malformed" for a known type missing fields.

    ``agent`` is the event's agent (None when it names none). The event's time is 8x8's ``timestamp`` when
    it lies within ``max_skew_s`` of our receipt, else the receipt time: a wild timestamp must not date an
    entry in year 36 million (unreadable transcript) or in 1970 (closed at once for inactivity).
    """
    at = event_time(ev.timestamp, received_at, window_s=max_skew_s)
    match ev.eventType:
        case "TEXT":
            return AgentSaid(agent, ev.message, at) if agent and ev.message is not None else "malformed"
        case "QUEUED":
            return Queued(QueueRef(ev.queueId, ev.queueName), at) if ev.queueId else "malformed"
        case "AGENT_JOINED":
            return AgentJoined(agent, at) if agent else "malformed"
        case "TRANSFER":
            return Transferred(at)
        case "AGENT_LEFT":
            return AgentLeft(agent, at)
    return None


class ChatApiTranslator:
    """Chat API v2.0 events for the shared receiver (``core.receiver``)."""

    def __init__(self, *, window_s: float, agent_name: AgentNameStyle = "first") -> None:
        self._window_s = window_s
        self._agent_name: AgentNameStyle = agent_name
        self._agents: dict[tuple[str, str | None], AgentRef] = {}  # (agentId, agentName) -> AgentRef

    def _agent(self, agent_id: str | None, sent_name: str | None) -> AgentRef | None:
        """The agent an event names, as the customer sees it (kept: an agent sends many lines)."""
        if not agent_id:
            return None
        agent = self._agents.get((agent_id, sent_name))
        if agent is None:
            if len(self._agents) >= 1000:
                self._agents.clear()
            name = display_name(sent_name or agent_id, self._agent_name)
            agent = self._agents[agent_id, sent_name] = AgentRef(agent_id, name)
        return agent

    async def translate(self, body: Any, received_at: float) -> tuple[str, Translation]:
        try:
            event = WebhookEvent.model_validate(body)
        except ValidationError:
            return "-", Malformed("the body is not a v2.0 event")
        event_type = event.eventType[:64]
        if event.eventType == "WEB_HOOK_VERIFY":
            return event_type, Ignored("verified")
        agent = self._agent(event.agentId, event.agentName)
        cc_event = to_cc_event(event, received_at, max_skew_s=self._window_s, agent=agent)
        if cc_event is None:
            return "unknown", Ignored()
        if cc_event == "malformed" or event.conversationId is None:
            return event_type, Malformed(f"{event.eventType} event without its required fields")
        return event_type, Accepted(
            CcConversationId(event.conversationId), cc_event, event.eventType == "TEXT"
        )


class ChatApiWebhook(WebhookReceiver):
    """The receiver at ``/webhooks/8x8`` for Chat API v2 events."""

    def __init__(
        self,
        relay: Relay,
        keys: JwkCache,
        *,
        tenant_id: str,
        max_body_bytes: int,
        max_clock_skew_s: float = DEFAULT_WINDOW_S,
        clock: Callable[[], float] = time.time,
        observe: Callable[[str, str], None] | None = None,
        agent_name: AgentNameStyle = "first",
        sighted: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(
            relay,
            keys,
            ChatApiTranslator(window_s=max_clock_skew_s, agent_name=agent_name),
            api="chat_api",
            tenant=tenant_id,
            max_body_bytes=max_body_bytes,
            window_s=max_clock_skew_s,
            clock=clock,
            observe=observe,
            sighted=sighted,
        )
