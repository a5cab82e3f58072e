"""The emulator's Chat Gateway v1 routes over real HTTP (spec chat-gateway-v1 §1–§3): the key and tenant
guard with their exact error bodies, HAL lists, conversations with ``user``/``assignment``, re-routing while
queued, the user leaving by PATCH, and messages with ``authorType``. A client built on a misreading of any of
these shapes must fail here, against the emulator, before it meets 8x8.
"""

from __future__ import annotations

import aiohttp
import pytest

from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from tests.support.emulator_api import Api, GatewayApi
from tests.support.webhook_receiver import Receiver


async def test_missing_or_wrong_key_is_401_access_denied(cgw: GatewayApi, emulator: Emulator) -> None:
    for key in ("", "wrong", emulator.api_key):  # the Chat API's key is not a Chat Gateway key
        reply = await cgw.call("GET", "/conversations", api_key=key)
        assert reply.status == 401
        assert reply.content_type == "application/problem+json"
        body = reply.body
        assert body["message"] == "Access Denied"
        assert body["errors"] == [{"message": "Access Denied", "code": "access_denied"}]
        assert isinstance(body["referenceId"], str)
        assert body["referenceId"]
    assert (await cgw.call("GET", "/conversations")).status == 200


async def test_revoked_key_is_refused_until_restored(cgw: GatewayApi, emulator: Emulator) -> None:
    emulator.revoke_chat_gateway_key()
    assert (await cgw.call("GET", "/webhooks")).status == 401
    emulator.revoke_chat_gateway_key(False)
    assert (await cgw.call("GET", "/webhooks")).status == 200


async def test_tenant_header_must_name_the_tenant(cgw: GatewayApi, emulator: Emulator) -> None:
    ok = await cgw.call("GET", "/channels", headers={"X-8x8-Tenant": emulator.tenant_id})
    assert ok.status == 200
    other = await cgw.call("GET", "/channels", headers={"X-8x8-Tenant": "SomeoneElse"})
    assert other.status == 403
    assert other.body == {
        "message": "The tenant does not belong to customer.",
        "errors": [
            f"Header X-8x8-Tenant doesn't match tenant information for customerId={emulator.customer_id}"
        ],
    }


async def test_tenant_header_can_be_mandatory(session: aiohttp.ClientSession) -> None:
    async with running_emulator(EmulatorConfig(mode="manual", chat_gateway_tenant_required=True)) as emulator:
        cgw = GatewayApi(session, emulator)
        assert (await cgw.call("GET", "/channels")).status == 403
        assert (
            await cgw.call("GET", "/channels", headers={"X-8x8-Tenant": emulator.tenant_id})
        ).status == 200


async def test_jwk_needs_no_key(cgw: GatewayApi, emulator: Emulator) -> None:
    reply = await cgw.call("GET", f"/jwk/{emulator.kid}/public", api_key="")
    assert reply.status == 200
    assert reply.body == emulator.public_jwk()
    assert (await cgw.call("GET", "/jwk/nope/public", api_key="")).status == 404


async def test_lists_are_hal_with_paging(cgw: GatewayApi, receiver: Receiver) -> None:
    channel = await cgw.channel(receiver)
    ids = [await cgw.create_conversation(channel, name=f"c{i}") for i in range(3)]
    reply = await cgw.call("GET", "/conversations?size=2&page=1")
    assert reply.status == 200
    assert reply.content_type == "application/hal+json"
    assert reply.body["page"] == {"size": 2, "number": 1, "totalElements": 3, "totalPages": 2}
    assert reply.body["_links"]["self"]["href"].endswith("/chat-gateway/v1/conversations?size=2&page=1")
    assert [c["id"] for c in reply.body["_embedded"]["conversations"]] == sorted(ids)[2:]
    hooks = await cgw.call("GET", "/webhooks")
    assert [w["version"] for w in hooks.body["_embedded"]["webhooks"]] == ["Chat Gateway v1.0"]
    channels = await cgw.call("GET", "/channels")
    assert channels.body["_embedded"]["channels"][0]["type"] == "ChatAPI"


async def test_the_two_apis_do_not_see_each_others_resources(
    cgw: GatewayApi, api: Api, receiver: Receiver
) -> None:
    gw_channel = await cgw.channel(receiver)
    gw_conv = await cgw.create_conversation(gw_channel)
    v2_channel = await api.channel(receiver)
    assert (await api.call("GET", f"/conversations/{gw_conv}")).status == 404
    assert (await api.call("GET", "/channels")).body["data"][0]["id"] == v2_channel
    assert [c["id"] for c in (await cgw.call("GET", "/channels")).body["_embedded"]["channels"]] == [
        gw_channel
    ]
    refused = await cgw.call("POST", "/conversations", {"channelId": v2_channel, "user": {"name": "x"}})
    assert refused.status == 400
    assert refused.body["errors"] == [
        {"code": "invalid_channel", "message": f"Channel ID {v2_channel} is invalid."}
    ]


async def test_create_and_get_a_conversation(cgw: GatewayApi, receiver: Receiver) -> None:
    channel = await cgw.channel(receiver, queue_id="101")
    user = {
        "name": "James Jones",
        "email": "user@example.com",
        "userId": "crm-42",
        "additionalProperties": [{"key": "Intent", "value": "balance"}],
    }
    reply = await cgw.call(
        "POST",
        "/conversations",
        {
            "channelId": channel,
            "user": user,
            "assignment": {"type": "queue", "id": "102"},
            "history": {
                "messages": [
                    {"authorType": "user", "text": "Hello, can I get my balance please"},
                    {"authorType": "bot", "text": "Sure, what is your account number"},
                ]
            },
        },
    )
    assert reply.status == 202
    assert set(reply.body) == {"conversationId", "createdAt"}
    assert reply.body["createdAt"].endswith("Z")
    cid = reply.body["conversationId"]
    conv = (await cgw.call("GET", f"/conversations/{cid}")).body
    assert conv["channelId"] == channel
    assert conv["assignment"] == {"type": "queue", "id": "102"}  # overrides the channel's queue
    assert conv["user"] == {**user, "language": "en"}
    assert conv["state"] in {"created", "active"}
    messages = (await cgw.call("GET", f"/conversations/{cid}/messages?sort=createdAt:asc")).body
    assert [(m["author"]["type"], m["text"]) for m in messages["_embedded"]["messages"]] == [
        ("user", "Hello, can I get my balance please"),
        ("bot", "Sure, what is your account number"),
    ]
    found = await cgw.call("GET", '/conversations?filter=user.userId=="crm-42"')
    assert [c["id"] for c in found.body["_embedded"]["conversations"]] == [cid]
    missing = await cgw.call("GET", "/conversations/nope")
    assert missing.status == 404
    assert missing.body["message"] == "Resource of type Conversation with id nope was not found."


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"user": {"name": "x"}}, "channelId: May not be empty."),
        ({"channelId": "CH"}, "user: May not be empty."),
        ({"channelId": "CH", "customer": {"name": "x"}, "user": {"name": "x"}}, "customer: unknown property"),
        ({"channelId": "CH", "user": {"name": "x", "email": "nope"}}, "user.email: must be a well-formed"),
        ({"channelId": "CH", "user": {"name": "x", "language": "xx"}}, "user.language: must be one of"),
        ({"channelId": "CH", "user": {"name": "x", "plan": "gold"}}, "user.plan: unknown property"),
        (
            {
                "channelId": "CH",
                "user": {"name": "x"},
                "history": {"messages": [{"type": "user", "text": "v2"}]},
            },
            "Invalid authorType=null",
        ),
    ],
)
async def test_create_refuses_bad_bodies_and_creates_nothing(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator, body: dict[str, object], error: str
) -> None:
    channel = await cgw.channel(receiver)
    if body.get("channelId") == "CH":
        body = {**body, "channelId": channel}
    reply = await cgw.call("POST", "/conversations", body)
    assert reply.status == 400
    assert reply.body["message"] == "Internal error."
    assert any(e["message"].startswith(error) for e in reply.body["errors"]), reply.body
    assert emulator.conversation_ids() == []


async def test_unknown_queue_in_assignment_is_invalid_queue(cgw: GatewayApi, receiver: Receiver) -> None:
    channel = await cgw.channel(receiver)
    body = {"channelId": channel, "user": {"name": "x"}, "assignment": {"type": "queue", "id": "112"}}
    reply = await cgw.call("POST", "/conversations", body)
    assert reply.status == 400
    assert reply.body == {
        "message": "Internal error.",
        "errors": [{"code": "invalid_queue", "message": "Queue ID 112 is invalid."}],
    }


async def test_patch_reroutes_while_queued_and_not_while_an_agent_handles_it(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver, queue_id="101"))
    await emulator.wait_for_state(cid, "queued")
    reply = await cgw.call("PATCH", f"/conversations/{cid}", {"assignment": {"type": "queue", "id": "103"}})
    assert reply.status == 202
    assert reply.body["assignment"] == {"type": "queue", "id": "103"}
    assert emulator.conversation(cid)["queue"]["id"] == "103"
    await receiver.wait_for(lambda: receiver.types(cid).count("QUEUED") == 2)
    assert receiver.events(cid)[-1].json["data"] == {"queueId": "103", "queueName": "Sales"}
    # alice does not serve 103: only carol or bob can take it now
    assert await emulator.agent_join(cid) in {"bob", "carol"}
    refused = await cgw.call("PATCH", f"/conversations/{cid}", {"assignment": {"type": "queue", "id": "101"}})
    assert refused.status == 400
    assert refused.body["errors"][0]["code"] == "invalid_assignment"
    assert emulator.conversation(cid)["queue"]["id"] == "103"
    # user data may change at any time
    user = {"name": "Jane Roe", "language": "en"}
    assert (await cgw.call("PATCH", f"/conversations/{cid}", {"user": user})).status == 202
    assert (await cgw.call("GET", f"/conversations/{cid}")).body["user"] == user


async def test_put_replaces_channel_user_and_assignment(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    first = await cgw.channel(receiver, queue_id="101")
    second = await cgw.channel(receiver, queue_id="102")
    cid = await cgw.create_conversation(first)
    await emulator.wait_for_state(cid, "queued")
    reply = await cgw.call("PUT", f"/conversations/{cid}", {"channelId": second, "user": {"name": "New"}})
    assert reply.status == 202
    assert reply.body["channelId"] == second
    assert reply.body["assignment"] == {"type": "queue", "id": "102"}  # the new channel's queue
    assert reply.body["user"] == {"name": "New", "language": "en"}


async def test_user_leave_by_patch_ends_the_interaction(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    await emulator.wait_for_state(cid, "queued")
    await emulator.agent_join(cid, "alice")
    bad = await cgw.call("PATCH", f"/conversations/{cid}/participants/user", {"removed": False})
    assert bad.status == 400
    assert emulator.conversation(cid)["state"] == "agent"
    reply = await cgw.call("PATCH", f"/conversations/{cid}/participants/user", {"removed": True})
    assert reply.status == 204
    assert emulator.conversation(cid)["state"] == "closed"
    conv = (await cgw.call("GET", f"/conversations/{cid}")).body
    assert conv["state"] == "idle"
    idle = (await cgw.call("GET", "/conversations?filter=state==idle")).body["_embedded"]["conversations"]
    assert [c["id"] for c in idle] == [cid]
    active = await cgw.call("GET", "/conversations?filter=state==active")
    assert active.body["_embedded"]["conversations"] == []
    bad_filter = await cgw.call("GET", "/conversations?filter=colour==red")
    assert bad_filter.status == 400
    assert bad_filter.body["errors"][0]["code"] == "invalid_json_object"
    participants = (await cgw.call("GET", f"/conversations/{cid}/participants")).body["_embedded"][
        "participants"
    ]
    assert {p["type"]: p["removed"] for p in participants} == {"user": True, "agent": False}
    interactions = (await cgw.call("GET", f"/conversations/{cid}/interactions")).body["_embedded"][
        "interactions"
    ]
    assert len(interactions) == 1
    assert "endTime" in interactions[0]
    # again: still 204, nothing more happens
    assert (
        await cgw.call("PATCH", f"/conversations/{cid}/participants/user", {"removed": True})
    ).status == 204


async def test_messages_need_an_author_type(cgw: GatewayApi, receiver: Receiver, emulator: Emulator) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    bad = await cgw.call("POST", f"/conversations/{cid}/messages", {"authorType": "ghfgh", "text": "hi"})
    assert bad.status == 400
    assert bad.body["message"] == "Invalid authorType=ghfgh, has to be one of user, bot, agent"
    assert bad.body["errors"]["code"] == "invalid_json_object"  # an object here, not a list
    missing = await cgw.call("POST", f"/conversations/{cid}/messages", {"text": "hi"})
    assert missing.status == 400
    assert missing.body["message"] == "Invalid authorType=null, has to be one of user, bot, agent"
    for author, text in (("user", "first"), ("bot", "second")):
        reply = await cgw.call("POST", f"/conversations/{cid}/messages", {"authorType": author, "text": text})
        assert reply.status == 202
        assert reply.raw == b""
    listed = (await cgw.call("GET", f"/conversations/{cid}/messages")).body["_embedded"]["messages"]
    assert [(m["author"]["type"], m["text"]) for m in listed] == [
        ("bot", "second"),
        ("user", "first"),
    ]  # newest first
    one = await cgw.call("GET", f"/conversations/{cid}/messages/{listed[1]['id']}")
    assert one.body == listed[1]
    assert set(one.body) == {"id", "text", "createdAt", "author", "attachments", "cards"}
    assert (await cgw.call("GET", f"/conversations/{cid}/messages/nope")).status == 404


async def test_a_message_to_an_idle_conversation_requeues_it(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver, queue_id="102"))
    await emulator.wait_for_state(cid, "queued")
    await emulator.agent_join(cid, "carol")
    await emulator.agent_leave(cid)
    assert (await cgw.call("GET", f"/conversations/{cid}")).body["state"] == "idle"
    await cgw.call("POST", f"/conversations/{cid}/messages", {"authorType": "user", "text": "me again"})
    view = await emulator.wait_for_state(cid, "queued")
    assert view["queue"]["id"] == "102"
    interactions = (await cgw.call("GET", f"/conversations/{cid}/interactions")).body["_embedded"][
        "interactions"
    ]
    assert len(interactions) == 2


async def test_post_agent_assignment_is_checked_and_recorded(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    hook_id = (await cgw.call("GET", "/webhooks")).body["_embedded"]["webhooks"][0]["id"]
    body = {
        "type": "webhook",
        "id": hook_id,
        "configuration": {
            "notifyChannelWebhookIfExists": "false",
            "maxTotalMinutes": 300,
            "userTimeoutInMinutes": 150,
        },
    }
    bad = {**body, "configuration": {"notifyChannelWebhookIfExists": False}}  # a bool, not the string
    refused = await cgw.call("POST", f"/conversations/{cid}/post-agent-assignment", bad)
    assert refused.status == 400
    assert refused.body["errors"][0]["code"] == "invalid_parameter"
    assert emulator.conversation(cid)["postAgentAssignment"] is None
    assert (await cgw.call("POST", f"/conversations/{cid}/post-agent-assignment", body)).status == 201
    assert emulator.conversation(cid)["postAgentAssignment"] == body


async def test_auto_mode_agent_joins_and_answers_a_chat_gateway_conversation(
    session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    config = EmulatorConfig(mode="auto", auto_join_delay=0, retry_scale=0.01)
    async with running_emulator(config) as emulator:
        cgw = GatewayApi(session, emulator)
        cid = await cgw.create_conversation(await cgw.channel(receiver))
        await receiver.wait_for(lambda: "MEMBERS_CHANGED" in receiver.types(cid))
        await cgw.call(
            "POST", f"/conversations/{cid}/messages", {"authorType": "user", "text": "hello there"}
        )
        answer = await receiver.wait_for(
            lambda: next(
                (
                    e
                    for e in receiver.events(cid)
                    if e.event_type == "MESSAGE" and not e.json["data"]["isEcho"]
                ),
                None,
            )
        )
        assert answer.json["data"]["text"] == "Agent echo: hello there"
        assert answer.json["data"]["sender"]["type"] == "agent"


async def test_reroute_before_the_interaction_exists_queues_on_the_new_queue(
    session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    config = EmulatorConfig(mode="manual", queued_delay=0.3, retry_scale=0.01)
    async with running_emulator(config) as emulator:
        cgw = GatewayApi(session, emulator)
        cid = await cgw.create_conversation(await cgw.channel(receiver, queue_id="101"))
        assert emulator.conversation(cid)["state"] == "created"
        patch = {"assignment": {"type": "queue", "id": "102"}}
        assert (await cgw.call("PATCH", f"/conversations/{cid}", patch)).status == 202
        await emulator.wait_for_state(cid, "queued")
        await emulator.wait_idle()
        queued = [e.json["data"] for e in receiver.events(cid) if e.event_type == "QUEUED"]
        assert queued == [{"queueId": "102", "queueName": "Support"}]
        states = [
            e.json["data"]["state"] for e in receiver.events(cid) if e.event_type == "CONVERSATION_UPDATE"
        ]
        assert states == ["created", "created", "active"]  # the second: the new assignment, still created
