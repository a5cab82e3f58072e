"""``GET /chat/sessions/{id}/transcript``: the customer's copy of the chat, as plain text.

A customer keeps the transcript as proof of what was said (a promised refund, an order number), so every
line must be there with its time, in order, and a multi-line message must not read as several entries.
It is the customer's own: the token must belong to the conversation, like every other session route.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

LINE = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\] ")


async def _start(http: aiohttp.ClientSession, gateway: TestServer) -> dict[str, Any]:
    async with http.post(gateway.make_url("/chat/sessions"), json={}) as resp:
        assert resp.status == 201
        data: dict[str, Any] = await resp.json()
        return data


def _auth(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['session']}"}


async def _say(
    http: aiohttp.ClientSession, gateway: TestServer, s: dict[str, Any], text: str, key: str
) -> None:
    url = gateway.make_url(f"/chat/sessions/{s['conversation_id']}/messages")
    async with http.post(url, json={"text": text, "client_id": key}, headers=_auth(s)) as resp:
        assert resp.status == 202


async def _transcript(
    http: aiohttp.ClientSession, gateway: TestServer, s: dict[str, Any]
) -> aiohttp.ClientResponse:
    url = gateway.make_url(f"/chat/sessions/{s['conversation_id']}/transcript")
    return await http.get(url, headers=_auth(s))


async def test_every_line_with_its_time_in_order(http: aiohttp.ClientSession, gateway: TestServer) -> None:
    s = await _start(http, gateway)
    await _say(http, gateway, s, "hello", "k1")
    await _say(http, gateway, s, "first line\nsecond line", "k2")
    url = gateway.make_url(f"/chat/sessions/{s['conversation_id']}/leave")
    async with http.post(url, headers=_auth(s)) as resp:
        assert resp.status == 200
    for _ in range(100):
        resp = await _transcript(http, gateway, s)
        text = await resp.text()
        if "Chat ended" in text:
            break
        await asyncio.sleep(0.05)
    assert resp.status == 200
    assert resp.content_type == "text/plain"
    assert resp.charset == "utf-8"
    assert re.fullmatch(
        r'attachment; filename="chat-transcript-\d{4}-\d\d-\d\d\.txt"', resp.headers["Content-Disposition"]
    )
    assert resp.headers["Cache-Control"] == "no-store"
    heading, blank, *lines = text.rstrip("\n").split("\n")
    assert heading.startswith(f"Chat transcript (conversation {s['conversation_id']}, started ")
    assert blank == ""
    entries = [line for line in lines if not line.startswith("    ")]
    assert all(LINE.match(line) for line in entries), lines
    said = [LINE.sub("", line) for line in lines]
    assert said[0] == "You: hello"
    assert said[1].startswith("Assistant: Hi! I'm the virtual assistant")
    assert "    (choices: Track my order | Opening hours | Talk to a person)" in said
    at = said.index("You: first line")
    assert said[at + 1] == "    second line"  # a continuation, never a new entry
    assert said[at + 2].startswith("Assistant: Sorry, I didn't get that")
    assert said[-1] == "-- Chat ended --"


async def test_only_with_the_conversations_own_token(
    http: aiohttp.ClientSession, gateway: TestServer
) -> None:
    mine, theirs = await _start(http, gateway), await _start(http, gateway)
    url = gateway.make_url(f"/chat/sessions/{mine['conversation_id']}/transcript")
    async with http.get(url) as resp:
        assert resp.status == 401
        assert resp.content_type == "application/problem+json"
        assert (await resp.json())["code"] == "unauthorized"
    async with http.get(url, headers=_auth(theirs)) as resp:
        assert resp.status == 404
        assert (await resp.json())["code"] == "unknown_session"
    async with http.get(url, headers={"Authorization": "Bearer forged"}) as resp:
        assert resp.status == 404
    async with http.get(url, headers=_auth(mine)) as resp:
        assert resp.status == 200
        assert (await resp.text()).startswith("Chat transcript")
