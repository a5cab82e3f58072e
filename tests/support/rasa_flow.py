"""One escalation through a Rasa bot, gateway and 8x8 emulator, shared by the stand-in and real-Rasa suites.

customer -> gateway -> Rasa (REST channel) -> action server (bot_actions) -> handoff -> Chat API emulator
conversation -> agent -> agent leaves -> resume reaches Rasa -> the bot speaks first again -> and answers.
"""

from __future__ import annotations

from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket


async def rasa_escalation_round_trip(c: CustomerSocket, cc: Emulator) -> str:
    await c.start(customer={"name": "Ann Rasa", "language": "en"})
    await c.say("hello")
    greeting = await c.bot_says(timeout=15)
    assert greeting["text"] == "Hi! I'm the virtual assistant. How can I help?"

    await c.say("I want to talk to a human")  # a typed "/human_handoff" would be escaped
    connecting = await c.bot_says(timeout=15)
    assert connecting["text"] == "Connecting you to a human agent..."
    await c.until("state", state="escalating")
    await c.until("state", state="queued")
    cid = await cc.wait_for(
        lambda: next(
            (
                i
                for i in cc.conversation_ids()
                if cc.conversation(i)["customer"].get("customerId") == c.conversation_id
            ),
            None,
        )
    )
    customer = cc.conversation(cid)["customer"]
    assert customer["name"] == "Ann Rasa"  # from the gateway's metadata, through the real action
    assert customer["intent"] == "human_handoff"

    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    await c.say("while the agent is here")  # must not reach the bot
    await cc.wait_for_message(cid, "while the agent is here", author_type="user")
    await cc.agent_leave(cid)
    back = await c.until("state", state="bot")
    assert back["outcome"] == "completed"
    handback = await c.bot_says(timeout=15)
    assert handback["text"] == "The agent has left the chat. I'm here again if you need anything."

    await c.say("hello")
    again = await c.bot_says(timeout=15)
    assert again["text"] == "Hi! I'm the virtual assistant. How can I help?"
    return str(cid)
