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
import re
import resource
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from bench.report import TARGETS, report, say

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads."""
    return sum(cpu_user_sys_s(pid))


def cpu_user_sys_s(pid: int) -> tuple[float, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def raise_fd_limit() -> int:
    """Children inherit the raised limit (10,000 idle sockets need more than the usual 1,024)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class Procs:
    """Starts the actors as child processes, logs each to a file in the work directory, stops them all.

    With ``shared`` (the quick mode) one emulator and one gateway serve every part, kept open on that stack.
    """

    def __init__(self, workdir: Path, shared: AsyncExitStack | None = None) -> None:
        self.workdir = workdir
        self._count = 0
        self._shared = shared
        self._emu: Emu | None = None
        self._gateways: dict[str, Relay] = {}  # quick mode: one per target

    def _log(self, name: str) -> Any:
        self._count += 1
        return (self.workdir / f"{self._count:02d}-{name}.log").open("wb")

    async def spawn(
        self,
        name: str,
        *argv: str,
        env: dict[str, str] | None = None,
        stdin: bool = False,
        src: Path = ROOT,
    ) -> asyncio.subprocess.Process:
        log = self._log(name)
        env = dict(env if env is not None else os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), str(ROOT), env.get("PYTHONPATH")]))
        try:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                *argv,
                env=env,
                cwd=self.workdir,
                stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                limit=1024 * 1024,
            )
        finally:
            log.close()

    @asynccontextmanager
    async def running(
        self, name: str, *argv: str, env: dict[str, str] | None = None, src: Path = ROOT
    ) -> AsyncIterator[asyncio.subprocess.Process]:
        proc = await self.spawn(name, *argv, env=env, src=src)
        try:
            yield proc
        finally:
            await stop(proc)

    @asynccontextmanager
    async def emulator(self) -> AsyncIterator[Emu]:
        if self._shared is None:
            async with self._new_emulator() as emu:
                yield emu
            return
        if self._emu is None:
            self._emu = await self._shared.enter_async_context(self._new_emulator())
        yield self._emu

    @asynccontextmanager
    async def gateway(self, emu: Emu, plan: Plan, src: Path, name: str = "gateway") -> AsyncIterator[Relay]:
        if self._shared is None:
            async with self._new_gateways(emu, plan, src) as gateway:
                yield gateway
            return
        if name not in self._gateways:
            self._gateways[name] = await self._shared.enter_async_context(self._new_gateways(emu, plan, src))
        yield self._gateways[name]

    @asynccontextmanager
    async def _new_emulator(self) -> AsyncIterator[Emu]:
        config = {
            "mode": "auto",
            "auto_join_delay": 0.0,
            "queues": [{"id": QUEUE_ID, "name": "Bench"}],
            "agents": [{"id": "echo", "name": "Echo,Agent", "queues": [QUEUE_ID], "capacity": 1_000_000}],
        }
        path = self.workdir / "emulator.json"
        path.write_text(json.dumps(config))
        argv = ("-m", "gateway.emulator.cli", "--port", "0", "--config", str(path))
        async with self.running("emulator", *argv) as proc:
            found: dict[str, str] = {}
            assert proc.stdout is not None
            while "REGION" not in found or "API_SECRET" not in found or "BASE_URL" not in found:
                line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
                if not line:
                    raise RuntimeError(f"the emulator exited; see {self.workdir}")
                if m := re.search(r"GATEWAY_CHAT_API__(\w+)=(\S+)", line):
                    found[m.group(1)] = m.group(2)
            yield Emu(
                proc.pid,
                found["BASE_URL"],
                found["REGION"],
                found["TENANT_ID"],
                found["API_KEY"],
                found["API_SECRET"],
            )

    @asynccontextmanager
    async def _new_gateways(self, emu: Emu, plan: Plan, src: Path) -> AsyncIterator[Relay]:
        """``plan.instances`` gateway processes on one store, started one after the other.

        Each has its own port and its own public URL. Set-up finds 8x8's web-hook by name and points it at
        its own URL, so the web-hook ends at the last instance started; agent lines for customers on the
        other instances reach them through the Redis fan-out, as behind a balancer without stickiness.
        """
        async with AsyncExitStack() as stack:
            store_pid, store_url = None, None
            if plan.store == "redis":
                store_pid, store_url = await stack.enter_async_context(self._redis())
            procs, urls = [], []
            for _ in range(plan.instances):
                proc, url = await stack.enter_async_context(self._new_gateway(emu, plan, src, store_url))
                procs.append(proc)
                urls.append(url)
            yield Relay(procs, urls, store_pid, store_url)

    @asynccontextmanager
    async def _redis(self) -> AsyncIterator[tuple[int, str]]:
        """A ``redis-server`` of the bench's own on a free port, persisting as docs/deploying.md recommends."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("--store redis needs redis-server on the PATH (apt-get install redis-server)")
        port = free_port()
        data = self.workdir / f"redis-{self._count + 1:02d}"
        data.mkdir()
        log = self._log("redis")
        try:
            proc = await asyncio.create_subprocess_exec(
                binary,
                *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--save", ""),
                *("--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "noeviction"),
                *("--daemonize", "no"),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        finally:
            log.close()
        try:
            client = aioredis.Redis(port=port, socket_timeout=1)
            try:
                for _ in range(100):
                    if proc.returncode is not None:
                        raise RuntimeError(f"redis-server exited with {proc.returncode}")
                    with suppress(aioredis.RedisError):
                        if await client.ping():
                            break
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError("redis-server never answered PING")
            finally:
                await client.aclose()
            yield proc.pid, f"redis://127.0.0.1:{port}/0"
        finally:
            await stop(proc)

    @asynccontextmanager
    async def _new_gateway(
        self, emu: Emu, plan: Plan, src: Path, store_url: str | None
    ) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        big = "1000000"
        settings = {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PUBLIC_URL": base,
            "STORE__URL": store_url or f"sqlite:///{self.workdir / f'gateway-{self._count + 1}.db'}",
            "STORE__SYNCHRONOUS": plan.synchronous,
            "CHAT_API__BASE_URL": emu.base_url,
            "CHAT_API__REGION": emu.region,
            "CHAT_API__TENANT_ID": emu.tenant_id,
            "CHAT_API__API_KEY": emu.api_key,
            "CHAT_API__API_SECRET": emu.api_secret,
            "CHAT_API__QUEUE_ID": QUEUE_ID,
            "METRICS__TOKEN": METRICS_TOKEN,
            "LIMITS__MESSAGES_PER_SECOND": big,
            "LIMITS__BURST": big,
            "LIMITS__ADDRESS_RATE": big,
            "LIMITS__ADDRESS_BURST": big,
            "LIMITS__MAX_SOCKETS_PER_ADDRESS": big,
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        env |= {f"GATEWAY_{k}": v for k, v in settings.items()}
        async with self.running("gateway", "-m", "gateway", "serve", env=env, src=src) as proc:
            await wait_ready(f"{base}/readyz", proc)
            yield proc, f"ws://127.0.0.1:{port}/chat/ws"

    @asynccontextmanager
    async def floor(self, emu: Emu, plan: Plan) -> AsyncIterator[Relay]:
        port = free_port()
        argv = [
            "-m",
            "bench.floor",
            f"--port={port}",
            f"--emulator={emu.base_url}",
            f"--region={emu.region}",
            f"--tenant-id={emu.tenant_id}",
            f"--api-key={emu.api_key}",
            f"--api-secret={emu.api_secret}",
            f"--queue-id={QUEUE_ID}",
            *(["--uvloop"] if plan.uvloop else []),
        ]
        async with self.running("floor", *argv) as proc:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            if b"listening" not in line:
                raise RuntimeError(f"the floor did not start; see {self.workdir}")
            yield Relay([proc], [f"ws://127.0.0.1:{port}/chat/ws"])

    async def load(self, task: str, urls: list[str], plan: Plan, *extra: str) -> asyncio.subprocess.Process:
        argv = ["-m", "bench.load", task, f"--url={','.join(urls)}", f"--addresses={plan.addresses}", *extra]
        if plan.uvloop:
            argv.append("--uvloop")
        return await self.spawn(f"load-{task}", *argv, stdin=task == "idle")


async def stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def wait_ready(url: str, proc: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        for _ in range(300):
            if proc.returncode is not None:
                raise RuntimeError(f"{url}: the process exited with {proc.returncode}")
            with suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(url) as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} never answered 200")


async def read_result(proc: asyncio.subprocess.Process, what: str) -> dict[str, Any]:
    assert proc.stdout is not None
    line = await proc.stdout.readline()
    if not line:
        await proc.wait()
        raise RuntimeError(f"the load generator ({what}) exited with {proc.returncode} and no result")
    result: dict[str, Any] = json.loads(line)
    return result


async def finish(proc: asyncio.subprocess.Process, what: str) -> None:
    if await proc.wait() != 0:
        raise RuntimeError(f"the load generator ({what}) exited with {proc.returncode}")


# --- parts -----------------------------------------------------------------------------------------------


def gateway_targets(plan: Plan) -> dict[str, Path]:
    """The gateways measured, by name: ``gateway`` alone, or ``gateway:<dir>`` each for an A/B run."""
    if len(plan.gateway_srcs) == 1:
        return {"gateway": plan.gateway_srcs[0]}
    named: dict[str, Path] = {}
    for i, src in enumerate(plan.gateway_srcs):
        name = f"gateway:{src.name}"
        named[name if name not in named else f"{name}#{i + 1}"] = src
    return named


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


async def part_memory(procs: Procs, plan: Plan) -> dict[str, Any]:
    return await _each_gateway(plan, lambda name, src: _memory(procs, plan, src, name))


async def _each_gateway(
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
    return await _each_gateway(plan, lambda name, src: _escalation(procs, plan, src, name))


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


# --- report ----------------------------------------------------------------------------------------------


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
