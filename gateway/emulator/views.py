"""JSON views of emulator state for test support and the console (not 8x8 shapes)."""

from __future__ import annotations

from typing import Any

from .config import EmulatorConfig
from .delivery import DeliveryAttempt, Event
from .state import STATUS_OF, Api, Conversation, Message, now_ms

TYPING_SHOWN_MS = 6000  # the console shows "typing…" this long after the last typing call


def conversation_view(config: EmulatorConfig, conv: Conversation, *, full: bool = True) -> dict[str, Any]:
    queue = config.queue(conv.queue_id)
    agent = next((a for a in config.agents if a.id == conv.agent_id), None)
    last = conv.messages[-1] if conv.messages else None
    view: dict[str, Any] = {
        "id": conv.id,
        "api": conv.api.value,
        "state": conv.state.value,
        "status": STATUS_OF[conv.state],
        "channelId": conv.channel_id,
        "queue": {"id": conv.queue_id, "name": queue.name if queue else conv.queue_id},
        "agent": {"id": agent.id, "name": agent.name} if agent else None,
        "customer": conv.customer,
        "startTime": conv.start_ms,
        "interactionId": conv.interaction.id,
        "messageCount": len(conv.messages),
        "lastMessage": last.text if last else None,
    }
    if conv.api is Api.CHAT_GATEWAY:
        now = now_ms()
        view["typing"] = sorted(a for a, ms in conv.typing_ms.items() if now - ms < TYPING_SHOWN_MS)
        view["readAt"] = dict(conv.read_at_ms)
        view["thinking"] = conv.thinking_until_ms is not None and conv.thinking_until_ms > now
    if full:
        view["interactions"] = [
            i.to_json(open_end="null" if config.strict else "absent") for i in conv.interactions
        ]
        view["participants"] = [p.to_json() for p in conv.participants]
        view["messages"] = [_message_view(conv, m) for m in conv.messages]
        if conv.api is Api.CHAT_GATEWAY:
            view["user"] = conv.user
            view["postAgentAssignment"] = conv.post_agent_assignment
            view["withBotAfterAgent"] = conv.post_agent_open(now_ms())
    return view


def _message_view(conv: Conversation, m: Message) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": m.id,
        "interactionId": m.interaction_id,
        "authorType": m.author_type,
        "participantId": m.participant_id,
        "text": m.text,
        "timestamp": m.timestamp_ms,
        "fromHistory": m.from_history,
    }
    if m.attachment_ids:
        view["attachments"] = [
            {
                "id": att.id,
                "filename": att.filename,
                "contentType": att.content_type,
                "size": len(att.data),
                "url": f"/_emulator/conversations/{conv.id}/attachments/{att.id}",
            }
            for att in (conv.attachments[a] for a in m.attachment_ids)
        ]
    if m.cards:
        view["cards"] = m.cards
    if m.card_actions:  # the customer's answers to the agent's cards (card id -> {action, name})
        view["cardActions"] = {f"{m.id}-{i}": a for i, a in sorted(m.card_actions.items())}
    return view


def event_view(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "conversationId": event.conversation_id,
        "type": event.type,
        "status": event.status,
        "attempts": event.attempts,
        "body": event.body.decode(),
    }


def attempt_view(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "eventId": attempt.event_id,
        "conversationId": attempt.conversation_id,
        "eventType": attempt.event_type,
        "retry": attempt.retry,
        "url": attempt.url,
        "headers": attempt.headers,
        "status": attempt.status,
        "error": attempt.error,
        "latencyMs": round(attempt.latency_ms, 3),
        "sentAt": attempt.sent_at_ms,
    }
