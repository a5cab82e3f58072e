"""Bugs the generated requests found, pinned by directed tests so they stay fixed."""

from __future__ import annotations

import json
import time

import aiohttp
from aiohttp.test_utils import TestServer

from gateway.emulator.handle import Emulator
from gateway.emulator.signing import random_id
from tests.openapi.support import escalated_session, signed_headers, until_ready


async def test_an_after_beyond_the_largest_seq_is_refused_not_a_server_error(
    http: aiohttp.ClientSession, api_gateway: TestServer, cc: Emulator
) -> None:
    """A seq is a JSON-safe integer; a larger ``after`` overflowed SQLite's 64-bit integers (500)."""
    session, _ = await escalated_session(http, api_gateway, cc)
    url = api_gateway.make_url(f"/chat/sessions/{session.conversation_id}/messages")
    headers = session.auth
    for after in (2**53 + 1, 2**64):
        async with http.get(url, params={"after": str(after)}, headers=headers) as resp:
            assert resp.status == 422, await resp.text()
            assert (await resp.json())["code"] == "invalid_frame"
    async with http.get(url, params={"after": str(2**53)}, headers=headers) as resp:
        assert resp.status == 200
        assert (await resp.json())["entries"] == []


async def _signed(
    http: aiohttp.ClientSession, gateway: TestServer, cc: Emulator, event: dict[str, object]
) -> int:
    body = json.dumps(event).encode()
    headers = signed_headers(cc, body, random_id())
    async with http.post(gateway.make_url("/webhooks/8x8"), data=body, headers=headers) as resp:
        return resp.status


async def test_an_event_timestamp_no_date_can_hold_is_refused_and_the_transcript_stays_readable(
    http: aiohttp.ClientSession, api_gateway: TestServer, cc: Emulator
) -> None:
    """A signed event's timestamp became the entry's time; one beyond year 9999 made every later read of
    the transcript a 500 (the entry could not be formatted as ISO 8601)."""
    await until_ready(http, api_gateway)
    session, cc_id = await escalated_session(http, api_gateway, cc)
    url = api_gateway.make_url(f"/chat/sessions/{session.conversation_id}/messages")
    headers = session.auth
    async with http.get(url, headers=headers) as resp:
        before = (await resp.json())["entries"]
    joined = {"eventType": "AGENT_JOINED", "conversationId": cc_id, "agentId": "a1", "agentName": "Al"}
    for timestamp in (10**20, -1):
        assert await _signed(http, api_gateway, cc, {**joined, "timestamp": timestamp}) == 400
    async with http.get(url, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["entries"][: len(before)] == before
    assert await _signed(http, api_gateway, cc, {**joined, "timestamp": int(time.time() * 1000)}) == 200
