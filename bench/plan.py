"""What one ``python -m bench`` run measures (the plan) and the records its parts pass around."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import say

PARTS = ("roundtrip", "memory", "escalation")
STORES = ("sqlite", "redis")
METRICS_TOKEN = "bench-metrics"
QUEUE_ID = "101"
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Emu:
    pid: int
    base_url: str
    region: str
    tenant_id: str
    api_key: str
    api_secret: str


@dataclass
class Relay:
    """What serves the customers in one measurement: the floor, or the gateway's instances (and Redis)."""

    procs: list[asyncio.subprocess.Process]
    urls: list[str]  # each process's customer WebSocket, in the same order
    store_pid: int | None = None  # the bench's redis-server, when the gateway runs on Redis
    store_url: str | None = None

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]


@dataclass
class Plan:
    sessions: int
    messages: int
    warmup: int
    idle_counts: list[int]
    escalations: int
    customer_lines: int
    rounds: int
    parts: list[str]
    synchronous: str
    addresses: int
    uvloop: bool
    workdir: Path
    profile: str | None = None
    gateway_srcs: tuple[Path, ...] = (ROOT,)
    quick: bool = False
    store: str = "sqlite"
    instances: int = 1


def gateway_targets(plan: Plan) -> dict[str, Path]:
    """The gateways measured, by name: ``gateway`` alone, or ``gateway:<dir>`` each for an A/B run."""
    if len(plan.gateway_srcs) == 1:
        return {"gateway": plan.gateway_srcs[0]}
    named: dict[str, Path] = {}
    for i, src in enumerate(plan.gateway_srcs):
        name = f"gateway:{src.name}"
        named[name if name not in named else f"{name}#{i + 1}"] = src
    return named


async def each_gateway(
    plan: Plan, measure: Callable[[str, Path], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """One measurement of the gateway, or with several ``--gateway-src`` one of each, by target name."""
    gateways = gateway_targets(plan)
    if len(gateways) == 1:
        return await measure("gateway", plan.gateway_srcs[0])
    results: dict[str, Any] = {}
    for name, src in gateways.items():
        say(f"  {name}")
        results[name] = await measure(name, src)
    return {"by_gateway": results}
