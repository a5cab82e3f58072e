"""Chat Gateway events at ``/webhooks/8x8/chat-gateway``: their model and their translation.

The receive path (checks, signature, event-id record, problem answers) is ``core.receiver``'s.

Chat Gateway's own quirks, handled here:
- ``MESSAGE`` comes for every participant. Our own posts come back too; a line is ours when its sender
  type says ``user`` or ``bot`` (or, with no sender type, when it is a line we posted). ``isEcho`` alone
  decides nothing: 8x8's events reference says it marks the bot's own messages, yet its workflow page
  shows an agent's message with ``"isEcho": true``. An agent's line is always relayed.
- 8x8's Chat Gateway workflow page shows v2-style ``AGENT_JOINED``, ``AGENT_LEFT`` and ``TEXT`` events
  (top-level ``agentId``, ``agentName``, ``message``): they are taken like their v1 counterparts.
- Agent names are not in any event: the name comes from the configured directory
  (``GATEWAY_CHAT_GATEWAY__AGENT_NAMES``), else the name last known for that agent in this conversation,
  else the configured display name.
- ``ACTIVITY typing`` is ephemeral (shown, never stored); ``CONVERSATION_UPDATE`` and the user's own
  ``MEMBERS_CHANGED`` change nothing here and are answered 200.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.contact_center.chat_gateway.cards import FALLBACK, CardLog, QuickReplies, render
from gateway.contact_center.core.events import Envelope, event_time
from gateway.contact_center.core.ids import qualify
from gateway.contact_center.core.receiver import (
    DEFAULT_WINDOW_S,
    Accepted,
    Ignored,
    Malformed,
    Translation,
    Typing,
    WebhookReceiver,
)
from gateway.contact_center.core.signature import JwkCache
from gateway.relay.events import AgentJoined, AgentLeft, AgentRead, AgentSaid, CcEvent, Queued, Transferred
from gateway.relay.model import AgentRef, AttachedFile, CcConversationId, QueueRef
from gateway.relay.relay import Relay

_ID = Field(min_length=1, max_length=256)


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
    cards: Any = None  # read leniently (``cards.render``): no agent message is refused for its cards
    name: str | None = Field(default=None, max_length=128)
    value: Any = None


class GatewayEvent(Envelope):
    """A Chat Gateway v1.0 event: the envelope and ``data`` (the v2-style events use the envelope's fields)."""

    data: EventData = Field(default_factory=EventData)


class AgentNames:
    """Agent id -> display name: the operator's directory first, then what this conversation last knew."""

    def __init__(self, directory: Mapping[str, str], *, fallback: str) -> None:
        self._directory = dict(directory)
        self._fallback = fallback

    def name(self, agent_id: str, last_known: AgentRef | None, sent: str | None = None) -> str:
        """The directory's name, else the first name 8x8 sent ("First,Last"), else the last known one."""
        if agent_id in self._directory:
            return self._directory[agent_id]
        if sent and (first := sent.split(",")[0].strip()):
            return first
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


class ChatGatewayTranslator:
    """Chat Gateway v1.0 events (and the v2-style ones 8x8's workflow page shows) for ``core.receiver``."""

    def __init__(
        self,
        relay: Relay,
        names: AgentNames,
        *,
        window_s: float,
        ours: Callable[[str, str], bool] = lambda _cid, _text: False,
        quick_replies: QuickReplies | None = None,
        agent_joined: Callable[[CcConversationId], None] = lambda _cid: None,
        bot_continues: tuple[float, float] | None = None,
    ) -> None:
        self._agent_joined = agent_joined
        self._bot_continues = bot_continues
        self._relay = relay
        self._names = names
        self._window_s = window_s
        self._ours = ours
        self.quick_replies = quick_replies or QuickReplies()
        self._card_log = CardLog()

    async def _last_agent(self, cc_id: CcConversationId) -> AgentRef | None:
        conv = await self._relay.conversation_by_cc_id(cc_id)
        if conv is None:
            return None
        if conv.agent is not None:
            return conv.agent
        return conv.escalation.agent if conv.escalation is not None else None

    async def _agent(self, cc_id: CcConversationId, agent_id: str, sent_name: str | None = None) -> AgentRef:
        return AgentRef(agent_id, self._names.name(agent_id, await self._last_agent(cc_id), sent_name))

    def _is_own_line(self, ev: GatewayEvent) -> bool:
        """Our own post coming back: its sender says user or bot, or (sender type unknown) it is a line we
        posted. ``isEcho`` alone decides nothing: 8x8's workflow page shows an agent's line with it set."""
        d = ev.data
        kind = d.sender.type if d.sender is not None else ""
        if kind in ("user", "bot"):
            return True
        if kind == "agent":
            return False
        return ev.conversationId is not None and d.text is not None and self._ours(ev.conversationId, d.text)

    async def to_cc_event(
        self, ev: GatewayEvent, cc_id: CcConversationId, received_at: float
    ) -> CcEvent | Malformed | None:
        """The relay's event; None for what changes nothing here; Malformed when required fields lack."""
        at = event_time(ev.timestamp, received_at, window_s=self._window_s)
        d = ev.data
        missing = Malformed(f"{ev.eventType} event without its required fields")
        match ev.eventType:
            case "QUEUED":
                return Queued(QueueRef(d.queueId, d.queueName), at) if d.queueId else missing
            case "TRANSFER":
                return Transferred(at)
            case "MEMBERS_CHANGED":
                if d.memberType is None or d.change not in ("joined", "left") or not d.id:
                    return missing
                if d.memberType != "agent":
                    return None  # the user joined or left: we caused it, or it changes nothing
                agent = await self._agent(cc_id, d.id)
                return self._member(cc_id, agent, at, joined=d.change == "joined")
            case "AGENT_JOINED" | "AGENT_LEFT" | "TEXT":  # v2-style, as on 8x8's Chat Gateway workflow page
                if not ev.agentId:
                    return missing
                agent = await self._agent(cc_id, ev.agentId, ev.agentName)
                if ev.eventType in ("AGENT_JOINED", "AGENT_LEFT"):
                    return self._member(cc_id, agent, at, joined=ev.eventType == "AGENT_JOINED")
                return AgentSaid(agent, ev.message, at) if ev.message is not None else missing
            case "MESSAGE":
                if d.sender is None:
                    return missing
                if self._is_own_line(ev):
                    return None  # never shown twice
                return await self._agent_message(ev, cc_id, d.sender.id, at)
            case "ACTIVITY" if d.name == "read-receipts":
                read_at = _agent_read_at(d.value)
                return AgentRead(read_at, at) if read_at is not None else None
        return None

    def _member(self, cc_id: CcConversationId, agent: AgentRef, at: float, *, joined: bool) -> CcEvent:
        """An agent joined (the post-agent assignment is scheduled, where configured) or left (the bot then
        goes on inside 8x8's conversation, where configured)."""
        if joined:
            self._agent_joined(cc_id)
            return AgentJoined(agent, at)
        return AgentLeft(agent, at, bot_continues=self._bot_continues)

    async def _agent_message(
        self, ev: GatewayEvent, cc_id: CcConversationId, agent_id: str, at: float
    ) -> AgentSaid:
        """Never refused for its content: cards become buttons, a card frame or a fallback line."""
        d = ev.data
        files = tuple(_file(ref) for ref in d.attachments)
        shown = render(d.text or "", d.cards, cc_id=cc_id, log=self._card_log)
        text = shown.text
        if not text and not files and not shown.buttons:
            self._card_log.unrenderable(cc_id, "empty message")
            text = FALLBACK
        if shown.buttons:
            self.quick_replies.offered(cc_id, shown.buttons)
        agent = await self._agent(cc_id, agent_id)
        return AgentSaid(agent, text, at, attachments=files, buttons=shown.buttons, card=shown.card)

    async def translate(self, body: Any, received_at: float) -> tuple[str, Translation]:
        try:
            event = GatewayEvent.model_validate(body)
        except ValidationError:
            return "-", Malformed("the body is not a Chat Gateway v1.0 event")
        event_type = event.eventType[:64]
        if event.eventType == "WEB_HOOK_VERIFY":
            return event_type, Ignored("verified")
        if event.conversationId is None:
            return "-", Malformed(f"{event.eventType} event without conversationId")
        cc_id = qualify(event.conversationId)
        if event.eventType == "ACTIVITY" and event.data.name == "typing":
            return "ACTIVITY", Typing(cc_id, _typing_agents(event.data.value))
        cc_event = await self.to_cc_event(event, cc_id, received_at)
        if cc_event is None:
            return event_type, Ignored()
        if isinstance(cc_event, Malformed):
            return event_type, cc_event
        return event_type, Accepted(cc_id, cc_event, chatty=event.eventType in ("MESSAGE", "TEXT"))


class ChatGatewayWebhook(WebhookReceiver):
    """The receiver at ``/webhooks/8x8/chat-gateway``."""

    def __init__(
        self,
        relay: Relay,
        keys: JwkCache,
        *,
        tenant: str,
        names: AgentNames,
        max_body_bytes: int,
        max_clock_skew_s: float = DEFAULT_WINDOW_S,
        clock: Callable[[], float] = time.time,
        observe: Callable[[str, str], None] | None = None,
        ours: Callable[[str, str], bool] = lambda _cid, _text: False,
        sighted: Callable[[str], None] | None = None,
        quick_replies: QuickReplies | None = None,
        agent_joined: Callable[[CcConversationId], None] = lambda _cid: None,
        bot_continues: tuple[float, float] | None = None,
    ) -> None:
        self.translator = ChatGatewayTranslator(
            relay,
            names,
            window_s=max_clock_skew_s,
            ours=ours,
            quick_replies=quick_replies,
            agent_joined=agent_joined,
            bot_continues=bot_continues,
        )
        super().__init__(
            relay,
            keys,
            self.translator,
            api="chat_gateway",
            tenant=tenant,
            max_body_bytes=max_body_bytes,
            window_s=max_clock_skew_s,
            clock=clock,
            observe=observe,
            sighted=sighted,
        )
