"""What only Chat Gateway needs: its echoes dropped, agent names supplied, exactly once without an
Idempotency-Key, its own signed webhook, and an operator switching a live deployment between the two APIs.

The rest of the integration suite runs against both APIs (``cc_api``); these tests are about the
differences, so each names the API it starts on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp.test_utils import unused_port

from gateway.emulator.handle import Emulator
from tests.integration.test_escalation_faults import _sign_with_own_key
from tests.support.customer import CustomerSocket
from tests.support.emulator_settings import chat_api_settings, chat_gateway_settings
from tests.support.escalation import conversations_of, escalate
from tests.support.gateway import GatewayFactory
from tests.support.lossy_proxy import running_lossy_proxy
from tests.support.matrix import chat_api_only, chat_gateway_only

Connect = Callable[..., Awaitable[CustomerSocket]]


async def _with_agent(c: CustomerSocket, cc: Emulator, agent: str = "alice") -> str:
    await c.start()
    cid = await escalate(c, cc)
    await cc.agent_join(cid, agent)
    await c.until("state", state="agent")
    return cid


def _echoes(cc: Emulator, cid: str, text: str) -> list[Any]:
    return [
        e
        for e in cc.events_of(cid)
        if e.type == "MESSAGE" and e.payload["data"].get("isEcho") and e.payload["data"].get("text") == text
    ]


@chat_gateway_only
async def test_our_own_lines_come_back_as_echoes_and_are_shown_once(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    c = await connect(await start_gateway())
    cid = await _with_agent(c, cc)
    await c.say("my own line")
    echo = (await cc.wait_for(lambda: _echoes(cc, cid, "my own line")))[0]
    await cc.wait_for_event(cid, "MESSAGE")
    await cc.wait_for(lambda: echo.status == "delivered")
    assert [d.status for d in cc.deliveries if d.event_id == echo.id] == [200]  # taken, not refused
    await cc.agent_send(cid, "agent line")
    assert (await c.recv())["text"] == "agent line"


@chat_gateway_only
async def test_agent_names_come_from_the_directory_else_the_display_name(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    settings = chat_gateway_settings(cc, agent_names={"alice": "Alice A."}, agent_display_name="Support team")
    c = await connect(await start_gateway(contact_center="chat_gateway", chat_gateway=settings))
    await c.start()
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    assert (await c.until("state", state="agent"))["agent"] == {"id": "alice", "name": "Alice A."}
    await cc.agent_send(cid, "hello from alice")
    said = await c.until("message", author="agent")
    assert said["agent"] == {"id": "alice", "name": "Alice A."}
    await cc.agent_transfer(cid, "102")
    await c.until("state", state="queued")
    await cc.agent_join(cid, "carol")  # not in the directory
    assert (await c.until("state", state="agent"))["agent"] == {"id": "carol", "name": "Support team"}


@chat_gateway_only
async def test_an_answer_lost_after_8x8_acted_creates_and_sends_nothing_twice(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    """No Idempotency-Key: after a dropped answer the adapter looks before it repeats a create or a send."""
    async with running_lossy_proxy(cc.base_url) as proxy:
        settings = chat_gateway_settings(cc, base_url=proxy.url, timeout_s=2)
        c = await connect(await start_gateway(contact_center="chat_gateway", chat_gateway=settings))
        await c.start()
        proxy.lose_next_answer("POST", "/chat-gateway/v1/conversations")
        cid = await escalate(c, cc)  # exactly one conversation for this customer
        assert proxy.lost == ["POST /chat-gateway/v1/conversations -> 202"]
        await cc.agent_join(cid, "alice")
        await c.until("state", state="agent")

        proxy.lose_next_answer("POST", f"/conversations/{cid}/messages")
        await c.say("said once")
        await c.say("said after")
        await cc.wait_for_message(cid, "said after", author_type="user")
        assert len(proxy.lost) == 2
        user_lines = [m["text"] for m in cc.conversation(cid)["messages"] if m["authorType"] == "user"]
        assert user_lines[-2:] == ["said once", "said after"]
        assert user_lines.count("said once") == 1
        assert any(r.method == "GET" and r.path.endswith(f"/{cid}/messages") for r in cc.requests)

        # The same text twice in a row, the second lost on its way: the first one found does not count.
        await c.say("ok")
        await cc.wait_for_message(cid, "ok", author_type="user")
        proxy.drop_next_request("POST", f"/conversations/{cid}/messages")
        await c.say("ok")
        await c.say("done")
        await cc.wait_for_message(cid, "done", author_type="user")
        assert len(proxy.lost) == 3
        user_lines = [m["text"] for m in cc.conversation(cid)["messages"] if m["authorType"] == "user"]
        assert user_lines[-3:] == ["ok", "ok", "done"]


@chat_gateway_only
async def test_unsigned_forged_and_wrong_tenant_events_are_refused_and_change_nothing(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    gateway = await start_gateway()
    c = await connect(gateway)
    cid = await _with_agent(c, cc)
    body = json.dumps(
        {
            "eventType": "MESSAGE",
            "conversationId": cid,
            "timestamp": 1,
            "data": {"isEcho": False, "sender": {"id": "alice", "type": "agent"}, "text": "forged"},
        }
    ).encode()
    headers = {
        "content-type": "application/json",
        "x-8x8-tenant-id": cc.tenant_id,
        "x-8x8-customer-id": cc.customer_id,
        "x-8x8-event-id": "forged-1",
        "x-8x8-transmission-time": str(int(time.time() * 1000)),
        "x-8x8-retry": "0",
    }
    url = gateway.make_url("/webhooks/8x8/chat-gateway")
    async with http.post(url, data=body, headers=headers) as resp:
        assert resp.status == 401
        assert resp.content_type == "application/problem+json"
    forged = {**headers, "x-8x8-signature": _sign_with_own_key(body, headers, kid=cc.kid)}
    async with http.post(url, data=body, headers=forged) as resp:
        assert resp.status == 401
    other_tenant = {**forged, "x-8x8-tenant-id": "other"}
    async with http.post(url, data=body, headers=other_tenant) as resp:
        assert resp.status == 403
    await cc.agent_send(cid, "real")
    assert (await c.recv())["text"] == "real"


@chat_api_only
async def test_switching_to_chat_gateway_finishes_open_conversations_on_the_chat_api(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    """The operator sets GATEWAY_CONTACT_CENTER=chat_gateway and restarts, keeping the Chat API's settings:
    new escalations go to Chat Gateway, every conversation the Chat API opened carries on there."""
    port = unused_port()
    before = await start_gateway(port=port)  # the Chat API only
    a = await connect(before)
    a_cid = await _with_agent(a, cc)
    r = await connect(before)
    r_cid = await _with_agent(r, cc, agent="bob")
    await cc.agent_leave(r_cid)  # r's chat ended; r may come back later
    await r.until("state", state="bot")
    await before.close()

    after = await start_gateway(
        port=port,
        contact_center="chat_gateway",
        chat_api=chat_api_settings(cc),
        chat_gateway=chat_gateway_settings(cc),
    )
    a2 = await connect(after)
    a2.session = a.session
    await a2.start(resume=True, last_seq=a.last_seq)
    # The open conversation goes on on the Chat API, both ways.
    await a2.say("still there?")
    await cc.wait_for_message(a_cid, "still there?", author_type="user")
    await cc.agent_send(a_cid, "yes, still here")
    said = await a2.until("message", author="agent")
    assert said["agent"] == {"id": "alice", "name": "Alice"}
    # A new customer escalates on Chat Gateway.
    b = await connect(after)
    b_cid = await _with_agent(b, cc, agent="carol")
    assert cc.conversation(b_cid)["api"] == "chat_gateway"
    # The returning customer's new escalation reuses the Chat API conversation (the agent sees the history).
    r2 = await connect(after)
    r2.session = r.session
    await r2.start(resume=True, last_seq=r.last_seq)
    await r2.say("agent please")
    await r2.until("state", state="queued")
    await cc.wait_for_state(r_cid, "queued")
    assert r2.conversation_id is not None
    assert conversations_of(cc, r2.conversation_id) == [r_cid]
    # Leaving frees each agent on the API that holds the conversation.
    await a2.send(type="leave")
    await b.send(type="leave")
    await cc.wait_for_state(a_cid, "closed")
    await cc.wait_for_state(b_cid, "closed")
    assert cc.conversation(a_cid)["api"] == "chat_api"
    leaves = {(r.method, r.path.rsplit("/", 1)[-1]) for r in cc.requests if "/participants/" in r.path}
    assert leaves == {("DELETE", "customer"), ("PATCH", "user")}


@chat_api_only
async def test_once_the_old_apis_settings_are_gone_a_returning_customer_gets_a_new_conversation_with_everything(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    port = unused_port()
    before = await start_gateway(port=port)  # the Chat API only
    r = await connect(before)
    await r.start()
    await r.say("my first line")
    await r.until("message", author="bot")
    old_cid = await escalate(r, cc)
    await cc.agent_join(old_cid, "bob")
    await r.until("state", state="agent")
    await cc.agent_leave(old_cid)
    await r.until("state", state="bot")
    await before.close()

    after = await start_gateway(
        port=port, contact_center="chat_gateway", chat_gateway=chat_gateway_settings(cc)
    )
    r2 = await connect(after)
    r2.session = r.session
    await r2.start(resume=True, last_seq=r.last_seq)
    await r2.say("agent please")
    await r2.until("state", state="queued")
    assert r2.conversation_id is not None
    new_cid = (
        await cc.wait_for(lambda: [i for i in conversations_of(cc, r2.conversation_id or "") if i != old_cid])
    )[0]
    assert cc.conversation(new_cid)["api"] == "chat_gateway"
    history = [m["text"] for m in cc.conversation(new_cid)["messages"] if m["authorType"] == "user"]
    assert history[0] == "my first line"  # the whole transcript, not only the lines since
    assert history[-1] == "agent please"
    await cc.agent_join(new_cid, "carol")
    assert (await r2.until("state", state="agent"))["agent"]["name"] == "Carol"
    await r2.say("hello carol")
    await cc.wait_for_message(new_cid, "hello carol", author_type="user")


@chat_gateway_only
async def test_a_file_whose_post_answer_is_lost_reaches_the_agent_once(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    async with running_lossy_proxy(cc.base_url) as proxy:
        settings = chat_gateway_settings(cc, base_url=proxy.url, timeout_s=2)
        gateway = await start_gateway(contact_center="chat_gateway", chat_gateway=settings)
        c = await connect(gateway)
        cid = await _with_agent(c, cc)
        proxy.lose_next_answer("POST", f"/conversations/{cid}/messages")
        async with http.post(
            gateway.make_url(f"/chat/sessions/{c.conversation_id}/attachments"),
            data=b"order 1234\n",
            params={"filename": "my note é.txt", "client_id": "file-1"},
            headers={"Authorization": f"Bearer {c.session}", "Content-Type": "text/plain"},
        ) as resp:
            assert resp.status == 202, await resp.text()

        def with_files() -> list[dict[str, Any]]:
            return [m for m in cc.conversation(cid)["messages"] if m.get("attachments")]

        await cc.wait_for(with_files)
        await c.say("after the file")
        await cc.wait_for_message(cid, "after the file", author_type="user")
        assert proxy.lost == [f"POST /chat-gateway/v1/conversations/{cid}/messages -> 202"]
        [posted] = with_files()
        assert [a["filename"] for a in posted["attachments"]] == ["my note é.txt"]
        uploads = [r for r in cc.requests if r.method == "POST" and r.path.endswith(f"/{cid}/attachments")]
        assert len(uploads) == 1  # the retry reused the uploaded file
