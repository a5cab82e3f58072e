"""What each lifecycle step tells the integration's webhook, per API.

:class:`~gateway.emulator.lifecycle.Lifecycle` changes state and then calls one :class:`EventWriter` method
per step; the writer of the conversation's API (:class:`ChatApiEvents` here, ``ChatGatewayEvents`` in
:mod:`gateway.emulator.chat_gateway.events`) builds the bodies and queues them on the shared deliverer, so
both APIs get the same ordered, signed, retried delivery and the same delivery faults.
"""

from __future__ import annotations

from typing import Any, Protocol

from .config import AgentConfig, EmulatorConfig
from .delivery import Deliverer, Event
from .state import Conversation, Message, Store, now_ms


class EventWriter(Protocol):
    def created(self, conv: Conversation) -> None: ...
    def queued(self, conv: Conversation) -> Event: ...
    def updated(self, conv: Conversation) -> None: ...
    def agent_joined(self, conv: Conversation, agent: AgentConfig) -> None: ...
    def agent_said(self, conv: Conversation, agent: AgentConfig, message: Message) -> None: ...
    def agent_left(self, conv: Conversation, agent: AgentConfig) -> None: ...
    def transferred(self, conv: Conversation) -> None: ...
    def integration_said(self, conv: Conversation, message: Message) -> None: ...
    def user_left(self, conv: Conversation) -> None: ...
    def user_returned(self, conv: Conversation) -> None: ...
    def idle(self, conv: Conversation) -> None: ...
    def agent_typing(self, conv: Conversation, agent: AgentConfig, active: bool) -> None: ...
    def agent_read(self, conv: Conversation, agent: AgentConfig, read_at_ms: int) -> None: ...


class ChatApiEvents:
    """Chat API v2 (spec chat-api-v2 §5.2): QUEUED, AGENT_JOINED, TEXT, AGENT_LEFT, TRANSFER; nothing else."""

    def __init__(self, config: EmulatorConfig, store: Store, deliverer: Deliverer) -> None:
        self._config = config
        self._store = store
        self._deliverer = deliverer

    def created(self, conv: Conversation) -> None:
        pass

    def queued(self, conv: Conversation) -> Event:
        queue = self._config.queue(conv.queue_id)
        return self._emit(
            conv, "QUEUED", queueId=conv.queue_id, queueName=queue.name if queue else conv.queue_id
        )

    def updated(self, conv: Conversation) -> None:
        pass

    def agent_joined(self, conv: Conversation, agent: AgentConfig) -> None:
        self._emit(conv, "AGENT_JOINED", agentId=agent.id, agentName=agent.name)

    def agent_said(self, conv: Conversation, agent: AgentConfig, message: Message) -> None:
        self._emit(conv, "TEXT", agentId=agent.id, agentName=agent.name, message=message.text)

    def agent_left(self, conv: Conversation, agent: AgentConfig) -> None:
        self._emit(conv, "AGENT_LEFT", agentId=agent.id, agentName=agent.name)

    def transferred(self, conv: Conversation) -> None:
        self._emit(conv, "TRANSFER")

    def integration_said(self, conv: Conversation, message: Message) -> None:
        pass  # spec §5.2: customer and bot messages never come back

    def user_left(self, conv: Conversation) -> None:
        pass

    def user_returned(self, conv: Conversation) -> None:
        pass

    def idle(self, conv: Conversation) -> None:
        pass

    def agent_typing(self, conv: Conversation, agent: AgentConfig, active: bool) -> None:
        pass  # the Chat API has no typing events

    def agent_read(self, conv: Conversation, agent: AgentConfig, read_at_ms: int) -> None:
        pass

    def _emit(self, conv: Conversation, event_type: str, **extra: str) -> Event:
        """Build the body in the key order of the spec's examples (§5.2) and queue it."""
        ts = now_ms()
        message_type = "AGENT" if event_type == "TEXT" else "SYSTEM"
        body: dict[str, Any] = {
            "eventType": event_type,
            "messageType": message_type,
            "conversationId": conv.id,
        }
        if event_type == "AGENT_JOINED":
            body.update(extra)
            body["timestamp"] = ts
        else:
            body["timestamp"] = ts
            body.update(extra)
        self._store.changed()
        return self._deliverer.emit(conv.id, body)
