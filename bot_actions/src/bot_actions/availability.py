"""``action_check_agent_availability``: ask the gateway whether a person can take the chat now, before the
bot promises one.

It calls ``GET {BOT_ACTIONS_GATEWAY_URL}/bot/availability?queue_id=Q`` with ``Authorization: Bearer
{BOT_ACTIONS_GATEWAY_TOKEN}`` (the gateway's ``GATEWAY_BOT__TOKEN``). The queue is the ``handoff_queue`` slot,
else ``metadata["queue_id"]``, else the gateway's default queue. The answer sets two slots:

- ``agents_available`` (bool): what the gateway said. Without ``BOT_ACTIONS_GATEWAY_URL`` the action does not
  ask and sets true: the handoff goes ahead as before and the gateway's business hours still apply. A configured
  gateway that cannot be asked (timeout, refused token, a broken answer) counts as "no agent", with a warning.
- ``agents_next_open`` (text): when agents are back, e.g. ``"on Monday at 08:00 (Europe/London)"``;
  ``"later"`` when unknown; ``None`` when agents are available.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot_actions.actions import _Configured
from bot_actions.config import BotActionsConfig
from bot_actions.payload import as_text, metadata_of

logger = logging.getLogger(__name__)

AVAILABILITY_PATH = "bot/availability"
UNKNOWN_NEXT_OPEN = "later"


@dataclass(frozen=True)
class Availability:
    available: bool
    next_open_text: str | None = None
    reason: str = "unknown"


class AvailabilityError(Exception):
    """The gateway could not be asked; the message is safe to log (no token, no URL query)."""


def fetch_availability(config: BotActionsConfig, queue_id: str | None) -> Availability:
    """Ask the gateway (blocking; run it in a thread).

    Raises:
        AvailabilityError: no gateway configured, no answer in time, a non-200 status or a broken answer.
    """
    if not config.gateway_url:
        raise AvailabilityError("BOT_ACTIONS_GATEWAY_URL is not set")
    url = config.gateway_url.rstrip("/") + "/" + AVAILABILITY_PATH
    if queue_id:
        url += "?" + urllib.parse.urlencode({"queue_id": queue_id})
    headers = {"Accept": "application/json"}
    if config.gateway_token:
        headers["Authorization"] = f"Bearer {config.gateway_token}"
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=config.availability_timeout_s) as resp:
            body = json.loads(resp.read())
    except urllib.error.HTTPError as err:
        err.close()
        raise AvailabilityError(f"the gateway answered HTTP {err.code}") from None
    except (OSError, ValueError) as exc:  # URLError, timeouts and bad JSON
        raise AvailabilityError(f"the gateway could not be asked: {type(exc).__name__}") from None
    if not isinstance(body, dict) or not isinstance(body.get("available"), bool):
        raise AvailabilityError("the gateway's answer has no boolean 'available'")
    return Availability(
        available=body["available"],
        next_open_text=as_text(body.get("next_open_text")),
        reason=as_text(body.get("reason")) or "unknown",
    )


class ActionCheckAgentAvailability(_Configured, Action):  # type: ignore[misc]
    """Set ``agents_available`` and ``agents_next_open`` from the gateway's availability endpoint."""

    def name(self) -> str:
        return "action_check_agent_availability"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        config = self.config()
        if not config.gateway_url:
            return [SlotSet(config.available_slot, True), SlotSet(config.next_open_slot, None)]
        queue_id = as_text(tracker.get_slot(config.queue_slot)) or as_text(
            metadata_of(tracker).get("queue_id")
        )
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(None, fetch_availability, config, queue_id)
        except AvailabilityError as exc:
            logger.warning("agent availability unknown, answering 'no agent': %s", exc)
            found = Availability(available=False, reason="unknown")
        next_open = None if found.available else (found.next_open_text or UNKNOWN_NEXT_OPEN)
        return [SlotSet(config.available_slot, found.available), SlotSet(config.next_open_slot, next_open)]
