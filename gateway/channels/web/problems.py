"""``application/problem+json`` (RFC 9457) errors for the REST endpoints, from one table; and
``error_answer``, the one mapping from the gateway's exceptions to the protocol's error codes, used by the
REST middleware and the WebSocket's frame handler alike."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway.relay.errors import (
    ContactCenterError,
    CustomerError,
    GatewayError,
    RateLimited,
    UnknownSession,
    WrongState,
)

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


RETRY_LATER = "please retry in a moment"


def error_answer(exc: GatewayError) -> tuple[str, str]:
    """The protocol's (code, message) for an error a request ran into.

    A ``CustomerError`` says what the customer did wrong, with its own code (``UnknownSession``:
    ``unknown_session``, ``WrongState``: ``wrong_state``, ...). Anything else is the gateway's trouble,
    worth a retry: ``unavailable`` (the contact center's, for an agent's file; the store's, ...).
    """
    if isinstance(exc, CustomerError):
        return exc.code, str(exc) or exc.code
    if isinstance(exc, ContactCenterError):
        return "unavailable", "the contact center cannot be reached right now; " + RETRY_LATER
    return "unavailable", RETRY_LATER


def error_problem(exc: GatewayError) -> web.Response:
    return problem(*error_answer(exc))


__all__ = ["RateLimited", "UnknownSession", "WrongState", "error_answer", "error_problem", "problem"]
