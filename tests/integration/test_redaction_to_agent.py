"""With GATEWAY_RELAY__REDACT, the agent never sees a card number; the customer's transcript is untouched."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gateway.emulator.handle import Emulator
from tests.integration.conftest import GatewayFactory, escalate
from tests.support.customer import CustomerSocket


async def test_card_numbers_and_emails_are_removed_before_the_agent_sees_them(
    start_gateway: GatewayFactory, connect: Callable[..., Awaitable[CustomerSocket]], cc: Emulator
) -> None:
    gateway = await start_gateway(relay={"redact": "card,email", "retry_base_s": 0.05})
    c = await connect(gateway)
    await c.start()
    await c.say("my card 4111 1111 1111 1111 was charged twice")
    await c.expect("message", author="bot")
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    await c.say("write to ann@example.com please")
    await cc.wait_for_message(cid, "write to [email removed] please", author_type="user")
    texts = [m["text"] for m in cc.conversation(cid)["messages"]]
    assert "my card [card number removed] was charged twice" in texts
    assert not any("4111" in t or "ann@example.com" in t for t in texts)
    replay = await connect(gateway)
    replay.session = c.session
    await replay.start(resume=True, last_seq=0)
    assert (await replay.expect("message", seq=1))["text"] == "my card 4111 1111 1111 1111 was charged twice"
