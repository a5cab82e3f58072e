"""The load generator, run as its own process (``python -m bench.load``) by ``python -m bench``.

Speaks the customer WebSocket protocol to a gateway or the floor and prints one JSON object per result on
stdout. ``--url`` may name several gateway instances (comma-separated): session n goes to the n-th URL,
round robin. Tasks:

- ``roundtrip``: open N sessions, take each to an agent (``/agent``; the emulator's auto agents echo every
  line), do a few warm-up round trips, then, all sessions at once, M round trips each: a customer frame out,
  the agent's echo frame in, one outstanding line per session (closed loop).
- ``idle``: open sessions (start frame answered with a session token, socket kept open) up to each of the
  given counts; after each count print a line and wait for a line on stdin before going on.
- ``escalate``: one session after the other, say L lines to the bot (each answered), then ``/agent``, and
  time the handoff until the ``queued`` state frame (the contact-center conversation is created).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

FRAME_TIMEOUT_S = 30.0


class Customer:
    def __init__(self, http: aiohttp.ClientSession, url: str, n: int) -> None:
        self._http = http
        self._url = url
        self.n = n
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._client_seq = 0

    async def open(self) -> None:
        self.ws = await self._http.ws_connect(self._url, autoping=True, max_msg_size=4 * 1024 * 1024)
        await self.ws.send_str(json.dumps({"type": "start", "customer": {"name": f"Bench {self.n}"}}))
        await self.until(lambda f: f.get("type") == "session")

    async def say(self, text: str) -> None:
        assert self.ws is not None
        self._client_seq += 1
        await self.ws.send_str(
            json.dumps({"type": "message", "text": text, "client_id": f"c{self._client_seq}"})
        )

    async def until(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        assert self.ws is not None
        while True:
            msg = await self.ws.receive(FRAME_TIMEOUT_S)
            if msg.type is not aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"session {self.n}: socket says {msg.type.name} {msg.data!r}")
            frame: dict[str, Any] = json.loads(msg.data)
            if frame.get("type") == "error":
                raise RuntimeError(f"session {self.n}: error frame {frame}")
            if match(frame):
                return frame

    async def escalate(self) -> None:
        await self.say("/agent")
        await self.until(lambda f: f.get("type") == "state" and f.get("state") == "agent")

    async def round_trip(self, i: int) -> float:
        token = f"s{self.n}m{i}"
        started = time.perf_counter()
        await self.say(token)
        await self.until(
            lambda f: (
                f.get("type") == "message"
                and f.get("author") == "agent"
                and str(f.get("text")).endswith(token)
            )
        )
        return time.perf_counter() - started

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result), flush=True)


async def gather_limited(jobs: list[Callable[[], Awaitable[None]]], limit: int) -> None:
    semaphore = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[None]]) -> None:
        async with semaphore:
            await job()

    await asyncio.gather(*(run(job) for job in jobs))


class Clients:
    """One HTTP client per source address (127.0.0.1, .2, …), so many sockets spread over addresses.

    Sessions are spread round robin over the given customer WebSocket URLs (one per gateway instance).
    """

    def __init__(self, urls: list[str], addresses: int) -> None:
        self.urls = urls
        self.sessions = [
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, local_addr=(f"127.0.0.{k + 1}", 0)),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=30),
            )
            for k in range(addresses)
        ]

    def customer(self, n: int) -> Customer:
        return Customer(self.sessions[n % len(self.sessions)], self.urls[n % len(self.urls)], n)

    async def close(self) -> None:
        for session in self.sessions:
            await session.close()


async def roundtrip(args: argparse.Namespace, clients: Clients) -> None:
    customers = [clients.customer(n) for n in range(args.sessions)]
    started = time.perf_counter()

    async def prepare(c: Customer) -> None:
        await c.open()
        await c.escalate()
        for i in range(args.warmup):
            await c.round_trip(-1 - i)

    await gather_limited([lambda c=c: prepare(c) for c in customers], 100)  # type: ignore[misc]
    setup_s = time.perf_counter() - started
    latencies: list[float] = []
    emit({"task": "roundtrip", "phase": "timing"})  # the orchestrator notes the servers' CPU time now

    async def run(c: Customer) -> None:
        for i in range(args.messages):
            latencies.append(await c.round_trip(i))

    started = time.perf_counter()
    await asyncio.gather(*(run(c) for c in customers))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(c.close() for c in customers))
    emit(
        {
            "task": "roundtrip",
            "sessions": args.sessions,
            "messages": args.messages,
            "round_trips": len(latencies),
            "elapsed_s": round(elapsed, 3),
            "setup_s": round(setup_s, 3),
            "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 2),
            "p99_ms": round(percentile(latencies, 99) * 1000, 2),
            "mean_ms": round(sum(latencies) / len(latencies) * 1000, 2),
        }
    )


async def idle(args: argparse.Namespace, clients: Clients) -> None:
    customers: list[Customer] = []
    readers: list[asyncio.Task[None]] = []

    async def keep_reading(c: Customer) -> None:
        assert c.ws is not None
        async for _msg in c.ws:  # answers the server's pings; idle sessions get nothing else
            pass

    async def open_one(c: Customer) -> None:
        await c.open()
        readers.append(asyncio.create_task(keep_reading(c)))

    loop = asyncio.get_running_loop()
    for count in sorted(int(x) for x in args.counts.split(",")):
        started = time.perf_counter()
        new = [clients.customer(n) for n in range(len(customers), count)]
        await gather_limited([lambda c=c: open_one(c) for c in new], 100)  # type: ignore[misc]
        customers.extend(new)
        emit({"task": "idle", "open": len(customers), "open_s": round(time.perf_counter() - started, 2)})
        await loop.run_in_executor(None, sys.stdin.readline)  # the orchestrator has measured
    await gather_limited([lambda c=c: c.close() for c in customers], 500)  # type: ignore[misc]
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


async def escalate(args: argparse.Namespace, clients: Clients) -> None:
    durations: list[float] = []
    for n in range(args.sessions):
        c = clients.customer(n)
        await c.open()
        for i in range(args.lines):
            await c.say(f"line {i} of my story about an order")
            await c.until(lambda f: f.get("type") == "message" and f.get("author") == "bot")
        started = time.perf_counter()
        await c.say("/agent")
        await c.until(lambda f: f.get("type") == "state" and f.get("state") == "queued")
        durations.append(time.perf_counter() - started)
        await c.close()
    emit(
        {
            "task": "escalate",
            "sessions": args.sessions,
            "customer_lines": args.lines,
            "handoff_to_created_ms": [round(d * 1000, 2) for d in durations],
            "p50_ms": round(percentile(durations, 50) * 1000, 2),
            "mean_ms": round(sum(durations) / len(durations) * 1000, 2),
        }
    )


TASKS = {"roundtrip": roundtrip, "idle": idle, "escalate": escalate}


async def run(args: argparse.Namespace) -> None:
    clients = Clients(args.urls, args.addresses)
    try:
        await TASKS[args.task](args, clients)
    finally:
        await clients.close()


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument(
        "--url",
        required=True,
        help="the customer WebSocket, ws://host:port/chat/ws; several comma-separated: round robin",
    )
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--messages", type=int, default=50, help="round trips per session")
    parser.add_argument("--warmup", type=int, default=2, help="round trips per session before timing")
    parser.add_argument("--counts", default="1000,10000", help="idle: open sessions, comma-separated")
    parser.add_argument("--lines", type=int, default=25, help="escalate: customer lines before the handoff")
    parser.add_argument("--addresses", type=int, default=8, help="source addresses 127.0.0.1..N")
    parser.add_argument("--uvloop", action="store_true")
    args = parser.parse_args(argv)
    args.urls = [u.strip() for u in args.url.split(",") if u.strip()]
    if not args.urls:
        parser.error("--url: no URL given")
    raise_fd_limit()
    if args.uvloop:
        import uvloop

        uvloop.run(run(args))
    else:
        asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
