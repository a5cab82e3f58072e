"""The create body stays within 8x8's limits whatever the transcript and customer look like."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.contact_center.chat_api.transcript import (
    MAX_CUSTOMER_KEYS,
    MAX_HISTORY,
    MAX_TEXT,
    chat_api_language,
    create_body,
    customer_properties,
    history_items,
    split_text,
)
from gateway.relay.model import Author, ConversationId, Customer
from gateway.relay.ports import HistoryLine, OpenRequest


def _request(**kwargs: object) -> OpenRequest:
    defaults: dict[str, object] = {
        "conversation_id": ConversationId("gw-1"),
        "customer": Customer(name="Ann", email="ann@example.com", language="en-US"),
        "queue_id": None,
        "reason": "customer_asked",
    }
    return OpenRequest(**{**defaults, **kwargs})  # type: ignore[arg-type]


def test_customer_properties_put_the_predefined_fields_first_and_stop_at_30() -> None:
    extra = {f"k{i:02}": f"v{i}" for i in range(50)}
    props = customer_properties(
        _request(
            customer=Customer(name="Ann", email="ann@example.com", language="en-US", extra=extra),
            context={"intent": "billing"},
        )
    )
    assert len(props) == MAX_CUSTOMER_KEYS
    assert list(props)[:6] == ["name", "customerId", "email", "language", "handoffReason", "intent"]
    assert props["customerId"] == "gw-1"
    assert props["language"] == "en"
    assert all(isinstance(v, str) for v in props.values())


def test_a_malformed_email_and_an_unknown_language_are_left_out() -> None:
    props = customer_properties(
        _request(customer=Customer(name="Bo", email="not-an-email", language="klingon"))
    )
    assert "email" not in props
    assert "language" not in props


def test_languages_map_to_8x8_codes() -> None:
    assert chat_api_language("en-US") == "en"
    assert chat_api_language("pt_BR") == "pt"
    assert chat_api_language("zh-cn") == "zh-CN"
    assert chat_api_language("zh-TW") == "zh-TW"
    assert chat_api_language("xx") is None
    assert chat_api_language(None) is None


def test_history_keeps_the_most_recent_200_and_says_how_many_were_left_out() -> None:
    lines = [HistoryLine(Author.CUSTOMER if i % 2 else Author.BOT, f"line {i}") for i in range(250)]
    items = history_items(lines)
    assert len(items) == MAX_HISTORY
    assert items[0] == {"type": "bot", "text": "[51 earlier messages are not shown]"}
    assert items[1]["text"] == "line 51"
    assert items[-1] == {"type": "user", "text": "line 249"}


def test_long_lines_are_split_not_rejected() -> None:
    items = history_items([HistoryLine(Author.BOT, "word " * 2000)])
    assert len(items) == 3
    assert all(len(i["text"]) <= MAX_TEXT and i["type"] == "bot" for i in items)


@given(st.text(min_size=1, max_size=20_000))
def test_split_text_keeps_every_piece_within_the_limit(text: str) -> None:
    pieces = split_text(text)
    assert all(0 < len(p) <= MAX_TEXT for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_no_history_key_without_lines() -> None:
    body = create_body(_request(), channel_id="25")
    assert body["channelId"] == "25"
    assert "history" not in body
