"""The memory part (the gateway's RSS with idle sessions) and the escalation part (a handoff with a transcript)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from bench.plan import METRICS_TOKEN, Plan, each_gateway
from bench.procs import Procs, finish, read_result
from bench.procstat import rss_mb
from bench.report import TARGETS, say


async def part_memory(procs: Procs, plan: Plan) -> dict[str, Any]:
    return await each_gateway(plan, lambda name, src: _memory(procs, plan, src, name))


async def _memory(procs: Procs, plan: Plan, src: Path, name: str) -> dict[str, Any]:
    async with procs.emulator() as emu, procs.gateway(emu, plan, src, name) as relay:
        (gateway,) = relay.procs  # one instance (main refuses more for this part)
        await asyncio.sleep(0.5)
        points = [{"open": 0, "rss_mb": round(rss_mb(gateway.pid), 1)}]
        counts = ",".join(map(str, plan.idle_counts))
        load = await procs.load("idle", relay.urls, plan, f"--counts={counts}")
        assert load.stdin is not None
        for _ in plan.idle_counts:
            result = await read_result(load, "idle")
            await asyncio.sleep(1.0)  # let the last handshakes settle
            points.append(
                {"open": result["open"], "open_s": result["open_s"], "rss_mb": round(rss_mb(gateway.pid), 1)}
            )
            say(f"  {result['open']:6} idle sessions: gateway RSS {points[-1]['rss_mb']:.1f} MB")
            load.stdin.write(b"next\n")
            await load.stdin.drain()
        await finish(load, "idle")
    lo, hi = points[1] if len(points) > 2 else points[0], points[-1]
    per_session_kb = (hi["rss_mb"] - lo["rss_mb"]) * 1024 / max(1, hi["open"] - lo["open"])
    return {
        "points": points,
        "per_session_kb": round(per_session_kb, 2),
        "meets_targets": hi["open"] < 10_000 or hi["rss_mb"] < TARGETS["idle_rss_mb_max"],
    }


def create_call_seconds(exposition: str) -> tuple[float, int]:
    """Sum and count of the gateway's create_conversation calls (its ``gateway_chat_api_call_seconds``)."""
    total, count = 0.0, 0
    for line in exposition.splitlines():
        if 'operation="create_conversation"' not in line:
            continue
        if line.startswith("gateway_chat_api_call_seconds_sum"):
            total += float(line.rsplit(" ", 1)[1])
        elif line.startswith("gateway_chat_api_call_seconds_count"):
            count += int(float(line.rsplit(" ", 1)[1]))
    return total, count


async def read_metrics(ws_url: str) -> tuple[float, int]:
    url = ws_url.replace("ws://", "http://").replace("/chat/ws", "/metrics")
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
        http.get(url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as resp,
    ):
        return create_call_seconds(await resp.text())


async def part_escalation(procs: Procs, plan: Plan) -> dict[str, Any]:
    return await each_gateway(plan, lambda name, src: _escalation(procs, plan, src, name))


async def _escalation(procs: Procs, plan: Plan, src: Path, name: str) -> dict[str, Any]:
    async with procs.emulator() as emu, procs.gateway(emu, plan, src, name) as relay:
        (url,) = relay.urls  # one instance (main refuses more for this part)
        before = await read_metrics(url)
        extra = (f"--sessions={plan.escalations}", f"--lines={plan.customer_lines}")
        load = await procs.load("escalate", relay.urls, plan, *extra)
        result = await read_result(load, "escalate")
        await finish(load, "escalate")
        after = await read_metrics(url)
    calls = after[1] - before[1]
    emulator_ms = (after[0] - before[0]) / calls * 1000 if calls else 0.0
    result["transcript_lines"] = 2 * plan.customer_lines  # each customer line and the bot's answer
    result["emulator_create_mean_ms"] = round(emulator_ms, 2)
    result["gateway_cost_mean_ms"] = round(result["mean_ms"] - emulator_ms, 2)
    return result
