"""Chaos: many conversations talking both ways while the world around the gateway breaks (issue #7, item 1).

The gateway runs as a real process (``python -m gateway serve``) against the 8x8 emulator in this process.
While customers and agents talk, faults land at random (seeded) times: the gateway SIGKILLed and restarted
on the same store and port, the Chat API answering 503 or hanging, tokens expired, webhooks duplicated,
late and out of order, customer sockets dropped. At the end every line must have arrived exactly once and
in order on the other side, and every conversation must be in the state its last event implies.

Sizes: ``CHAOS_CONVERSATIONS`` (50), ``CHAOS_MESSAGES`` per conversation, both sides together (40),
``CHAOS_SEED`` (random, printed), ``CHAOS_LONG=1`` for a long local run (100 x 100,
longer step timeouts).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import unused_port

from gateway.emulator.config import AgentConfig, EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from tests.chaos.conversation import LONG, ChaosConversation, Ending, play
from tests.chaos.customer import ChaosCustomer, Line
from tests.chaos.gateway_process import GatewayProcess, chaos_env
from tests.chaos.ledger import Tally, agent_to_customer, customer_to_agent
from tests.chaos.monkey import ChaosMonkey

REPORT_DIR = Path(__file__).resolve().parents[2] / "test-output"
"""The last run's numbers (``chaos-report.json``) and gateway log stay here (git-ignored)."""


@dataclass(frozen=True)
class ChaosSize:
    conversations: int
    messages: int
    seed: int

    @classmethod
    def from_env(cls) -> ChaosSize:
        seed = os.environ.get("CHAOS_SEED")
        return cls(
            conversations=int(os.environ.get("CHAOS_CONVERSATIONS", 100 if LONG else 50)),
            messages=int(os.environ.get("CHAOS_MESSAGES", 100 if LONG else 40)),
            seed=int(seed) if seed else random.SystemRandom().randrange(2**32),
        )


def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(
        mode="manual",
        # 8x8's schedule is not published (spec §5.5); a denser one than the emulator's default that still
        # outlasts any outage here (about 250 s in all; a restart takes seconds, up to 30 on a loaded machine).
        retry_delays=[0.1, 0.3, 0.6, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 25.0, 40.0, 60.0, 90.0],
        delivery_timeout=3.0,
        hang_seconds=3.0,  # a hung call outlives the gateway's 1.5 s client timeout
        agents=[AgentConfig(id="chaos", name="Chaos,Monkey", queues=["101", "102", "103"], capacity=100_000)],
    )


def plan(
    size: ChaosSize, rng: random.Random, base_url: str, http: aiohttp.ClientSession
) -> list[ChaosConversation]:
    convs = []
    for n in range(size.conversations):
        name = f"c{n:04d}"
        from_customer = max(1, size.messages // 2)
        from_agent = max(1, size.messages - from_customer)
        ending: Ending = "agent_leaves" if rng.random() < 0.7 else "customer_leaves"
        convs.append(
            ChaosConversation(
                name=name,
                customer=ChaosCustomer(name, base_url, http, random.Random(rng.random())),
                customer_lines=[Line(f"{name} customer {i}") for i in range(from_customer)],
                agent_lines=[f"{name} agent {i}" for i in range(from_agent)],
                ending=ending,
                start_delay_s=rng.uniform(0, min(20.0, 0.2 * size.conversations)),
                jitter_s=0.3,
            )
        )
    return convs


async def final_state(http: aiohttp.ClientSession, base_url: str, conv: ChaosConversation) -> str:
    customer = conv.customer
    async with http.get(
        f"{base_url}/chat/sessions/{customer.conversation_id}/messages",
        params={"after": str(customer.last_seq)},
        headers={"Authorization": f"Bearer {customer.session}"},
        timeout=aiohttp.ClientTimeout(total=30),
    ) as resp:
        assert resp.status == 200, await resp.text()
        state: str = (await resp.json())["state"]
        return state


@pytest.mark.timeout(3600 if LONG else 300)
async def test_nothing_is_lost_or_duplicated_under_chaos(tmp_path: Path) -> None:
    size = ChaosSize.from_env()
    print(f"\nchaos: CHAOS_SEED={size.seed} conversations={size.conversations} messages={size.messages}")
    rng = random.Random(size.seed)
    started = time.perf_counter()
    # No connection limit: every customer holds a socket (aiohttp's default pool stops at 100).
    async with (
        running_emulator(emulator_config()) as cc,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
    ):
        port = unused_port()
        gateway = GatewayProcess(
            chaos_env(cc, port=port, db=tmp_path / "gateway.db"),
            cwd=tmp_path,
            port=port,
            log=tmp_path / "gateway.log",
        )
        await gateway.start()
        convs = plan(size, rng, gateway.url, http)
        monkey = ChaosMonkey(
            random.Random(rng.random()),
            cc,
            gateway,
            [c.customer for c in convs],
            mean_interval_s=0.5,
            min_kill_gap_s=10.0,
        )
        stop = asyncio.Event()
        # Faults while at least a tenth of the conversations are still going (see ChaosMonkey.run).
        still_going = max(1, len(convs) // 10)
        chaos = asyncio.create_task(
            monkey.run(stop, busy=lambda: sum(not c.done for c in convs) >= still_going)
        )
        try:
            outcomes = await asyncio.gather(
                *(play(c, cc, random.Random(rng.random()), monkey.reordering) for c in convs),
                return_exceptions=True,
            )
        finally:
            stop.set()
            await chaos
            await monkey.heal()
        try:
            failures = [f"{c.name}: {o!r}" for c, o in zip(convs, outcomes, strict=True) if o is not None]
            states = [(c, await final_state(http, gateway.url, c)) for c in convs if c.done]
        finally:
            for c in convs:
                await c.customer.close()
            await gateway.stop()
        report(size, convs, cc, monkey, gateway, states, failures, time.perf_counter() - started, tmp_path)


def report(
    size: ChaosSize,
    convs: list[ChaosConversation],
    cc: Emulator,
    monkey: ChaosMonkey,
    gateway: GatewayProcess,
    states: list[tuple[ChaosConversation, str]],
    failures: list[str],
    elapsed_s: float,
    tmp_path: Path,
) -> None:
    up, down = Tally(), Tally()
    anomalies: list[str] = []
    for c in convs:
        if c.cc_id is not None:
            up.add(customer_to_agent(c.name, c.customer_lines, cc.conversation(c.cc_id)["messages"]))
            down.add(agent_to_customer(c.name, c.agent_sent, c.customer.frames))
        anomalies.extend(f"{c.name}: {a}" for a in c.customer.anomalies)
        if c.other_cc_ids:
            anomalies.append(f"{c.name}: 8x8 holds other conversations of this chat: {c.other_cc_ids}")
    wrong_states = [f"{c.name}: {state} after {c.ending}" for c, state in states if state != c.expected_state]
    given_up = [e for e in cc.events if e.status == "given_up"]
    problems = failures + up.problems + down.problems + anomalies + wrong_states
    numbers = {
        "seed": size.seed,
        "conversations": len(convs),
        "messages_per_conversation": size.messages,
        "completed": sum(c.done for c in convs),
        "sent": up.sent + down.sent,
        "delivered": up.delivered + down.delivered,
        "duplicates": up.duplicates + down.duplicates,
        "lost": up.lost + down.lost,
        "out_of_order": up.out_of_order + down.out_of_order,
        "max_delay_s": round(max(up.max_delay_s, down.max_delay_s), 3),
        "customer_to_8x8": up.summary(),
        "agent_to_customer": down.summary(),
        "faults": dict(sorted(monkey.counts.items())),
        "gateway_starts": gateway.starts,
        "gateway_start_s": gateway.start_s,
        "gateway_downtime_s": round(monkey.downtime_s, 1),
        "customer_sockets": sum(c.customer.sockets for c in convs),
        "escalation_asks": sum(c.escalation_requests for c in convs),
        "second_8x8_conversations": sum(len(c.other_cc_ids) for c in convs),
        "webhook_attempts": len(cc.deliveries),
        "webhook_failures": dict(Counter(str(d.status or d.error) for d in cc.deliveries if not d.ok)),
        "webhooks_given_up": len(given_up),
        "wrong_states": len(wrong_states),
        "problems": problems[:50],
        "elapsed_s": round(elapsed_s, 1),
    }
    text = json.dumps(numbers, indent=2)
    (tmp_path / "chaos-report.json").write_text(text)
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / "chaos-report.json").write_text(text)
    shutil.copyfile(gateway.log, REPORT_DIR / "chaos-gateway.log")
    print(
        f"chaos: seed={size.seed} conversations={len(convs)} completed={numbers['completed']} "
        f"sent={numbers['sent']} delivered={numbers['delivered']} duplicates={numbers['duplicates']} "
        f"lost={numbers['lost']} out_of_order={numbers['out_of_order']} max_delay={numbers['max_delay_s']}s "
        f"(customer->8x8 {up.max_delay_s:.2f}s, agent->customer {down.max_delay_s:.2f}s) "
        f"faults={numbers['faults']} gateway starts={gateway.starts} downtime={monkey.downtime_s:.1f}s "
        f"sockets={numbers['customer_sockets']} webhooks given up={len(given_up)} {elapsed_s:.1f}s; "
        f"report {REPORT_DIR / 'chaos-report.json'}"
    )
    for p in problems[:50]:
        print("chaos problem:", p)
    assert not given_up, f"8x8 gave up {len(given_up)} webhooks: the test's retry window is too short"
    assert up.lost + down.lost == 0, f"lost lines (seed {size.seed})"
    assert up.duplicates + down.duplicates == 0, f"duplicated lines (seed {size.seed})"
    assert up.out_of_order + down.out_of_order == 0, f"lines out of order (seed {size.seed})"
    assert not problems, f"{len(problems)} problems (seed {size.seed}): {problems[:5]}"
    assert len(states) == len(convs)
