"""Logs never carry secrets or what people said, at info level or above (message text only at debug)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from structlog.testing import capture_logs

from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.escalation import escalate
from tests.support.matrix import both_apis

NewCustomer = Callable[..., Awaitable[CustomerSocket]]

SECRET_LINES = ["my card is 4111 1111 1111 1111", "the password is hunter2", "agent private reply"]


@both_apis
async def test_a_full_conversation_logs_no_text_and_no_secret(
    new_customer: NewCustomer, cc: Emulator
) -> None:
    with capture_logs() as logs:
        c = await new_customer()
        await c.start(customer={"name": "Private Person", "email": "private@example.com"})
        await c.say(SECRET_LINES[0])
        await c.expect("message", author="bot")
        cid = await escalate(c, cc)
        await cc.agent_join(cid, "alice")
        await c.until("state", state="agent")
        await c.say(SECRET_LINES[1])
        await cc.wait_for_message(cid, SECRET_LINES[1])
        await cc.agent_send(cid, SECRET_LINES[2])
        await c.until("message", author="agent")
        await c.send(type="leave")
        await c.until("state", state="closed")
    assert c.session
    forbidden = [
        *SECRET_LINES,
        c.session,
        cc.api_secret,
        cc.config.chat_gateway_api_key,
        "Private Person",
        "private@example.com",
    ]
    loud = [entry for entry in logs if entry.get("log_level") not in ("debug",)]
    assert any(e.get("event") == "webhook_received" for e in loud)  # the capture really saw the relay
    assert any(e.get("conversation_id") == c.conversation_id for e in loud)
    for entry in loud:
        text = repr(entry)
        for value in forbidden:
            assert value not in text, f"{value!r} logged in {entry}"
