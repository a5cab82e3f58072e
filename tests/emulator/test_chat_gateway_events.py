"""Chat Gateway webhook events from the emulator (spec chat-gateway-v1 §4, §5), as a receiver on a real port
gets them: the whole event sequence of a conversation, echoes, typing and read-receipt activities, the
signature (checked by joserfc with the JWK served on the Chat Gateway path), and the delivery faults.
"""

from __future__ import annotations

import pytest
from joserfc.errors import BadSignatureError

from gateway.emulator.errors import Problem
from gateway.emulator.handle import Emulator
from tests.emulator.test_signature import verify
from tests.support.emulator_api import GatewayApi
from tests.support.webhook_receiver import Delivery, Receiver


def envelope_ok(delivery: Delivery, cid: str) -> None:
    body = delivery.json
    assert body["conversationId"] == cid
    assert isinstance(body["timestamp"], int)
    assert "messageType" not in body
    assert set(body) <= {"eventType", "conversationId", "timestamp", "data"}


async def test_event_sequence_of_a_conversation(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver, queue_id="101"), name="Ann")
    await emulator.wait_for_state(cid, "queued")
    await cgw.call("POST", f"/conversations/{cid}/messages", {"authorType": "user", "text": "anyone?"})
    await emulator.agent_join(cid, "alice")
    await emulator.agent_send(cid, "Hello, how can I help you?")
    await emulator.agent_transfer(cid, "102")
    await emulator.agent_join(cid, "carol")
    await emulator.agent_leave(cid)
    await cgw.call("PATCH", f"/conversations/{cid}/participants/user", {"removed": True})
    await emulator.wait_idle()
    events = receiver.events(cid)
    for event in events:
        envelope_ok(event, cid)
    summary = [
        (e.event_type, e.json.get("data", {}).get("state") or e.json.get("data", {}).get("change"))
        for e in events
    ]
    assert summary == [
        ("CONVERSATION_UPDATE", "created"),
        ("CONVERSATION_UPDATE", "active"),
        ("QUEUED", None),
        ("MESSAGE", None),  # the integration's own message, echoed
        ("MEMBERS_CHANGED", "joined"),
        ("CONVERSATION_UPDATE", "active"),  # assignment: the agent
        ("MESSAGE", None),
        ("TRANSFER", None),
        ("MEMBERS_CHANGED", "left"),
        ("CONVERSATION_UPDATE", "active"),  # assignment: the new queue
        ("QUEUED", None),
        ("MEMBERS_CHANGED", "joined"),
        ("CONVERSATION_UPDATE", "active"),
        ("MEMBERS_CHANGED", "left"),
        ("CONVERSATION_UPDATE", "idle"),
        ("MEMBERS_CHANGED", "left"),  # the user
        # already idle: no second CONVERSATION_UPDATE
    ]
    created = events[0].json["data"]
    assert created["assignment"] == {"type": "queue", "id": "101"}
    assert created["user"] == {"name": "Ann", "language": "en"}
    assert created["channel"] == "ChatAPI"
    assert events[2].json["data"] == {"queueId": "101", "queueName": "Billing"}
    echo = events[3].json["data"]
    assert echo == {
        "isEcho": True,
        "sender": {"id": "user", "type": "user"},
        "text": "anyone?",
        "attachments": [],
        "cards": [],
    }
    assert events[4].json["data"] == {"memberType": "agent", "change": "joined", "id": "alice"}
    assert events[5].json["data"]["assignment"] == {"type": "agent", "id": "alice"}
    assert events[6].json["data"] == {
        "isEcho": False,
        "sender": {"id": "alice", "type": "agent"},
        "text": "Hello, how can I help you?",
        "attachments": [],
        "cards": [],
    }
    assert "data" not in events[7].json  # TRANSFER has no data
    assert events[9].json["data"]["assignment"] == {"type": "queue", "id": "102"}
    assert events[15].json["data"] == {"memberType": "user", "change": "left", "id": "user"}


async def test_agent_typing_and_read_receipts_are_activities(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    await emulator.wait_for_state(cid, "queued")
    with pytest.raises(Problem, match="has no agent"):
        await emulator.agent_typing(cid)
    await emulator.agent_join(cid, "bob")
    await emulator.agent_typing(cid)
    await emulator.agent_typing(cid, active=False)
    read_at = await emulator.agent_read(cid, 1770200431963)
    assert read_at == 1770200431963
    await emulator.wait_idle()
    activities = [e.json["data"] for e in receiver.events(cid) if e.event_type == "ACTIVITY"]
    assert activities == [
        {"name": "typing", "value": {"users": [{"id": "bob", "type": "agent"}]}},
        {"name": "typing", "value": {"users": []}},
        {
            "name": "read-receipts",
            "value": [{"timestamp": 1770200431963, "users": [{"id": "bob", "type": "agent"}]}],
        },
    ]


async def test_integration_typing_and_read_receipts_reach_the_agent_side(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    assert (await cgw.call("POST", f"/conversations/{cid}/typing", {"authorType": "user"})).status == 204
    receipt = {"authorType": "user", "readAt": 1770200431963}
    assert (await cgw.call("POST", f"/conversations/{cid}/read-receipt", receipt)).status == 204
    assert (await cgw.call("POST", f"/conversations/{cid}/thinking")).status == 204
    view = emulator.conversation(cid)
    assert view["typing"] == ["user"]
    assert view["readAt"] == {"user": 1770200431963}
    assert view["thinking"] is True
    await emulator.wait_idle()
    assert "ACTIVITY" not in receiver.types(cid)  # the integration's own indicators are not sent back


async def test_indicator_errors_have_their_own_shapes(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    missing = await cgw.call("POST", "/conversations/aaa/typing", {"authorType": "user"})
    assert missing.status == 404
    assert missing.body == {
        "message": "Resource not found",
        "errors": [
            {
                "code": "resource_not_found",
                "message": "Entity of type Conversation with id aaa was not found.",
            }
        ],
    }
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    bad = await cgw.call("POST", f"/conversations/{cid}/typing", {"authorType": "agent"})
    assert bad.status == 400
    assert bad.body["message"] == (
        f"Invalid parameter exception for conversation {cid} and tenant {emulator.tenant_id}."
    )
    assert bad.body["errors"][0]["code"] == "invalid_parameter"
    no_time = await cgw.call("POST", f"/conversations/{cid}/read-receipt", {"authorType": "user"})
    assert no_time.status == 400
    assert emulator.conversation(cid)["readAt"] == {}


async def test_delivered_event_verifies_with_the_chat_gateway_jwk(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver), name="Zoë Ünicode")
    await emulator.wait_for_state(cid, "queued")
    await emulator.wait_idle()
    verify_event = receiver.deliveries[0]
    assert verify_event.json == {"notificationVersion": "Chat Gateway v1.0", "eventType": "WEB_HOOK_VERIFY"}
    # The strict profile sends WEB_HOOK_VERIFY unsigned (8x8 documents only "answer 2xx"); every event
    # after it is signed.
    assert not any(name.startswith("x-8x8-") for name in verify_event.headers)
    jwk = (await cgw.call("GET", f"/jwk/{emulator.kid}/public", api_key="")).body
    for delivery in receiver.events(cid):
        verify(delivery.body, delivery.headers, jwk)
    first = receiver.events(cid)[0]
    tampered = first.body.replace(b"created", b"CREATED")
    with pytest.raises(BadSignatureError):
        verify(tampered, first.headers, jwk)


async def test_delivery_faults_cover_chat_gateway_events(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    channel = await cgw.channel(receiver)
    emulator.corrupt_next_signature()
    emulator.duplicate_next_event()
    cid = await cgw.create_conversation(channel)
    await emulator.wait_for_state(cid, "queued")
    await emulator.wait_idle()
    jwk = emulator.public_jwk()
    events = receiver.events(cid)
    with pytest.raises(BadSignatureError):
        verify(events[0].body, events[0].headers, jwk)
    assert events[0].event_id == events[1].event_id  # the duplicate: same id, same body
    assert events[0].body == events[1].body
    # a receiver failing once gets the event again, in order
    receiver.fail(1, conversation_id=cid)
    await emulator.agent_join(cid, "alice")
    await emulator.wait_idle()
    joined = [e for e in receiver.events(cid, ok_only=False) if e.event_type == "MEMBERS_CHANGED"]
    assert [(e.status, e.retry) for e in joined] == [(503, 0), (200, 1)]
    # paused delivery holds events until resumed
    emulator.pause_delivery()
    await emulator.agent_send(cid, "held")
    await emulator.wait_for(lambda: emulator.events_of(cid)[-1].type == "MESSAGE")
    assert "MESSAGE" not in receiver.types(cid)
    emulator.resume_delivery()
    await receiver.wait_for(lambda: "MESSAGE" in receiver.types(cid))


async def test_request_faults_cover_chat_gateway_routes(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    channel = await cgw.channel(receiver)
    emulator.fail_next("cgw_create_conversation", 2, status=503)
    body = {"channelId": channel, "user": {"name": "x"}}
    assert [(await cgw.call("POST", "/conversations", body)).status for _ in range(3)] == [503, 503, 202]
    assert len(emulator.conversation_ids()) == 1
    emulator.fail_next("cgw_send_message", 1, status=500)
    cid = emulator.conversation_ids()[0]
    reply = await cgw.call("POST", f"/conversations/{cid}/messages", {"authorType": "user", "text": "x"})
    assert reply.status == 500
    assert emulator.conversation(cid)["messageCount"] == 0


async def test_user_who_left_and_writes_again_rejoins_and_is_requeued(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver, queue_id="103"))
    await emulator.wait_for_state(cid, "queued")
    await cgw.call("PATCH", f"/conversations/{cid}/participants/user", {"removed": True})
    await emulator.wait_idle()
    before = len(receiver.events(cid))
    await cgw.call("POST", f"/conversations/{cid}/messages", {"authorType": "user", "text": "back"})
    await emulator.wait_for_state(cid, "queued")
    await emulator.wait_idle()
    after = [(e.event_type, e.json["data"]) for e in receiver.events(cid)[before:]]
    assert [t for t, _ in after] == ["MESSAGE", "MEMBERS_CHANGED", "CONVERSATION_UPDATE", "QUEUED"]
    assert after[1][1] == {"memberType": "user", "change": "joined", "id": "user"}
    assert after[2][1]["state"] == "active"
    assert after[3][1] == {"queueId": "103", "queueName": "Sales"}
    participants = (await cgw.call("GET", f"/conversations/{cid}/participants")).body["_embedded"][
        "participants"
    ]
    assert participants == [{"id": "user", "removed": False, "type": "user", "language": "en"}]
