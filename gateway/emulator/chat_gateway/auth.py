"""The guard in front of every ``/chat-gateway/v1/`` endpoint except the JWK: ``x-api-key`` (401 Access
Denied) and the optional ``X-8x8-Tenant`` header (403 when it names another tenant, or when it is missing
and the config says the customer has several tenants)."""

from __future__ import annotations

import hmac

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ..config import EmulatorConfig
from ..faults import Faults
from .errors import access_denied, tenant_mismatch

PREFIX = "/chat-gateway/v1"
UNGUARDED_ROUTES = {"cgw_get_jwk"}


def chat_gateway_guard(config: EmulatorConfig, faults: Faults) -> Middleware:
    expected = config.chat_gateway_api_key.encode()

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(PREFIX + "/") or request.match_info.route.name in UNGUARDED_ROUTES:
            return await handler(request)
        key = request.headers.get("x-api-key", "").encode()
        if faults.chat_gateway_key_revoked or not hmac.compare_digest(key, expected):
            raise access_denied()
        tenant = request.headers.get("X-8x8-Tenant")
        if tenant is None and config.chat_gateway_tenant_required:
            raise tenant_mismatch(config.customer_id, missing=True)
        if tenant is not None and tenant != config.tenant_id:
            raise tenant_mismatch(config.customer_id)
        return await handler(request)

    return guard
