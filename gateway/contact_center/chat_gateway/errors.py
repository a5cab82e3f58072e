"""Chat Gateway's names for the shared 8x8 errors (``core.errors``)."""

from __future__ import annotations

from gateway.contact_center.core.errors import Rejected as ChatGatewayRejected
from gateway.contact_center.core.errors import Unauthorized as ChatGatewayUnauthorized
from gateway.contact_center.core.errors import Unavailable as ChatGatewayUnavailable
from gateway.contact_center.core.errors import describe_error_body, error_for

__all__ = [
    "ChatGatewayRejected",
    "ChatGatewayUnauthorized",
    "ChatGatewayUnavailable",
    "describe_error_body",
    "error_for",
]
