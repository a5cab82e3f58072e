"""How an agent's cards are shown (issue 22, point 1): the parts of an Adaptive Card that read as text, quick
replies as buttons, and one fallback line (logged once) for what cannot be shown."""

from __future__ import annotations

from typing import Any

from structlog.testing import capture_logs

from gateway.contact_center.chat_gateway.cards import (
    FALLBACK,
    CardLog,
    QuickReplies,
    adaptive_card,
    quick_replies,
    render,
)
from gateway.relay.model import Button, CardAction, CardFact


def test_an_adaptive_card_is_read_through_its_containers_and_columns_in_order() -> None:
    content = {
        "type": "AdaptiveCard",
        "body": [
            {"type": "Container", "items": [{"type": "TextBlock", "text": "Title"}]},
            {
                "type": "ColumnSet",
                "columns": [
                    {"items": [{"type": "TextBlock", "text": "left"}]},
                    {"items": [{"type": "Image", "url": "https://x/i.png", "altText": "a parcel"}]},
                ],
            },
            {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "rich "}, "plain"]},
            {"type": "FactSet", "facts": [{"title": "A", "value": "1"}, {"title": "B"}, "junk"]},
            {
                "type": "ActionSet",
                "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": "https://x/o"}],
            },
            {"type": "Input.Text", "id": "x"},
        ],
        "actions": [{"type": "Action.OpenUrl", "url": "data:text/html,x"}, {"type": "Action.Submit"}],
    }
    card = adaptive_card(content)
    assert card is not None
    assert card.title == "Title"
    assert card.body == ("left", "a parcel", "rich plain")
    assert card.facts == (CardFact("A", "1"), CardFact("B", ""))
    assert card.actions == (CardAction("Open", "https://x/o"),)  # a data: link and an untitled action dropped


def test_a_deeply_nested_or_broken_card_is_not_followed_forever() -> None:
    inner: dict[str, Any] = {"type": "TextBlock", "text": "deep"}
    for _ in range(50):
        inner = {"type": "Container", "items": [inner]}
    assert adaptive_card({"body": [inner]}) is None
    assert adaptive_card("not a card") is None
    assert adaptive_card({"body": "nope", "actions": {"x": 1}}) is None


def test_quick_reply_options_without_a_postback_answer_with_their_title() -> None:
    content = {"options": [{"title": "Yes", "data": {"postback": 1}}, {"title": "No"}, {"data": {}}, "x"]}
    assert quick_replies(content) == (Button("Yes", "1"), Button("No", "No"))
    assert quick_replies({"options": "none"}) == ()


def test_what_cannot_be_shown_is_one_fallback_line_logged_once_per_conversation_and_type() -> None:
    log = CardLog()
    odd = [{"contentType": "Carousel", "content": {}}, {"contentType": "Location", "content": {}}]
    with capture_logs() as logs:
        first = render("hi", odd, cc_id="cgw:1", log=log)
        again = render("", odd[:1], cc_id="cgw:1", log=log)
        other = render(
            "",
            [{"contentType": "application/vnd.microsoft.card.adaptive", "content": {}}],
            cc_id="cgw:2",
            log=log,
        )
    assert first.text == f"hi\n\n{FALLBACK}"
    assert again.text == FALLBACK
    assert other.text == FALLBACK  # an Adaptive Card with nothing readable in it
    assert [(e["event"], e["content_type"]) for e in logs] == [
        ("agent_card_not_rendered", "Carousel"),
        ("agent_card_not_rendered", "Location"),
        ("agent_card_not_rendered", "application/vnd.microsoft.card.adaptive"),
    ]
    assert all("hi" not in str(e) for e in logs)  # never the message's text


def test_a_choice_is_recognised_once_and_only_among_the_last_options_offered() -> None:
    offered = QuickReplies()
    offered.offered("cgw:1", (Button("one", "1"), Button("two", "2")))
    offered.offered("cgw:1", (Button("three", "3"),))
    assert offered.chosen("cgw:1", "1") is None  # replaced by the newer options
    assert offered.chosen("cgw:2", "3") is None
    assert offered.chosen("cgw:1", "3") == "three"
    assert offered.chosen("cgw:1", "3") is None  # answered


def test_cards_that_are_not_the_documented_array_still_give_a_line() -> None:
    log = CardLog()
    assert render("", {"contentType": "x"}, cc_id="cgw:1", log=log).text == FALLBACK
    assert render("hi", None, cc_id="cgw:1", log=log).text == "hi"
    many = [{"contentType": "application/8x8.quick.replies", "content": {"options": [{"title": "t"}]}}] * 80
    assert len(render("", many, cc_id="cgw:1", log=log).buttons) == 50
