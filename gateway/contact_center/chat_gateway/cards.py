"""Cards in an agent's ``MESSAGE`` (spec chat-gateway-v1 §3.2, §7): what the customer is shown.

- ``application/8x8.quick.replies`` (``{"options":[{"title","data":{"postback"}}]}``): buttons on the agent's
  line; the customer's choice comes back as the option's postback (``QuickReplies`` remembers the options,
  so that the adapter can tell 8x8 which card was answered).
- ``application/vnd.microsoft.card.adaptive``: a ``Card`` (title, text blocks, facts, actions), and the same
  as readable text in the line, so a client that knows no cards still shows it.
- anything else (or a card we cannot read): a fallback line, logged once per conversation and type.

Nothing is ever refused for its content: a message the gateway cannot render still reaches the customer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import structlog

from gateway.relay.model import Button, Card, CardAction, CardFact

logger = structlog.get_logger(__name__)

QUICK_REPLIES = "application/8x8.quick.replies"
ADAPTIVE = "application/vnd.microsoft.card.adaptive"
FALLBACK = "[The agent sent content that cannot be shown here.]"
_MAX_ITEMS = 50
_MAX_TEXT = 2000
_MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class Rendered:
    """An agent message's cards as the relay takes them."""

    text: str  # the message's text with each card's fallback appended
    buttons: tuple[Button, ...] = ()
    card: Card | None = None


def _str(value: Any) -> str | None:
    return value.strip()[:_MAX_TEXT] if isinstance(value, str) and value.strip() else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def quick_replies(content: Any) -> tuple[Button, ...]:
    options = content.get("options") if isinstance(content, dict) else None
    buttons: list[Button] = []
    for option in options if isinstance(options, list) else []:
        if not isinstance(option, dict) or (title := _str(option.get("title"))) is None:
            continue
        data = option.get("data")
        postback = data.get("postback") if isinstance(data, dict) else None
        payload = str(postback) if isinstance(postback, str | int | float) and str(postback) else title
        buttons.append(Button(title[:256], payload[:1024]))
    return tuple(buttons[:_MAX_ITEMS])


def _elements(items: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every element of an Adaptive Card body, containers opened, in reading order."""
    if depth > _MAX_DEPTH or not isinstance(items, list):
        return
    for item in items[: _MAX_ITEMS * 4]:
        if not isinstance(item, dict):
            continue
        yield item
        yield from _elements(item.get("items"), depth + 1)  # Container
        for column in _list(item.get("columns")):
            if isinstance(column, dict):
                yield from _elements(column.get("items"), depth + 1)  # ColumnSet


def _action(action: Any) -> CardAction | None:
    if not isinstance(action, dict):
        return None
    title = _str(action.get("title"))
    url = _str(action.get("url")) if action.get("type") == "Action.OpenUrl" else None
    if url is not None and not url.lower().startswith(("https://", "http://")):
        url = None  # only web links are offered; the text stays
    if title is None and url is None:
        return None
    return CardAction(title or url or "", url)


def adaptive_card(content: Any) -> Card | None:
    """The card's readable parts; None when it has none (then the caller shows the fallback line)."""
    if not isinstance(content, dict):
        return None
    body: list[str] = []
    facts: list[CardFact] = []
    actions: list[CardAction] = []
    for element in _elements(content.get("body")):
        kind = element.get("type")
        if kind == "TextBlock" and (text := _str(element.get("text"))):
            body.append(text)
        elif kind == "RichTextBlock":
            runs = _list(element.get("inlines"))
            text = "".join(str(r.get("text", "")) if isinstance(r, dict) else str(r) for r in runs).strip()
            if text:
                body.append(text[:_MAX_TEXT])
        elif kind == "FactSet":
            for fact in _list(element.get("facts")):
                if isinstance(fact, dict) and (title := _str(fact.get("title"))):
                    facts.append(CardFact(title, _str(fact.get("value")) or ""))
        elif kind == "Image" and (alt := _str(element.get("altText"))):
            body.append(alt)
        elif kind == "ActionSet":
            actions.extend(a for a in map(_action, _list(element.get("actions"))) if a is not None)
    actions.extend(a for a in map(_action, _list(content.get("actions"))) if a is not None)
    if not body and not facts and not actions:
        return None
    title, rest = (body[0], body[1:]) if body else (None, [])
    return Card(
        "adaptive", title, tuple(rest[:_MAX_ITEMS]), tuple(facts[:_MAX_ITEMS]), tuple(actions[:_MAX_ITEMS])
    )


def card_text(card: Card) -> str:
    """The readable fallback: title, text blocks, ``fact: value`` lines, and buttons (links with their URL)."""
    lines = [card.title] if card.title else []
    lines += card.body
    lines += [f"{f.title}: {f.value}" if f.value else f.title for f in card.facts]
    lines += [f"[{a.title}] {a.url}" if a.url and a.url != a.title else f"[{a.title}]" for a in card.actions]
    return "\n".join(lines)


class CardLog:
    """Logs each unrenderable card type once per conversation (8x8 may resend an event many times)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._limit = limit

    def unrenderable(self, cc_id: str, content_type: str) -> None:
        key = (cc_id, content_type[:100])
        if key in self._seen:
            return
        self._seen[key] = None
        while len(self._seen) > self._limit:
            self._seen.popitem(last=False)
        logger.warning("agent_card_not_rendered", cc_conversation_id=cc_id, content_type=key[1])


def render(text: str, cards: Any, *, cc_id: str, log: CardLog) -> Rendered:
    """Text, quick-reply buttons and one card from a message's ``cards``; what is left a fallback line."""
    parts = [text] if text else []
    buttons: list[Button] = []
    card: Card | None = None
    if cards is not None and not isinstance(cards, list):
        cards = [cards]  # not the documented array: shown as what it is, a card we cannot render
    for raw in (cards or [])[:_MAX_ITEMS]:
        content_type = raw.get("contentType") if isinstance(raw, dict) else None
        content = raw.get("content") if isinstance(raw, dict) else None
        if content_type == QUICK_REPLIES and (found := quick_replies(content)):
            buttons.extend(found)
            continue
        if content_type == ADAPTIVE and (parsed := adaptive_card(content)) is not None:
            parts.append(card_text(parsed))
            card = card or parsed  # the frame carries the first; the text carries all
            continue
        log.unrenderable(cc_id, str(content_type))
        if FALLBACK not in parts:
            parts.append(FALLBACK)
    return Rendered("\n\n".join(parts), tuple(buttons[:_MAX_ITEMS]), card)


class QuickReplies:
    """The quick replies last offered per conversation (postback -> title): a customer line that is one of
    them is the customer's choice, which the adapter reports to 8x8 as the card's action. In memory:
    after a restart a choice still reaches the agent as the customer's line, without the card action."""

    def __init__(self, limit: int = 10_000) -> None:
        self._offered: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._limit = limit

    def offered(self, cc_id: str, buttons: tuple[Button, ...]) -> None:
        self._offered[cc_id] = {b.payload: b.title for b in buttons}
        self._offered.move_to_end(cc_id)
        while len(self._offered) > self._limit:
            self._offered.popitem(last=False)

    def chosen(self, cc_id: str, text: str) -> str | None:
        """The title of the option whose postback is ``text``, once (the options are then answered)."""
        options = self._offered.get(cc_id)
        if options is None or text not in options:
            return None
        del self._offered[cc_id]
        return options[text]
