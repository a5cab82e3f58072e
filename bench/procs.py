"""The bench's actors as child processes: emulator, floor, gateway instances (and Redis), load generator."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from bench.plan import METRICS_TOKEN, QUEUE_ID, ROOT, Emu, Plan, Relay
from bench.procstat import free_port


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
