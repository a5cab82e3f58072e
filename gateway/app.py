"""``build_app(settings)``: the only place that knows every adapter and wires them to the relay core."""

from __future__ import annotations

import time
from pathlib import Path

from aiohttp import WSCloseCode, web

from gateway.bots.availability import AVAILABILITY_PATH, availability_handler
from gateway.channels.web.addresses import SocketCounter
from gateway.channels.web.files import routes as file_routes
from gateway.channels.web.hub import OpenSockets
from gateway.channels.web.problems import problem
from gateway.channels.web.ratelimit import RateLimiter
from gateway.channels.web.rest import problem_middleware
from gateway.channels.web.rest import routes as rest_routes
from gateway.channels.web.transcript import routes as transcript_routes
from gateway.channels.web.uploads import UploadSlots
from gateway.channels.web.widget_files import routes as widget_routes
from gateway.channels.web.ws import chat_socket
from gateway.contact_center.chat_gateway.wiring import WEBHOOK_PATH as CHAT_GATEWAY_WEBHOOK_PATH
from gateway.contact_center.keys import chat_api_webhook_key, chat_gateway_webhook_key
from gateway.health import contact_center_configured, contact_center_problem, healthz, readyz_handler
from gateway.keys import (
    address_limiter_key,
    message_limiter_key,
    metrics_key,
    settings_key,
    socket_counter_key,
    sockets_key,
    store_key,
    upload_slots_key,
)
from gateway.metrics import Metrics, metrics_handler
from gateway.openapi import build_document, openapi_handler
from gateway.policies import policies_from
from gateway.retention import retention_context
from gateway.settings import Settings
from gateway.wiring import CleanupContext
from gateway.wiring.bot import bot_context
from gateway.wiring.chat_api import chat_api_context, chat_api_receiver_context
from gateway.wiring.chat_gateway import chat_gateway_context, chat_gateway_receiver_context
from gateway.wiring.contact_center import contact_center_context
from gateway.wiring.errors import StartupError
from gateway.wiring.keys import policies_key
from gateway.wiring.metrics import metrics_listener
from gateway.wiring.relay import peers_context, recovery_context, relay_context, timers_context
from gateway.wiring.store import open_store, store_context

__all__ = ["StartupError", "build_app", "open_store"]  # StartupError and open_store: for the commands

STATIC = Path(__file__).parent / "channels" / "web" / "static"

CONTEXTS: tuple[CleanupContext, ...] = (
    store_context,
    bot_context,
    chat_api_context,
    chat_gateway_context,
    contact_center_context,
    peers_context,
    relay_context,
    chat_api_receiver_context,
    chat_gateway_receiver_context,
    timers_context,
    recovery_context,
    retention_context,
)
"""Each resource's cleanup context, in dependency order (aiohttp closes them in reverse)."""


async def metrics_not_configured(request: web.Request) -> web.Response:
    return problem("unauthorized", "set GATEWAY_METRICS__TOKEN (or GATEWAY_METRICS__PORT) to read metrics")


async def close_sockets(app: web.Application) -> None:
    """Tell every customer socket we are going away, so widgets reconnect (to us or another instance)."""
    for ws in app[sockets_key].snapshot():
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


async def chat_api_webhook(request: web.Request) -> web.Response:
    receiver = request.app.get(chat_api_webhook_key)
    if receiver is None:
        return problem("unknown_session", "no Chat API is configured on this gateway")
    return await receiver.handle(request)


async def chat_gateway_webhook(request: web.Request) -> web.Response:
    receiver = request.app.get(chat_gateway_webhook_key)
    if receiver is None:
        return problem("unknown_session", "no Chat Gateway is configured on this gateway")
    return await receiver.handle(request)


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def not_found(request: web.Request) -> web.Response:
    return problem("not_found", "no such page")


async def plain_server_header(request: web.Request, response: web.StreamResponse) -> None:
    """``Server: chat-gateway``: no Python or aiohttp version for anyone to match against advisories."""
    response.headers["Server"] = "chat-gateway"


def build_app(settings: Settings, *, demo_page: bool = False) -> web.Application:
    """The gateway. ``demo_page``: also serve the demo shop page at ``/`` (``chat-gateway demo`` only)."""
    app = web.Application(middlewares=[problem_middleware])
    app.on_response_prepare.append(plain_server_header)
    app[settings_key] = settings
    app[metrics_key] = Metrics()
    app[sockets_key] = OpenSockets()
    app[address_limiter_key] = RateLimiter(
        rate=settings.limits.address_rate, burst=settings.limits.address_burst
    )
    app[socket_counter_key] = SocketCounter(settings.limits.max_sockets_per_address)
    app[upload_slots_key] = UploadSlots(
        total=settings.attachments.uploads_in_flight,
        per_address=settings.attachments.uploads_per_address,
        per_session=settings.attachments.uploads_per_session,
    )
    app[message_limiter_key] = RateLimiter(
        rate=settings.limits.messages_per_second, burst=settings.limits.burst
    )
    app[policies_key] = policies_from(settings)
    app.cleanup_ctx.extend(CONTEXTS)
    app.on_shutdown.append(close_sockets)
    app.router.add_get("/chat/ws", chat_socket)
    app.router.add_routes(rest_routes)
    app.router.add_routes(file_routes)
    app.router.add_routes(transcript_routes)
    app.router.add_post("/webhooks/8x8", chat_api_webhook)
    app.router.add_post(CHAT_GATEWAY_WEBHOOK_PATH, chat_gateway_webhook)
    app.router.add_get("/healthz", healthz)
    if settings.metrics.port is not None:
        app.cleanup_ctx.append(metrics_listener)
    elif settings.metrics.token is not None and settings.metrics.token.get_secret_value():
        token = settings.metrics.token.get_secret_value()
        app.router.add_get("/metrics", metrics_handler(app[metrics_key], lambda: app[store_key], token=token))
    else:
        app.router.add_get("/metrics", metrics_not_configured)
    metrics_token = settings.metrics.token.get_secret_value() if settings.metrics.token else None
    app.router.add_get("/readyz", readyz_handler(detail_token=metrics_token or None))
    app.router.add_get(
        AVAILABILITY_PATH,
        availability_handler(
            settings, configured=contact_center_configured, problem_of=contact_center_problem, clock=time.time
        ),
    )
    app.router.add_get("/openapi.json", openapi_handler(build_document(settings)))
    if demo_page:
        app.router.add_get("/", index)
    else:
        app.router.add_get("/static/index.html", not_found)  # the demo page, not part of a real site
    app.router.add_routes(widget_routes)
    app.router.add_static("/static/", STATIC)
    return app
