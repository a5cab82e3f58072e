"""The rules of conversation create and message send (spec §4.3), each failure a
``"<field path>: <reason>"`` line of a 400 ConstraintViolationProblem. All violations are reported at once."""

from __future__ import annotations

import re
from typing import Any

from .config import LANGUAGES
from .errors import constraint_violation

MAX_CUSTOMER_KEYS = 30
MAX_HISTORY = 200
MAX_TEXT = 4096
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_text(path: str, text: Any, errors: list[str]) -> None:
    if not isinstance(text, str) or not text:
        errors.append(f"{path}: May not be empty.")
    elif len(text) > MAX_TEXT:
        errors.append(f"{path}: size must be between 1 and {MAX_TEXT}")


def _check_customer(customer: Any, errors: list[str]) -> None:
    if customer is None:
        errors.append("customer: May not be empty.")
        return
    if not isinstance(customer, dict):
        errors.append("customer: must be an object")
        return
    if len(customer) > MAX_CUSTOMER_KEYS:
        errors.append(f"customer: must have at most {MAX_CUSTOMER_KEYS} properties (got {len(customer)})")
    for key, value in customer.items():
        if not isinstance(value, str):
            errors.append(f"customer.{key}: must be a string")
    email = customer.get("email")
    if isinstance(email, str) and not _EMAIL.fullmatch(email):
        errors.append("customer.email: must be a well-formed email address")
    language = customer.get("language")
    if isinstance(language, str) and language not in LANGUAGES:
        errors.append(f"customer.language: must be one of [{', '.join(LANGUAGES)}]")


def _check_history(history: Any, errors: list[str]) -> list[dict[str, str]]:
    if history is None:
        return []
    if not isinstance(history, dict):
        errors.append("history: must be an object")
        return []
    messages = history.get("messages")
    if messages is None:
        errors.append("history.messages: May not be empty.")
        return []
    if not isinstance(messages, list):
        errors.append("history.messages: must be an array")
        return []
    if len(messages) > MAX_HISTORY:
        errors.append(f"history.messages: size must be between 0 and {MAX_HISTORY}")
    lines: list[dict[str, str]] = []
    for i, item in enumerate(messages):
        path = f"history.messages[{i}]"
        if not isinstance(item, dict):
            errors.append(f"{path}: must be an object")
            continue
        check_text(f"{path}.text", item.get("text"), errors)
        kind = item.get("type", "user")
        if kind not in ("user", "bot"):
            errors.append(f"{path}.type: must be one of [user, bot]")
        lines.append({"text": str(item.get("text")), "type": str(kind)})
    return lines


def validate_create(body: dict[str, Any]) -> tuple[str, dict[str, str], list[dict[str, str]]]:
    """Return ``(channelId, customer, history lines)`` or raise the 400."""
    errors: list[str] = []
    channel_id = body.get("channelId")
    if not isinstance(channel_id, str) or not channel_id:
        errors.append("channelId: May not be empty." if not channel_id else "channelId: must be a string")
    if "user" in body:
        errors.append("user: unknown property, send the customer object as customer")
    customer = body.get("customer")
    _check_customer(customer, errors)
    history = _check_history(body.get("history"), errors)
    if errors:
        raise constraint_violation(*errors)
    assert isinstance(customer, dict)
    return str(channel_id), dict(customer), history


def validate_message(body: dict[str, Any]) -> tuple[str, str]:
    errors: list[str] = []
    check_text("text", body.get("text"), errors)
    author = body.get("authorType", "user")
    if author not in ("user", "bot"):
        errors.append("authorType: must be one of [user, bot]")
    if errors:
        raise constraint_violation(*errors)
    return str(body["text"]), str(author)
