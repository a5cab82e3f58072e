"""Honest waiting: queue notice, an offer to stop waiting, a maximum wait, business hours, inactivity warnings."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.escalation import escalate
from tests.support.gateway import GatewayFactory
from tests.support.matrix import both_apis, chat_gateway_only

Connect = Callable[..., Awaitable[CustomerSocket]]


@both_apis
async def test_queued_customers_hear_the_queue_name(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    c = await connect(await start_gateway())
    await c.start()
    await escalate(c, cc)
    notice = await c.expect("message", author="system")
    assert (
        notice["text"] == "You are in the queue for Billing. An agent will be with you as soon as possible."
    )


@both_apis
async def test_a_long_wait_is_offered_a_way_out_then_ended_with_the_offline_message(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    relay = {
        "queue_offer_after_s": 0.3,
        "max_queue_wait_s": 1.5,
        "retry_base_s": 0.05,
        "queue_notice_text": "",
    }
    c = await connect(await start_gateway(relay=relay))
    await c.start()
    cid = await escalate(c, cc)
    offer = await c.expect("message", author="system", timeout=3)
    assert offer["text"] == "All our agents are still busy. Would you like to keep waiting?"
    assert [b["payload"] for b in offer["buttons"]] == ["/wait", "/bot"]
    await c.say("/wait")  # stays with the gateway
    timeout = await c.expect("message", author="system", timeout=3)
    assert timeout["text"].startswith("Sorry, no agent could take your chat.")
    assert (await c.expect("state", state="bot"))["outcome"] == "failed"
    await cc.wait_for_state(cid, "closed")  # customer-leave took it out of the queue
    assert all(m["text"] != "/wait" for m in cc.conversation(cid)["messages"])


@both_apis
async def test_the_back_to_bot_button_while_queued_cancels(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    c = await connect(await start_gateway(relay={"queue_offer_after_s": 0, "retry_base_s": 0.05}))
    await c.start()
    cid = await escalate(c, cc)
    await c.send(type="message", text="/bot", client_id="b1")
    await c.until("ack", client_id="b1")
    assert (await c.until("state", state="bot"))["outcome"] == "cancelled"
    await cc.wait_for_state(cid, "closed")
    assert all(m["text"] != "/bot" for m in cc.conversation(cid)["messages"])


@both_apis
async def test_outside_business_hours_8x8_is_never_asked(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    now = datetime.now(UTC)
    other_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(now.weekday() + 3) % 7]
    hours = {"weekly": f"{other_day} 09:00-10:00", "timezone": "UTC", "closed_text": "We are closed now."}
    c = await connect(await start_gateway(hours=hours))
    await c.start()
    await c.say("agent")
    await c.until("state", state="escalating")
    assert (await c.expect("message", author="system"))["text"] == "We are closed now."
    assert (await c.expect("state", state="bot"))["outcome"] == "failed"
    await c.expect("message", author="bot")  # the bot is back
    assert cc.conversation_ids() == []


@both_apis
async def test_a_quiet_customer_is_warned_once_then_the_chat_closes(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    relay = {"inactivity_timeout_s": 1.2, "inactivity_warning_s": 0.8}
    c = await connect(await start_gateway(relay=relay))
    await c.start()
    await c.say("hello")
    await c.expect("message", author="bot")
    started = time.monotonic()
    warning = await c.expect("message", author="system", timeout=3)
    assert warning["text"].startswith("Are you still there?")
    assert (await c.expect("state", state="closed", timeout=3))["state"] == "closed"
    assert time.monotonic() - started >= 0.5  # the warning did not count as activity, nor come twice


@chat_gateway_only
async def test_default_closed_text_follows_the_weekly_hours(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    other_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(datetime.now(UTC).weekday() + 3) % 7]
    c = await connect(await start_gateway(hours={"weekly": f"{other_day} 09:00-10:30", "timezone": "UTC"}))
    await c.start()
    await c.say("agent")
    await c.until("state", state="escalating")

    closed = await c.expect("message", author="system")

    day = {
        "mon": "Monday",
        "tue": "Tuesday",
        "wed": "Wednesday",
        "thu": "Thursday",
        "fri": "Friday",
        "sat": "Saturday",
        "sun": "Sunday",
    }[other_day]
    assert closed["text"] == (
        f"Our agents are available {day} 09:00-10:30 (UTC). The assistant is here to help meanwhile."
    )
