"""With no contact center configured, a handoff tells the customer plainly and the bot stays.

The handoff runs the real ``bot_actions`` code through rasa-sdk's executor (embedded bot), so this is
the path every demo without 8x8 credentials takes.
"""

from __future__ import annotations

from tests.support.gateway import CustomerFactory


async def test_handoff_without_contact_center_says_no_agent_and_hands_back(customer: CustomerFactory) -> None:
    c = await customer()
    await c.start(customer={"name": "Ann"})
    assert (await c.say("I want to talk to an agent"))["seq"] == 1
    connecting = await c.expect("message", seq=2, author="bot")
    assert connecting["text"] == "Connecting you to a human agent..."
    await c.expect("state", seq=3, state="escalating")
    notice = await c.expect("message", seq=4, author="system")
    assert "no agent is available" in notice["text"].lower()
    back = await c.expect("state", seq=5, state="bot", outcome="failed")
    assert "queue" not in back
    handback = await c.expect("message", seq=6, author="bot")
    assert "no agent could be reached" in handback["text"].lower()
    # The bot answers again afterwards.
    await c.say("hello")
    await c.expect("message", seq=8, author="bot")


async def test_the_gateways_own_agent_payload_escalates_without_asking_the_bot(
    customer: CustomerFactory,
) -> None:
    c = await customer()
    await c.start()
    await c.say("/agent")
    await c.expect("state", seq=2, state="escalating")
    await c.expect("message", seq=3, author="system")
    await c.expect("state", seq=4, state="bot", outcome="failed")
