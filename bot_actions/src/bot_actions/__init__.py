"""Rasa custom actions for the escalation gateway (rasa-sdk 3.6 or newer, Python 3.8 or newer).

Install with ``pip install ./bot_actions`` into the action server's venv and run them with
``python -m rasa_sdk --actions bot_actions``, or in-process with
``ActionExecutor().register_action(ActionHandoffToAgent(config))``. Importing this package has no side
effects; it needs rasa-sdk and the standard library only.

Texts: a domain response of the documented name wins over the built-in text (``bot_actions.responses``).

Actions:

- ``action_handoff_to_agent`` (``ActionHandoffToAgent``): on a channel in ``HANDOFF_CHANNELS`` (the
  gateway's metadata says ``"channel": "web"``), utters ``connecting_text`` (skipped when empty), then
  ``json_message={"handoff": ...}``; returns ``SlotSet("handoff_requested", True)`` and
  ``ConversationPaused()``, after ``ActiveLoop(None)`` + ``SlotSet("requested_slot", None)`` when a form is
  active. On any other channel it utters ``not_available_text`` and returns nothing.
- ``action_hand_back`` (``ActionHandBack``): for the gateway's hand-back intent (e.g. ``/agent_left``), sent
  after it resumed the conversation. Reads ``outcome`` (completed|cancelled|failed|abandoned), ``agent_name``,
  ``duration_s`` and ``reason`` from ``latest_message["metadata"]["handback"]``, overridden by entities of the
  same names; utters the text for that outcome and returns ``SlotSet(..., None)`` for the requested,
  reason and queue slots.
- ``action_offer_agent`` (``ActionOfferAgent``): utters ``offer_text`` with one button
  ``{"title": offer_button_title, "payload": "/" + handoff_intent}``; returns no events.
- ``action_check_agent_availability`` (``ActionCheckAgentAvailability``): asks the gateway
  (``GATEWAY_URL``, ``GATEWAY_TOKEN``) and sets ``agents_available`` and ``agents_next_open``.

Handoff payload (the ``custom`` item of the Rasa REST reply; shared/design.md, Bot contract)::

    {"handoff": {"reason": "customer_asked", "queue_id": "vip" | null,
                 "customer": {"name": "...", "email": "...", "language": "en", ...},
                 "context": {"intent": "human_handoff", "confidence": "0.97", "<context slot>": "..."}}}

- ``reason``: slot ``handoff_reason``, else ``default_reason`` ("customer_asked").
- ``queue_id``: slot ``handoff_queue``, else ``metadata["queue_id"]``, else ``null`` (key always present).
- ``customer``: ``metadata["customer"]`` (from the channel) as the base; the slots ``customer_name``,
  ``customer_email`` and ``customer_language`` (filled in the conversation) override ``name``/``email``/
  ``language``.
- ``context``: latest intent name and confidence, then each slot in ``context_slots`` (slot name as key;
  ``intent``/``confidence`` win over slots of those names).
- Every ``customer``/``context`` value is a string (numbers via ``str``, booleans ``"true"``/``"false"``,
  lists/dicts as compact JSON); ``None`` and ``""`` are left out.

Configuration (``BotActionsConfig``, environment variables ``BOT_ACTIONS_<FIELD>``, read each time an action
runs unless a config was passed to its constructor; a bad value raises ``BotActionsConfigError`` naming it):
``CONNECTING_TEXT``, ``DEFAULT_REASON``, slot names ``REQUESTED_SLOT``, ``REASON_SLOT``, ``QUEUE_SLOT``,
``CUSTOMER_NAME_SLOT``, ``CUSTOMER_EMAIL_SLOT``, ``CUSTOMER_LANGUAGE_SLOT``, ``CONTEXT_SLOTS``
(comma-separated or a JSON list); hand-back texts ``HANDBACK_TEXT`` (completed, or no/unknown outcome),
``HANDBACK_CANCELLED_TEXT``, ``HANDBACK_FAILED_TEXT``, ``HANDBACK_ABANDONED_TEXT`` (placeholders
``{agent_name}``, ``{duration_s}``, ``{reason}``, "" when unknown; empty text: say nothing); ``OFFER_TEXT``,
``OFFER_BUTTON_TITLE``, ``HANDOFF_INTENT``; ``HANDOFF_CHANNELS`` (comma-separated, ``*`` for any),
``NOT_AVAILABLE_TEXT``; ``GATEWAY_URL``, ``GATEWAY_TOKEN``, ``AVAILABILITY_TIMEOUT_S``, ``AVAILABLE_SLOT``,
``NEXT_OPEN_SLOT``.
"""

from bot_actions.actions import ActionHandBack, ActionHandoffToAgent, ActionOfferAgent
from bot_actions.availability import ActionCheckAgentAvailability
from bot_actions.config import BotActionsConfig, BotActionsConfigError, load_config
from bot_actions.payload import Handoff, build_handoff

__all__ = [
    "ActionCheckAgentAvailability",
    "ActionHandBack",
    "ActionHandoffToAgent",
    "ActionOfferAgent",
    "BotActionsConfig",
    "BotActionsConfigError",
    "Handoff",
    "build_handoff",
    "load_config",
]
