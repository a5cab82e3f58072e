"""Taking a customer to an agent's queue on the emulator, and finding the emulator's side of a conversation."""

from __future__ import annotations

from typing import Any

from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket


async def escalate(c: CustomerSocket, cc: Emulator, *, text: str = "I want to talk to an agent") -> str:
    """Take a started customer to ``queued``; return the contact-center conversation id."""
    await c.say(text)
    await c.until("state", state="escalating")
    await c.until("state", state="queued")  # the create was accepted; 8x8's QUEUED then names the queue
    queued = await c.until("state", state="queued")
    assert queued["queue"] == {"id": "101", "name": "Billing"}
    mine = c.conversation_id
    assert mine is not None
    ids = await cc.wait_for(lambda: conversations_of(cc, mine))
    assert len(ids) == 1
    return str(ids[0])


def owner(view: dict[str, Any]) -> str | None:
    """The gateway conversation an emulator conversation belongs to (v2 ``customerId``, Chat Gateway ``userId``)."""
    user = view.get("user") or {}
    customer = view.get("customer") or {}
    return user.get("userId") or customer.get("customerId")


def conversations_of(cc: Emulator, conversation_id: str) -> list[str]:
    return [i for i in cc.conversation_ids() if owner(cc.conversation(i)) == conversation_id]
