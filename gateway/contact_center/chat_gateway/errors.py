"""Chat Gateway error bodies (spec §2), read by shape, as typed errors.

``errors`` is a list of strings, a list of ``{"code","message"}`` objects, or (send message 400) one object.
"""

from __future__ import annotations

from typing import Any

from gateway.relay.errors import ContactCenterRejected, ContactCenterUnavailable


class ChatGatewayRejected(ContactCenterRejected):
    """Chat Gateway refused the request and will refuse it again; ``errors`` holds what it said."""

    def __init__(self, message: str, *, status: int, errors: list[str] | None = None) -> None:
        super().__init__(message, status=status)
        self.errors = errors or []


class ChatGatewayUnauthorized(ChatGatewayRejected):
    """401 (wrong or revoked API key) or 403 (the tenant does not belong to the key's customer)."""


class ChatGatewayUnavailable(ContactCenterUnavailable):
    """A 5xx, a 408/429, a timeout or a refused connection: worth retrying.

    ``ambiguous`` means the request may have been carried out (a timeout or a dropped connection after it
    was sent, or a 500/502/504): Chat Gateway has no Idempotency-Key, so a POST is not repeated blindly.
    """

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
    """The message and the detailed errors of any Chat Gateway error shape."""
    if not isinstance(body, dict):
        return f"HTTP {status}", []
    raw = body.get("errors")
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    errors = [text for text in map(_item, items) if text]
    if "message" in body:
        return str(body["message"]), errors
    if "title" in body:  # plain RFC 7807
        return f"{body.get('title')} {body.get('detail', '')}".strip(), errors
    return f"HTTP {status}", errors


def error_for(status: int, body: Any, *, operation: str) -> ChatGatewayRejected | ChatGatewayUnavailable:
    message, errors = describe_error_body(status, body)
    text = f"{operation}: {status} {message}" + (f" [{'; '.join(errors)}]" if errors else "")
    if status in (408, 429, 503):
        return ChatGatewayUnavailable(text, status=status)  # not carried out: safe to repeat
    if status >= 500:
        return ChatGatewayUnavailable(text, status=status, ambiguous=True)
    if status in (401, 403):
        return ChatGatewayUnauthorized(text, status=status, errors=errors)
    return ChatGatewayRejected(text, status=status, errors=errors)
