"""Stalled uploads cannot make the gateway hold their bodies in memory.

The attack (issue 19, finding 2): 40 sessions still with the bot each start a 10 MiB upload, send most
of it and stop. The gateway read every body whole before looking at the session's state, so its RSS went
from 106 to 451 MiB, and only then answered 409 to each. Now the state and ``Content-Length`` are checked
before a byte of the body is read, and uploads being read are capped and timed out.

The gateway runs as its own ``chat-gateway serve`` process, so its RSS is its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import unused_port

from tests.support.process import gateway_env, start_gateway_process, wait_until

MIB = 1024 * 1024
UPLOADS = 40
DECLARED = 10 * MIB
SENT = 9 * MIB
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 1016


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    port = unused_port()
    env = gateway_env(
        GATEWAY_PORT=str(port),
        GATEWAY_STORE__URL=f"sqlite:///{tmp_path / 'gateway.db'}",
        GATEWAY_STORE__SYNCHRONOUS="normal",
        GATEWAY_LOG__LEVEL="warning",
    )
    proc = await start_gateway_process(env, tmp_path, quiet=True)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until(f"{base}/healthz")
        yield base, proc.pid
    finally:
        proc.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 10)
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def _stalled_upload(
    port: int, conversation_id: str, token: str
) -> tuple[asyncio.StreamWriter, asyncio.Task[bytes]]:
    """Declare 10 MiB, send up to 9 MiB (as far as the gateway takes it within a few seconds), then stop."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /chat/sessions/{conversation_id}/attachments?filename=a.png&client_id=up-{conversation_id} "
        f"HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: image/png\r\n"
        f"Content-Length: {DECLARED}\r\n\r\n"
    )
    writer.write(head.encode() + PNG)
    answer = asyncio.create_task(reader.read(4096))
    chunk = b"\0" * MIB
    with contextlib.suppress(TimeoutError, ConnectionError):
        async with asyncio.timeout(4):
            for _ in range(SENT // MIB):
                writer.write(chunk)
                await writer.drain()
    return writer, answer


async def test_forty_stalled_uploads_from_sessions_with_the_bot_cost_little_memory(
    served: tuple[str, int], http: aiohttp.ClientSession
) -> None:
    base, pid = served
    port = int(base.rsplit(":", 1)[1])
    sessions = []
    for _ in range(UPLOADS):
        async with http.post(f"{base}/chat/sessions") as resp:
            assert resp.status == 201
            body = await resp.json()
            sessions.append((body["conversation_id"], body["session"]))
    await asyncio.sleep(0.5)
    before = rss_bytes(pid)
    started = await asyncio.gather(*(_stalled_upload(port, cid, token) for cid, token in sessions))
    await asyncio.sleep(1.0)
    growth = rss_bytes(pid) - before
    try:
        assert growth < 64 * MIB, f"RSS grew by {growth / MIB:.0f} MiB"
        answers = await asyncio.gather(*(asyncio.wait_for(answer, 15) for _, answer in started))
    finally:
        for writer, _ in started:
            writer.close()
    # Each was refused for the state, without the gateway waiting for (or reading) the body.
    assert all(a.startswith(b"HTTP/1.1 409 ") for a in answers), {a[:40] for a in answers}
    async with http.get(f"{base}/healthz") as resp:
        assert resp.status == 200
