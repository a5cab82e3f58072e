"""Nothing that only our emulator does: what 8x8 documents, and what it leaves open, on both APIs.

The emulator runs its strict profile (no Idempotency-Key honoured, WEB_HOOK_VERIFY unsigned, ``"endTime":
null`` for open interactions, one webhook list for both APIs). See docs/8x8.md.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from gateway.emulator.handle import Emulator
from gateway.emulator.state import Api, Webhook
from tests.support.crc_forge import with_crc
from tests.support.customer import CustomerSocket
from tests.support.emulator_settings import api_settings, chat_api_settings, chat_gateway_settings
from tests.support.escalation import conversations_of, escalate
from tests.support.gateway import GatewayFactory
from tests.support.lossy_proxy import running_lossy_proxy
from tests.support.matrix import both_apis, chat_gateway_only

Connect = Callable[..., Awaitable[CustomerSocket]]
PATHS = {"chat_api": "/webhooks/8x8", "chat_gateway": "/webhooks/8x8/chat-gateway"}


async def _with_agent(c: CustomerSocket, cc: Emulator) -> str:
    await c.start()
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    return cid


def _agent_line(api: str, cid: str, text: str) -> bytes:
    if api == "chat_api":
        event: dict[str, Any] = {
            "eventType": "TEXT",
            "conversationId": cid,
            "agentId": "alice",
            "agentName": "Alice,Anders",
            "message": text,
        }
    else:
        event = {
            "eventType": "MESSAGE",
            "conversationId": cid,
            "data": {"isEcho": False, "sender": {"id": "alice", "type": "agent"}, "text": text},
        }
    return json.dumps(event).encode()


@both_apis
async def test_web_hook_verify_is_answered_2xx_unsigned_and_nothing_else_is(
    start_gateway: GatewayFactory, cc: Emulator, cc_api: str, http: aiohttp.ClientSession
) -> None:
    gateway = await start_gateway()
    url = gateway.make_url(PATHS[cc_api])
    verify = {"notificationVersion": "v2.0", "eventType": "WEB_HOOK_VERIFY"}
    async with http.post(url, json=verify) as resp:
        assert resp.status == 200
    async with http.post(url, data=_agent_line(cc_api, "x", "unsigned")) as resp:
        assert resp.status == 401
        assert (await resp.json(content_type=None))["code"] == "unsigned"
    # The set-up this gateway does goes through the strict emulator's unsigned verify.
    verify_sent = await cc.wait_for(lambda: [e for e in cc.events if e.type == "WEB_HOOK_VERIFY"])
    await cc.wait_for(lambda: verify_sent[0].status == "delivered")


@both_apis
async def test_a_captured_signature_on_a_forged_body_with_the_same_crc_is_refused(
    start_gateway: GatewayFactory,
    connect: Connect,
    cc: Emulator,
    cc_api: str,
    http: aiohttp.ClientSession,
) -> None:
    """The signature covers only a CRC-32 of the body: the id of every verified event is recorded, and the
    same id with another body is refused, whatever the first event was (here one that changed nothing)."""
    gateway = await start_gateway()
    c = await connect(gateway)
    cid = await _with_agent(c, cc)
    await cc.wait_idle()
    first = next(d for d in cc.deliveries if d.conversation_id == cid and d.status == 200)
    forged = with_crc(_agent_line(cc_api, cid, "forged"), zlib.crc32(first.body))
    url = gateway.make_url(PATHS[cc_api])
    async with http.post(url, data=forged, headers=first.headers) as resp:
        assert resp.status == 409, await resp.text()
        assert resp.content_type == "application/problem+json"
        assert (await resp.json())["code"] == "replayed"
    async with http.post(url, data=first.body, headers=first.headers) as resp:
        assert resp.status == 409  # the very same delivery again (8x8's own retries carry a new time)
    await cc.agent_send(cid, "real")
    assert (await c.expect("message", author="agent"))["text"] == "real"  # nothing forged came first


@pytest.mark.parametrize("lost", ["answer", "list_lags"])
@both_apis
async def test_an_answer_lost_after_8x8_acted_makes_one_conversation_and_one_message(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator, cc_api: str, lost: str
) -> None:
    """No Idempotency-Key honoured: after a dropped answer the adapter looks before it repeats."""
    if lost == "list_lags":
        cc.lag_lists(3600)  # the lists leave out conversations younger than an hour: only a webhook proves it
    async with running_lossy_proxy(cc.base_url) as proxy:
        settings = api_settings(cc, cc_api)
        settings[cc_api] = {**settings[cc_api], "base_url": proxy.url, "timeout_s": 2}
        c = await connect(await start_gateway(**settings))
        await c.start()
        proxy.lose_next_answer("POST", "/conversations")
        cid = await escalate(c, cc)  # exactly one conversation for this customer
        assert len(proxy.lost) == 1
        assert proxy.lost[0].startswith("POST ")
        await cc.agent_join(cid, "alice")
        await c.until("state", state="agent")

        proxy.lose_next_answer("POST", f"/conversations/{cid}/messages")
        await c.say("said once")
        await c.say("said after")
        await cc.wait_for_message(cid, "said after", author_type="user")
        assert len(proxy.lost) == 2
        user_lines = [m["text"] for m in cc.conversation(cid)["messages"] if m["authorType"] == "user"]
        assert user_lines.count("said once") == 1
        assert user_lines[-2:] == ["said once", "said after"]
        assert len(conversations_of(cc, c.conversation_id or "")) == 1


@both_apis
async def test_set_up_keeps_to_its_own_webhook_in_the_one_list_both_apis_see(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    store = cc._rt.store
    # Someone else's webhooks with our names: Chat Gateway's name on a v2.0 hook, and an older version.
    store.webhooks["1"] = Webhook(
        "1", "chat-gateway-cgw", "https://elsewhere.example/v2", "v2.0", api=Api.CHAT_API
    )
    store.webhooks["2"] = Webhook(
        "2", "chat-gateway", "https://elsewhere.example/old", "v1.0", api=Api.CHAT_API
    )
    gateway = await start_gateway(chat_api=chat_api_settings(cc), chat_gateway=chat_gateway_settings(cc))
    await cc.wait_for(lambda: len(store.webhooks) == 4, timeout=10)
    assert store.webhooks["1"].uri == "https://elsewhere.example/v2"  # never rewritten
    assert store.webhooks["2"].uri == "https://elsewhere.example/old"  # never reused
    ours = {w.version: (w.name, w.uri) for k, w in store.webhooks.items() if k not in ("1", "2")}
    base = str(gateway.make_url("")).rstrip("/")
    assert ours == {
        "v2.0": ("chat-gateway", f"{base}/webhooks/8x8"),
        "Chat Gateway v1.0": ("chat-gateway-cgw", f"{base}/webhooks/8x8/chat-gateway"),
    }
    # Both work: Chat Gateway is the default, and its agent events arrive.
    c = await connect(gateway)
    cid = await _with_agent(c, cc)
    assert cc.conversation(cid)["api"] == "chat_gateway"


@chat_gateway_only
async def test_chat_gateway_takes_the_v2_style_events_of_8x8s_workflow_page(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    cc.v2_style_events()
    settings = chat_gateway_settings(cc, agent_names={})
    c = await connect(await start_gateway(contact_center="chat_gateway", chat_gateway=settings))
    await c.start()
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    joined = await c.until("state", state="agent")
    assert joined["agent"] == {"id": "alice", "name": "Alice"}  # from agentName "Alice,Anders"
    await cc.agent_send(cid, "hello in v2 style")
    assert (await c.until("message", author="agent"))["text"] == "hello in v2 style"
    await cc.agent_leave(cid)
    await c.until("state", state="bot")
    assert {e.type for e in cc.events_of(cid)} >= {"AGENT_JOINED", "TEXT", "AGENT_LEFT"}


@chat_gateway_only
async def test_an_agents_line_marked_is_echo_is_relayed_and_our_own_echo_is_not(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    cc.agent_lines_marked_echo()
    c = await connect(await start_gateway())
    cid = await _with_agent(c, cc)
    await c.say("mine")
    await cc.wait_for_message(cid, "mine", author_type="user")
    await cc.agent_send(cid, "the agent, marked isEcho")
    said = await c.until("message", author="agent")
    assert said["text"] == "the agent, marked isEcho"
    agent_events = [e for e in cc.events_of(cid) if e.type == "MESSAGE"]
    assert all(e.payload["data"]["isEcho"] for e in agent_events)
    await c.silent()  # "mine" never comes back


@both_apis
async def test_a_lagging_list_is_looked_at_again_before_anything_is_created_twice(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator, cc_api: str
) -> None:
    """No webhook to prove it (delivery paused): the list shows the conversation only after a second, and
    the adapter's looks with backoff find it there instead of creating a second one."""
    cc.lag_lists(1.0)
    cc.pause_delivery()
    async with running_lossy_proxy(cc.base_url) as proxy:
        settings = api_settings(cc, cc_api)
        settings[cc_api] = {**settings[cc_api], "base_url": proxy.url, "timeout_s": 2}
        c = await connect(await start_gateway(**settings))
        await c.start()
        proxy.lose_next_answer("POST", "/conversations")
        await c.say("I want to talk to an agent")
        await c.until("state", state="queued", timeout=10)  # the create is known: found in the list
        assert len(proxy.lost) == 1
        assert len(conversations_of(cc, c.conversation_id or "")) == 1
        lists = [r for r in cc.requests if r.method == "GET" and r.path.endswith("/conversations")]
        assert len(lists) >= 2  # looked again
    cc.resume_delivery()


@both_apis
async def test_a_create_that_never_reached_8x8_is_made_once_its_absence_is_certain(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator, cc_api: str
) -> None:
    """The connection broke before 8x8 saw the create: after the settle time (10 s) of looking, the adapter
    creates it, once."""
    async with running_lossy_proxy(cc.base_url) as proxy:
        settings = api_settings(cc, cc_api)
        settings[cc_api] = {**settings[cc_api], "base_url": proxy.url, "timeout_s": 2}
        c = await connect(await start_gateway(**settings))
        await c.start()
        proxy.drop_next_request("POST", "/conversations")
        started = time.monotonic()
        await c.say("I want to talk to an agent")
        await c.until("state", state="queued", timeout=30)
        assert time.monotonic() - started >= 10  # not before it was certain that none exists
        assert len(proxy.lost) == 1
        assert len(conversations_of(cc, c.conversation_id or "")) == 1


@both_apis
async def test_the_same_text_twice_the_second_lost_on_its_way_is_sent_again(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator, cc_api: str
) -> None:
    """The first "ok" found at 8x8 does not count as the second: a doubt ends in a repeat, never a loss."""
    async with running_lossy_proxy(cc.base_url) as proxy:
        settings = api_settings(cc, cc_api)
        settings[cc_api] = {**settings[cc_api], "base_url": proxy.url, "timeout_s": 2}
        c = await connect(await start_gateway(**settings))
        cid = await _with_agent(c, cc)
        await c.say("ok")
        await cc.wait_for_message(cid, "ok", author_type="user")
        proxy.drop_next_request("POST", f"/conversations/{cid}/messages")
        await c.say("ok")
        await c.say("done")
        await cc.wait_for_message(cid, "done", author_type="user")
        assert len(proxy.lost) == 1
        user_lines = [m["text"] for m in cc.conversation(cid)["messages"] if m["authorType"] == "user"]
        assert user_lines[-3:] == ["ok", "ok", "done"]
