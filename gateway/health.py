"""``/healthz`` (the process is up) and ``/readyz`` (the store and the configured upstreams are usable).

``/readyz``'s public answer names only the parts that fail (``store``, ``bot``, ``chat_api``,
``chat_gateway``): an upstream's error text can carry hosts, tenant names or library versions. The
reasons are given to whoever shows the metrics token (``Authorization: Bearer``), and always on the
private metrics port (``GATEWAY_METRICS__PORT``).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web

from gateway.channels.web.problems import problem
from gateway.contact_center.keys import chat_api_key, chat_gateway_key
from gateway.keys import bot_key, contact_center_key, store_key
from gateway.relay.ports import NotReady


class Checked(Protocol):
    """A port whose adapter can say whether it is usable now (``Store``, ``Bot``, ``ContactCenter``)."""

    async def readiness(self) -> NotReady | None: ...


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def contact_center_problem(app: web.Application) -> NotReady | None:
    """Why new escalations cannot reach the selected contact center now; ``None`` if they can.

    A contact center that is not configured at all is no problem here (``/readyz`` stays ready without one).
    """
    return await app[contact_center_key].readiness()


def contact_center_configured(app: web.Application) -> bool:
    return chat_api_key in app or chat_gateway_key in app


def checked_parts(app: web.Application) -> tuple[Checked, ...]:
    """What ``/readyz`` asks, each through its port."""
    return (app[store_key], app[bot_key], app[contact_center_key])


async def failing_parts(app: web.Application) -> dict[str, str]:
    """What is not usable now, with why (all parts asked at once)."""
    answers = await asyncio.gather(*(part.readiness() for part in checked_parts(app)))
    return {answer.part: answer.why for answer in answers if answer is not None}


def readyz_handler(
    *, detail_token: str | None, app: web.Application | None = None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``/readyz``: with ``detail_token``, reasons only for that bearer; ``app`` (the metrics port's
    handler checks the gateway's app, not its own) answers with reasons to everyone who can reach it."""

    async def readyz(request: web.Request) -> web.Response:
        failed = await failing_parts(app if app is not None else request.app)
        if not failed:
            return web.json_response({"status": "ready"})
        if app is not None or _bearer_matches(request, detail_token):
            detail = "; ".join(f"{name}: {why}" for name, why in failed.items())
        else:
            detail = "not ready: " + ", ".join(sorted(failed))
        return problem("unavailable", detail, failed=sorted(failed))

    return readyz


def _bearer_matches(request: web.Request, token: str | None) -> bool:
    if not token:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
