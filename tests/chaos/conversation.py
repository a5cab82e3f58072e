"""One chaos conversation, start to end: escalate, agent joins, both sides talk concurrently, one side ends it."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from gateway.emulator.delivery import Event
from gateway.emulator.handle import Emulator
from tests.chaos.customer import ChaosCustomer, Line
from tests.support.escalation import owner

Ending = Literal["agent_leaves", "customer_leaves"]
EXPECTED_STATE: dict[Ending, str] = {"agent_leaves": "bot", "customer_leaves": "closed"}
LONG = os.environ.get("CHAOS_LONG", "") not in ("", "0")
STEP_TIMEOUT_S = 300.0 if LONG else 120.0
"""Any one step (an escalation, a line getting through) may take this long under faults; then it is a failure."""
ESCALATION_RETRY_S = 8.0
"""A customer whose "agent" line got no answer this long asks again (a killed gateway loses the bot's turn)."""


@dataclass
class ChaosConversation:
    name: str
    customer: ChaosCustomer
    customer_lines: list[Line]
    agent_lines: list[str]
    ending: Ending
    start_delay_s: float
    jitter_s: float
    cc_id: str | None = None
    other_cc_ids: list[str] = field(default_factory=list)
    """8x8 conversations of this chat besides the gateway's (a second escalation: reported as a problem)."""
    agent_sent: list[tuple[str, float]] = field(default_factory=list)
    escalation_requests: int = 0
    last_event: Event | None = None
    done: bool = False

    @property
    def expected_state(self) -> str:
        return EXPECTED_STATE[self.ending]


async def play(
    conv: ChaosConversation, cc: Emulator, rng: random.Random, reordering: Callable[[], bool]
) -> None:
    """Run the conversation; raises AssertionError naming the step that did not happen in time.

    ``reordering`` tells whether the emulator may be holding events to release them newest first; then the
    agent acts only once this conversation's earlier events are delivered, so that only events of different
    conversations swap places (8x8 keeps one conversation's events in order, spec §5.5).
    """
    customer = conv.customer
    await asyncio.sleep(conv.start_delay_s)
    await customer.open(timeout=STEP_TIMEOUT_S)
    await _escalate(conv)
    conv.cc_id = await _queued_at_8x8(conv, cc)
    await _in_order(conv, cc, reordering)
    await cc.agent_join(conv.cc_id)
    _emitted(conv, cc)
    await customer.wait_until(lambda: customer.state == "agent", STEP_TIMEOUT_S, "agent state")
    await asyncio.gather(_customer_talks(conv, rng), _agent_talks(conv, cc, rng, reordering))
    # Both sides wait until they heard everything before anyone leaves.
    await _everything_arrived(conv, cc)
    if conv.ending == "agent_leaves":
        await _in_order(conv, cc, reordering)
        await cc.agent_leave(conv.cc_id)
        _emitted(conv, cc)
        await customer.wait_until(
            lambda: customer.state == "bot", STEP_TIMEOUT_S, "bot state after agent left"
        )
    else:
        await customer.leave(timeout=STEP_TIMEOUT_S)
        await cc.wait_for_state(conv.cc_id, "closed", timeout=STEP_TIMEOUT_S)
    conv.done = True


async def _escalate(conv: ChaosConversation) -> None:
    customer = conv.customer
    deadline = asyncio.get_running_loop().time() + STEP_TIMEOUT_S
    while True:
        conv.escalation_requests += 1
        await customer.say(Line(f"{conv.name}: I want to talk to an agent"))
        if await customer.wait(lambda: customer.state in ("escalating", "queued"), ESCALATION_RETRY_S):
            break
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{conv.name}: never escalated")
    await customer.wait_until(lambda: customer.state == "queued", STEP_TIMEOUT_S, "queued state")


async def _queued_at_8x8(conv: ChaosConversation, cc: Emulator) -> str:
    """The 8x8 conversation the gateway escalated this customer to, once it is queued there.

    The customer is ``queued`` only once the gateway has recorded its conversation, so every conversation of
    this chat at 8x8 exists by now. Should there be several (a create the gateway could not find after it was
    killed), the gateway's is the newest: it creates another only once it has decided there is none. The
    others go to ``other_cc_ids``, and the report counts them as problems.
    """
    mine = conv.customer.conversation_id

    def found() -> str | None:
        views = [cc.conversation(cid) for cid in cc.conversation_ids()]
        ours = sorted((v for v in views if owner(v) == mine), key=lambda v: int(v["startTime"]))
        if not ours or ours[-1]["state"] != "queued":
            return None
        conv.other_cc_ids = [str(v["id"]) for v in ours[:-1]]
        return str(ours[-1]["id"])

    cid: str = await cc.wait_for(found, timeout=STEP_TIMEOUT_S)
    return cid


async def _customer_talks(conv: ChaosConversation, rng: random.Random) -> None:
    for line in conv.customer_lines:
        await asyncio.sleep(rng.uniform(0, conv.jitter_s))
        await conv.customer.say(line, timeout=STEP_TIMEOUT_S)


async def _in_order(conv: ChaosConversation, cc: Emulator, reordering: Callable[[], bool]) -> None:
    """While events may be held for reordering, wait until this conversation's last event is delivered."""
    assert conv.cc_id is not None
    if conv.last_event is None:
        conv.last_event = cc.events_of(conv.cc_id)[-1]  # QUEUED, emitted when the gateway created it
    last = conv.last_event
    if not reordering() or last.status != "pending":
        return
    try:
        await cc.wait_for(lambda: last.status != "pending", timeout=STEP_TIMEOUT_S)
    except TimeoutError:
        raise AssertionError(f"{conv.name}: 8x8 event {last.type} pending after {STEP_TIMEOUT_S}s") from None


def _emitted(conv: ChaosConversation, cc: Emulator) -> None:
    """Agent actions emit their event synchronously: it is the newest one."""
    event = cc.events[-1]
    assert event.conversation_id == conv.cc_id, (event, conv.cc_id)
    conv.last_event = event


async def _agent_talks(
    conv: ChaosConversation, cc: Emulator, rng: random.Random, reordering: Callable[[], bool]
) -> None:
    assert conv.cc_id is not None
    for text in conv.agent_lines:
        await asyncio.sleep(rng.uniform(0, conv.jitter_s))
        await _in_order(conv, cc, reordering)
        conv.agent_sent.append((text, time.time()))
        await cc.agent_send(conv.cc_id, text)
        _emitted(conv, cc)


async def _everything_arrived(conv: ChaosConversation, cc: Emulator) -> None:
    assert conv.cc_id is not None
    cid = conv.cc_id
    wanted = [line.text for line in conv.customer_lines]

    def at_8x8() -> bool:
        texts = {m["text"] for m in cc.conversation(cid)["messages"] if m["authorType"] == "user"}
        return all(text in texts for text in wanted)

    try:
        await cc.wait_for(at_8x8, timeout=STEP_TIMEOUT_S)
    except TimeoutError:
        raise AssertionError(f"{conv.name}: customer lines missing at 8x8 after {STEP_TIMEOUT_S}s") from None

    def heard() -> bool:
        texts = {r.frame.get("text") for r in conv.customer.frames if r.frame.get("author") == "agent"}
        return all(text in texts for text in conv.agent_lines)

    await conv.customer.wait_until(heard, STEP_TIMEOUT_S, "every agent line")
