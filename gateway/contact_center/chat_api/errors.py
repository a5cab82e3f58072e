"""8x8 error bodies, read by shape (never by content type; spec §3 and gotcha 12), as typed errors."""

from __future__ import annotations

from typing import Any

from gateway.relay.errors import ContactCenterRejected, ContactCenterUnavailable


class ChatApiRejected(ContactCenterRejected):
    """8x8 refused the request and will refuse it again; ``errors`` holds what it said, field by field."""

    def __init__(self, message: str, *, status: int, errors: list[str] | None = None) -> None:
        super().__init__(message, status=status)
        self.errors = errors or []


class ChatApiUnavailable(ContactCenterUnavailable):
    """A 5xx, a 429, a timeout or a refused connection: worth retrying with the same Idempotency-Key."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ChatApiUnauthorized(ChatApiRejected):
    """401 even with a fresh token, or bad key/secret at the token endpoint."""


def describe_error_body(status: int, body: Any) -> tuple[str, list[str]]:
    """The message and the per-field errors of any of 8x8's error shapes."""
    if not isinstance(body, dict):
        return f"HTTP {status}", []
    fault = body.get("fault")
    if isinstance(fault, dict):  # 401 from the API gateway
        detail = fault.get("detail") if isinstance(fault.get("detail"), dict) else {}
        code = detail.get("errorcode") if isinstance(detail, dict) else None
        return f"{fault.get('faultstring', 'unauthorized')} ({code})" if code else str(
            fault.get("faultstring")
        ), []
    if "ErrorCode" in body or "Error" in body:  # OAuth endpoint
        return f"{body.get('ErrorCode')}: {body.get('Error')}", []
    errors: list[str] = []
    for item in body.get("errors") or []:
        if isinstance(item, str):
            errors.append(item)
        elif isinstance(item, dict):  # ValidationExceptionPayload
            errors.append(f"{item.get('code')}: {item.get('message')}")
    if "message" in body:
        return str(body["message"]), errors
    if "title" in body:  # RFC 7807 (JWK 404)
        return f"{body.get('title')} {body.get('detail', '')}".strip(), errors
    return f"HTTP {status}", errors


def error_for(status: int, body: Any, *, operation: str) -> ChatApiRejected | ChatApiUnavailable:
    message, errors = describe_error_body(status, body)
    text = f"{operation}: {status} {message}" + (f" [{'; '.join(errors)}]" if errors else "")
    if status >= 500 or status in (408, 429):
        return ChatApiUnavailable(text, status=status)
    if status == 401:
        return ChatApiUnauthorized(text, status=status, errors=errors)
    return ChatApiRejected(text, status=status, errors=errors)
