"""Action-server requests shaped like the ones Rasa 3.6.21 sends (shared/specs/rasa.md section 3)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

RASA_VERSION = "3.6.21"

# The run_action fixture: (action call, optional config) -> the webhook reply as a dict.
RunAction = Callable[..., Awaitable[dict[str, Any]]]

DOMAIN: dict[str, Any] = {
    "version": "3.1",
    "intents": ["greet", "goodbye", "human_handoff", "agent_left"],
    "entities": ["outcome", "agent_name", "duration_s", "reason"],
    "slots": {
        "handoff_requested": {
            "type": "bool",
            "influence_conversation": False,
            "mappings": [{"type": "custom"}],
        },
        "handoff_reason": {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]},
        "handoff_queue": {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]},
    },
    "responses": {"utter_greet": [{"text": "Hi! I'm the virtual assistant. How can I help?"}]},
    "actions": ["action_handoff_to_agent", "action_hand_back", "action_offer_agent"],
    "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
}


def action_call(
    next_action: str,
    *,
    sender_id: str = "conv-42",
    text: str = "I want to talk to a human",
    intent: str | None = "human_handoff",
    confidence: float | None = 0.9731,
    entities: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    slots: dict[str, Any] | None = None,
    channel: str | None = "web",
    active_loop: str | None = None,
    domain: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The webhook body for one action call; ``intent=None`` leaves the intent out of ``latest_message``.

    ``channel`` is the metadata's ``channel`` the gateway sends (``None``: left out, as on other channels).
    """
    if channel is not None:
        metadata = {"channel": channel, **(metadata or {})}
    all_slots: dict[str, Any] = {
        "handoff_requested": None,
        "handoff_reason": None,
        "handoff_queue": None,
        "session_started_metadata": None,
    }
    all_slots.update(slots or {})
    parse_data: dict[str, Any] = {
        "text": text,
        "entities": entities or [],
        "message_id": "8b0c1f0e4a9f4f7c9d0b3c6e2a1d5f70",
        "metadata": metadata or {},
        "text_tokens": [[0, 1]],
    }
    if intent is not None:
        parse_data["intent"] = (
            {"name": intent} if confidence is None else {"name": intent, "confidence": confidence}
        )
        parse_data["intent_ranking"] = [parse_data["intent"]]
    events: list[dict[str, Any]] = [
        {"event": "action", "timestamp": 1732500000.1, "name": "action_session_start", "confidence": 1.0},
        {"event": "session_started", "timestamp": 1732500000.1},
        {"event": "action", "timestamp": 1732500000.1, "name": "action_listen"},
        {
            "event": "user",
            "timestamp": 1732500001.2,
            "text": text,
            "parse_data": parse_data,
            "input_channel": "rest",
            "message_id": parse_data["message_id"],
            "metadata": {**(metadata or {}), "model_id": "5f1e", "assistant_id": "escalation-gateway-demo"},
        },
        {"event": "user_featurization", "timestamp": 1732500001.3, "use_text_for_featurization": False},
    ]
    events += [
        {"event": "slot", "timestamp": 1732500001.2, "name": k, "value": v} for k, v in (slots or {}).items()
    ]
    return {
        "next_action": next_action,
        "sender_id": sender_id,
        "tracker": {
            "sender_id": sender_id,
            "slots": all_slots,
            "latest_message": parse_data,
            "latest_event_time": 1732500001.3,
            "followup_action": None,
            "paused": False,
            "events": events,
            "latest_input_channel": "rest",
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
        "domain": DOMAIN if domain is None else domain,
        "version": RASA_VERSION,
    }


def entity(name: str, value: Any) -> dict[str, Any]:
    """An entity the way Rasa's ``trigger_intent`` shorthand ``{"name": value}`` stores it."""
    return {"entity": name, "value": value}
