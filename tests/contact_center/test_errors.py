"""Every 8x8 error shape becomes a typed error that names what 8x8 said."""

from __future__ import annotations

import pytest

from gateway.contact_center.chat_api.errors import (
    ChatApiRejected,
    ChatApiUnauthorized,
    ChatApiUnavailable,
    error_for,
)


@pytest.mark.parametrize(
    ("status", "body", "kind", "says"),
    [
        (
            401,
            {
                "fault": {
                    "faultstring": "Access Token expired",
                    "detail": {"errorcode": "keymanagement.service.access_token_expired"},
                }
            },
            ChatApiUnauthorized,
            "access_token_expired",
        ),
        (
            400,
            {"ErrorCode": "invalid_request", "Error": "Unsupported grant type : x"},
            ChatApiRejected,
            "Unsupported grant type",
        ),
        (
            400,
            {
                "message": "Constraint Violation",
                "errors": ["customer.email: must be a well-formed email address"],
            },
            ChatApiRejected,
            "customer.email",
        ),
        (
            400,
            {
                "message": "Validation failed",
                "errors": [{"code": "invalid_queue", "message": "Queue ID 112 is invalid."}],
            },
            ChatApiRejected,
            "invalid_queue",
        ),
        (
            404,
            {
                "type": "ClientError",
                "title": "Resource not found.",
                "status": 404,
                "detail": "Resource may not exist",
            },
            ChatApiRejected,
            "Resource not found",
        ),
        (
            403,
            {
                "message": "The tenant does not belong to customer.",
                "errors": ["Tenant T does not belong to customer C."],
            },
            ChatApiUnauthorized,  # 401 and 403 both refuse the credentials (one mapping for both APIs)
            "Tenant T",
        ),
        (
            503,
            {"message": "Could not process this request", "errors": [], "referenceId": "r"},
            ChatApiUnavailable,
            "503",
        ),
        (429, None, ChatApiUnavailable, "429"),
        (500, "not json", ChatApiUnavailable, "500"),
    ],
)
def test_error_shapes(status: int, body: object, kind: type[Exception], says: str) -> None:
    error = error_for(status, body, operation="op")
    assert type(error) is kind
    assert says in str(error)
    assert str(error).startswith("op: ")
