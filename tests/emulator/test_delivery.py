"""Webhook delivery (spec §5.5): retries on a growing schedule with the same event id and body, a stop at
the first 2xx, strict order within a conversation, independence between conversations.

The plugin's default config scales the 1/10/30/90 s schedule by 0.01: 10, 100, 300, 900 ms.
"""

from __future__ import annotations

import itertools

from gateway.emulator.handle import Emulator
from tests.support.emulator_api import Api
from tests.support.webhook_receiver import Delivery, Receiver


async def test_retries_grow_keep_the_event_and_stop_at_the_first_2xx(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    channel = await api.channel(receiver)
    receiver.fail(3, status=500)
    cid = await api.create_conversation(channel)
    await emulator.wait_for_event(cid, "QUEUED")
    await emulator.agent_join(cid, "alice")  # queued behind QUEUED: proves the worker moved on
    await receiver.wait_for(lambda: "AGENT_JOINED" in receiver.types(cid))

    attempts = [d for d in receiver.events(cid, ok_only=False) if d.event_type == "QUEUED"]
    assert [d.retry for d in attempts] == [0, 1, 2, 3]
    assert [d.status for d in attempts] == [500, 500, 500, 200]
    assert len({d.event_id for d in attempts}) == 1
    assert len({d.body for d in attempts}) == 1
    assert len({d.headers["x-8x8-signature"] for d in attempts}) == 4
    times = [int(d.headers["x-8x8-transmission-time"]) for d in attempts]
    assert times == sorted(times)
    gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(attempts)]
    # lower bounds only (a sleep never ends early; a loaded machine may make any gap longer)
    assert gaps[0] >= 0.009, gaps
    assert gaps[1] >= 0.09, gaps
    assert gaps[2] >= 0.29, gaps
    assert emulator.events_of(cid)[0].attempts == 4


async def test_gives_up_after_the_last_retry_and_goes_on(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    channel = await api.channel(receiver)
    receiver.fail(5, status=502)
    cid = await api.create_conversation(channel)
    await emulator.wait_for_event(cid, "QUEUED", status="given_up", timeout=10)
    assert [d.retry for d in receiver.events(cid, ok_only=False)] == [0, 1, 2, 3, 4]
    await emulator.agent_join(cid)
    await receiver.wait_for(lambda: receiver.types(cid) == ["AGENT_JOINED"])


async def test_order_is_kept_per_conversation_and_conversations_are_independent(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    channel = await api.channel(receiver)
    emulator.pause_delivery()
    slow = await api.create_conversation(channel, name="Slow")
    fast = await api.create_conversation(channel, name="Fast")
    await emulator.wait_for_state(slow, "queued")
    await emulator.wait_for_state(fast, "queued")
    receiver.fail(3, conversation_id=slow)
    await emulator.agent_join(slow, "bob")
    for text in ["one", "two", "three"]:
        await emulator.agent_send(slow, text)
    emulator.resume_delivery()

    await receiver.wait_for(lambda: len(receiver.events(slow)) == 5)
    assert receiver.types(slow) == ["QUEUED", "AGENT_JOINED", "TEXT", "TEXT", "TEXT"]
    assert [d.json["message"] for d in receiver.events(slow)[2:]] == ["one", "two", "three"]
    # nothing of the slow conversation overtook its failing head
    first_ok = receiver.events(slow)[0].received_at
    assert all(
        d.received_at >= first_ok for d in receiver.events(slow, ok_only=False) if d.event_type != "QUEUED"
    )
    # while the fast one was not held up by it
    fast_queued: Delivery = receiver.events(fast)[0]
    assert fast_queued.received_at < first_ok


async def test_delivery_headers_and_body(api: Api, receiver: Receiver, emulator: Emulator) -> None:
    channel = await api.channel(receiver)
    cid = await api.create_conversation(channel)
    event: Delivery = (await receiver.wait_for(receiver.events))[0]
    assert event.headers["content-type"] == "application/json"
    assert event.headers["x-8x8-tenant-id"] == emulator.tenant_id
    assert event.headers["x-8x8-customer-id"] == emulator.customer_id
    assert event.retry == 0
    body = event.json
    assert list(body) == ["eventType", "messageType", "conversationId", "timestamp", "queueId", "queueName"]
    assert body["conversationId"] == cid
    assert (body["queueId"], body["queueName"]) == ("101", "Billing")
    assert b" " not in event.body  # compact
