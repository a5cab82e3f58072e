"""Every error body the emulator sends, by shape (spec §3), and the one middleware that renders them.

Handlers raise :class:`Problem` (or a helper below); :func:`problem_middleware` turns it into a response with
``content-type: application/problem+json``. Anything unexpected becomes the 500 InternalServerProblem.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

PROBLEM_JSON = "application/problem+json"

INVALID_TOKEN = {
    "fault": {
        "faultstring": "Invalid Access Token",
        "detail": {"errorcode": "keymanagement.service.invalid_access_token"},
    }
}
EXPIRED_TOKEN = {
    "fault": {
        "faultstring": "Access Token expired",
        "detail": {"errorcode": "keymanagement.service.access_token_expired"},
    }
}

logger = structlog.get_logger(__name__)


def dumps(body: Any) -> bytes:
    """Compact UTF-8 JSON, non-ASCII unescaped: the form of every body the emulator writes."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=dumps(body), content_type="application/json")


class Problem(Exception):
    """An error answer: HTTP ``status`` and the JSON ``body`` of one of the §3 shapes."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body

    def response(self) -> web.Response:
        return web.Response(status=self.status, body=dumps(self.body), content_type=PROBLEM_JSON)


def unauthorized(*, expired: bool = False) -> Problem:
    return Problem(401, EXPIRED_TOKEN if expired else INVALID_TOKEN)


def oauth_error(status: int, code: str, message: str) -> Problem:
    return Problem(status, {"ErrorCode": code, "Error": message})


def constraint_violation(*errors: str) -> Problem:
    return Problem(400, {"message": "Constraint Violation", "errors": list(errors)})


def validation_failed(*items: tuple[str, str | None, str, str]) -> Problem:
    """ValidationExceptionPayload (channel create): items are ``(field, value, code, message)``."""
    return Problem(
        400,
        {
            "message": "Validation failed",
            "errors": [{"code": code, "message": message} for _, _, code, message in items],
            "validations": [
                {"field": field, "value": value, "code": code, "message": message}
                for field, value, code, message in items
            ],
        },
    )


def not_found(resource_type: str, resource_id: str) -> Problem:
    message = f"Resource of type {resource_type} with id {resource_id} was not found."
    return Problem(404, {"message": message, "errors": [message]})


def jwk_not_found(kid: str) -> Problem:
    return Problem(
        404,
        {
            "type": "ClientError",
            "title": "Resource not found.",
            "status": 404,
            "detail": "Resource may not exist or is not accessible.",
            "resourceType": "JWKPublic",
            "resourceId": kid,
            "instance": "ResourceNotFound",
        },
    )


def forbidden_tenant(tenant_id: str, customer_id: str) -> Problem:
    return Problem(
        403,
        {
            "message": "The tenant does not belong to customer.",
            "errors": [f"Tenant {tenant_id} does not belong to customer {customer_id}."],
        },
    )


def precondition_failed() -> Problem:
    return Problem(412, {"message": "Precondition Failed", "errors": ["version mismatch"]})


def internal_error(detail: str, status: int = 500) -> Problem:
    return Problem(
        status,
        {
            "message": "Could not process this request due to an internal error.",
            "errors": [detail],
            "referenceId": str(uuid.uuid4()),
        },
    )


def conflict(message: str) -> Problem:
    """Test-support only (``/_emulator``): the action does not fit the conversation's state."""
    return Problem(409, {"message": "Conflict", "errors": [message]})


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 ConstraintViolationProblem."""
    try:
        body = json.loads(await request.read() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise constraint_violation("body: must be valid JSON") from None
    if not isinstance(body, dict):
        raise constraint_violation("body: must be a JSON object")
    return body


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as problem:
        return problem.response()
    except web.HTTPException:
        raise
    except Exception as exc:
        logger.exception("emulator_internal_error", path=request.path)
        return internal_error(type(exc).__name__).response()
