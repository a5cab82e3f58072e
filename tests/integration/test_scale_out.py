"""Several gateway instances on one Redis: customers on any instance, webhooks to any instance.

- Two instances in this process, webhooks to A, customers on A and B: whatever A receives reaches
  sockets on B and the other way round; lines sent through both instances reach the agent once each,
  in order; a customer who reconnects to the other instance resumes with ``last_seq`` and misses nothing.
- Two ``chat-gateway serve`` processes: the one holding a conversation's contact-center work is
  SIGKILLed mid-conversation; the other takes the work over once the lease expires, and nothing the
  customer was acked for is lost or posted twice.
- Redis itself is SIGKILLed and restarted (appendonly yes, appendfsync always): acked lines survive and
  both instances carry on, including fan-out to sockets whose pub/sub link broke.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer, unused_port
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.emulator.handle import Emulator
from tests.conftest import SettingsFactory
from tests.integration.conftest import api_settings, escalate
from tests.support.customer import CustomerSocket
from tests.support.process import gateway_env, start_gateway_process, wait_until
from tests.support.redis_server import RedisServer

StartInstance = Callable[..., Awaitable[TestServer]]
LEASE_S = 1.0


@pytest.fixture
def store_kind() -> str:
    return "redis"


@pytest.fixture
def start_instance(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, cc: Emulator
) -> StartInstance:
    """An in-process gateway on the test's Redis; ``webhooks_to`` is the port 8x8 calls back (one for all)."""

    async def start(port: int, *, webhooks_to: int, api: str = "chat_api", **overrides: Any) -> TestServer:
        settings = make_settings(
            public_url=f"http://127.0.0.1:{webhooks_to}",
            **api_settings(cc, api),
            relay={"retry_base_s": 0.05, "retry_cap_s": 0.3},
            # Teardown stops the other instance's work in hand within seconds, not the default grace.
            shutdown_timeout_s=2,
            **overrides,
        )
        return await aiohttp_server(build_app(settings), port=port)

    return start


async def _socket(
    http: aiohttp.ClientSession, base: str, *, like: CustomerSocket | None = None
) -> CustomerSocket:
    """A new socket on ``base``; ``like`` copies a session (token and what it has seen) to resume it."""
    c = CustomerSocket(await http.ws_connect(f"{base}/chat/ws"))
    if like is not None:
        c.session, c.last_seq = like.session, like.last_seq
    return c


def _user_lines(cc: Emulator, cid: str) -> list[str]:
    return [m["text"] for m in cc.conversation(cid)["messages"] if m["authorType"] == "user"]


def _delivered_keys(cc: Emulator, cid: str) -> list[str]:
    """Idempotency-Keys of the customer lines 8x8 accepted (a line delivered twice shows twice)."""
    return [
        r.headers["Idempotency-Key"]
        for r in cc.requests
        if r.method == "POST"
        and r.path.endswith(f"/conversations/{cid}/messages")
        and r.status is not None
        and 200 <= r.status < 300
    ]


def _refused(cc: Emulator, cid: str) -> list[str]:
    return [
        r.headers["Idempotency-Key"]
        for r in cc.requests
        if r.path.endswith(f"/conversations/{cid}/messages") and r.status == 503
    ]


async def _transcript(http: aiohttp.ClientSession, base: str, c: CustomerSocket) -> list[dict[str, Any]]:
    async with http.get(
        f"{base}/chat/sessions/{c.conversation_id}/messages?after=0",
        headers={"Authorization": f"Bearer {c.session}"},
    ) as resp:
        assert resp.status == 200
        entries: list[dict[str, Any]] = (await resp.json())["entries"]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))  # contiguous, nothing twice
    return entries


async def test_customers_spread_over_two_instances_see_everything_once(
    start_instance: StartInstance, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    port_a, port_b = unused_port(), unused_port()
    a = await start_instance(port_a, webhooks_to=port_a)
    b = await start_instance(port_b, webhooks_to=port_a)
    base_a, base_b = str(a.make_url("")).rstrip("/"), str(b.make_url("")).rstrip("/")

    bystander = await _socket(http, base_a)
    await bystander.start()
    c = await _socket(http, base_b)
    await c.start()
    cid = await escalate(c, cc)  # opened from B; 8x8's QUEUED reached A and came through Redis to B
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    await cc.agent_send(cid, "Hi, Alice here")
    assert (await c.until("message", author="agent"))["text"] == "Hi, Alice here"

    # The same session on A as well: a line sent on B is acked on B and shown on A, and back.
    twin = await _socket(http, base_a, like=c)
    await twin.start(resume=True)
    ack = await c.say("sent on B")
    shown = await twin.until("message", author="customer")
    assert (shown["seq"], shown["text"]) == (ack["seq"], "sent on B")
    ack = await twin.say("sent on A")
    shown = await c.until("message", author="customer")
    assert (shown["seq"], shown["text"]) == (ack["seq"], "sent on A")

    # Lines through both instances in turn: each reaches the agent once, in the customer's order.
    sent = ["sent on B", "sent on A"]
    for i in range(4):
        for sock, name in ((c, "B"), (twin, "A")):
            await sock.say(f"{name}{i}")
            sent.append(f"{name}{i}")
    await cc.wait_for_message(cid, sent[-1], author_type="user")
    await asyncio.sleep(0.3)  # a second delivery, if any, would land meanwhile
    assert _user_lines(cc, cid)[-len(sent) :] == sent
    keys = _delivered_keys(cc, cid)
    assert len(keys) == len(set(keys)) == len(sent)

    # The customer drops B's socket, the agent talks meanwhile, the customer comes back on A.
    await c.ws.close()
    await twin.ws.close()
    await cc.agent_send(cid, "one")
    await cc.agent_send(cid, "two")
    back = await _socket(http, base_a, like=twin)  # the twin saw the last line (its own)
    await back.start(resume=True)
    replayed = [await back.recv() for _ in range(2)]
    assert [(f["author"], f["text"]) for f in replayed] == [("agent", "one"), ("agent", "two")]
    assert [f["seq"] for f in replayed] == [twin.last_seq + 1, twin.last_seq + 2]
    await back.silent(0.3)
    entries = await _transcript(http, base_b, back)
    assert [e["text"] for e in entries if e.get("author") == "agent"] == ["Hi, Alice here", "one", "two"]
    await bystander.silent(0.1)  # nothing of another customer's conversation
    await back.ws.close()
    await bystander.ws.close()


async def test_typing_receipts_and_files_cross_instances(
    start_instance: StartInstance, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    """Chat Gateway's signals (not stored) and files reach a socket on the instance the webhook did not hit."""
    port_a, port_b = unused_port(), unused_port()
    await start_instance(port_a, webhooks_to=port_a, api="chat_gateway")
    b = await start_instance(port_b, webhooks_to=port_a, api="chat_gateway")
    c = await _socket(http, str(b.make_url("")).rstrip("/"))
    await c.start()
    await c.say("I want to talk to an agent")
    await c.until("state", state="queued")
    cid = await cc.wait_for(lambda: next(iter(cc.conversation_ids()), None))
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")

    await cc.agent_typing(cid, active=True)
    typing = await c.until("typing", author="agent", active=True)
    assert "seq" not in typing
    seq = (await c.say("a question"))["seq"]
    await cc.wait_for_message(cid, "a question", author_type="user")
    await cc.agent_read(cid)
    assert (await c.until("read", author="agent"))["upto_seq"] == seq

    pdf = b"%PDF-1.4\n% an invoice\n%%EOF\n"
    await cc.agent_send_attachment(cid, "invoice.pdf", pdf, content_type="application/pdf", text="here")
    (file,) = (await c.until("message", author="agent"))["attachments"]
    async with http.get(b.make_url(file["url"])) as served:  # recorded by A, served by B
        assert served.status == 200
        assert await served.read() == pdf
    await c.ws.close()


@pytest.fixture
def durable_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, with docs/deploying.md's persistence (appendfsync always)."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


Launch = Callable[[int, int], Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def launch(tmp_path: Path, cc: Emulator, durable_redis: RedisServer) -> AsyncIterator[Launch]:
    """``chat-gateway serve`` processes on the test's Redis: ``launch(port, webhooks_to)``."""
    procs: list[asyncio.subprocess.Process] = []

    async def start(port: int, webhooks_to: int) -> asyncio.subprocess.Process:
        env = gateway_env(
            GATEWAY_PORT=str(port),
            GATEWAY_PUBLIC_URL=f"http://127.0.0.1:{webhooks_to}",
            GATEWAY_STORE__URL=durable_redis.url,
            GATEWAY_STORE__LEASE_S=str(LEASE_S),
            GATEWAY_CHAT_API__BASE_URL=cc.base_url,
            GATEWAY_CHAT_API__REGION=cc.region,
            GATEWAY_CHAT_API__TENANT_ID=cc.tenant_id,
            GATEWAY_CHAT_API__API_KEY=cc.api_key,
            GATEWAY_CHAT_API__API_SECRET=cc.api_secret,
            GATEWAY_CHAT_API__QUEUE_ID="101",
            GATEWAY_RELAY__RETRY_BASE_S="0.05",
            GATEWAY_RELAY__RETRY_CAP_S="0.2",
            GATEWAY_LOG__LEVEL="warning",
        )
        proc = await start_gateway_process(env, tmp_path, quiet=True)
        procs.append(proc)
        await wait_until(f"http://127.0.0.1:{port}/readyz")
        return proc

    yield start
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_an_instance_killed_mid_conversation_loses_and_repeats_nothing(
    launch: Launch, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    port_a, port_b = unused_port(), unused_port()
    # B receives the webhooks (A's set-up waits for B to answer 8x8's verification).
    _, proc_a = await asyncio.gather(launch(port_b, port_b), launch(port_a, port_b))
    base_a, base_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"

    c = await _socket(http, base_a)
    await c.start()
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    await c.say("l1")
    await cc.wait_for_message(cid, "l1", author_type="user")

    # 8x8 fails for a while: A holds the conversation's lease and keeps retrying l2 and l3 ...
    cc.fail_next("send_message", 10_000, status=503)
    await c.say("l2")
    await c.say("l3")
    for _ in range(200):  # refusals change no emulator state (wait_for would not wake), so poll
        if len(_refused(cc, cid)) >= 2:
            break
        await asyncio.sleep(0.05)
    assert len(_refused(cc, cid)) >= 2
    proc_a.send_signal(signal.SIGKILL)  # ... and dies with them undelivered
    await proc_a.wait()
    await c.ws.close()
    cc.clear_faults()

    # The customer's widget reconnects (to B, through the balancer) and carries on.
    again = await _socket(http, base_b, like=c)
    await again.start(resume=True)
    await again.silent(0.2)  # nothing was missed, so nothing is replayed
    await again.say("l4")
    await cc.agent_send(cid, "still here")
    assert (await again.until("message", author="agent"))["text"] == "still here"
    # B takes over A's work once A's lease has expired; the order holds.
    await cc.wait_for_message(cid, "l4", author_type="user", timeout=4 * LEASE_S + 5)
    assert _user_lines(cc, cid)[-4:] == ["l1", "l2", "l3", "l4"]
    await asyncio.sleep(0.3)
    keys = _delivered_keys(cc, cid)
    assert len(keys) == len(set(keys)) == 4
    entries = await _transcript(http, base_b, again)
    assert [e["text"] for e in entries if e.get("author") == "customer"][-4:] == ["l1", "l2", "l3", "l4"]
    await again.ws.close()


async def test_redis_restarted_mid_conversation_keeps_every_acked_line(
    start_instance: StartInstance, cc: Emulator, http: aiohttp.ClientSession, durable_redis: RedisServer
) -> None:
    store = {"url": durable_redis.url, "lease_s": LEASE_S}
    port_a, port_b = unused_port(), unused_port()
    a = await start_instance(port_a, webhooks_to=port_a, store=store)
    b = await start_instance(port_b, webhooks_to=port_a, store=store)
    base_a, base_b = str(a.make_url("")).rstrip("/"), str(b.make_url("")).rstrip("/")
    c = await _socket(http, base_b)
    await c.start()
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    for text in ("before 1", "before 2"):
        await c.say(text)

    durable_redis.stop(kill=True)  # no shutdown save: only what the append-only file holds
    durable_redis.start()

    await c.say("after")
    await cc.wait_for_message(cid, "after", author_type="user", timeout=10)
    # The agent's reply lands on A (webhook) and reaches the socket on B, whose pub/sub link broke.
    await cc.agent_send(cid, "reply after the restart")
    assert (await c.until("message", author="agent", timeout=10))["text"] == "reply after the restart"
    assert _user_lines(cc, cid)[-3:] == ["before 1", "before 2", "after"]
    entries = await _transcript(http, base_a, c)
    customer_lines = [e["text"] for e in entries if e.get("author") == "customer"]
    assert customer_lines[-3:] == ["before 1", "before 2", "after"]
    assert json.dumps(entries).count("reply after the restart") == 1
    await c.ws.close()
