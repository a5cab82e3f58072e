"""A customer socket that stops reading delays nobody else's chat, across instances or on a resync.

The attack (issue 19, finding 3): the Redis fan-out listener awaited each socket's send inline, so one
socket whose client stopped reading (its TCP buffers full) stalled cross-instance delivery for everyone
on that instance for over 70 s. Now every socket has a bounded queue drained by its own writer; the
listener and the hub's resync only queue, and a socket that cannot keep up is closed.

Two gateway instances share a real Redis. Customer X's lines are posted on instance A; X also holds a
raw socket on instance B that reads nothing. Customer Y talks on A and listens on B: Y's line must
reach B within 3 s, while X's socket is stalled and after the fan-out link to Redis was cut (resync).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from tests.support.customer import CustomerSocket
from tests.support.gateway import SettingsFactory

LINE = "x" * 60_000
SEND_TIMEOUT_S = 3.0
FLOOD = 150  # 9 MB for X's socket: more than the kernel's buffers on loopback hold


@pytest.fixture
def store_kind() -> str:
    return "redis"


@pytest.fixture
def two_instances(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory
) -> Callable[[], Awaitable[tuple[TestServer, TestServer]]]:
    async def start() -> tuple[TestServer, TestServer]:
        limits = {
            "max_text_chars": 60_000,
            "max_body_bytes": 128 * 1024,
            "messages_per_second": 1000,
            "burst": 1000,
            "address_rate": 1000,
            "address_burst": 1000,
            "socket_send_timeout_s": SEND_TIMEOUT_S,
        }
        servers = [
            await aiohttp_server(build_app(make_settings(limits=limits, shutdown_timeout_s=2)))
            for _ in range(2)
        ]
        return servers[0], servers[1]

    return start


class StalledSocket:
    """A WebSocket client with a tiny receive buffer that, once started, reads nothing."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> StalledSocket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=2**20)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /chat/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    def send(self, frame: dict[str, Any]) -> None:
        payload = json.dumps(frame).encode()
        mask = os.urandom(4)
        assert len(payload) < 126
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + masked)

    async def closed_within(self, seconds: float) -> bool:
        """Read what is buffered until the gateway ends the connection (True) or ``seconds`` pass."""
        try:
            async with asyncio.timeout(seconds):
                while await self.reader.read(2**20):
                    pass
        except TimeoutError:
            return False
        except ConnectionError:
            pass
        return True


async def _session(http: aiohttp.ClientSession, server: TestServer) -> dict[str, Any]:
    async with http.post(server.make_url("/chat/sessions")) as resp:
        assert resp.status == 201
        body: dict[str, Any] = await resp.json()
        return body


async def _post(http: aiohttp.ClientSession, server: TestServer, conv: dict[str, Any], text: str) -> None:
    async with http.post(
        server.make_url(f"/chat/sessions/{conv['conversation_id']}/messages"),
        json={"text": text, "client_id": os.urandom(8).hex()},
        headers={"Authorization": f"Bearer {conv['session']}"},
    ) as resp:
        assert resp.status == 202, await resp.text()


@pytest.mark.parametrize("cut_fanout_link", [False, True], ids=["live", "resync"])
async def test_a_socket_that_stops_reading_does_not_delay_another_customer(
    two_instances: Callable[[], Awaitable[tuple[TestServer, TestServer]]],
    http: aiohttp.ClientSession,
    redis_url: str,
    cut_fanout_link: bool,
) -> None:
    a, b = await two_instances()
    assert b.port is not None
    x = await _session(http, a)
    stalled = await StalledSocket.open(b.port)
    stalled.send({"type": "start", "session": x["session"], "last_seq": 0})
    y_on_b = CustomerSocket(await http.ws_connect(b.make_url("/chat/ws")))
    y = await _session(http, a)
    y_on_b.session = y["session"]
    await y_on_b.start(resume=True)

    for _ in range(FLOOD):
        await _post(http, a, x, LINE)
    if cut_fanout_link:  # every instance re-subscribes and resyncs all its sockets, the stalled one too
        link = aioredis.Redis.from_url(redis_url)
        try:
            await link.client_kill_filter(_type="pubsub")
        finally:
            await link.aclose()
        await asyncio.sleep(0.5)

    await _post(http, a, y, "are you there?")
    loop = asyncio.get_running_loop()
    sent_at = loop.time()
    frame = await y_on_b.until("message", timeout=3.0, author="customer", text="are you there?")
    assert loop.time() - sent_at < 3.0, frame
    # The socket that stopped reading is closed (1013, then dropped after a grace): reading it now
    # finds its end, not a stream that resumes.
    await asyncio.sleep(SEND_TIMEOUT_S + 3)
    try:
        assert await stalled.closed_within(5.0)
    finally:
        stalled.writer.close()
        with contextlib.suppress(ConnectionError):
            await stalled.writer.wait_closed()
        await y_on_b.ws.close()
