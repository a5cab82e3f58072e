"""The agent console's contract over plain HTTP: the page and its files load, and its data (the control
API's conversation list) and live feed (``/_emulator/stream``, Server-Sent Events) show a conversation that
was queued through the v2 API.

The browser side (clicking accept, replying, ending) is tests/browser/test_journey.py.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass

import aiohttp
import pytest

from gateway.emulator.handle import Emulator
from gateway.emulator.runtime import runtime_key
from tests.support.emulator_api import Api
from tests.support.webhook_receiver import Receiver

HISTORY = {"messages": [{"type": "user", "text": "hello"}, {"type": "bot", "text": "Hi! How can I help?"}]}
TEST_IDS = [  # what tests/browser/pages.py:AgentConsole relies on
    "live",
    "conversation-list",
    "state",
    "agent-select",
    "accept",
    "transfer-select",
    "transfer",
    "end",
    "error",
    "history",
    "reply-input",
    "reply-send",
    "customer-details",
    "conversation-details",
]


def version(emulator: Emulator) -> int:
    return emulator.app[runtime_key].store.notifier.version


@dataclass
class Feed:
    """The console's live feed, read as the browser's EventSource reads it."""

    response: aiohttp.ClientResponse

    async def next(self, timeout: float = 2.0) -> int:
        """The version of the next ``change`` event (heartbeats are skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                chunk = (await self.response.content.readuntil(b"\n\n")).decode()
                fields = dict(line.split(": ", 1) for line in chunk.strip().splitlines() if ": " in line)
                if fields.get("event") == "change":
                    return int(json.loads(fields["data"])["version"])

    async def reaches(self, target: int, timeout: float = 2.0) -> int:
        """Read change events until one reports ``target`` or later; fails after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while (seen := await self.next(timeout)) < target:
                pass
        return seen


async def test_the_console_page_loads_with_its_script_and_styles(
    emulator: Emulator, session: aiohttp.ClientSession
) -> None:
    async with session.get(emulator.console_url) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
        assert resp.headers["Cache-Control"] == "no-store"
        page = await resp.text()
    assert '<script type="module" src="/console/console.js"></script>' in page
    assert '<link rel="stylesheet" href="/console/console.css">' in page
    assert set(TEST_IDS) <= set(re.findall(r'data-testid="([\w-]+)"', page))

    async with session.get(f"{emulator.base_url}/console/console.js") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
        script = await resp.text()
    ids_in_page = set(re.findall(r'\bid="([\w-]+)"', page))
    ids_used = set(re.findall(r'\$\("([\w-]+)"\)', script))
    assert ids_used, "the script looks up no element"
    assert ids_used <= ids_in_page, f"console.js needs elements the page lacks: {ids_used - ids_in_page}"
    assert ".innerHTML" not in script  # every piece of data goes in as text

    async with session.get(f"{emulator.base_url}/console/console.css") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/css; charset=utf-8"
        assert ".history-line" in await resp.text()


@pytest.mark.parametrize("path", ["/console/missing.js", "/console/..%2Fapp.py", "/console/"])
async def test_nothing_else_is_served_under_console(
    emulator: Emulator, session: aiohttp.ClientSession, path: str
) -> None:
    async with session.get(emulator.base_url + path) as resp:
        assert resp.status == 404


async def test_a_conversation_queued_through_the_api_is_listed_with_its_transcript(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    empty = await api.control("GET", "/conversations")
    assert (empty.status, empty.body) == (200, {"conversations": []})
    config = await api.control("GET", "/config")
    assert config.status == 200
    assert (config.body["tenantId"], config.body["mode"]) == (emulator.tenant_id, "manual")
    assert [q["name"] for q in config.body["queues"]] == ["Billing", "Support", "Sales"]
    assert {"id": "alice", "name": "Alice,Anders", "queues": ["101", "102"]}.items() <= config.body["agents"][
        0
    ].items()

    cid = await api.create_conversation(await api.channel(receiver), name="Ann Example", history=HISTORY)
    await emulator.wait_for_state(cid, "queued")

    listed = await api.control("GET", "/conversations")
    assert listed.status == 200
    [item] = listed.body["conversations"]
    assert item["id"] == cid
    assert (item["state"], item["status"]) == ("queued", "pending")
    assert item["queue"] == {"id": "101", "name": "Billing"}
    assert item["agent"] is None
    assert item["customer"] == {"name": "Ann Example"}
    assert (item["messageCount"], item["lastMessage"]) == (2, "Hi! How can I help?")
    assert "messages" not in item  # the list stays small; the console reads one conversation in full

    one = await api.control("GET", f"/conversations/{cid}")
    assert one.status == 200
    assert [(m["authorType"], m["text"], m["fromHistory"]) for m in one.body["messages"]] == [
        ("user", "hello", True),
        ("bot", "Hi! How can I help?", True),
    ]
    events = (await api.control("GET", "/events")).body["events"]
    assert [e["type"] for e in events if e["conversationId"] == cid] == ["QUEUED"]

    missing = await api.control("GET", "/conversations/nope")
    assert missing.status == 404


async def test_the_live_feed_announces_every_change_even_in_quick_succession(
    api: Api, receiver: Receiver, emulator: Emulator, session: aiohttp.ClientSession
) -> None:
    channel = await api.channel(receiver)
    async with session.get(f"{emulator.base_url}/_emulator/stream") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/event-stream"
        feed = Feed(resp)
        assert await feed.next() == version(emulator)  # the state as of connecting

        emulator.pause_delivery()  # no webhook traffic: every change below is one the test makes
        cid = await api.create_conversation(channel, history=HISTORY)
        await emulator.wait_for_state(cid, "queued")
        await feed.reaches(version(emulator))
        listed = (await api.control("GET", "/conversations")).body["conversations"]
        assert [(c["id"], c["state"]) for c in listed] == [(cid, "queued")]

        joined = await api.control("POST", f"/conversations/{cid}/agent/join", {"agentId": "bob"})
        assert joined.status == 200, joined.body
        await feed.reaches(version(emulator))
        # A second change right after the feed announced the first one (within its coalescing pause)
        # must be announced too, or the console would show a stale conversation until the next change.
        await emulator.agent_send(cid, "one moment please")
        await feed.reaches(version(emulator))
        emulator.resume_delivery()
