"""Chat Gateway's create body, error shapes and agent names: what 8x8 requires, what each failure means
for a retry, and which name a customer sees for an agent its events do not name."""

from __future__ import annotations

import pytest

from gateway.contact_center.chat_gateway.errors import (
    ChatGatewayRejected,
    ChatGatewayUnauthorized,
    ChatGatewayUnavailable,
    error_for,
)
from gateway.contact_center.chat_gateway.transcript import MAX_HISTORY, MAX_PROPERTIES, create_body
from gateway.contact_center.chat_gateway.webhook import AgentNames
from gateway.relay.model import AgentRef, Author, ConversationId, Customer
from gateway.relay.ports import HistoryLine, OpenRequest


def _request(**kwargs: object) -> OpenRequest:
    defaults: dict[str, object] = {
        "conversation_id": ConversationId("gw-1"),
        "customer": Customer(name="Ann", email="ann@example.com", language="en-US", extra={"plan": "gold"}),
        "queue_id": None,
        "reason": "customer_asked",
        "context": {"intent": "billing"},
    }
    return OpenRequest(**{**defaults, **kwargs})  # type: ignore[arg-type]


def test_the_body_has_a_user_with_our_id_properties_as_key_values_and_authortype_history() -> None:
    history = (HistoryLine(Author.CUSTOMER, "hello"), HistoryLine(Author.BOT, "Hi!"))
    body = create_body(_request(history=history), channel_id="ch-1", queue_id=None)
    assert body == {
        "channelId": "ch-1",
        "user": {
            "userId": "gw-1",
            "name": "Ann",
            "email": "ann@example.com",
            "language": "en",
            "additionalProperties": [
                {"key": "handoffReason", "value": "customer_asked"},
                {"key": "intent", "value": "billing"},
                {"key": "plan", "value": "gold"},
            ],
        },
        "history": {
            "messages": [{"authorType": "user", "text": "hello"}, {"authorType": "bot", "text": "Hi!"}]
        },
    }


def test_another_queue_is_an_assignment_and_bad_details_are_left_out() -> None:
    extra = {f"k{i:02}": "v" for i in range(40)}
    body = create_body(
        _request(customer=Customer(email="not an email", language="xx", extra=extra)),
        channel_id="ch-1",
        queue_id="102",
    )
    assert body["assignment"] == {"type": "queue", "id": "102"}
    assert "email" not in body["user"]
    assert "name" not in body["user"]
    assert body["user"]["language"] == "en"
    assert len(body["user"]["additionalProperties"]) == MAX_PROPERTIES
    assert "history" not in body


def test_a_long_transcript_keeps_the_latest_lines_and_says_how_many_are_left_out() -> None:
    history = tuple(HistoryLine(Author.CUSTOMER, f"line {i}") for i in range(250))
    items = create_body(_request(history=history), channel_id="c", queue_id=None)["history"]["messages"]
    assert len(items) == MAX_HISTORY
    assert items[0] == {"authorType": "bot", "text": "[51 earlier messages are not shown]"}
    assert items[-1]["text"] == "line 249"


@pytest.mark.parametrize(
    ("status", "body", "kind", "ambiguous", "says"),
    [
        (
            401,
            {"message": "Access Denied", "errors": [{"message": "Access Denied", "code": "access_denied"}]},
            ChatGatewayUnauthorized,
            None,
            "access_denied: Access Denied",
        ),
        (
            403,
            {
                "message": "The tenant does not belong to customer.",
                "errors": ["Header X-8x8-Tenant doesn't match"],
            },
            ChatGatewayUnauthorized,
            None,
            "X-8x8-Tenant",
        ),
        (
            400,
            {"message": "Invalid authorType=x", "errors": {"code": "invalid_json_object", "message": "bad"}},
            ChatGatewayRejected,
            None,
            "invalid_json_object: bad",
        ),
        (
            404,
            {"message": "Resource of type Conversation with id 9 was not found.", "errors": []},
            ChatGatewayRejected,
            None,
            "id 9",
        ),
        (503, None, ChatGatewayUnavailable, False, "503"),
        (429, {"message": "slow down"}, ChatGatewayUnavailable, False, "slow down"),
        (
            500,
            {"message": "Internal error.", "errors": [{"code": "x", "message": "y"}]},
            ChatGatewayUnavailable,
            True,
            "x: y",
        ),
        (504, "gateway timeout", ChatGatewayUnavailable, True, "504"),
    ],
)
def test_every_error_shape_is_typed_and_says_what_8x8_said(
    status: int, body: object, kind: type[Exception], ambiguous: bool | None, says: str
) -> None:
    error = error_for(status, body, operation="send_message")
    assert type(error) is kind
    assert says in str(error)
    assert str(error).startswith("send_message: ")
    if ambiguous is not None:
        assert isinstance(error, ChatGatewayUnavailable)
        assert error.ambiguous is ambiguous


def test_agent_names_prefer_the_directory_then_the_name_this_chat_last_knew_then_the_display_name() -> None:
    names = AgentNames({"alice": "Alice A."}, fallback="Agent")
    assert names.name("alice", AgentRef("alice", "Old name")) == "Alice A."
    assert names.name("bob", AgentRef("bob", "Bob B.")) == "Bob B."  # e.g. the directory lost him mid-chat
    assert names.name("bob", AgentRef("carol", "Carol C.")) == "Agent"
    assert names.name("bob", None) == "Agent"
