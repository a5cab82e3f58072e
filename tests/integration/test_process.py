"""The real process: `chat-gateway serve` starts, and SIGTERM ends it cleanly without losing acked lines."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import unused_port

from tests.support.customer import CustomerSocket
from tests.support.process import failed_start_up, gateway_env, start_gateway_process, wait_until


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[tuple[asyncio.subprocess.Process, int]]:
    port = unused_port()
    env = gateway_env(GATEWAY_PORT=str(port), GATEWAY_STORE__URL=f"sqlite:///{tmp_path / 'gw.db'}")
    proc = await start_gateway_process(env, tmp_path)
    await wait_until(f"http://127.0.0.1:{port}/healthz")
    try:
        yield proc, port
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_sigterm_closes_sockets_with_1001_and_exits_0(
    serve: tuple[asyncio.subprocess.Process, int], tmp_path: Path
) -> None:
    proc, port = serve
    async with aiohttp.ClientSession() as http:
        c = CustomerSocket(await http.ws_connect(f"http://127.0.0.1:{port}/chat/ws"))
        await c.start()
        assert (await c.say("hello"))["seq"] == 1
        proc.send_signal(signal.SIGTERM)
        closing = await c.ws.receive(timeout=10)
        while closing.type is aiohttp.WSMsgType.TEXT:  # the bot's answer may still be on its way
            closing = await c.ws.receive(timeout=10)
        assert closing.type is aiohttp.WSMsgType.CLOSE
        assert closing.data == aiohttp.WSCloseCode.GOING_AWAY
    assert await asyncio.wait_for(proc.wait(), 15) == 0


async def test_a_bad_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")} | {
        "GATEWAY_LIMITS__BURST": "many"
    }
    lines = await failed_start_up(env, tmp_path)
    assert lines == [
        "configuration error: GATEWAY_LIMITS__BURST: Input should be a valid integer, unable to parse string as an integer"
    ]
