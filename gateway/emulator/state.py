"""In-memory state of one emulator: webhooks, channels, conversations, agent load, and a change notifier.

Plain mutable dataclasses; only the handlers and :mod:`lifecycle` change them, always followed by
``Store.changed()`` so waiters (tests, the console stream) wake up.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .signing import random_id


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso(ms: int) -> str:
    """``2020-08-05T11:55:00.592Z``."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class Api(StrEnum):
    """Which 8x8 API a resource was made through; each API sees only its own webhooks, channels and
    conversations, while queues, agents, delivery and signing are shared."""

    CHAT_API = "chat_api"
    CHAT_GATEWAY = "chat_gateway"


class ConvState(StrEnum):
    CREATED = "created"
    QUEUED = "queued"
    AGENT = "agent"
    CLOSED = "closed"


# Spec §4.3: the list filter's status names for each state.
STATUS_OF = {
    ConvState.CREATED: "created",
    ConvState.QUEUED: "pending",
    ConvState.AGENT: "handling",
    ConvState.CLOSED: "deleted",
}


@dataclass
class Webhook:
    id: str
    name: str
    uri: str
    version: str
    revision: int = 1
    api: Api = Api.CHAT_API

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "uri": self.uri, "version": self.version}


@dataclass
class Channel:
    id: str
    name: str
    webhook_id: str
    queue_id: str
    revision: int = 1
    api: Api = Api.CHAT_API
    type: str = "ChatAPI"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "routingOptions": {"type": "queue", "id": self.queue_id},
            "webHookId": self.webhook_id,
        }


@dataclass
class Interaction:
    id: str
    start_ms: int
    end_ms: int | None = None

    def to_json(self, *, open_end: str = "absent") -> dict[str, Any]:
        """``open_end``: how an open interaction shows its end: ``absent`` or ``null`` (8x8 says neither)."""
        out: dict[str, Any] = {"id": self.id, "startTime": iso(self.start_ms)}
        if self.end_ms is not None:
            out["endTime"] = iso(self.end_ms)
        elif open_end == "null":
            out["endTime"] = None
        return out


@dataclass
class Message:
    interaction_id: str
    text: str
    author_type: str  # user | bot | agent | system
    participant_id: str
    timestamp_ms: int
    from_history: bool = False
    id: str = field(default_factory=random_id)
    attachment_ids: list[str] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    card_actions: dict[int, dict[str, str]] = field(default_factory=dict)  # card index -> {action, name}

    def to_json(self) -> dict[str, Any]:
        return {
            "interactionId": self.interaction_id,
            "originalText": self.text,
            "authorType": self.author_type,
            "participantId": self.participant_id,
        }


@dataclass
class Participant:
    id: str
    type: str
    language: str
    removed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "language": self.language}


@dataclass
class Attachment:
    """A file uploaded into a Chat Gateway conversation (by the integration or an agent)."""

    id: str
    filename: str
    content_type: str
    data: bytes
    author_type: str  # user | bot | agent
    created_ms: int
    token: str  # the unguessable part of its pre-signed download URL

    @property
    def kind(self) -> str:
        """The MESSAGE event's ``type``: image | video | audio | file."""
        major = self.content_type.partition("/")[0]
        return major if major in {"image", "video", "audio"} else "file"


@dataclass
class Conversation:
    id: str
    channel_id: str
    webhook_id: str  # the channel's webhook at creation: used if the channel is deleted later
    customer: dict[str, str]
    start_ms: int
    queue_id: str
    state: ConvState = ConvState.CREATED
    agent_id: str | None = None
    queued_seq: int = 0
    interactions: list[Interaction] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    api: Api = Api.CHAT_API
    # Chat Gateway only: the user object as sent, files, and the indicators the integration sent.
    user: dict[str, Any] = field(default_factory=dict)
    attachments: dict[str, Attachment] = field(default_factory=dict)
    typing_ms: dict[str, int] = field(default_factory=dict)  # authorType -> when it last said "typing"
    read_at_ms: dict[str, int] = field(default_factory=dict)  # authorType -> its last readAt
    thinking_until_ms: int | None = None
    post_agent_assignment: dict[str, Any] | None = None
    post_agent_since_ms: int | None = None  # the agent left: the bot goes on (post-agent assignment)

    def post_agent_open(self, at_ms: int) -> bool:
        """With the bot after the agent, within 8x8's timers (``maxTotalMinutes`` since the agent left,
        ``userTimeoutInMinutes`` since the last line)."""
        if self.post_agent_since_ms is None or self.post_agent_assignment is None:
            return False
        config = self.post_agent_assignment.get("configuration") or {}
        total_ms = int(config.get("maxTotalMinutes") or 600) * 60_000
        quiet_ms = int(config.get("userTimeoutInMinutes") or 300) * 60_000
        last_ms = max([self.post_agent_since_ms, *(m.timestamp_ms for m in self.messages)])
        return at_ms < self.post_agent_since_ms + total_ms and at_ms - last_ms < quiet_ms

    @property
    def language(self) -> str:
        return self.customer.get("language", "en")

    @property
    def interaction(self) -> Interaction:
        return self.interactions[-1]

    def add_participant(self, pid: str, ptype: str) -> None:
        found = next((p for p in self.participants if p.id == pid), None)
        if found is None:
            self.participants.append(Participant(pid, ptype, self.language))
        else:
            found.removed = False

    def participant(self, pid: str) -> Participant | None:
        return next((p for p in self.participants if p.id == pid), None)

    def to_json(self, *, open_end: str = "absent") -> dict[str, Any]:
        return {
            "id": self.id,
            "channelId": self.channel_id,
            "customer": self.customer,
            "startTime": iso(self.start_ms),
            "interactions": [i.to_json(open_end=open_end) for i in self.interactions],
        }


def new_interaction(tenant_id: str) -> Interaction:
    ms = now_ms()
    return Interaction(id=f"int-{ms:x}-{random_id()}-chat-00-{tenant_id}", start_ms=ms)


class Notifier:
    """Wakes everyone waiting for "something changed"; ``version`` counts changes."""

    def __init__(self) -> None:
        self.version = 0
        self._event = asyncio.Event()

    def notify(self) -> None:
        self.version += 1
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, timeout: float | None = None) -> None:
        """Return at the next change, or raise ``TimeoutError`` after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            await self._event.wait()

    async def wait_change(self, since: int, timeout: float | None = None) -> None:
        """Return once ``version`` differs from ``since`` (at once if it already does), else ``TimeoutError``."""
        async with asyncio.timeout(timeout):
            while self.version == since:
                await self._event.wait()


class Store:
    """All resources of the one tenant the emulator serves."""

    def __init__(self) -> None:
        self.webhooks: dict[str, Webhook] = {}
        self.channels: dict[str, Channel] = {}
        self.conversations: dict[str, Conversation] = {}
        self.agent_load: dict[str, set[str]] = {}
        self.notifier = Notifier()
        self.base_url = ""  # where clients reach the emulator (pre-signed download URLs); set at first use
        self.shared_webhooks = False  # strict profile: one webhook list that both APIs see
        self.open_end = "absent"  # strict profile: "null" (an open interaction's endTime)
        self.list_lag_ms = 0  # conversation lists leave out conversations younger than this
        self._next_id = 10
        self._queued_seq = 0

    def listed(self, conversations: list[Conversation]) -> list[Conversation]:
        """What a conversation list shows now (8x8's lists may lag behind a create)."""
        if not self.list_lag_ms:
            return conversations
        shown_before = now_ms() - self.list_lag_ms
        return [c for c in conversations if c.start_ms <= shown_before]

    def next_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def next_queued_seq(self) -> int:
        self._queued_seq += 1
        return self._queued_seq

    def webhook(self, api: Api, webhook_id: str) -> Webhook | None:
        """The webhook ``webhook_id`` if it was made through ``api`` (any, when the list is shared)."""
        webhook = self.webhooks.get(webhook_id)
        return webhook if webhook is not None and (webhook.api is api or self.shared_webhooks) else None

    def webhooks_of(self, api: Api) -> list[Webhook]:
        return [w for w in self.webhooks.values() if w.api is api or self.shared_webhooks]

    def channel(self, api: Api, channel_id: str) -> Channel | None:
        channel = self.channels.get(channel_id)
        return channel if channel is not None and channel.api is api else None

    def conversation(self, api: Api, conversation_id: str) -> Conversation | None:
        conv = self.conversations.get(conversation_id)
        return conv if conv is not None and conv.api is api else None

    def new_conversation_id(self) -> str:
        while (cid := random_id()) in self.conversations:  # pragma: no cover - 128 random bits
            cid = secrets.token_hex(11)
        return cid

    def changed(self) -> None:
        self.notifier.notify()
