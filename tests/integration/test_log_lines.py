"""Production logs are one JSON object per line, aiohttp's access log included (it used to be plain text)."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import aiohttp
from aiohttp.test_utils import unused_port

from tests.support.process import gateway_env, start_gateway_process, wait_until


async def test_access_and_gateway_lines_are_all_json(tmp_path: Path) -> None:
    port = unused_port()
    env = gateway_env(
        GATEWAY_PORT=str(port),
        GATEWAY_STORE__URL=f"sqlite:///{tmp_path / 'gw.db'}",
        GATEWAY_LOG__FORMAT="json",
        GATEWAY_LOG__ACCESS="true",
    )
    proc = await start_gateway_process(env, tmp_path)
    try:
        await wait_until(f"http://127.0.0.1:{port}/healthz")
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/no-such-page") as resp:
            assert resp.status == 404
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 15)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines = [line for line in err.decode().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # any plain-text line fails here
    access = [r for r in records if r.get("logger") == "aiohttp.access"]
    assert any("GET /no-such-page" in r["event"] and " 404 " in r["event"] for r in access), lines
    assert all("timestamp" in r and "level" in r for r in records)
