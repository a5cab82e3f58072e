"""``build_emulator_app(config)``: the 8x8 Chat API v2 and Chat Gateway v1 emulator as one aiohttp application.

Middlewares, outermost first: request log → problem rendering → injected faults → Chat API guard
(token/region/tenant) → Chat Gateway guard (x-api-key, X-8x8-Tenant) → Idempotency-Key (Chat API only). The
routes are named after their operation (``create_conversation``, …; Chat Gateway ones ``cgw_…``); fault
injection addresses operations by these names (``OPERATIONS``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from . import channels, console, control, conversations, faults_api, webhooks
from .auth import check_region, guard_middleware, token_handler
from .chat_gateway import routes as chat_gateway_routes
from .chat_gateway.auth import PREFIX as CHAT_GATEWAY_PREFIX
from .chat_gateway.auth import chat_gateway_guard
from .config import EmulatorConfig
from .errors import json_response, jwk_not_found, problem_middleware
from .faults import fault_middleware
from .idempotency import idempotency_middleware
from .runtime import RecordedRequest, Runtime, runtime_key

TENANT_PREFIX = "/vcc/{region}/chat/v2/tenant/{tenant}"
Route = tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]], str]
API_ROUTES: list[Route] = [*webhooks.ROUTES, *channels.ROUTES, *conversations.ROUTES]
CHAT_GATEWAY_ROUTES: list[Route] = [*chat_gateway_routes.API_ROUTES]
OPERATIONS = [
    "token",
    "get_jwk",
    *(name for _, _, _, name in API_ROUTES),
    *(name for _, _, _, name in [*CHAT_GATEWAY_ROUTES, *chat_gateway_routes.OUTSIDE_ROUTES]),
]
UNRECORDED_PREFIXES = ("/_emulator", "/console")


async def get_jwk(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    check_region(rt.config, request)
    kid = request.match_info["kid"]
    if kid != rt.signer.kid:
        raise jwk_not_found(kid)
    return json_response(rt.signer.public_jwk())


def _recorder(rt: Runtime) -> Middleware:
    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not rt.store.base_url:
            rt.store.base_url = str(request.url.origin())
        if request.path.startswith(UNRECORDED_PREFIXES):
            return await handler(request)
        entry = RecordedRequest(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            await request.read() if request.can_read_body else b"",
        )
        rt.requests.append(entry)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            entry.status = exc.status
            raise
        entry.status = response.status
        return response

    return record


def build_emulator_app(config: EmulatorConfig) -> web.Application:
    """A fresh emulator: new key pair, empty state. Start it with any aiohttp runner or test server."""
    rt = Runtime.create(config)
    rt.faults.known_operations = frozenset(OPERATIONS)
    app = web.Application(
        client_max_size=config.attachment_max_bytes + 1024 * 1024,
        middlewares=[
            _recorder(rt),
            problem_middleware,
            fault_middleware(rt.faults, config.hang_seconds),
            guard_middleware(config, rt.tokens),
            chat_gateway_guard(config, rt.faults),
            # The strict profile honours no Idempotency-Key: the v2 OpenAPI declares it, no operation uses it.
            *([] if config.strict else [idempotency_middleware(rt.idempotency)]),
        ],
    )
    app[runtime_key] = rt
    app[console.streams_closing_key] = asyncio.Event()
    router = app.router
    router.add_post("/oauth/v2/token", token_handler(config, rt.tokens), name="token")
    router.add_get("/vcc/{region}/chat/v2/jwk/{kid}/public", get_jwk, name="get_jwk")
    for method, path, handler, name in API_ROUTES:
        router.add_route(method, TENANT_PREFIX + path, handler, name=name)
    for method, path, handler, name in CHAT_GATEWAY_ROUTES:
        router.add_route(method, CHAT_GATEWAY_PREFIX + path, handler, name=name)
    for method, path, handler, name in [
        *chat_gateway_routes.OUTSIDE_ROUTES,
        *control.ROUTES,
        *faults_api.ROUTES,
        *console.ROUTES,
    ]:
        router.add_route(method, path, handler, name=name)

    @asynccontextmanager
    async def running(app: web.Application) -> AsyncIterator[None]:
        await rt.deliverer.start()
        yield
        rt.faults.release_hung()
        await rt.lifecycle.background.cancel_all()
        await rt.deliverer.stop()

    async def on_shutdown(app: web.Application) -> None:
        rt.faults.release_hung()
        await console.close_streams(app)

    app.cleanup_ctx.append(running)
    app.on_shutdown.append(on_shutdown)
    return app
