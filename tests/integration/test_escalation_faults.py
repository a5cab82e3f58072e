"""Escalation when things go wrong: nothing acked is lost, nothing is shown twice, bad webhooks change nothing."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import zlib
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256

from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.emulator_settings import chat_api_settings, chat_gateway_settings, operation
from tests.support.escalation import escalate
from tests.support.gateway import GatewayFactory
from tests.support.matrix import both_apis, chat_api_only

NewCustomer = Callable[..., Awaitable[CustomerSocket]]
Connect = Callable[..., Awaitable[CustomerSocket]]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign_with_own_key(body: bytes, headers: dict[str, str], *, kid: str) -> str:
    """A detached JWS exactly as 8x8 makes one (spec 5.4), but with a key of our own."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    protected = _b64(
        json.dumps(
            {"b64": False, "crit": ["b64"], "kid": kid, "alg": "RS256"}, separators=(",", ":")
        ).encode()
    )
    payload = json.dumps(
        {
            "checksum": zlib.crc32(body),
            "cid": headers["x-8x8-customer-id"],
            "eid": headers["x-8x8-event-id"],
            "retry": int(headers["x-8x8-retry"]),
            "tid": headers["x-8x8-tenant-id"],
            "tt": int(headers["x-8x8-transmission-time"]),
        },
        separators=(",", ":"),
    )
    signature = key.sign(f"{protected}.{payload}".encode(), padding.PKCS1v15(), SHA256())
    return f"{protected}..{_b64(signature)}"


async def _with_agent(c: CustomerSocket, cc: Emulator) -> str:
    await c.start()
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    return cid


@both_apis
async def test_a_duplicated_event_is_shown_once(new_customer: NewCustomer, cc: Emulator) -> None:
    c = await new_customer()
    cid = await _with_agent(c, cc)
    cc.duplicate_next_event()
    await cc.agent_send(cid, "only once")
    await c.expect("message", author="agent", text="only once")
    await cc.agent_send(cid, "next")
    await c.expect("message", author="agent", text="next")  # not a second "only once"
    await cc.wait_idle()
    deliveries = [d for d in cc.deliveries if d.status == 200]
    assert len(deliveries) > len({d.event_id for d in deliveries})  # it really was delivered twice


@both_apis
async def test_a_corrupted_signature_is_refused_then_the_retry_is_applied_once(
    new_customer: NewCustomer, cc: Emulator
) -> None:
    c = await new_customer()
    cid = await _with_agent(c, cc)
    cc.corrupt_next_signature()
    await cc.agent_send(cid, "signed properly on retry")
    await c.expect("message", author="agent", text="signed properly on retry")
    statuses = [d.status for d in cc.deliveries if d.event_id == cc.events_of(cid)[-1].id]
    assert statuses == [401, 200]


@chat_api_only  # Chat Gateway's own: test_chat_gateway.py
async def test_forged_unsigned_wrong_tenant_and_malformed_webhooks_are_refused_and_change_nothing(
    new_customer: NewCustomer, cc: Emulator, escalating_gateway: TestServer, http: aiohttp.ClientSession
) -> None:
    c = await new_customer()
    cid = await _with_agent(c, cc)
    body = json.dumps(
        {
            "eventType": "TEXT",
            "messageType": "AGENT",
            "conversationId": cid,
            "timestamp": 1,
            "agentId": "alice",
            "agentName": "Alice,Anders",
            "message": "forged",
        }
    ).encode()
    now = str(int(time.time() * 1000))
    headers = {
        "content-type": "application/json",
        "x-8x8-tenant-id": cc.tenant_id,
        "x-8x8-customer-id": cc.customer_id,
        "x-8x8-event-id": "forged-1",
        "x-8x8-transmission-time": now,
        "x-8x8-retry": "0",
    }
    url = escalating_gateway.make_url("/webhooks/8x8")
    # Unsigned.
    resp = await http.post(url, data=body, headers=headers)
    assert resp.status == 401
    assert resp.content_type == "application/problem+json"
    # Forged: correctly formed and signed, with the emulator's kid, but by a key that is not 8x8's.
    forged = {**headers, "x-8x8-signature": _sign_with_own_key(body, headers, kid=cc.kid)}
    assert (await http.post(url, data=body, headers=forged)).status == 401
    # A real signature from a delivered event, replayed on another body.
    delivered = next(d for d in cc.deliveries if d.status == 200)
    replayed = {**headers, **{k: v for k, v in delivered.headers.items() if k.lower().startswith("x-8x8-")}}
    assert (await http.post(url, data=body, headers=replayed)).status in (400, 401)
    # Wrong tenant, stale transmission time, not JSON.
    assert (
        await http.post(
            url, data=body, headers={**headers, "x-8x8-tenant-id": "other", "x-8x8-signature": "a..b"}
        )
    ).status == 403
    assert (
        await http.post(
            url, data=body, headers={**headers, "x-8x8-transmission-time": "1000", "x-8x8-signature": "a..b"}
        )
    ).status == 400
    assert (await http.post(url, data=b"x" * 70_000, headers=headers)).status == 413
    # None of it reached the customer: the next agent line is the next frame.
    await cc.agent_send(cid, "real")
    assert (await c.recv())["text"] == "real"


@chat_api_only  # Chat Gateway has no tokens (a static API key)
async def test_token_expiry_mid_conversation_is_invisible_to_the_customer(
    new_customer: NewCustomer, cc: Emulator
) -> None:
    c = await new_customer()
    cid = await _with_agent(c, cc)
    cc.expire_tokens()
    await c.say("after expiry")
    await cc.wait_for_message(cid, "after expiry", author_type="user")
    assert any(r.status == 401 for r in cc.requests)
    await c.silent(0.2)  # no error or system notice reached the customer


@both_apis
async def test_8x8_answering_503_for_a_while_loses_and_duplicates_nothing(
    new_customer: NewCustomer, cc: Emulator, cc_api: str
) -> None:
    c = await new_customer()
    cid = await _with_agent(c, cc)
    cc.fail_next(operation(cc_api, "send_message"), 6, status=503)
    for i in range(5):
        await c.say(f"line {i}")
    await cc.wait_for_message(cid, "line 4", timeout=10)
    user_lines = [
        m["text"]
        for m in cc.conversation(cid)["messages"]
        if m["authorType"] == "user" and m["text"].startswith("line")
    ]
    assert user_lines == [f"line {i}" for i in range(5)]


@both_apis
async def test_creation_refused_for_good_tells_the_customer_and_stays_with_the_bot(
    new_customer: NewCustomer, cc: Emulator, cc_api: str
) -> None:
    cc.fail_next(operation(cc_api, "create_conversation"), 1, status=400)
    c = await new_customer()
    await c.start()
    await c.say("agent")
    await c.until("state", state="escalating")
    notice = await c.expect("message", author="system")
    assert "no agent is available" in notice["text"].lower()
    assert (await c.expect("state", state="bot"))["outcome"] == "failed"
    # The next handoff works.
    await c.until("message", author="bot")
    cid = await escalate(c, cc, text="agent please")
    assert cid


@both_apis
async def test_queued_before_the_create_answer_is_applied_once_the_id_is_known(
    new_customer: NewCustomer, cc: Emulator
) -> None:
    cc.queued_before_response()
    c = await new_customer()
    await c.start()
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "bob")
    assert (await c.until("state", state="agent"))["agent"]["id"] == "bob"


@both_apis
async def test_reopen_after_leave_reuses_the_conversation_with_full_history(
    new_customer: NewCustomer, cc: Emulator
) -> None:
    c = await new_customer()
    cid = await _with_agent(c, cc)
    await cc.agent_send(cid, "anything else?")
    await c.expect("message", author="agent")
    await c.send(type="leave")
    await c.until("state", state="closed")
    await cc.wait_for_state(cid, "closed")
    await c.send(type="message", text="I'm back", client_id="back")
    await c.expect("state", state="bot")
    await c.expect("ack")
    await c.expect("message", author="bot")
    await c.say("agent")
    await c.until("state", state="queued")
    await cc.wait_for_state(cid, "queued")
    assert cc.conversation_ids() == [cid]
    texts = [m["text"] for m in cc.conversation(cid)["messages"]]
    assert texts.index("anything else?") < texts.index("I'm back") < texts.index("agent")


@both_apis
async def test_gateway_restart_mid_conversation_delivers_every_agent_line_once_in_order(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    gateway = await start_gateway()
    port = gateway.port
    c = await connect(gateway)
    cid = await _with_agent(c, cc)
    await gateway.close()  # the gateway goes away; 8x8 keeps retrying its webhooks
    for i in range(4):
        await cc.agent_send(cid, f"while down {i}")
    await cc.wait_for(lambda: any(d.status != 200 for d in cc.deliveries))
    restarted = await start_gateway(port=port)
    again = await connect(restarted)
    again.session = c.session
    await again.start(resume=True, last_seq=c.last_seq)
    texts = [(await again.expect("message", author="agent", timeout=10))["text"] for _ in range(4)]
    assert texts == [f"while down {i}" for i in range(4)]
    await again.silent(0.3)


METRICS = {"token": "ops-token"}


@both_apis
async def test_readiness_names_the_chat_api_when_8x8_refuses_our_credentials(
    start_gateway: GatewayFactory, cc: Emulator, http: aiohttp.ClientSession, cc_api: str
) -> None:
    ok = await start_gateway()
    for _ in range(50):
        resp = await http.get(ok.make_url("/readyz"))
        if resp.status == 200:
            break
        await asyncio.sleep(0.05)
    assert await resp.json() == {"status": "ready"}
    if cc_api == "chat_gateway":
        wrong = chat_gateway_settings(cc, api_key="wrong")
        broken = await start_gateway(contact_center="chat_gateway", chat_gateway=wrong, metrics=METRICS)
    else:
        broken = await start_gateway(chat_api=chat_api_settings(cc, api_secret="wrong"), metrics=METRICS)
    resp = await http.get(broken.make_url("/readyz"))
    assert resp.status == 503
    body = await resp.json()
    assert body["failed"] == [cc_api]
    assert body["detail"] == f"not ready: {cc_api}"  # the public answer names the part, no upstream text
    resp = await http.get(broken.make_url("/readyz"), headers={"Authorization": "Bearer ops-token"})
    assert "set-up" in (await resp.json())["detail"]  # the operator (metrics token) gets the reason
