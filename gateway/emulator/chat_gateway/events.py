"""Chat Gateway webhook events (spec chat-gateway-v1 §4): the envelope
``{"eventType","conversationId","timestamp","data"}`` and one method per lifecycle step.

Our choices where the spec is silent: ``CONVERSATION_UPDATE`` comes before ``QUEUED`` (create, transfer,
re-route, reopen) and after ``MEMBERS_CHANGED`` agent joined; an agent or user leaving ends with
``CONVERSATION_UPDATE`` state ``idle``; the integration's own typing and read receipts produce no event
(the agent console shows them); messages the integration posts come back as ``MESSAGE`` with ``isEcho: true``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..config import AgentConfig, EmulatorConfig
from ..delivery import Deliverer, Event
from ..faults import Faults
from ..state import Attachment, Conversation, ConvState, Message, Store, now_ms

VERSION = "Chat Gateway v1.0"
USER_ID = "user"
BOT_ID = "bot"

_STATES = {
    ConvState.CREATED: "created",
    ConvState.QUEUED: "active",
    ConvState.AGENT: "active",
    ConvState.CLOSED: "idle",
}


def gateway_state(conv: Conversation) -> str:
    """``created`` | ``active`` (an interaction is open: queued or with an agent) | ``idle``."""
    return _STATES[conv.state]


def assignment_of(conv: Conversation) -> dict[str, str]:
    if conv.agent_id is not None:
        return {"type": "agent", "id": conv.agent_id}
    return {"type": "queue", "id": conv.queue_id}


def presigned_url(store: Store, attachment: Attachment) -> str:
    return f"{store.base_url}/files/{attachment.token}/{quote(attachment.filename, safe='')}"


def attachment_refs(store: Store, conv: Conversation, message: Message) -> list[dict[str, str]]:
    refs = []
    for attachment_id in message.attachment_ids:
        att = conv.attachments[attachment_id]
        refs.append(
            {
                "id": att.id,
                "type": att.kind,
                "preSignedUrl": presigned_url(store, att),
                "fileName": att.filename,
            }
        )
    return refs


class ChatGatewayEvents:
    def __init__(self, config: EmulatorConfig, store: Store, deliverer: Deliverer, faults: Faults) -> None:
        self._faults = faults
        self._config = config
        self._store = store
        self._deliverer = deliverer

    # -- EventWriter -----------------------------------------------------------------------------------
    def created(self, conv: Conversation) -> None:
        self.updated(conv)

    def queued(self, conv: Conversation) -> Event:
        self.updated(conv)
        queue = self._config.queue(conv.queue_id)
        name = queue.name if queue else conv.queue_id
        return self._emit(conv, "QUEUED", {"queueId": conv.queue_id, "queueName": name})

    def updated(self, conv: Conversation) -> None:
        data: dict[str, Any] = {
            "state": gateway_state(conv),
            "assignment": assignment_of(conv),
            "user": conv.user,
            "channel": "ChatAPI",
        }
        self._emit(conv, "CONVERSATION_UPDATE", data)

    def agent_joined(self, conv: Conversation, agent: AgentConfig) -> None:
        if self._faults.v2_style_events:
            self._v2_style(conv, "AGENT_JOINED", agent)
        else:
            self._members(conv, "agent", "joined", agent.id)
        self.updated(conv)

    def agent_said(self, conv: Conversation, agent: AgentConfig, message: Message) -> None:
        if self._faults.v2_style_events and not message.attachment_ids and not message.cards:
            self._v2_style(conv, "TEXT", agent, message=message.text)
            return
        echo = self._faults.agent_lines_echo
        self._message(conv, message, {"id": agent.id, "type": "agent"}, echo=echo)

    def agent_left(self, conv: Conversation, agent: AgentConfig) -> None:
        if self._faults.v2_style_events:
            self._v2_style(conv, "AGENT_LEFT", agent)
        else:
            self._members(conv, "agent", "left", agent.id)

    def transferred(self, conv: Conversation) -> None:
        self._emit(conv, "TRANSFER", None)

    def integration_said(self, conv: Conversation, message: Message) -> None:
        sender = {"id": message.participant_id, "type": message.author_type}
        self._message(conv, message, sender, echo=True)

    def user_left(self, conv: Conversation) -> None:
        self._members(conv, "user", "left", USER_ID)

    def user_returned(self, conv: Conversation) -> None:
        self._members(conv, "user", "joined", USER_ID)

    def idle(self, conv: Conversation) -> None:
        self.updated(conv)

    def agent_typing(self, conv: Conversation, agent: AgentConfig, active: bool) -> None:
        users = [{"id": agent.id, "type": "agent"}] if active else []
        self._emit(conv, "ACTIVITY", {"name": "typing", "value": {"users": users}})

    def agent_read(self, conv: Conversation, agent: AgentConfig, read_at_ms: int) -> None:
        value = [{"timestamp": read_at_ms, "users": [{"id": agent.id, "type": "agent"}]}]
        self._emit(conv, "ACTIVITY", {"name": "read-receipts", "value": value})

    # -- internals -------------------------------------------------------------------------------------
    def _v2_style(
        self, conv: Conversation, event_type: str, agent: AgentConfig, message: str | None = None
    ) -> None:
        """The shape 8x8's Chat Gateway workflow page shows: top-level agent fields, ``messageType``."""
        body: dict[str, Any] = {
            "eventType": event_type,
            "messageType": "TEXT" if event_type == "TEXT" else "SYSTEM",
            "conversationId": conv.id,
            "timestamp": now_ms(),
            "agentId": agent.id,
            "agentName": agent.name,
        }
        if message is not None:
            body["message"] = message
        self._store.changed()
        self._deliverer.emit(conv.id, body)

    def _members(self, conv: Conversation, member_type: str, change: str, member_id: str) -> None:
        self._emit(conv, "MEMBERS_CHANGED", {"memberType": member_type, "change": change, "id": member_id})

    def _message(self, conv: Conversation, message: Message, sender: dict[str, str], *, echo: bool) -> None:
        data: dict[str, Any] = {"isEcho": echo, "sender": sender}
        if message.text:  # a message of files or cards alone has no text
            data["text"] = message.text
        data["attachments"] = attachment_refs(self._store, conv, message)
        data["cards"] = [{"contentType": c["contentType"], "content": c["content"]} for c in message.cards]
        self._emit(conv, "MESSAGE", data)

    def _emit(self, conv: Conversation, event_type: str, data: dict[str, Any] | None) -> Event:
        body: dict[str, Any] = {"eventType": event_type, "conversationId": conv.id, "timestamp": now_ms()}
        if data is not None:
            body["data"] = data
        self._store.changed()
        return self._deliverer.emit(conv.id, body)
