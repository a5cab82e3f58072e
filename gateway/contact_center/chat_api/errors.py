"""The Chat API's names for the shared 8x8 errors (``core.errors``)."""

from __future__ import annotations

from gateway.contact_center.core.errors import Rejected as ChatApiRejected
from gateway.contact_center.core.errors import Unauthorized as ChatApiUnauthorized
from gateway.contact_center.core.errors import Unavailable as ChatApiUnavailable
from gateway.contact_center.core.errors import describe_error_body, error_for

__all__ = ["ChatApiRejected", "ChatApiUnauthorized", "ChatApiUnavailable", "describe_error_body", "error_for"]
