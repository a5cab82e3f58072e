"""Bugs the generated requests found, pinned by directed tests so they stay fixed."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
from aiohttp.test_utils import TestServer, unused_port
from pytest_aiohttp import AiohttpServer
from yarl import URL

from gateway.app import build_app
from gateway.contact_center.chat_gateway.wiring import WEBHOOK_PATH
from gateway.emulator.handle import Emulator
from gateway.emulator.signing import random_id
from tests.openapi.support import Session, escalated_session, signed_headers, start_session, until_ready
from tests.support.emulator_settings import chat_gateway_settings
from tests.support.escalation import conversations_of
from tests.support.gateway import SettingsFactory
from tests.support.openapi_gateway import api_settings


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
    http: aiohttp.ClientSession,
    gateway: TestServer,
    cc: Emulator,
    event: dict[str, object],
    url: URL | None = None,
) -> int:
    body = json.dumps(event).encode()
    headers = signed_headers(cc, body, random_id())
    async with http.post(url or gateway.make_url("/webhooks/8x8"), data=body, headers=headers) as resp:
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


async def test_a_chat_gateway_event_timestamp_no_date_can_hold_is_refused(
    http: aiohttp.ClientSession,
    aiohttp_server: AiohttpServer,
    make_settings: SettingsFactory,
    cc: Emulator,
) -> None:
    """The same as on the Chat API, on the Chat Gateway webhook: a timestamp beyond year 9999 became the
    entry's time and made every later read of the transcript a 500."""
    port = unused_port()
    settings = api_settings(
        make_settings, port, contact_center="chat_gateway", chat_gateway=chat_gateway_settings(cc)
    )
    gateway = await aiohttp_server(build_app(settings), port=port)
    await until_ready(http, gateway)
    session = await start_session(http, gateway)
    url = gateway.make_url(f"/chat/sessions/{session.conversation_id}/messages")
    line = {"text": "I want to talk to an agent", "client_id": "c1"}
    async with http.post(url, json=line, headers=session.auth) as resp:
        assert resp.status == 202, await resp.text()
    cc_id = (await cc.wait_for(lambda: conversations_of(cc, session.conversation_id)))[0]
    joined = {
        "eventType": "MEMBERS_CHANGED",
        "conversationId": cc_id,
        "data": {"memberType": "agent", "change": "joined", "id": "a1"},
    }
    hook = gateway.make_url(WEBHOOK_PATH)
    for timestamp in (10**20, -1):
        assert await _signed(http, gateway, cc, {**joined, "timestamp": timestamp}, hook) == 400
    async with http.get(url, headers=session.auth) as resp:
        assert resp.status == 200, await resp.text()
    assert await _signed(http, gateway, cc, {**joined, "timestamp": int(time.time() * 1000)}, hook) == 200
    await until_state(http, url, session, "agent")  # the event is applied after it is acked


async def test_a_malformed_multipart_upload_is_refused_not_a_server_error(
    http: aiohttp.ClientSession, api_gateway: TestServer, cc: Emulator
) -> None:
    """A part header aiohttp cannot parse (or no boundary) escaped the upload handler as a 500."""
    await until_ready(http, api_gateway)
    session, _ = await escalated_session(http, api_gateway, cc)
    url = api_gateway.make_url(f"/chat/sessions/{session.conversation_id}/attachments")
    bad_header = b'--b\r\nContent-Disposition: form-data; name="\x13"\r\n\r\nx\r\n--b--\r\n'
    for content_type, body in (
        ("multipart/form-data; boundary=b", bad_header),
        ("multipart/form-data", b"no boundary"),
    ):
        headers = {**session.auth, "Content-Type": content_type}
        async with http.post(url, data=body, headers=headers) as resp:
            assert resp.status == 422, await resp.text()
            assert (await resp.json())["code"] == "invalid_frame"
    async with http.get(
        api_gateway.make_url(f"/chat/sessions/{session.conversation_id}/messages"), headers=session.auth
    ) as resp:
        assert not any("attachments" in e for e in (await resp.json())["entries"])


async def until_state(http: aiohttp.ClientSession, url: URL, session: Session, state: str) -> None:
    for _ in range(250):
        async with http.get(url, headers=session.auth) as resp:
            assert resp.status == 200, await resp.text()
            if (await resp.json())["state"] == state:
                return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the conversation did not reach {state}")
