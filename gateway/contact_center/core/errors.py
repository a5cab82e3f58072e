"""8x8's error answers as typed errors, read by shape (never by content type), the same for both APIs.

Which failures may be repeated: a refused connection, 408, 429 and 503 mean 8x8 did not act, so any call
may be tried again. A timeout or a dropped connection after the request went out, and any other 5xx, leave
open whether it acted: such an ``Unavailable`` is ``ambiguous``, and a create or a send is not repeated
before the adapter has looked (no API relies on ``Idempotency-Key``; see docs/8x8.md).
"""

from __future__ import annotations

from typing import Any

from gateway.relay.errors import ContactCenterRejected, ContactCenterUnavailable


class Rejected(ContactCenterRejected):
    """8x8 refused the request and will refuse it again; ``errors`` holds what it said, field by field."""

    def __init__(self, message: str, *, status: int, errors: list[str] | None = None) -> None:
        super().__init__(message, status=status)
        self.errors = errors or []


class Unauthorized(Rejected):
    """401 (even with a fresh token, or a wrong or revoked key) or 403 (the tenant is not the key's)."""


class Unavailable(ContactCenterUnavailable):
    """Worth trying again; ``ambiguous`` when 8x8 may have acted on the request all the same."""

    def __init__(self, message: str, *, status: int | None = None, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.ambiguous = ambiguous


def _item(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        return f"{item.get('code')}: {item.get('message')}"
    return None


def describe_error_body(status: int, body: Any) -> tuple[str, list[str]]:
    """The message and the detailed errors of any of 8x8's error shapes."""
    if not isinstance(body, dict):
        return f"HTTP {status}", []
    fault = body.get("fault")
    if isinstance(fault, dict):  # 401 from the API gateway
        detail = fault.get("detail") if isinstance(fault.get("detail"), dict) else {}
        code = detail.get("errorcode") if isinstance(detail, dict) else None
        text = str(fault.get("faultstring", "unauthorized"))
        return (f"{text} ({code})" if code else text), []
    if "ErrorCode" in body or "Error" in body:  # the OAuth endpoint
        return f"{body.get('ErrorCode')}: {body.get('Error')}", []
    raw = body.get("errors")
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    errors = [text for text in map(_item, items) if text]
    if "message" in body:
        return str(body["message"]), errors
    if "title" in body:  # RFC 7807 (JWK 404)
        return f"{body.get('title')} {body.get('detail', '')}".strip(), errors
    return f"HTTP {status}", errors


def error_for(status: int, body: Any, *, operation: str) -> Rejected | Unavailable:
    message, errors = describe_error_body(status, body)
    text = f"{operation}: {status} {message}" + (f" [{'; '.join(errors)}]" if errors else "")
    if status in (408, 429, 503):
        return Unavailable(text, status=status)  # not carried out: safe to repeat
    if status >= 500:
        return Unavailable(text, status=status, ambiguous=True)
    if status in (401, 403):
        return Unauthorized(text, status=status, errors=errors)
    return Rejected(text, status=status, errors=errors)
