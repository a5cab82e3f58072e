"""A scripted customer speaking the WebSocket protocol of design.md, for tests over real sockets."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp


class CustomerSocket:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.session: str | None = None
        self.conversation_id: str | None = None
        self.last_seq = 0
        self.seen: list[dict[str, Any]] = []

    async def send(self, **frame: Any) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        msg = await asyncio.wait_for(self.ws.receive(), timeout)
        assert msg.type is aiohttp.WSMsgType.TEXT, f"expected a text frame, got {msg.type}: {msg.data!r}"
        frame: dict[str, Any] = json.loads(msg.data)
        self.seen.append(frame)
        if isinstance(frame.get("seq"), int):
            self.last_seq = max(self.last_seq, frame["seq"])
        return frame

    async def expect(self, type: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        """The next frame, which must be of ``type`` and have ``fields``."""
        frame = await self.recv(timeout)
        assert frame["type"] == type, f"expected {type}, got {frame}"
        for key, value in fields.items():
            assert frame.get(key) == value, f"{key}: expected {value!r} in {frame}"
        return frame

    async def bot_says(self, timeout: float = 15.0) -> dict[str, Any]:
        """The bot's next line: the next frame but the bot's "thinking" typing frames (sent while a slow
        answer is on its way, as under load), which must be a message from the bot."""
        while True:
            frame = await self.recv(timeout)
            if frame["type"] == "typing" and frame.get("author") == "bot":
                continue
            assert frame["type"] == "message", f"expected message, got {frame}"
            assert frame.get("author") == "bot", f"author: expected 'bot' in {frame}"
            return frame

    async def until(self, type: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        """Skip frames until one of ``type`` with ``fields`` arrives."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - loop.time()))
            if frame["type"] == type and all(frame.get(k) == v for k, v in fields.items()):
                return frame

    async def silent(self, for_s: float = 0.3) -> None:
        """Assert that nothing arrives for a while."""
        try:
            msg = await asyncio.wait_for(self.ws.receive(), for_s)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected frame: {msg.data!r}")

    async def start(
        self, *, resume: bool = False, last_seq: int | None = None, **extra: Any
    ) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "start", **extra}
        if resume:
            frame["session"] = self.session
            frame["last_seq"] = self.last_seq if last_seq is None else last_seq
        await self.send(**frame)
        session = await self.expect("session")
        self.session = session["session"]
        self.conversation_id = session["conversation_id"]
        return session

    async def say(self, text: str, client_id: str | None = None) -> dict[str, Any]:
        """Send a line and return its ack."""
        client_id = client_id or uuid.uuid4().hex
        await self.send(type="message", text=text, client_id=client_id)
        return await self.until("ack", client_id=client_id)
