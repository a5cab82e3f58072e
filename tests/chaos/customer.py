"""A chaos customer: a WebSocket client that behaves like the widget when the network and the gateway fail.

It keeps one socket open at a time and reconnects (with backoff) whenever the socket goes away, resuming with
``start`` + ``session`` + ``last_seq``. Every frame of every socket is kept with the socket's number and the
time it arrived, so the test can tell a replay (the same seq again, same content) from a duplicate (the same
line under another seq). Lines are sent one at a time and re-sent with the same ``client_id`` until acked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

ACK_TIMEOUT_S = 2.0
"""A line not acked this long is sent again (same client_id), as a widget does."""


@dataclass
class Line:
    text: str
    client_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    first_sent: float | None = None
    sends: int = 0
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Received:
    socket: int
    at: float
    frame: dict[str, Any]


class ChaosCustomer:
    def __init__(self, name: str, base_url: str, http: aiohttp.ClientSession, rng: random.Random) -> None:
        self.name = name
        self._url = f"{base_url}/chat/ws"
        self._http = http
        self._rng = rng
        self.session: str | None = None
        self.conversation_id: str | None = None
        self.last_seq = 0
        self.state: str | None = None
        self._state_seq = -1
        self.frames: list[Received] = []
        self.acks: dict[str, int] = {}
        self.anomalies: list[str] = []
        """Protocol breaches seen on the way (an ack whose seq changed, an unknown_session on resume...)."""
        self.sockets = 0
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._news = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    # --- life ------------------------------------------------------------------------------------

    async def open(self, *, timeout: float = 60.0) -> None:
        self._task = asyncio.create_task(self._run(), name=f"customer-{self.name}")
        await self.wait_until(lambda: self._ws is not None, timeout, "a session")

    async def close(self) -> None:
        self._closing = True
        ws = self._ws
        if ws is not None:
            await ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def drop(self) -> bool:
        """Cut the current socket (the widget's network went away); the customer reconnects by itself."""
        ws = self._ws
        if ws is None or self._closing:
            return False
        await ws.close()
        return True

    @property
    def connected(self) -> bool:
        return self._ws is not None

    # --- waiting ---------------------------------------------------------------------------------

    def _notify(self) -> None:
        self._news.set()
        self._news = asyncio.Event()

    async def wait(self, predicate: Callable[[], object], timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._news.wait(), remaining)
        return True

    async def wait_until(self, predicate: Callable[[], object], timeout: float, what: str) -> None:
        if not await self.wait(predicate, timeout):
            raise AssertionError(
                f"customer {self.name} ({self.conversation_id}): no {what} within {timeout}s "
                f"(state {self.state}, last_seq {self.last_seq}, sockets {self.sockets})"
            )

    # --- the socket --------------------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = 0.05
        while not self._closing:
            try:
                ws = await self._http.ws_connect(self._url, autoping=True)
            except (aiohttp.ClientError, OSError):
                await asyncio.sleep(backoff * self._rng.uniform(0.5, 1.0))
                backoff = min(1.0, backoff * 2)
                continue
            backoff = 0.05
            self.sockets += 1
            try:
                await self._serve(ws)
            except (aiohttp.ClientError, ConnectionError, RuntimeError):
                pass
            finally:
                self._ws = None
                self._notify()
                with contextlib.suppress(Exception):
                    await ws.close()

    async def _serve(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        start: dict[str, Any] = {"type": "start"}
        if self.session is not None:
            start |= {"session": self.session, "last_seq": self.last_seq}
        else:
            start["customer"] = {"name": self.name}
        await ws.send_str(json.dumps(start))
        socket = self.sockets
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
            self._on_frame(ws, socket, json.loads(msg.data))

    def _on_frame(self, ws: aiohttp.ClientWebSocketResponse, socket: int, frame: dict[str, Any]) -> None:
        self.frames.append(Received(socket, time.time(), frame))
        kind = frame.get("type")
        seq = frame.get("seq")
        if kind == "session":
            if self.conversation_id not in (None, frame["conversation_id"]):
                self.anomalies.append(f"resume gave another conversation: {frame['conversation_id']}")
            self.session = frame["session"]
            self.conversation_id = frame["conversation_id"]
            if self.state is None:
                self.state = frame["state"]
            self._ws = ws
        elif kind == "ack":
            first = self.acks.setdefault(frame["client_id"], frame["seq"])
            if first != frame["seq"]:
                self.anomalies.append(f"client_id {frame['client_id']} acked as {first} and {frame['seq']}")
        elif kind == "error" and frame.get("code") == "unknown_session":
            self.anomalies.append(f"resume refused: {frame}")
        if isinstance(seq, int):
            self.last_seq = max(self.last_seq, seq)
            if kind == "state" and seq > self._state_seq:
                self._state_seq = seq
                self.state = frame["state"]
        self._notify()

    # --- speaking ----------------------------------------------------------------------------------

    async def _send(self, frame: dict[str, Any]) -> aiohttp.ClientWebSocketResponse | None:
        """Send on the current socket; None when there is none (or it broke while sending)."""
        ws = self._ws
        if ws is None:
            await self.wait(lambda: self._ws is not None, ACK_TIMEOUT_S)
            return None
        try:
            await ws.send_str(json.dumps(frame))
        except (aiohttp.ClientError, ConnectionError, RuntimeError):
            await asyncio.sleep(0.05)
            return None
        return ws

    async def say(self, line: Line, *, timeout: float = 120.0) -> int:
        """Send ``line`` until it is acked (re-sent after a reconnect or a silence); return its seq."""
        deadline = asyncio.get_running_loop().time() + timeout
        frame = {"type": "message", "text": line.text, "client_id": line.client_id}
        while line.client_id not in self.acks:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"customer {self.name}: {line.text!r} never acked in {timeout}s")
            if line.first_sent is None:
                line.first_sent = time.time()
            ws = await self._send(frame)
            if ws is None:
                continue
            line.sends += 1
            await self.wait(lambda w=ws: line.client_id in self.acks or self._ws is not w, ACK_TIMEOUT_S)  # type: ignore[misc]
        line.seq = self.acks[line.client_id]
        return line.seq

    async def leave(self, *, timeout: float = 120.0) -> None:
        """Send ``leave`` until the conversation is closed (a leave lost with a socket is sent again)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.state != "closed":
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"customer {self.name}: leave not done in {timeout}s (state {self.state})"
                )
            ws = await self._send({"type": "leave"})
            if ws is not None:
                await self.wait(lambda w=ws: self.state == "closed" or self._ws is not w, ACK_TIMEOUT_S)  # type: ignore[misc]
