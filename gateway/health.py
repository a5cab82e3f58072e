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

from aiohttp import web

from gateway.bots.rasa import RasaBot
from gateway.channels.web.problems import problem
from gateway.contact_center.chat_api.adapter import ChatApiContactCenter
from gateway.contact_center.keys import chat_api_key, chat_gateway_key
from gateway.contact_center.routing import ContactCenterRouter
from gateway.keys import bot_key, contact_center_key, settings_key, store_key


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def contact_center_problem(app: web.Application) -> tuple[str, str] | None:
    """Why new escalations cannot reach the selected contact center now, as (api, why); ``None`` if they can.

    A contact center that is not configured at all is no problem here (``/readyz`` stays ready without one).
    """
    selected = app[settings_key].api
    if selected == "chat_api" and chat_api_key in app:
        # Only the API new escalations use decides readiness (the other may be on its way out).
        router = app[contact_center_key]
        chat_api = router.for_api("chat_api") if isinstance(router, ContactCenterRouter) else None
        if isinstance(chat_api, ChatApiContactCenter) and not chat_api.ready:
            return "chat_api", "set-up with the Chat API has not finished"
        try:
            await asyncio.wait_for(app[chat_api_key].client.tokens.get(), 5)
        except Exception as exc:
            return "chat_api", f"no token: {exc}"
    if selected == "chat_gateway" and chat_gateway_key in app and not app[chat_gateway_key].adapter.ready:
        return "chat_gateway", "set-up with the Chat Gateway has not finished"
    return None


def contact_center_configured(app: web.Application) -> bool:
    return chat_api_key in app or chat_gateway_key in app


async def failing_parts(app: web.Application) -> dict[str, str]:
    """What is not usable now, with why."""
    failed: dict[str, str] = {}
    try:
        await asyncio.wait_for(app[store_key].ping(), 3)
    except Exception as exc:
        failed["store"] = type(exc).__name__
    bot = app[bot_key]
    if isinstance(bot, RasaBot) and (why := await bot.unready_reason()) is not None:
        failed["bot"] = why
    if (cc_problem := await contact_center_problem(app)) is not None:
        failed[cc_problem[0]] = cc_problem[1]
    return failed


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
