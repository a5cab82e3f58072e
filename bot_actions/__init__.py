"""Rasa custom actions for the escalation gateway (rasa-sdk 3.21).

Run them with ``python -m rasa_sdk --actions bot_actions``, or in-process with
``ActionExecutor().register_action(ActionHandoffToAgent(config))``. Importing this package has no side
effects.

Actions:

- ``action_handoff_to_agent`` (``ActionHandoffToAgent``): utters ``connecting_text`` (skipped when
  empty), then ``json_message={"handoff": ...}``; returns ``SlotSet("handoff_requested", True)`` and
  ``ConversationPaused()``.
- ``action_hand_back`` (``ActionHandBack``): for the gateway's hand-back intent (e.g. ``/agent_left``), sent
  after it resumed the conversation. Reads ``outcome`` (completed|cancelled|failed|abandoned), ``agent_name``,
  ``duration_s`` and ``reason`` from ``latest_message["metadata"]["handback"]``, overridden by entities of the
  same names; utters the text for that outcome and returns ``SlotSet(..., None)`` for the requested,
  reason and queue slots.
- ``action_offer_agent`` (``ActionOfferAgent``): utters ``offer_text`` with one button
  ``{"title": offer_button_title, "payload": "/" + handoff_intent}``; returns no events.

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
``OFFER_BUTTON_TITLE``, ``HANDOFF_INTENT``.
"""

from bot_actions.actions import ActionHandBack, ActionHandoffToAgent, ActionOfferAgent
from bot_actions.config import BotActionsConfig, BotActionsConfigError, load_config
from bot_actions.payload import Handoff, build_handoff

__all__ = [
    "ActionHandBack",
    "ActionHandoffToAgent",
    "ActionOfferAgent",
    "BotActionsConfig",
    "BotActionsConfigError",
    "Handoff",
    "build_handoff",
    "load_config",
]
