"""``python -m bench``: the gateway measured against a floor relay in the same run, as ratios.

Every actor is its own process: the 8x8 emulator (``python -m gateway.emulator.cli``, auto mode, echo
agents), the floor (``python -m bench.floor``), the gateway (``python -m gateway serve``, default SQLite
store with ``synchronous=full``; or ``--store redis``: a ``redis-server`` of the bench's own, and with
``--instances N`` several gateway processes on it) and the load generator (``python -m bench.load``). Each
measurement gets a fresh emulator and a fresh gateway (and Redis) or floor. Results are printed and written
as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from bench.footprint import part_escalation, part_memory
from bench.plan import PARTS, ROOT, STORES, Plan
from bench.procs import Procs
from bench.procstat import raise_fd_limit
from bench.report import TARGETS, report, say
from bench.roundtrip import part_roundtrip


def _plain(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


async def run(plan: Plan, json_path: Path) -> dict[str, Any]:
    async with AsyncExitStack() as stack:
        return await run_parts(Procs(plan.workdir, stack if plan.quick else None), plan, json_path)


async def run_parts(procs: Procs, plan: Plan, json_path: Path) -> dict[str, Any]:
    results: dict[str, Any] = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "plan": {k: _plain(v) for k, v in plan.__dict__.items()},
        "targets": TARGETS,
    }
    parts = {"roundtrip": part_roundtrip, "memory": part_memory, "escalation": part_escalation}
    for name in plan.parts:
        say(f"{name} …")
        started = time.perf_counter()
        results[name] = await parts[name](procs, plan)
        results[name]["wall_s"] = round(time.perf_counter() - started, 1)
        json_path.write_text(json.dumps(results, indent=2) + "\n")  # noqa: ASYNC240 (small, between parts)
    return results


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Benchmark the gateway against a floor relay (WebSocket -> Chat API POST, signed webhook -> "
            "WebSocket; no bot, no storage), each against a fresh local 8x8 emulator with echo agents. "
            "Reports round trips/s, p50, p99 and the gateway/floor ratios, the gateway's RSS with idle "
            "sessions, and the cost of an escalation with a transcript."
        ),
    )
    parser.add_argument("--sessions", type=int, default=200, help="concurrent sessions for round trips (200)")
    parser.add_argument("--messages", type=int, default=50, help="timed round trips per session (50)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed round trips per session first (3)")
    parser.add_argument("--idle", default="1000,10000", help="idle session counts for memory (1000,10000)")
    parser.add_argument("--escalations", type=int, default=20, help="handoffs timed one at a time (20)")
    parser.add_argument(
        "--transcript-lines",
        type=int,
        default=50,
        help="transcript before each handoff, bot answers included (50)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="floor/gateway round-trip pairs; medians (1)")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated, any of {','.join(PARTS)} (all)"
    )
    parser.add_argument(
        "--synchronous",
        choices=("full", "normal"),
        default="full",
        help="the gateway's SQLite fsync level (full)",
    )
    parser.add_argument(
        "--store",
        choices=STORES,
        default="sqlite",
        help="the gateway's store; redis: a redis-server of the bench's own, AOF fsync always (sqlite)",
    )
    parser.add_argument(
        "--instances",
        type=int,
        default=1,
        help="gateway processes on one Redis, sessions round robin over them; roundtrip only (1)",
    )
    parser.add_argument("--addresses", type=int, default=8, help="client source addresses 127.0.0.1..N (8)")
    parser.add_argument(
        "--uvloop", action="store_true", help="run the floor and the load generator on uvloop"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small run of every part on one emulator and one gateway (a smoke test)",
    )
    parser.add_argument(
        "--json", default="bench-results.json", help="write the results here (bench-results.json)"
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="py-spy the gateway during round trips: FILE.svg flame graph, else collapsed stacks",
    )
    parser.add_argument(
        "--gateway-src",
        metavar="DIR",
        action="append",
        help="run the gateway from this checkout (default: this one); given twice or more, an A/B in one "
        "invocation: each round measures the floor and every checkout, and the summary compares the last "
        "with the first",
    )
    parser.add_argument(
        "--workdir", help="keep databases and process logs here (default: a temporary folder)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise SystemExit(f"bench: unknown part {unknown[0]!r}; choose from {', '.join(PARTS)}")
    if args.instances < 1:
        raise SystemExit("bench: --instances must be at least 1")
    if args.instances > 1 and args.store != "redis":
        raise SystemExit("bench: several --instances share one store only on Redis; add --store redis")
    if args.instances > 1 and parts != ["roundtrip"]:
        raise SystemExit("bench: --instances above 1 measures round trips only; add --parts roundtrip")
    if args.store == "redis" and shutil.which("redis-server") is None:
        raise SystemExit("bench: --store redis needs redis-server on the PATH (apt-get install redis-server)")
    if args.quick:
        args.sessions, args.messages, args.warmup = min(args.sessions, 20), min(args.messages, 10), 1
        args.idle, args.escalations, args.transcript_lines = "50,200", 2, 10
    limit = raise_fd_limit()
    counts = [int(c) for c in args.idle.split(",") if c.strip()]
    if "memory" in parts and max(counts, default=0) + 1000 > limit:
        raise SystemExit(
            f"bench: {max(counts)} idle sessions need more file descriptors than the limit {limit}"
        )
    workdir = Path(args.workdir).resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if True:
        plan = Plan(
            sessions=args.sessions,
            messages=args.messages,
            warmup=args.warmup,
            idle_counts=counts,
            escalations=args.escalations,
            customer_lines=args.transcript_lines // 2,
            rounds=args.rounds,
            parts=parts,
            synchronous=args.synchronous,
            addresses=args.addresses,
            uvloop=args.uvloop,
            workdir=workdir,
            profile=str(Path(args.profile).resolve()) if args.profile else None,
            gateway_srcs=tuple(Path(src).resolve() for src in args.gateway_src)
            if args.gateway_src
            else (ROOT,),
            quick=args.quick,
            store=args.store,
            instances=args.instances,
        )
        json_path = Path(args.json).resolve()
        try:
            results = asyncio.run(run(plan, json_path))
        except RuntimeError as exc:
            print(f"bench: {exc} (process logs in {workdir})", file=sys.stderr)
            return 1
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    report(results)
    say(f"\nresults: {json_path}")
    return 0
