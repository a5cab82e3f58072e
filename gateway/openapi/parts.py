"""Pieces of the document: problem answers, bodies, the session operations and the webhook."""

from __future__ import annotations

from typing import Any

from gateway.channels.web.problems import PROBLEM_TYPE, STATUS, TITLES
from gateway.contact_center.core.signature import REQUIRED_HEADERS
from gateway.openapi.answers import REF

WEBHOOK_REFUSALS = ("unsigned", "wrong_tenant", "stale", "bad_signature", "replayed", "malformed")
"""The webhook receiver's own problem codes (``core.receiver._refuse``), besides ``too_long`` and
``unavailable``."""


def problem_schema() -> dict[str, Any]:
    codes = sorted({*STATUS, *WEBHOOK_REFUSALS})
    return {
        "type": "object",
        "description": "An RFC 9457 problem; `code` is the machine-readable reason.",
        "required": ["type", "title", "status", "detail", "code"],
        "additionalProperties": False,
        "properties": {
            "type": {"type": "string", "pattern": f"^{PROBLEM_TYPE}"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "code": {"type": "string", "enum": codes},
            "failed": {
                "type": "array",
                "items": {"type": "string"},
                "description": "readyz: the names of what is not usable",
            },
        },
    }


def problem(description: str, *, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def json_answer(model: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}},
    }


def json_body(model: str, *, required: bool = True) -> dict[str, Any]:
    return {
        "required": required,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}},
    }


_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}}}


def errors(*codes: str) -> dict[str, Any]:
    """Problem answers by status for these codes (two codes may share a status)."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(STATUS[code], []).append(code)
    return {
        str(status): problem(
            "; ".join(f"`{code}`: {TITLES.get(code, code)}" for code in listed),
            headers=_RETRY_AFTER if "rate_limited" in listed else None,
        )
        for status, listed in sorted(by_status.items())
    }


SESSION_PATH_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "the conversation id the session token belongs to",
    "schema": {"type": "string", "minLength": 1},
}
SESSION_ERRORS = ("unauthorized", "unknown_session", "unavailable")


def session_operation(summary: str, answer: dict[str, Any], *codes: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": ["customer"],
        "security": [{"session": []}],
        "parameters": [SESSION_PATH_ID],
        "responses": {**answer, **errors(*SESSION_ERRORS, *codes)},
    }


def webhook_operation(
    max_body_bytes: int,
    *,
    summary: str = "8x8 Contact Center Chat API v2 webhook events (signed)",
    event: str = "WebhookEvent",
    malformed: str = "not a v2.0 event, or a known event without its fields",
    not_configured: str = "no Chat API is configured on this gateway",
    applied: str = "",
) -> dict[str, Any]:
    headers = {
        "x-8x8-signature": "detached compact JWS (RS256, b64 false) over the body's CRC-32 and these headers",
        "x-8x8-customer-id": "8x8 customer id",
        "x-8x8-tenant-id": "the tenant the event is for; must be this gateway's",
        "x-8x8-event-id": "unique id of the event; the same on every retry (events are applied once)",
        "x-8x8-transmission-time": "ms epoch of this attempt; must be within the accepted clock skew",
        "x-8x8-retry": "attempt number, 0 for the first delivery",
    }
    assert set(headers) == set(REQUIRED_HEADERS)
    integer = {"type": "string", "pattern": "^[0-9]{1,15}$"}
    parameters = [
        {
            "name": name,
            "in": "header",
            "required": True,
            "description": why,
            "schema": integer if name in ("x-8x8-transmission-time", "x-8x8-retry") else {"type": "string"},
        }
        for name, why in headers.items()
    ]
    refusals = {
        "400": f"`malformed`: {malformed}; `stale`: x-8x8-transmission-time outside the accepted window",
        "401": "`unsigned`: a delivery header is missing; `bad_signature`: the signature does not verify",
        "403": "`wrong_tenant`: the event is for another tenant",
        "404": f"`unknown_session`: {not_configured}",
        "409": "`replayed`: this x-8x8-event-id was delivered before with another body, or this very "
        "delivery (same transmission time and retry) was",
        "413": f"`too_long`: the body is over {max_body_bytes} bytes",
    }
    return {
        "summary": summary,
        "description": "Each check refuses with a problem and changes nothing: size, delivery headers, "
        "tenant, transmission time, signature, JSON, event shape. An event is answered 200 only "
        "after it is stored; a duplicate `x-8x8-event-id` and unknown event types are answered "
        "200 too (applied once), and `WEB_HOOK_VERIFY` is answered 200, empty, signed or not (it carries "
        "no data). Every other event must carry every delivery header." + applied,
        "tags": ["contact center"],
        "security": [],
        "parameters": parameters,
        "requestBody": json_body(event),
        "responses": {
            "200": {"description": "stored (or already stored, or ignored); empty body"},
            **{status: problem(why) for status, why in refusals.items()},
            "503": problem("`unavailable`: please retry (e.g. 8x8's signing key could not be fetched)"),
        },
    }
