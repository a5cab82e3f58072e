"""``application/problem+json`` (RFC 9457) errors for the REST endpoints, from one table."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway.relay.errors import CustomerError, RateLimited, UnknownSession, WrongState

PROBLEM_TYPE = "urn:chat-gateway:problem:"

STATUS: dict[str, int] = {
    "bad_json": 400,
    "not_started": 400,
    "invalid_frame": 422,
    "unknown_type": 400,
    "too_long": 413,
    "unauthorized": 401,
    "forbidden_origin": 403,
    "unknown_session": 404,
    "not_found": 404,
    "unsupported_type": 415,
    "wrong_state": 409,
    "rate_limited": 429,
    "timeout": 408,
    "unavailable": 503,
}

TITLES: dict[str, str] = {
    "bad_json": "Malformed JSON",
    "invalid_frame": "Invalid request",
    "too_long": "Too long",
    "unauthorized": "Missing or malformed session token",
    "forbidden_origin": "Origin not allowed",
    "unknown_session": "Unknown session",
    "not_found": "Not found",
    "unsupported_type": "File type not accepted",
    "wrong_state": "Not allowed in the conversation's current state",
    "rate_limited": "Too many messages",
    "timeout": "The request body arrived too slowly",
    "unavailable": "Temporarily unavailable",
}


def problem(code: str, detail: str, **extra: Any) -> web.Response:
    status = STATUS.get(code, 400)
    body = {
        "type": PROBLEM_TYPE + code,
        "title": TITLES.get(code, "Bad request"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    headers = {"Retry-After": "1"} if code == "rate_limited" else None
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/problem+json", headers=headers
    )


def customer_problem(exc: CustomerError) -> web.Response:
    return problem(exc.code, str(exc))


__all__ = ["RateLimited", "UnknownSession", "WrongState", "customer_problem", "problem"]
