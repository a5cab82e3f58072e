"""The rules of Chat Gateway create/update conversation and send message (spec chat-gateway-v1 §3.1, §3.2).

Every violation is collected and reported at once as ``"<field path>: <reason>"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..config import LANGUAGES
from ..state import Conversation

MAX_ADDITIONAL = 30
MAX_HISTORY = 200
MAX_TEXT = 4096
AUTHOR_TYPES = ("user", "bot")
CARD_TYPES = (
    "application/vnd.microsoft.card.adaptive",
    "application/8x8.quick.replies",
    "Interactive",
    "Location",
    "Template",
    "Suggestions",
    "Buttons",
    "Carousel",
)
USER_STRINGS = (
    "name",
    "userId",
    "email",
    "phone",
    "company",
    "caseId",
    "language",
    "customerId",
    "ipaddress",
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass
class SendMessage:
    author_type: str
    text: str
    attachment_ids: list[str] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)


def check_user(user: Any, errors: list[str]) -> None:
    if user is None:
        errors.append("user: May not be empty.")
        return
    if not isinstance(user, dict):
        errors.append("user: must be an object")
        return
    for key, value in user.items():
        if key in USER_STRINGS:
            if not isinstance(value, str):
                errors.append(f"user.{key}: must be a string")
        elif key == "timezoneOffset":
            if not isinstance(value, int | float) or isinstance(value, bool):
                errors.append("user.timezoneOffset: must be a number")
        elif key == "additionalProperties":
            _check_additional(value, errors)
        else:
            errors.append(f"user.{key}: unknown property (custom data goes in user.additionalProperties)")
    email = user.get("email")
    if isinstance(email, str) and not _EMAIL.fullmatch(email):
        errors.append("user.email: must be a well-formed email address")
    language = user.get("language")
    if isinstance(language, str) and language not in LANGUAGES:
        errors.append(f"user.language: must be one of [{', '.join(LANGUAGES)}]")


def _check_additional(value: Any, errors: list[str]) -> None:
    if not isinstance(value, list):
        errors.append("user.additionalProperties: must be an array")
        return
    if len(value) > MAX_ADDITIONAL:
        errors.append(f"user.additionalProperties: size must be between 0 and {MAX_ADDITIONAL}")
    for i, item in enumerate(value):
        path = f"user.additionalProperties[{i}]"
        if not isinstance(item, dict) or set(item) - {"key", "value", "id"}:
            errors.append(f"{path}: must be an object with key and value")
            continue
        for part in ("key", "value"):
            if not isinstance(item.get(part), str):
                errors.append(f"{path}.{part}: must be a string")


def flat_customer(user: dict[str, Any]) -> dict[str, str]:
    """The user as one flat string map (console, agent language match): fields, then additionalProperties."""
    flat = {k: str(v) for k, v in user.items() if k != "additionalProperties"}
    for item in user.get("additionalProperties") or []:
        flat.setdefault(str(item["key"]), str(item["value"]))
    return flat


def check_assignment(assignment: Any, errors: list[str]) -> None:
    if assignment is None:
        return
    if not isinstance(assignment, dict):
        errors.append("assignment: must be an object")
        return
    kind, target = assignment.get("type"), assignment.get("id")
    if kind not in ("queue", "script"):
        errors.append("assignment.type: must be one of [queue, script]")
    if not isinstance(target, str) or not target:
        errors.append("assignment.id: May not be empty.")


def check_send_message(
    body: Any, path: str, conv: Conversation | None, errors: list[str]
) -> SendMessage | None:
    """One SendMessage (a request body or a history item); ``conv`` owns the attachments it may name."""
    if not isinstance(body, dict):
        errors.append(f"{path or 'body'}: must be an object")
        return None
    prefix = f"{path}." if path else ""
    author = body.get("authorType")
    if author not in AUTHOR_TYPES:
        errors.append(
            f"Invalid authorType={author if author is not None else 'null'}, has to be one of user, bot, agent"
        )
    text, provider = body.get("text"), body.get("externalProvider")
    if text is not None and provider is not None:
        errors.append(f"{prefix}text: text and externalProvider are mutually exclusive")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
        errors.append(f"{prefix}text: must be a string of at most {MAX_TEXT} characters")
    if provider is not None and (
        not isinstance(provider, dict)
        or not isinstance(provider.get("name"), str)
        or not isinstance(provider.get("externalMessageId"), str)
    ):
        errors.append(f"{prefix}externalProvider: must be an object with name and externalMessageId")
    attachment_ids = _check_attachments(body.get("attachments"), prefix, conv, errors)
    cards = check_cards(body.get("cards"), prefix, errors)
    if not text and provider is None and not attachment_ids and not cards:
        errors.append(f"{prefix}text: May not be empty (send text, attachments, cards or externalProvider).")
    if not isinstance(author, str):
        return None
    return SendMessage(author, text if isinstance(text, str) else "", attachment_ids, cards)


def _check_attachments(value: Any, prefix: str, conv: Conversation | None, errors: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(f"{prefix}attachments: must be an array")
        return []
    ids: list[str] = []
    for i, item in enumerate(value):
        attachment_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(attachment_id, str) or not attachment_id:
            errors.append(f"{prefix}attachments[{i}].id: May not be empty.")
        elif conv is None or attachment_id not in conv.attachments:
            errors.append(f"{prefix}attachments[{i}].id: no attachment {attachment_id} in this conversation")
        else:
            ids.append(attachment_id)
    return ids


def check_cards(value: Any, prefix: str, errors: list[str]) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(f"{prefix}cards: must be an array")
        return []
    cards: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("content"), dict):
            errors.append(f"{prefix}cards[{i}]: must be an object with a content object")
            continue
        content_type = item.get("contentType", CARD_TYPES[0])
        if content_type not in CARD_TYPES:
            errors.append(f"{prefix}cards[{i}].contentType: must be one of [{', '.join(CARD_TYPES)}]")
            continue
        cards.append({"contentType": content_type, "content": item["content"]})
    return cards


def check_history(history: Any, errors: list[str]) -> list[SendMessage]:
    if history is None:
        return []
    if not isinstance(history, dict) or not isinstance(history.get("messages"), list):
        errors.append("history.messages: must be an array")
        return []
    messages = history["messages"]
    if len(messages) > MAX_HISTORY:
        errors.append(f"history.messages: size must be between 0 and {MAX_HISTORY}")
    found = [check_send_message(m, f"history.messages[{i}]", None, errors) for i, m in enumerate(messages)]
    return [m for m in found if m is not None]
