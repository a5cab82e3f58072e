"""Chat Gateway set-up routes and faults in the emulator: webhooks (version ``Chat Gateway v1.0``, verified
before they are stored), channels (type ``ChatAPI``, a known queue), and the request faults — fail, hang,
a revoked key — on the new routes, through the HTTP control API as a non-Python client would use it.
"""

from __future__ import annotations

import asyncio

from gateway.emulator.handle import Emulator
from tests.support.emulator_api import Api, GatewayApi
from tests.support.webhook_receiver import Receiver

VERSION = "Chat Gateway v1.0"


async def test_webhook_crud_and_its_verify_event(cgw: GatewayApi, receiver: Receiver) -> None:
    created = await cgw.call("POST", "/webhooks", {"name": "hook", "uri": receiver.url, "version": VERSION})
    assert created.status == 200
    hook = created.body
    assert hook == {"id": hook["id"], "name": "hook", "uri": receiver.url, "version": VERSION}
    assert receiver.deliveries[-1].json == {"notificationVersion": VERSION, "eventType": "WEB_HOOK_VERIFY"}
    assert (await cgw.call("GET", f"/webhooks/{hook['id']}")).body == hook
    renamed = await cgw.call(
        "PUT", f"/webhooks/{hook['id']}", {"name": "renamed", "uri": receiver.url, "version": VERSION}
    )
    assert renamed.body["name"] == "renamed"
    verify = await cgw.call("POST", "/webhooks/verify", {"uri": receiver.url, "version": VERSION})
    assert verify.status == 204
    assert (await cgw.call("DELETE", f"/webhooks/{hook['id']}")).status == 204
    gone = await cgw.call("GET", f"/webhooks/{hook['id']}")
    assert gone.status == 404
    assert gone.body["message"] == f"Resource of type WebHook with id {hook['id']} was not found."


async def test_webhook_needs_the_chat_gateway_version_and_a_2xx_verify(
    cgw: GatewayApi, receiver: Receiver
) -> None:
    v2 = await cgw.call("POST", "/webhooks", {"name": "hook", "uri": receiver.url, "version": "v2.0"})
    assert v2.status == 400
    assert v2.body["errors"] == [{"code": "invalid_json_object", "message": f"version: must be {VERSION}"}]
    receiver.verify_status = 500
    refused = await cgw.call("POST", "/webhooks", {"name": "hook", "uri": receiver.url, "version": VERSION})
    assert refused.status == 400
    assert refused.body["errors"][0]["code"] == "invalid_webhook"
    assert (await cgw.call("GET", "/webhooks")).body["_embedded"]["webhooks"] == []


async def test_channel_crud_and_rules(cgw: GatewayApi, receiver: Receiver) -> None:
    hook = (await cgw.call("POST", "/webhooks", {"name": "h", "uri": receiver.url, "version": VERSION})).body
    body = {"name": "web", "webHookId": hook["id"], "routingOptions": {"type": "queue", "id": "101"}}
    created = await cgw.call("POST", "/channels", {**body, "type": "ChatAPI"})
    assert created.status == 200
    channel = created.body
    assert channel == {**body, "id": channel["id"], "type": "ChatAPI"}
    moved = await cgw.call(
        "PUT", f"/channels/{channel['id']}", {**body, "routingOptions": {"type": "queue", "id": "102"}}
    )
    assert moved.body["routingOptions"] == {"type": "queue", "id": "102"}
    found = await cgw.call("GET", "/channels?filter=routingOptions.id==102")
    assert [c["id"] for c in found.body["_embedded"]["channels"]] == [channel["id"]]
    whatsapp = await cgw.call("POST", "/channels", {**body, "type": "WhatsApp"})
    assert whatsapp.status == 400
    bad_queue = await cgw.call(
        "POST", "/channels", {**body, "routingOptions": {"type": "queue", "id": "112"}}
    )
    assert bad_queue.body == {
        "message": "Internal error.",
        "errors": [{"code": "invalid_queue", "message": "Queue ID 112 is invalid."}],
    }
    in_use = await cgw.call("DELETE", f"/webhooks/{hook['id']}")
    assert in_use.status == 400
    assert (await cgw.call("DELETE", f"/channels/{channel['id']}")).status == 204
    assert (await cgw.call("GET", "/channels")).body["page"]["totalElements"] == 0


async def test_fail_and_hang_faults_on_chat_gateway_routes(
    cgw: GatewayApi, api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    fault = {"operation": "cgw_typing", "count": 1, "status": 502}
    assert (await api.control("POST", "/faults", fault)).status == 204
    assert (await cgw.call("POST", f"/conversations/{cid}/typing", {"authorType": "user"})).status == 502
    assert emulator.conversation(cid)["typing"] == []
    assert (await cgw.call("POST", f"/conversations/{cid}/typing", {"authorType": "user"})).status == 204
    hang = {"operation": "cgw_get_conversation", "hang": True}
    assert (await api.control("POST", "/faults", hang)).status == 204
    call = asyncio.create_task(cgw.call("GET", f"/conversations/{cid}"))
    await asyncio.sleep(0.3)
    assert not call.done()
    assert (await api.control("DELETE", "/faults")).status == 204
    assert (await asyncio.wait_for(call, 2)).status == 504
    assert (await cgw.call("GET", f"/conversations/{cid}")).status == 200


async def test_revoked_key_through_the_control_api(cgw: GatewayApi, api: Api) -> None:
    assert (await api.control("POST", "/faults/chat-gateway-key", {"revoked": True})).status == 204
    assert (await cgw.call("GET", "/channels")).status == 401
    assert (await api.control("POST", "/faults/chat-gateway-key", {"revoked": False})).status == 204
    assert (await cgw.call("GET", "/channels")).status == 200


async def test_reorder_fault_reverses_chat_gateway_events(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    await emulator.wait_for_state(cid, "queued")
    await emulator.agent_join(cid, "alice")
    await emulator.wait_idle()
    emulator.reorder_next(window=2)
    await emulator.agent_send(cid, "first")
    await emulator.agent_send(cid, "second")
    await emulator.wait_idle()
    texts = [e.json["data"]["text"] for e in receiver.events(cid) if e.event_type == "MESSAGE"]
    assert texts == ["second", "first"]


async def test_queued_before_response_for_chat_gateway(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    channel = await cgw.channel(receiver)
    emulator.queued_before_response()
    cid = await cgw.create_conversation(channel)
    assert receiver.types(cid) == ["CONVERSATION_UPDATE", "CONVERSATION_UPDATE", "QUEUED"]
