"""The round-trip part: floor and each gateway in turn, CPU per round trip of every process, medians."""

from __future__ import annotations

import asyncio
import signal
import statistics
import sys
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from bench.plan import Plan, gateway_targets
from bench.procs import Procs, finish, read_result
from bench.procstat import cpu_s, cpu_user_sys_s, rss_mb
from bench.report import TARGETS, say


async def roundtrip_once(procs: Procs, plan: Plan, target: str, src: Path | None = None) -> dict[str, Any]:
    extra = (f"--sessions={plan.sessions}", f"--messages={plan.messages}", f"--warmup={plan.warmup}")
    async with procs.emulator() as emu:
        starting = procs.floor(emu, plan) if src is None else procs.gateway(emu, plan, src, target)
        async with starting as relay:
            spy = await start_profiler(plan, relay.pids[0]) if src is not None else None
            load = await procs.load("roundtrip", relay.urls, plan, *extra)
            await read_result(load, f"roundtrip {target}")  # all sessions are with an agent: timing starts
            store = [relay.store_pid] if relay.store_pid is not None else []

            def sample() -> list[float]:
                sys_s = sum(cpu_user_sys_s(pid)[1] for pid in relay.pids)
                return [
                    *map(cpu_s, relay.pids),
                    cpu_s(emu.pid),
                    sum(map(cpu_s, store)),
                    cpu_s(load.pid),
                    sys_s,
                ]

            before, redis_before = sample(), await redis_counts(relay.store_url)
            result = await read_result(load, f"roundtrip {target}")
            after, redis_after = sample(), await redis_counts(relay.store_url)
            await finish(load, f"roundtrip {target}")
            per_rt = [
                round((a - b) * 1000 / result["round_trips"], 3) for a, b in zip(after, before, strict=True)
            ]
            n = len(relay.pids)
            result["server_cpu_ms_per_rt"] = round(sum(per_rt[:n]), 3)  # all the gateway's instances together
            if n > 1:
                result["instance_cpu_ms_per_rt"] = per_rt[:n]
            result["server_sys_cpu_ms_per_rt"] = per_rt[n + 3]  # of which in the kernel (I/O, fsync)
            result["emulator_cpu_ms_per_rt"] = per_rt[n]
            if store:
                result["redis_cpu_ms_per_rt"] = per_rt[n + 1]
                for key, a, b in zip(
                    ("redis_requests_per_rt", "redis_commands_per_rt"), redis_after, redis_before, strict=True
                ):
                    result[key] = round((a - b) / result["round_trips"], 2)
            result["load_cpu_ms_per_rt"] = per_rt[n + 2]
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                await spy.wait()
            result["instances"] = n
            result["server_rss_mb"] = round(sum(map(rss_mb, relay.pids)), 1)
            return result


async def redis_counts(url: str | None) -> tuple[int, int]:
    """Redis's read events (requests: a pipeline's commands may arrive in one) and commands processed
    (those run inside a script included), so far; (0, 0) without Redis."""
    if url is None:
        return 0, 0
    client = aioredis.Redis.from_url(url, socket_timeout=5)
    try:
        stats = await client.info("stats")
    finally:
        await client.aclose()
    return int(stats["total_reads_processed"]), int(stats["total_commands_processed"])


async def start_profiler(plan: Plan, pid: int) -> asyncio.subprocess.Process | None:
    """py-spy on the gateway while the round trips run (``--profile``): collapsed stacks, or an SVG."""
    if plan.profile is None:
        return None
    fmt = "flamegraph" if plan.profile.endswith(".svg") else "raw"
    argv = ["record", "--pid", str(pid), "--rate", "250", "--format", fmt, "--output", plan.profile]
    spy = Path(sys.executable).with_name("py-spy")
    return await asyncio.create_subprocess_exec(
        str(spy) if spy.exists() else "py-spy",
        *argv,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def _ratios(gateway: dict[str, float], floor: dict[str, float]) -> dict[str, float]:
    return {
        "rps": round(gateway["rps"] / floor["rps"], 3),
        "p50": round(gateway["p50_ms"] / floor["p50_ms"], 3),
        "p99": round(gateway["p99_ms"] / floor["p99_ms"], 3),
        "cpu_per_rt": round(gateway["server_cpu_ms_per_rt"] / floor["server_cpu_ms_per_rt"], 3),
    }


async def part_roundtrip(procs: Procs, plan: Plan) -> dict[str, Any]:
    """Floor and each gateway in turn, ``--rounds`` times (the gateways' order rotating), medians of each."""
    gateways = gateway_targets(plan)
    runs: dict[str, list[dict[str, Any]]] = {"floor": [], **{name: [] for name in gateways}}
    for i in range(plan.rounds):
        names = list(gateways)
        order = ["floor", *names[i % len(names) :], *names[: i % len(names)]]
        for target in order:
            result = await roundtrip_once(procs, plan, target, gateways.get(target))
            runs[target].append(result)
            redis_cpu = (
                f", Redis {result['redis_cpu_ms_per_rt']:.2f} in {result['redis_requests_per_rt']:.1f} requests"
                if "redis_cpu_ms_per_rt" in result
                else ""
            )
            say(
                f"  round {i + 1} {target:20} {result['rps']:8.1f} round trips/s  "
                f"p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms  "
                f"CPU ms/rt {result['server_cpu_ms_per_rt']:.3f} (emulator {result['emulator_cpu_ms_per_rt']:.2f}"
                f"{redis_cpu}, load {result['load_cpu_ms_per_rt']:.2f})"
            )
    keys = [
        "rps",
        "p50_ms",
        "p99_ms",
        "mean_ms",
        "server_cpu_ms_per_rt",
        "server_sys_cpu_ms_per_rt",
        "emulator_cpu_ms_per_rt",
        "load_cpu_ms_per_rt",
    ]
    if plan.store == "redis":
        keys += ["redis_cpu_ms_per_rt", "redis_requests_per_rt", "redis_commands_per_rt"]
    summary = {t: {k: _median(r, k) for k in keys if k in r[0]} for t, r in runs.items()}
    last = list(gateways)[-1]
    ratios = _ratios(summary[last], summary["floor"])
    out: dict[str, Any] = {
        "sessions": plan.sessions,
        "messages": plan.messages,
        "store": plan.store,
        "instances": plan.instances,
        "runs": runs,
        "median": summary,
        "ratio_gateway_to_floor": ratios,
        "meets_targets": ratios["rps"] >= TARGETS["rps_ratio_min"]
        and ratios["p99"] <= TARGETS["p99_ratio_max"],
    }
    if len(gateways) > 1:
        out["gateways"] = {name: str(src) for name, src in gateways.items()}
        out["ratios_to_floor"] = {name: _ratios(summary[name], summary["floor"]) for name in gateways}
        first = next(iter(gateways))
        out["ratio_last_to_first"] = {
            k: round(summary[last][k] / summary[first][k], 3)
            for k in ("rps", "p50_ms", "p99_ms", "server_cpu_ms_per_rt")
        }
    return out
