"""``Idempotency-Key`` on POSTs in the lenient profile (spec §1, our choice): a client retrying after a
timeout must not open a second conversation, and a key reused for a different request is a client bug worth a
400. The strict profile (the default) honours no key, as nothing in 8x8's docs says 8x8 does.
"""

from __future__ import annotations

import uuid

import pytest

from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator
from tests.support.emulator_api import Api
from tests.support.webhook_receiver import Receiver


@pytest.fixture
def emulator_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    profile = "strict" if request.node.name.startswith("test_strict") else "lenient"
    return EmulatorConfig(mode="manual", retry_scale=0.01, profile=profile)


async def test_strict_profile_honours_no_key(api: Api, receiver: Receiver, emulator: Emulator) -> None:
    assert emulator.config.strict
    channel = await api.channel(receiver)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"channelId": channel, "customer": {"name": "Jane"}}
    first = await api.call("POST", "/conversations", body, headers=key)
    second = await api.call("POST", "/conversations", body, headers=key)
    assert first.status == second.status == 202
    assert first.body["conversationId"] != second.body["conversationId"]
    assert len(emulator.conversation_ids()) == 2


async def test_repeat_with_the_same_key_replays_and_creates_nothing(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    channel = await api.channel(receiver)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"channelId": channel, "customer": {"name": "Jane"}}
    first = await api.call("POST", "/conversations", body, headers=key)
    second = await api.call("POST", "/conversations", body, headers=key)
    assert first.status == second.status == 202
    assert second.raw == first.raw
    assert emulator.conversation_ids() == [first.body["conversationId"]]
    listed = await api.call("GET", "/conversations")
    assert listed.body["page"]["elementCount"] == 1


async def test_same_key_with_another_body_is_400(api: Api, receiver: Receiver, emulator: Emulator) -> None:
    channel = await api.channel(receiver)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    await api.call(
        "POST", "/conversations", {"channelId": channel, "customer": {"name": "Jane"}}, headers=key
    )
    reply = await api.call(
        "POST", "/conversations", {"channelId": channel, "customer": {"name": "Joe"}}, headers=key
    )
    assert (reply.status, reply.body) == (
        400,
        {"message": "Constraint Violation", "errors": ["Idempotency-Key: reused with a different request"]},
    )
    assert len(emulator.conversation_ids()) == 1


async def test_a_key_that_is_not_a_uuid_is_400(api: Api, receiver: Receiver, emulator: Emulator) -> None:
    channel = await api.channel(receiver)
    reply = await api.call(
        "POST",
        "/conversations",
        {"channelId": channel, "customer": {"name": "Jane"}},
        headers={"Idempotency-Key": "not-a-uuid"},
    )
    assert reply.status == 400
    assert reply.body["message"] == "Constraint Violation"
    assert reply.body["errors"][0].startswith("Idempotency-Key: ")
    assert emulator.conversation_ids() == []
