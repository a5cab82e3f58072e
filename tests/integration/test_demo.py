"""``chat-gateway demo`` as a real process: a whole customer journey on Chat Gateway (the default) and on
Chat API v2 (``--api chat_api``), the agent driven through the emulator's control API (the console's calls)."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import unused_port

from tests.support.customer import CustomerSocket
from tests.support.escalation import owner
from tests.support.process import gateway_env, wait_until


async def _demo(tmp_path: Path, *args: str) -> tuple[asyncio.subprocess.Process, int, str]:
    port, emulator_port = unused_port(), unused_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "demo",
        "--port",
        str(port),
        "--emulator-port",
        str(emulator_port),
        *args,
        env=gateway_env(),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await wait_until(f"http://127.0.0.1:{port}/readyz")
    return proc, port, f"http://127.0.0.1:{emulator_port}"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _conversations(http: aiohttp.ClientSession, emulator: str, mine: str) -> list[dict[str, Any]]:
    for _ in range(100):
        async with http.get(f"{emulator}/_emulator/conversations") as resp:
            ids = [c["id"] for c in (await resp.json())["conversations"]]
        found = []
        for cid in ids:
            async with http.get(f"{emulator}/_emulator/conversations/{cid}") as resp:
                view = await resp.json()
            if owner(view) == mine:
                found.append(view)
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("no 8x8 conversation for this chat")


async def _agent(http: aiohttp.ClientSession, emulator: str, cid: str, action: str, **body: str) -> None:
    async with http.post(f"{emulator}/_emulator/conversations/{cid}/agent/{action}", json=body) as resp:
        assert resp.status == 200, await resp.text()


@pytest.mark.parametrize(("args", "api"), [((), "Chat Gateway v1"), (("--api", "chat_api"), "Chat API v2")])
async def test_demo_journey_bot_queue_agent_handback_leave_reopen(
    tmp_path: Path, http: aiohttp.ClientSession, args: tuple[str, ...], api: str
) -> None:
    proc, port, emulator = await _demo(tmp_path, *args)
    try:
        assert proc.stdout is not None
        banner = (await asyncio.wait_for(proc.stdout.read(600), 10)).decode()
        assert api in banner
        c = CustomerSocket(await http.ws_connect(f"http://127.0.0.1:{port}/chat/ws"))
        await c.start()
        await c.say("I want to talk to an agent")
        await c.until("state", state="queued", timeout=10)
        assert c.conversation_id is not None
        [conv] = await _conversations(http, emulator, c.conversation_id)
        assert conv["api"] == ("chat_gateway" if api == "Chat Gateway v1" else "chat_api")
        await _agent(http, emulator, conv["id"], "join", agentId="alice")
        assert (await c.until("state", state="agent"))["agent"]["name"] == "Alice"
        await _agent(http, emulator, conv["id"], "messages", text="Hi, Alice here")
        assert (await c.until("message", author="agent"))["text"] == "Hi, Alice here"
        await _agent(http, emulator, conv["id"], "leave")
        await c.until("state", state="bot")  # handed back to the bot
        await c.send(type="leave")
        await c.until("state", state="closed")
        await c.say("hello again")  # reopens the chat: the bot answers
        await c.until("message", author="bot")
        await c.say("I want to talk to an agent")
        await c.until("state", state="queued", timeout=10)
        assert [x["id"] for x in await _conversations(http, emulator, c.conversation_id)] == [conv["id"]]
        await c.ws.close()
    finally:
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
