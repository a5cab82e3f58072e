"""OAuth client-credentials tokens (spec §2) and the guard in front of every ``/vcc/`` endpoint (§3):
Bearer token (401), region in the configured enum (404 ``Region``), tenant owned by the key (403).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import secrets
import time
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from .config import EmulatorConfig
from .errors import forbidden_tenant, json_response, not_found, oauth_error, unauthorized
from .state import now_ms

UNGUARDED_ROUTES = {"token", "get_jwk"}


class TokenStore:
    """Issued tokens and their expiry (monotonic seconds). Expired tokens are kept to answer "expired"."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._expiry: dict[str, float] = {}
        self.application_name = str(uuid.uuid4())

    def issue(self) -> str:
        token = secrets.token_urlsafe(21)
        self._expiry[token] = time.monotonic() + self.ttl
        return token

    def check(self, token: str) -> bool | None:
        """``True`` valid, ``False`` expired, ``None`` unknown."""
        expiry = self._expiry.get(token)
        if expiry is None:
            return None
        return time.monotonic() < expiry

    def expire_all(self) -> None:
        past = time.monotonic() - 1
        for token in self._expiry:
            self._expiry[token] = past


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        key, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (key, secret) if sep else None


def token_handler(config: EmulatorConfig, tokens: TokenStore) -> Handler:
    async def issue_token(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        grant_type = form.get("grant_type")
        if grant_type != "client_credentials":
            value = grant_type if isinstance(grant_type, str) else ""
            raise oauth_error(400, "invalid_request", f"Unsupported grant type : {value}")
        creds = _basic_credentials(request.headers.get("Authorization", ""))
        good = creds is not None and (
            hmac.compare_digest(creds[0].encode(), config.api_key.encode())
            & hmac.compare_digest(creds[1].encode(), config.api_secret.get_secret_value().encode())
        )
        if not good:
            raise oauth_error(401, "invalid_client", "ClientId is Invalid")
        return json_response(
            {
                "refresh_token_expires_in": "0",
                "api_product_list": ["vcc"],
                "organization_name": "8x8emulator",
                "token_type": "BearerToken",
                "issued_at": str(now_ms()),
                "client_id": config.api_key,
                "access_token": tokens.issue(),
                "application_name": tokens.application_name,
                "scope": "",
                "expires_in": str(math.floor(tokens.ttl)),
                "refresh_count": "0",
                "status": "approved",
            }
        )

    return issue_token


def guard_middleware(config: EmulatorConfig, tokens: TokenStore) -> Middleware:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        route_name = request.match_info.route.name
        if not request.path.startswith("/vcc/") or route_name in UNGUARDED_ROUTES:
            return await handler(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        valid = tokens.check(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if valid is not True:
            raise unauthorized(expired=valid is False)
        check_region(config, request)
        tenant = request.match_info.get("tenant")
        if tenant is not None and tenant != config.tenant_id:
            raise forbidden_tenant(tenant, config.customer_id)
        return await handler(request)

    return guard


def check_region(config: EmulatorConfig, request: web.Request) -> None:
    region = request.match_info.get("region")
    if region is not None and region not in config.regions:
        raise not_found("Region", region)
