"""Request validation (spec §4.1–4.3): every rule of conversation create answers a 400
ConstraintViolationProblem naming the field, creates nothing, and the limits are exactly where the spec puts
them. Webhook create needs a receiver that answers WEB_HOOK_VERIFY; channel create has its own error shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.emulator.handle import Emulator
from tests.support.emulator_api import Api
from tests.support.webhook_receiver import Receiver

Body = dict[str, Any]


def base(channel_id: str) -> Body:
    return {
        "channelId": channel_id,
        "customer": {"name": "Jane Doe", "email": "jane@example.com", "language": "en"},
        "history": {"messages": [{"type": "user", "text": "hi"}, {"type": "bot", "text": "hello"}]},
    }


def without(key: str) -> Callable[[Body], None]:
    return lambda b: b.pop(key)


def customer(**values: Any) -> Callable[[Body], None]:
    return lambda b: b["customer"].update(values)


def history_item(**values: Any) -> Callable[[Body], None]:
    return lambda b: b["history"]["messages"][0].update(values)


def many_customer_keys(b: Body) -> None:
    b["customer"] = {f"k{i}": "v" for i in range(31)}


def user_instead_of_customer(b: Body) -> None:
    b["user"] = b.pop("customer")


def long_history(b: Body) -> None:
    b["history"]["messages"] = [{"type": "user", "text": f"line {i}"} for i in range(201)]


def unknown_channel(b: Body) -> None:
    b["channelId"] = "999"


CASES = [
    pytest.param(without("channelId"), "channelId: ", id="missing-channelId"),
    pytest.param(without("customer"), "customer: ", id="missing-customer"),
    pytest.param(user_instead_of_customer, "user: ", id="user-instead-of-customer"),
    pytest.param(many_customer_keys, "customer: ", id="31-customer-keys"),
    pytest.param(customer(age=42), "customer.age: ", id="non-string-value"),
    pytest.param(customer(vip=True), "customer.vip: ", id="boolean-value"),
    pytest.param(customer(language="en-US"), "customer.language: ", id="bad-language"),
    pytest.param(customer(email="jane@"), "customer.email: ", id="bad-email"),
    pytest.param(long_history, "history.messages: ", id="201-history-items"),
    pytest.param(history_item(type="agent"), "history.messages[0].type: ", id="bad-type"),
    pytest.param(history_item(text=""), "history.messages[0].text: ", id="empty-text"),
    pytest.param(history_item(text="x" * 4097), "history.messages[0].text: ", id="text-over-4096"),
    pytest.param(unknown_channel, "channelId: Channel 999 not found", id="unknown-channel"),
]


@pytest.mark.parametrize(("mutate", "error"), CASES)
async def test_conversation_create_rule(
    api: Api, receiver: Receiver, emulator: Emulator, mutate: Callable[[Body], None], error: str
) -> None:
    body = base(await api.channel(receiver))
    mutate(body)
    reply = await api.call("POST", "/conversations", body)
    assert reply.status == 400, reply.body
    assert reply.content_type == "application/problem+json"
    assert reply.body["message"] == "Constraint Violation"
    assert any(e.startswith(error) for e in reply.body["errors"]), reply.body["errors"]
    assert emulator.conversation_ids() == []


async def test_limits_themselves_are_accepted(api: Api, receiver: Receiver, emulator: Emulator) -> None:
    body = {
        "channelId": await api.channel(receiver),
        "customer": {"name": "Jane", **{f"k{i}": "v" for i in range(29)}},  # 30 keys in total
        "history": {"messages": [{"text": "x" * 4096}] + [{"type": "bot", "text": "y"}] * 199},  # 200 items
    }
    reply = await api.call("POST", "/conversations", body)
    assert reply.status == 202, reply.body
    assert isinstance(reply.body["timestamp"], int)
    messages = (await api.call("GET", f"/conversations/{reply.body['conversationId']}/messages")).body
    assert len(messages["messages"]) == 200
    assert messages["messages"][0]["authorType"] == "user"  # "type" defaults to user


async def test_webhook_create_fails_when_verify_is_not_answered_2xx(api: Api, receiver: Receiver) -> None:
    receiver.verify_status = 500
    reply = await api.call("POST", "/web-hooks", {"name": "x", "uri": receiver.url, "version": "v2.0"})
    assert (reply.status, reply.body) == (
        400,
        {
            "message": "Constraint Violation",
            "errors": ["uri: webhook did not answer WEB_HOOK_VERIFY with 2xx (got 500)"],
        },
    )
    verify = receiver.deliveries[-1]
    assert verify.body == b'{"notificationVersion":"v2.0","eventType":"WEB_HOOK_VERIFY"}'
    assert (await api.call("GET", "/web-hooks")).body["data"] == []


async def test_webhook_create_fails_when_nothing_listens(api: Api) -> None:
    reply = await api.call("POST", "/web-hooks", {"name": "x", "uri": "http://127.0.0.1:9/hook"})
    assert reply.status == 400
    assert reply.body["errors"][0].startswith("uri: webhook did not answer WEB_HOOK_VERIFY with 2xx (got ")
    assert (await api.call("GET", "/web-hooks")).body["data"] == []


async def test_channel_create_with_unknown_queue_is_a_validation_exception_payload(
    api: Api, receiver: Receiver
) -> None:
    hook = await api.call("POST", "/web-hooks", {"name": "x", "uri": receiver.url})
    reply = await api.call(
        "POST",
        "/channels",
        {"name": "web", "webHookId": hook.body["id"], "routingOptions": {"type": "queue", "id": "112"}},
    )
    assert (reply.status, reply.body) == (
        400,
        {
            "message": "Validation failed",
            "errors": [{"code": "invalid_queue", "message": "Queue ID 112 is invalid."}],
            "validations": [
                {
                    "field": "routingOptions.id",
                    "value": "112",
                    "code": "invalid_queue",
                    "message": "Queue ID 112 is invalid.",
                }
            ],
        },
    )
    assert (await api.call("GET", "/channels")).body["data"] == []
