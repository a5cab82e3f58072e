"""Helpers for the OpenAPI tests: real sessions over REST, and webhook events signed like 8x8's."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp
from aiohttp.test_utils import TestServer

from gateway.emulator.handle import Emulator
from gateway.emulator.runtime import runtime_key
from gateway.emulator.signing import signature_payload


@dataclass(frozen=True)
class Session:
    token: str
    conversation_id: str
    escalated: bool = False

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def start_session(http: aiohttp.ClientSession, gateway: TestServer) -> Session:
    async with http.post(gateway.make_url("/chat/sessions"), json={"customer": {"name": "Fuzz"}}) as resp:
        assert resp.status == 201, await resp.text()
        body = await resp.json()
    return Session(body["session"], body["conversation_id"])


async def escalated_session(
    http: aiohttp.ClientSession, gateway: TestServer, cc: Emulator
) -> tuple[Session, str]:
    """A session waiting in the emulator's queue, and its 8x8 conversation id."""
    session = await start_session(http, gateway)
    url = gateway.make_url(f"/chat/sessions/{session.conversation_id}/messages")
    line = {"text": "I want to talk to an agent", "client_id": "c1"}
    async with http.post(url, json=line, headers=session.auth) as resp:
        assert resp.status == 202, await resp.text()
    ids = await cc.wait_for(
        lambda: [
            i
            for i in cc.conversation_ids()
            if cc.conversation(i)["customer"].get("customerId") == session.conversation_id
        ]
    )
    return Session(session.token, session.conversation_id, escalated=True), str(ids[0])


async def until_ready(http: aiohttp.ClientSession, gateway: TestServer) -> None:
    """Wait until the Chat API set-up has finished, so ``/readyz`` answers 200."""
    for _ in range(250):
        async with http.get(gateway.make_url("/readyz")) as resp:
            if resp.status == 200:
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the gateway did not become ready")


def signed_headers(cc: Emulator, body: bytes, event_id: str) -> dict[str, str]:
    """The delivery headers 8x8 sends with ``body``, signed with the emulator's key."""
    tt = int(time.time() * 1000)
    payload = signature_payload(body, cid=cc.customer_id, eid=event_id, retry=0, tid=cc.tenant_id, tt=tt)
    return {
        "content-type": "application/json",
        "x-8x8-signature": cc.app[runtime_key].signer.sign(payload),
        "x-8x8-customer-id": cc.customer_id,
        "x-8x8-tenant-id": cc.tenant_id,
        "x-8x8-event-id": event_id,
        "x-8x8-transmission-time": str(tt),
        "x-8x8-retry": "0",
    }
