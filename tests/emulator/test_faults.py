"""Fault injection through the HTTP control API (``/_emulator/…``): each switch does what it says, once,
so a client's error paths can be tested on purpose instead of by luck.
"""

from __future__ import annotations

import asyncio

import pytest

from gateway.emulator.handle import Emulator
from tests.support.emulator_api import Api
from tests.support.webhook_receiver import Receiver


async def test_fail_next_answers_the_status_count_times(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    channel = await api.channel(receiver)
    fault = {"operation": "create_conversation", "count": 2, "status": 503}
    assert (await api.control("POST", "/faults", fault)).status == 204
    body = {"channelId": channel, "customer": {"name": "Jane"}}
    for _ in range(2):
        failed = await api.call("POST", "/conversations", body)
        assert failed.status == 503
        assert set(failed.body) == {"message", "errors", "referenceId"}
    assert emulator.conversation_ids() == []
    assert (await api.call("POST", "/conversations", body)).status == 202
    assert len(emulator.conversation_ids()) == 1


async def test_a_fault_naming_an_unknown_operation_is_refused(api: Api, emulator: Emulator) -> None:
    """A typo must not make a test pass by luck: the fault would never fire."""
    reply = await api.control("POST", "/faults", {"operation": "create_conversaton"})
    assert reply.status == 400
    assert "unknown operation 'create_conversaton'" in str(reply.body)
    with pytest.raises(ValueError, match="unknown operation"):
        emulator.fail_next("send_mesage")
    assert emulator._rt.faults.requests == {}


async def test_fail_next_hang_holds_the_call_until_faults_are_cleared(api: Api) -> None:
    await api.token()
    assert (await api.control("POST", "/faults", {"operation": "list_webhooks", "hang": True})).status == 204
    call = asyncio.create_task(api.call("GET", "/web-hooks"))
    await asyncio.sleep(0.3)
    assert not call.done()
    assert (await api.control("DELETE", "/faults")).status == 204
    reply = await asyncio.wait_for(call, 2)
    assert reply.status == 504
    assert (await api.call("GET", "/web-hooks")).status == 200  # only the one call


async def test_expire_tokens_makes_every_token_expired(api: Api) -> None:
    token = await api.token()
    assert (await api.control("POST", "/tokens/expire")).status == 204
    reply = await api.call("GET", "/channels", token=token)
    assert reply.status == 401
    assert reply.body["fault"]["detail"]["errorcode"] == "keymanagement.service.access_token_expired"
    fresh = (await api.issue_token()).body["access_token"]
    assert (await api.call("GET", "/channels", token=fresh)).status == 200


async def test_pause_holds_delivery_and_resume_releases_it(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    channel = await api.channel(receiver)
    assert (await api.control("POST", "/delivery/pause")).status == 204
    cid = await api.create_conversation(channel)
    await emulator.wait_for_state(cid, "queued")
    await asyncio.sleep(0.2)
    assert receiver.events(cid, ok_only=False) == []
    events = (await api.control("GET", "/events")).body["events"]
    assert [(e["type"], e["status"]) for e in events if e["conversationId"] == cid] == [("QUEUED", "pending")]
    assert (await api.control("POST", "/delivery/resume")).status == 204
    await receiver.wait_for(lambda: receiver.types(cid) == ["QUEUED"])


async def test_duplicate_delivers_the_same_event_twice(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    channel = await api.channel(receiver)
    assert (await api.control("POST", "/delivery/duplicate", {"count": 1})).status == 204
    cid = await api.create_conversation(channel)
    await receiver.wait_for(lambda: len(receiver.events(cid)) == 2)
    first, second = receiver.events(cid)
    assert first.event_id == second.event_id
    assert first.body == second.body
    await emulator.wait_for_state(cid, "queued")
    await emulator.agent_join(cid)
    await receiver.wait_for(lambda: len(receiver.events(cid)) == 3)  # the next one is not duplicated
    assert receiver.types(cid) == ["QUEUED", "QUEUED", "AGENT_JOINED"]


async def test_reorder_releases_a_window_newest_first(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    channel = await api.channel(receiver)
    assert (await api.control("POST", "/delivery/reorder", {"window": 2, "maxWait": 5})).status == 204
    cid = await api.create_conversation(channel)
    await emulator.wait_for_state(cid, "queued")
    await asyncio.sleep(0.1)
    assert receiver.events(cid) == []  # QUEUED is held
    await emulator.agent_join(cid, "alice")
    await receiver.wait_for(lambda: len(receiver.events(cid)) == 2)
    assert receiver.types(cid) == ["AGENT_JOINED", "QUEUED"]
    await emulator.agent_send(cid, "after the window")
    await receiver.wait_for(lambda: len(receiver.events(cid)) == 3)
    assert receiver.types(cid)[-1] == "TEXT"


async def test_request_and_delivery_logs(api: Api, receiver: Receiver) -> None:
    channel = await api.channel(receiver)
    assert (await api.control("DELETE", "/requests")).status == 204
    body = {"channelId": channel, "customer": {"name": "Jane", "intent": "billing"}}
    key = "0b5a8a38-5a41-4c8e-9d55-1f1a5b4f6a10"
    await api.call("POST", "/conversations", body, headers={"Idempotency-Key": key})
    logged = (await api.control("GET", "/requests")).body["requests"]
    assert len(logged) == 1
    entry = logged[0]
    assert entry["method"] == "POST"
    assert entry["path"].endswith("/conversations")
    assert entry["headers"]["Idempotency-Key"] == key
    assert entry["headers"]["Authorization"].startswith("Bearer ")
    assert __import__("json").loads(entry["body"]) == body
    assert entry["status"] == 202

    await receiver.wait_for(receiver.events)
    attempts = (await api.control("GET", "/deliveries")).body["attempts"]
    queued = next(a for a in attempts if a["eventType"] == "QUEUED")
    assert queued["status"] == 200
    assert queued["url"] == receiver.url
    assert queued["headers"]["x-8x8-retry"] == "0"
    assert queued["latencyMs"] >= 0
