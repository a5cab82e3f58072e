"""The gateway as a real process (``python -m gateway serve``) that the chaos test can SIGKILL and restart.

Output goes to a log file (a pipe nobody reads would block the gateway once full).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import aiohttp

from gateway.emulator.handle import Emulator
from tests.support.process import gateway_env


def chaos_env(cc: Emulator, *, port: int, db: Path) -> dict[str, str]:
    """Settings for a gateway on ``port`` wired to the emulator, with fast retries and no per-address limit."""
    return gateway_env(
        GATEWAY_HOST="127.0.0.1",
        GATEWAY_PORT=str(port),
        GATEWAY_PUBLIC_URL=f"http://127.0.0.1:{port}",
        GATEWAY_STORE__URL=f"sqlite:///{db.resolve()}",
        GATEWAY_STORE__SYNCHRONOUS="normal",  # survives a killed process, which is what we do to it
        GATEWAY_CHAT_API__BASE_URL=cc.base_url,
        GATEWAY_CHAT_API__REGION=cc.region,
        GATEWAY_CHAT_API__TENANT_ID=cc.tenant_id,
        GATEWAY_CHAT_API__API_KEY=cc.api_key,
        GATEWAY_CHAT_API__API_SECRET=cc.api_secret,
        GATEWAY_CHAT_API__QUEUE_ID="101",
        GATEWAY_CHAT_API__TIMEOUT_S="1.5",
        GATEWAY_RELAY__RETRY_BASE_S="0.05",
        GATEWAY_RELAY__RETRY_CAP_S="0.5",
        GATEWAY_RELAY__OPEN_MAX_ATTEMPTS="1000",
        GATEWAY_RELAY__QUEUE_OFFER_AFTER_S="0",
        GATEWAY_RELAY__MAX_QUEUE_WAIT_S="0",
        GATEWAY_RELAY__INACTIVITY_TIMEOUT_S="86400",
        GATEWAY_LIMITS__ADDRESS_RATE="100000",
        GATEWAY_LIMITS__ADDRESS_BURST="100000",
        GATEWAY_LIMITS__MAX_SOCKETS_PER_ADDRESS="100000",
        GATEWAY_SHUTDOWN_TIMEOUT_S="1",
        GATEWAY_LOG__LEVEL="warning",
    )


class GatewayProcess:
    """One gateway at a fixed port and store; ``kill`` and ``start`` again as often as you like."""

    def __init__(self, env: dict[str, str], *, cwd: Path, port: int, log: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        self.starts = 0
        self.start_s: list[float] = []
        """How long each start took until /healthz answered."""
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self, *, timeout: float = 60.0) -> None:
        assert not self.running, "the gateway is already running"
        began = asyncio.get_running_loop().time()
        with self.log.open("ab") as out:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "gateway", "serve", env=self.env, cwd=self.cwd, stdout=out, stderr=out
            )
        self.starts += 1
        await self._until_healthy(timeout)
        self.start_s.append(round(asyncio.get_running_loop().time() - began, 2))

    async def _until_healthy(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession() as http:
            while loop.time() < deadline:
                if not self.running:
                    raise AssertionError(f"the gateway exited at start; see {self.log}")
                try:
                    async with http.get(f"{self.url}/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"the gateway did not answer /healthz within {timeout}s; see {self.log}")

    async def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no graceful close, whatever was in flight is cut."""
        if self._proc is not None and self._proc.returncode is None:
            self._proc.send_signal(signal.SIGKILL)
            await self._proc.wait()

    async def stop(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            self._proc.terminate()
            try:
                await asyncio.wait_for(self._proc.wait(), 10)
            except TimeoutError:
                await self.kill()
