"""Overflow routing (issue 22, point 3) through the strict emulator: a chat that waits too long in its queue is
moved to the overflow queue with Chat Gateway's conversation update, the customer is told, and the bot takes
over only after the overflow queue's wait too. On Chat API v2 the gateway says at start-up that it cannot."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable

from structlog.testing import capture_logs

from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.escalation import escalate
from tests.support.gateway import GatewayFactory
from tests.support.matrix import chat_api_only, chat_gateway_only

Connect = Callable[..., Awaitable[CustomerSocket]]
RELAY = {
    "overflow_queue_id": "103",
    "overflow_after_s": 0.5,
    "queue_offer_after_s": 0,
    "max_queue_wait_s": 1.5,
    "retry_base_s": 0.05,
}


@chat_gateway_only
async def test_a_long_wait_moves_the_chat_to_the_overflow_queue_then_ends_after_that_wait_too(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    c = await connect(await start_gateway(relay=RELAY))
    await c.start()
    cid = await escalate(c, cc)
    started = time.monotonic()
    assert (await c.expect("message", author="system"))["text"].startswith("You are in the queue for Billing")
    moved = await c.expect("message", author="system", timeout=3)
    assert moved["text"] == "All our agents there are still busy, so more colleagues can now take your chat."
    assert (await c.until("state", state="queued"))["queue"] == {"id": "103", "name": "Sales"}
    assert (await c.until("message", author="system"))["text"].startswith("You are in the queue for Sales")
    assert cc.conversation(cid)["queue"]["id"] == "103"
    patches = [r for r in cc.requests if r.method == "PATCH" and r.path.endswith(f"/conversations/{cid}")]
    assert [json.loads(r.body) for r in patches] == [
        {"assignment": {"type": "queue", "id": "103"}}
    ]  # moved once

    timeout = await c.expect("message", author="system", timeout=4)
    assert timeout["text"].startswith("Sorry, no agent could take your chat.")
    assert time.monotonic() - started >= 0.5 + 1.5  # the overflow queue's wait counted afresh
    assert (await c.expect("state", state="bot"))["outcome"] == "failed"
    await cc.wait_for_state(cid, "closed")


@chat_gateway_only
async def test_an_agent_of_the_overflow_queue_takes_the_moved_chat(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    c = await connect(await start_gateway(relay={**RELAY, "max_queue_wait_s": 30}))
    await c.start()
    cid = await escalate(c, cc)
    await c.until("state", state="queued", queue={"id": "103", "name": "Sales"}, timeout=3)
    await cc.agent_join(cid, "carol")  # serves Sales, not Billing
    assert (await c.until("state", state="agent"))["queue"]["id"] == "103"


@chat_api_only
async def test_on_the_chat_api_the_setting_is_named_at_start_up_and_the_chat_stays_in_its_queue(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    with capture_logs() as logs:
        gateway = await start_gateway(relay=RELAY)
    said = [e for e in logs if e["event"] == "overflow_not_supported"]
    assert [(e["setting"], e["log_level"]) for e in said] == [("GATEWAY_RELAY__OVERFLOW_QUEUE_ID", "warning")]
    c = await connect(gateway)
    await c.start()
    cid = await escalate(c, cc)
    ended = await c.until("state", state="bot", timeout=4)
    assert ended["outcome"] == "failed"
    assert cc.conversation(cid)["queue"]["id"] == "101"


@chat_gateway_only
async def test_a_refused_move_is_tried_again_at_the_next_sweep_and_told_once(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    cc.fail_next("cgw_patch_conversation", 1, status=400)
    c = await connect(await start_gateway(relay={**RELAY, "max_queue_wait_s": 30, "queue_notice_text": ""}))
    await c.start()
    cid = await escalate(c, cc)
    moved = await c.expect("message", author="system", timeout=3)
    assert moved["text"].startswith("All our agents there are still busy")
    await c.until("state", state="queued", queue={"id": "103", "name": "Sales"})
    patches = [r for r in cc.requests if r.method == "PATCH" and r.path.endswith(f"/conversations/{cid}")]
    assert [r.status for r in patches] == [400, 202]
    await c.silent(1.0)  # told once, moved once
