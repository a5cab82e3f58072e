"""``GET /bot/availability``: may the bot promise a person now? For the bot's custom action
(``action_check_agent_availability`` in bot_actions), before it hands off.

Request: ``GET /bot/availability[?queue_id=Q]`` with ``Authorization: Bearer <GATEWAY_BOT__TOKEN>`` (the same
secret as Rasa's HTTP API token: Rasa and its action server are one bot).

Answer ``200``::

    {"queue_id": "101", "available": false, "reason": "closed", "open_now": false,
     "next_open": "2026-12-07T08:00:00+00:00", "next_open_text": "on Monday at 08:00 (UTC)",
     "hours": "Monday to Friday 08:00-18:00 (UTC)"}

``reason``: ``open`` (available), ``closed`` (outside ``GATEWAY_HOURS__WEEKLY``), ``contact_center_unavailable``
(8x8 not set up or not reachable now), ``no_contact_center`` (none configured). ``next_open``/``next_open_text``
are set only when closed; ``hours`` is ``null`` when agents are there around the clock.

Errors (``application/problem+json``): ``401 unauthorized`` for a missing or wrong token, or when
``GATEWAY_BOT__TOKEN`` is not set; ``422 invalid_frame`` for a query parameter other than ``queue_id``.
A queue that is not configured is answered for the default queue (``queue_id`` says which), as a handoff
naming it would go there.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Final, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from gateway.channels.web.problems import problem
from gateway.relay.hours import BusinessHours
from gateway.relay.ports import NotReady
from gateway.settings import HoursSettings, Settings

AVAILABILITY_PATH: Final = "/bot/availability"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Reason = Literal["open", "closed", "contact_center_unavailable", "no_contact_center"]


class AvailabilityAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    queue_id: str | None
    available: bool
    reason: Reason
    open_now: bool
    next_open: str | None = None
    next_open_text: str | None = None
    hours: str | None = None


def business_hours(cfg: HoursSettings) -> BusinessHours | None:
    """The configured hours; ``None`` when agents are there around the clock."""
    return BusinessHours.parse(cfg.weekly, cfg.timezone) if cfg.weekly else None


def known_queues(settings: Settings) -> tuple[str | None, frozenset[str]]:
    """The selected contact center's default queue and every queue a handoff may name."""
    cfg = settings.chat_gateway if settings.contact_center == "chat_gateway" else settings.chat_api
    if cfg is None:
        return None, frozenset()
    return cfg.queue_id, frozenset({cfg.queue_id, *cfg.queues})


def availability_handler(
    settings: Settings,
    *,
    configured: Callable[[web.Application], bool],
    problem_of: Callable[[web.Application], Awaitable[NotReady | None]],
    clock: Callable[[], float],
) -> Handler:
    """The route's handler. ``configured``/``problem_of`` tell whether a contact center is configured and, if so,
    why it cannot take escalations now (``health.contact_center_problem``)."""
    hours = business_hours(settings.hours)
    token = settings.bot.token.get_secret_value() if settings.bot.token is not None else ""
    expected = f"Bearer {token}".encode()

    async def handle(request: web.Request) -> web.Response:
        if not token:
            return problem("unauthorized", "set GATEWAY_BOT__TOKEN to let the bot ask for availability")
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return problem("unauthorized", "availability needs Authorization: Bearer <GATEWAY_BOT__TOKEN>")
        if extra := sorted(set(request.query) - {"queue_id"}):
            return problem("invalid_frame", f"unknown query parameter(s): {', '.join(extra)}")
        default_queue, queues = known_queues(settings)
        asked = request.query.get("queue_id")
        queue_id = asked if asked in queues else default_queue
        now = clock()
        open_now = hours is None or hours.open_at(now)
        reason: Reason = "open"
        if not configured(request.app):
            reason = "no_contact_center"
        elif not open_now:
            reason = "closed"
        elif await problem_of(request.app) is not None:
            reason = "contact_center_unavailable"
        next_open = hours.next_open(now) if hours is not None else None
        answer = AvailabilityAnswer(
            queue_id=queue_id,
            available=reason == "open",
            reason=reason,
            open_now=open_now,
            next_open=next_open.isoformat() if next_open else None,
            next_open_text=hours.next_open_text(now) if hours is not None else None,
            hours=hours.describe() if hours is not None else None,
        )
        return web.json_response(answer.model_dump())

    return handle
