"""A real gateway and 8x8 emulator on real ports, in an event loop of their own, for hypothesis tests.

Hypothesis drives plain (synchronous) test functions, so the servers and the test's HTTP client live in
a background thread's loop and each example hands its coroutine over with :meth:`FuzzTarget.run`. The
gateway serves one conversation that already has an agent (``conversation_id``/``cc_id``), which the
tests read before and after bad input to prove that it changed nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from aiohttp.test_utils import unused_port

from gateway.app import build_app
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from gateway.emulator.runtime import runtime_key
from gateway.emulator.signing import signature_payload
from gateway.keys import relay_key
from gateway.settings import Settings

T = TypeVar("T")

ERROR_CODES = {
    "bad_json",
    "invalid_frame",
    "unknown_type",
    "not_started",
    "unknown_session",
    "too_long",
    "rate_limited",
    "wrong_state",
}
"""The customer protocol's error codes for bad input (docs/widget.md, "The customer protocol"); ``unavailable`` is
for the gateway's own trouble, so bad input never earns it."""


@dataclass
class FuzzTarget:
    loop: asyncio.AbstractEventLoop
    app: web.Application
    cc: Emulator
    http: aiohttp.ClientSession
    url: str
    session: str
    conversation_id: str
    cc_id: str

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def snapshot(self) -> dict[str, Any]:
        """The conversation as its customer sees it (state and every entry), once the relay is idle."""
        await self.app[relay_key].idle()
        async with self.http.get(
            f"{self.url}/chat/sessions/{self.conversation_id}/messages",
            params={"after": "0"},
            headers={"Authorization": f"Bearer {self.session}"},
        ) as resp:
            assert resp.status == 200, await resp.text()
            body: dict[str, Any] = await resp.json()
            return body

    async def settled(self) -> dict[str, Any]:
        """A snapshot that stays the same for a moment (after valid input, bot turns and outbox work)."""
        last = await self.snapshot()
        while True:
            await asyncio.sleep(0.1)
            await self.cc.wait_for(lambda: all(e.status != "pending" for e in self.cc.events), timeout=10)
            now = await self.snapshot()
            if now == last:
                return now
            last = now

    async def post_signed(self, event: dict[str, Any]) -> int:
        body = json.dumps(event).encode()
        headers = self.signed_headers(body, event_id=f"fuzz-{uuid.uuid4().hex}")
        async with self.http.post(f"{self.url}/webhooks/8x8", data=body, headers=headers) as resp:
            return resp.status

    async def with_agent(self) -> None:
        """Bring the conversation back to ``agent`` if accepted input took it elsewhere (so that the next
        examples meet the state where most events apply): escalate again, then an agent joins."""
        state = (await self.snapshot())["state"]
        if state == "agent":
            return
        if state in ("bot", "closed"):
            async with self.http.post(
                f"{self.url}/chat/sessions/{self.conversation_id}/messages",
                json={"text": "/agent", "client_id": uuid.uuid4().hex},
                headers={"Authorization": f"Bearer {self.session}"},
            ) as resp:
                assert resp.status == 202, await resp.text()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while (await self.settled())["state"] not in ("queued", "agent"):
            assert loop.time() < deadline, "the fuzz conversation did not escalate again"
        joined = {
            "eventType": "AGENT_JOINED",
            "conversationId": self.cc_id,
            "agentId": "fuzz",
            "agentName": "Fuzz",
        }
        assert await self.post_signed(joined) == 200
        assert (await self.settled())["state"] == "agent"

    def signed_headers(self, body: bytes, *, event_id: str, tt: int | None = None) -> dict[str, str]:
        """Headers as 8x8 sends them, signed with the emulator's (8x8's) key over ``body``."""
        cc = self.cc
        tt = tt if tt is not None else int(time.time() * 1000)
        payload = signature_payload(body, cid=cc.customer_id, eid=event_id, retry=0, tid=cc.tenant_id, tt=tt)
        return {
            "content-type": "application/json",
            "x-8x8-tenant-id": cc.tenant_id,
            "x-8x8-customer-id": cc.customer_id,
            "x-8x8-event-id": event_id,
            "x-8x8-transmission-time": str(tt),
            "x-8x8-retry": "0",
            "x-8x8-signature": self.cc.app[runtime_key].signer.sign(payload),
        }


def _settings(cc: Emulator, port: int, db: Path) -> Settings:
    return Settings(
        _env_file=None,
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        store={"url": f"sqlite:///{db}", "synchronous": "normal"},
        chat_api={
            "base_url": cc.base_url,
            "region": cc.region,
            "tenant_id": cc.tenant_id,
            "api_key": cc.api_key,
            "api_secret": cc.api_secret,
            "queue_id": "101",
        },
        relay={"retry_base_s": 0.05, "retry_cap_s": 0.3},
        limits={
            "messages_per_second": 10_000,
            "burst": 10_000,
            "address_rate": 10_000,
            "address_burst": 10_000,
        },
    )


async def _open(stack: AsyncExitStack, db: Path, loop: asyncio.AbstractEventLoop) -> FuzzTarget:
    cc = await stack.enter_async_context(running_emulator(EmulatorConfig(mode="manual", retry_scale=0.01)))
    port = unused_port()
    app = build_app(_settings(cc, port, db))
    runner = web.AppRunner(app)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    await web.TCPSite(runner, "127.0.0.1", port).start()
    http = await stack.enter_async_context(aiohttp.ClientSession())
    url = f"http://127.0.0.1:{port}"
    await _until_ready(http, url)
    session, conversation_id = await _customer_with_agent(http, url)
    cc_id: str = await cc.wait_for(
        lambda: next(
            (
                i
                for i in cc.conversation_ids()
                if cc.conversation(i)["customer"].get("customerId") == conversation_id
                and cc.conversation(i)["state"] == "queued"
            ),
            None,
        ),
        timeout=30,
    )
    await cc.agent_join(cc_id)
    target = FuzzTarget(loop, app, cc, http, url, session, conversation_id, cc_id)
    await cc.wait_for(lambda: all(e.status != "pending" for e in cc.events), timeout=30)
    assert (await target.settled())["state"] == "agent"
    return target


async def _until_ready(http: aiohttp.ClientSession, url: str) -> None:
    """/readyz answers 200 once the 8x8 set-up (web-hook verified, channel found) is done."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while True:
        async with http.get(f"{url}/readyz") as resp:
            if resp.status == 200:
                return
        assert loop.time() < deadline, "the fuzz gateway never got ready"
        await asyncio.sleep(0.1)


async def _customer_with_agent(http: aiohttp.ClientSession, url: str) -> tuple[str, str]:
    async with http.ws_connect(f"{url}/chat/ws") as ws:
        await ws.send_json({"type": "start", "customer": {"name": "Fuzz"}})
        session = await ws.receive_json(timeout=5)
        await ws.send_json({"type": "message", "text": "/agent", "client_id": "fuzz-escalate"})
        while True:
            frame = json.loads((await ws.receive(timeout=30)).data)
            if frame.get("type") == "state" and frame.get("state") == "queued":
                return str(session["session"]), str(session["conversation_id"])


@contextmanager
def running_target(tmp: Path) -> Iterator[FuzzTarget]:
    """Start everything in a background loop; stop it all afterwards."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("GATEWAY_")}
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzz-servers", daemon=True)
    thread.start()
    stack = AsyncExitStack()
    try:
        yield asyncio.run_coroutine_threadsafe(_open(stack, tmp / "gateway.db", loop), loop).result(60)
    finally:
        asyncio.run_coroutine_threadsafe(stack.aclose(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        os.environ.update(saved)
