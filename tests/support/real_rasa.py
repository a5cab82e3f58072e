"""For tests against a real Rasa: where it is installed, the running server, and waiting for a gateway's
``/readyz`` (the fixtures that start them are in ``tests/real_rasa/conftest.py``)."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from tests.support.action_server import REPO_ROOT

RASA_VENV_SCRIPT = REPO_ROOT / "scripts" / "rasa-venv"
EXAMPLE = REPO_ROOT / "examples" / "rasa"
RASA_START_TIMEOUT_S = 90.0
NO_PYTHON310 = 3
"""``scripts/rasa-venv --locate`` exits with this when the machine has no Python 3.10."""
TOKEN = "real-rasa-test-token"  # Rasa's --auth-token, and the gateway's GATEWAY_BOT__TOKEN


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


def rasa_says_hello(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as resp:
        body: bytes = resp.read()
        return resp.status == 200 and body.startswith(b"Hello from Rasa")
