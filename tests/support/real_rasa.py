"""For tests against a real Rasa: where it is installed, the running server, and waiting for a gateway's
``/readyz`` (the fixtures that start them are in ``tests/real_rasa/conftest.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer


@dataclass(frozen=True)
class RasaInstall:
    rasa: Path
    model: Path


@dataclass(frozen=True)
class RasaServer:
    url: str  # base URL, no trailing slash
    token: str  # --auth-token (query parameter ``token`` of the HTTP API)
    log_path: Path


GatewayStarter = Callable[..., Awaitable[TestServer]]
"""``await start_gateway_for(wait_ready=True, **overrides)``: a gateway with the real Rasa as its bot."""


async def until_ready(gateway: TestServer, timeout_s: float = 20) -> None:
    async with aiohttp.ClientSession() as http:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            async with http.get(gateway.make_url("/readyz")) as resp:
                if resp.status == 200:
                    return
                detail = await resp.text()
            assert loop.time() < deadline, f"gateway not ready: {detail}"
            await asyncio.sleep(0.1)
