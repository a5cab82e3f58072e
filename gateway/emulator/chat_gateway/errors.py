"""Chat Gateway error bodies (spec chat-gateway-v1 §2) and the ``application/hal+json`` success response.

Every error is a :class:`~gateway.emulator.errors.Problem`, so the emulator's one problem middleware renders
it (``application/problem+json``) and the fault injection and request log treat both APIs alike.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from aiohttp import web

from ..errors import Problem, dumps

HAL_JSON = "application/hal+json"


def reference_id() -> str:
    return secrets.token_hex(8)[:15]


def hal_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=dumps(body), content_type=HAL_JSON)


def access_denied() -> Problem:
    """401: missing or wrong ``x-api-key``."""
    return Problem(
        401,
        {
            "message": "Access Denied",
            "errors": [{"message": "Access Denied", "code": "access_denied"}],
            "referenceId": reference_id(),
        },
    )


def tenant_mismatch(customer_id: str, *, missing: bool = False) -> Problem:
    detail = (
        f"Header X-8x8-Tenant is mandatory for customerId={customer_id}"
        if missing
        else f"Header X-8x8-Tenant doesn't match tenant information for customerId={customer_id}"
    )
    return Problem(403, {"message": "The tenant does not belong to customer.", "errors": [detail]})


def resource_not_found(resource_type: str, resource_id: str) -> Problem:
    """404 of most endpoints (same as the Chat API's)."""
    message = f"Resource of type {resource_type} with id {resource_id} was not found."
    return Problem(404, {"message": message, "errors": [message]})


def entity_not_found(resource_type: str, resource_id: str) -> Problem:
    """404 of typing, thinking, read-receipt and post-agent-assignment."""
    return Problem(
        404,
        {
            "message": "Resource not found",
            "errors": [
                {
                    "code": "resource_not_found",
                    "message": f"Entity of type {resource_type} with id {resource_id} was not found.",
                }
            ],
        },
    )


def invalid_parameter(conversation_id: str, tenant_id: str, *messages: str) -> Problem:
    """400 of typing, thinking, read-receipt and post-agent-assignment."""
    return Problem(
        400,
        {
            "message": f"Invalid parameter exception for conversation {conversation_id} and tenant {tenant_id}.",
            "errors": [{"code": "invalid_parameter", "message": m} for m in messages],
            "referenceId": reference_id(),
        },
    )


def invalid_message(message: str, *details: str) -> Problem:
    """400 of send message: ``errors`` is one object here."""
    return Problem(
        400,
        {
            "message": message,
            "errors": {"code": "invalid_json_object", "message": "; ".join(details or (message,))},
            "referenceId": reference_id(),
        },
    )


def general_error(*errors: tuple[str, str], status: int = 400) -> Problem:
    """400/500/default: ``{"message":"Internal error.","errors":[{"code","message"}]}``."""
    return Problem(
        status,
        {
            "message": "Internal error.",
            "errors": [{"code": code, "message": message} for code, message in errors],
        },
    )


def invalid_json(*messages: str) -> Problem:
    return general_error(*(("invalid_json_object", m) for m in messages))


def filter_error(reason: str) -> Problem:
    return invalid_json(f"filter: {reason}")


async def read_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or the general 400."""
    try:
        body = json.loads(await request.read() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise invalid_json("body: must be valid JSON") from None
    if not isinstance(body, dict):
        raise invalid_json("body: must be a JSON object")
    return body
