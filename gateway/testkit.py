"""The escalation-flow test kit: a pytest plugin (entry point ``pytest11``) for your own tests of a bot that
escalates through the gateway. It needs pytest and pytest-asyncio in auto mode (``asyncio_mode = auto``), and
nothing else: ``pip install "chat-escalation-gateway[testkit]"``. docs/testing.md shows it in use.

Fixtures (with ``emulator`` from the emulator's plugin, a local 8x8):

- ``gateway_settings``: a dict of setting overrides, nested like the settings tree (``{"bot": {"url":
  "http://localhost:5005", "token": "..."}}`` for a real Rasa); override it in your conftest.py or with
  ``@pytest.mark.parametrize("gateway_settings", [...], indirect=True)``. Default: ``{}`` (embedded bot).
- ``customer``: an async factory, ``ann = await customer(name="Ann")``: a customer connected to a gateway
  that runs on a free port, wired to ``emulator`` (Chat Gateway v1, queue ``101``), its store in a temporary
  folder. One gateway per test, started on the first call.

A ``Customer`` has ``say(text)``, ``wait_for_state(state, timeout=...)``, ``next_message(author=None,
timeout=...)`` (the next message frame not read yet, as a dict), ``conversation_id``, ``state``,
``frames`` (everything received) and ``contact_center_id`` (the 8x8 conversation id, once 8x8 has it).
The settings never come from ``GATEWAY_*`` variables or a ``.env`` file.
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gateway.app import build_app
from gateway.emulator.handle import Emulator
from gateway.settings import Settings

CustomerFactory = Callable[..., Awaitable["Customer"]]


class Customer:
    """One customer on the gateway's WebSocket (the widget's protocol, shared/design.md)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, emulator: Emulator) -> None:
        self._ws = ws
        self._emulator = emulator
        self.frames: list[dict[str, Any]] = []
        self.conversation_id: str | None = None
        self.state: str | None = None
        self._changed = asyncio.Condition()
        self._returned: set[int] = set()  # indexes of the message frames next_message returned
        self._reader = asyncio.create_task(self._read_frames(), name="testkit-customer")

    @property
    def contact_center_id(self) -> str | None:
        """The 8x8 conversation of this customer's latest escalation (``None`` before 8x8 has one)."""
        for cid in reversed(self._emulator.conversation_ids()):
            view = self._emulator.conversation(cid)
            owner = (view.get("user") or {}).get("userId") or (view.get("customer") or {}).get("customerId")
            if owner is not None and owner == self.conversation_id:
                return cid
        return None

    async def start(self, **customer: str) -> None:
        since = len(self.frames)
        await self._send(type="start", customer=customer)
        frame = await self._until(lambda f: f["type"] in ("session", "error"), since=since, timeout=10)
        if frame["type"] == "error":
            raise AssertionError(f"the gateway refused the start: {frame}")

    async def say(self, text: str, *, timeout: float = 10.0) -> int:
        """Send a line; return its seq once the gateway has stored it (acked)."""
        client_id, since = uuid.uuid4().hex, len(self.frames)
        await self._send(type="message", text=text, client_id=client_id)
        frame = await self._until(
            lambda f: (f["type"] == "ack" and f.get("client_id") == client_id) or f["type"] == "error",
            since=since,
            timeout=timeout,
        )
        if frame["type"] == "error":
            raise AssertionError(f"the gateway refused the line: {frame}")
        return int(frame["seq"])

    async def wait_for_state(self, state: str, *, timeout: float = 10.0) -> str:
        """Wait until the conversation is in ``state`` (``bot``, ``escalating``, ``queued``, ``agent``,
        ``closed``); return it at once when it already is."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.state == state), timeout)
        return state

    async def next_message(self, author: str | None = None, *, timeout: float = 10.0) -> dict[str, Any]:
        """The next message frame not returned before (by ``author``: ``bot``, ``agent``, ``system``,
        ``customer``, or any); frames of other authors it passes over stay unread for a later call."""

        def unread() -> dict[str, Any] | None:
            for index, frame in enumerate(self.frames):
                if index in self._returned or frame["type"] != "message":
                    continue
                if author is None or frame.get("author") == author:
                    self._returned.add(index)
                    return frame
            return None

        return await self._wait(unread, timeout)

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)

    async def _send(self, **frame: Any) -> None:
        await self._ws.send_str(json.dumps(frame))

    async def _until(
        self, match: Callable[[dict[str, Any]], bool], *, since: int, timeout: float
    ) -> dict[str, Any]:
        return await self._wait(lambda: next((f for f in self.frames[since:] if match(f)), None), timeout)

    async def _wait(self, find: Callable[[], dict[str, Any] | None], timeout: float) -> dict[str, Any]:
        """Wait until ``find`` (called under the lock, after every frame) returns a frame."""
        found: list[dict[str, Any]] = []

        def ready() -> bool:
            if (frame := find()) is not None:
                found.append(frame)
            return bool(found)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(ready), timeout)
        return found[0]

    async def _read_frames(self) -> None:
        async for msg in self._ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            async with self._changed:
                self.frames.append(frame)
                if frame.get("type") == "session":
                    self.conversation_id = frame.get("conversation_id")
                    self.state = frame.get("state")
                elif frame.get("type") == "state":
                    self.state = frame.get("state")
                self._changed.notify_all()


def free_socket() -> socket.socket:
    """A listening-ready socket on a free local port (bound now, so no other process can take the port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``overrides`` on top of ``base``; nested dicts are merged key by key."""
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def emulator_settings(emulator: Emulator, port: int, store: Path) -> dict[str, Any]:
    """A gateway on ``port`` escalating to the emulator's Chat Gateway v1 (queue 101), quick retries."""
    return {
        "public_url": f"http://127.0.0.1:{port}",
        "contact_center": "chat_gateway",
        "chat_gateway": {
            "base_url": emulator.base_url,
            "api_key": emulator.chat_gateway_api_key,
            "tenant": emulator.tenant_id,
            "queue_id": "101",
            "agent_names": {a.id: a.name.split(",")[0] for a in emulator.config.agents},
        },
        "store": {"url": f"sqlite:///{store}"},
        "relay": {"retry_base_s": 0.05, "retry_cap_s": 0.5},
    }


def testkit_settings(values: dict[str, Any]) -> Settings:
    # An env prefix nothing uses, and no .env file: the machine's GATEWAY_* variables never leak into a test.
    return Settings(_env_file=None, _env_prefix="CHAT_GATEWAY_TESTKIT_UNUSED_", **values)


@pytest.fixture
def gateway_settings() -> dict[str, Any]:
    """Setting overrides for the ``customer`` fixture's gateway (nested dicts); override in conftest.py."""
    return {}


@pytest.fixture
async def customer(
    emulator: Emulator, gateway_settings: dict[str, Any], tmp_path: Path
) -> AsyncIterator[CustomerFactory]:
    """``ann = await customer(name="Ann")``: a started customer on a gateway wired to ``emulator``."""
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())
        base: list[str] = []
        customers: list[Customer] = []

        async def start_gateway() -> str:
            sock = free_socket()
            port = sock.getsockname()[1]
            values = merged(emulator_settings(emulator, port, tmp_path / "gateway.db"), gateway_settings)
            runner = web.AppRunner(build_app(testkit_settings(values)))
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            await web.SockSite(runner, sock).start()
            return f"http://127.0.0.1:{port}"

        async def make(**details: str) -> Customer:
            if not base:
                base.append(await start_gateway())
            ws = await session.ws_connect(f"{base[0]}/chat/ws")
            person = Customer(ws, emulator)
            customers.append(person)
            await person.start(**details)
            return person

        try:
            yield make
        finally:
            for person in customers:
                await person.close()
