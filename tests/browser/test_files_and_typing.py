"""Typing, read receipts and files in the widget, in real Chromium.

A customer must see when the agent is typing and when the agent has read their lines, must be able to
send a file to the agent (and see it in the transcript once it is stored), and must be able to open a
file the agent sent. The customer's typing goes out as ``typing`` frames, rate-limited by the widget.
"""

from __future__ import annotations

import asyncio
import base64
import re

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, FilePayload, expect

from gateway.emulator.handle import Emulator
from gateway.keys import relay_key
from gateway.relay.events import AgentRead, AgentSaid, InboundEvent
from gateway.relay.model import AgentRef, AttachedFile, CcConversationId, ConversationId
from gateway.relay.ports import StoredFile
from tests.browser.conftest import Screenshots
from tests.browser.pages import CustomerWidget, Watch
from tests.browser.test_widget import escalate

pytestmark = pytest.mark.browser

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


async def test_files_both_ways_typing_and_read_receipts_in_the_widget(
    browser: Browser, shop: TestServer, cc: Emulator, shots: Screenshots
) -> None:
    page = await browser.new_page()
    watch = Watch.on(page)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await widget.open()
    attach = page.get_by_test_id("chat-attach")
    await expect(attach).to_be_hidden()  # with the bot: files are for agents
    cid = await escalate(widget, cc)
    await cc.agent_join(cid, "alice")
    await expect(widget.log).to_contain_text("Alice,Anders joined")
    await expect(attach).to_be_visible()
    await expect(attach).to_have_accessible_name("Send a file")

    # The customer types: typing frames go out, at most one per few seconds.
    await widget.input.press_sequentially("hel", delay=30)
    for _ in range(100):
        if watch.frames(watch.sent, type="typing"):
            break
        await asyncio.sleep(0.05)
    assert watch.frames(watch.sent, type="typing") == [{"type": "typing"}]  # three keys, one frame
    await widget.input.fill("")

    # Customer -> agent: a file through the attach button, shown once stored, relayed as a link.
    await page.get_by_test_id("chat-file-input").set_input_files(
        files=[FilePayload(name="receipt.png", mimeType="image/png", buffer=PNG)]
    )
    mine = widget.bubble("customer").filter(has=page.get_by_test_id("chat-file"))
    await expect(mine).to_have_count(1)
    await expect(mine).to_have_attribute("data-seq", re.compile(r"^\d+$"))
    link = mine.get_by_test_id("chat-file")
    await expect(link).to_contain_text("receipt.png")
    href = await link.get_attribute("href")
    assert href is not None
    assert href.startswith(str(shop.make_url("/chat/files/")))
    await expect(mine.locator("img.file-preview")).to_have_js_property("naturalWidth", 1)  # the image loaded
    await expect(page.locator("[data-upload-id]")).to_have_count(0)
    await cc.wait_for(lambda: any(href in m["text"] for m in cc.conversation(cid)["messages"]))
    await shots(page, "customer-file")

    # Agent typing, then a read receipt (what the Chat Gateway adapter feeds the relay).
    relay = shop.app[relay_key]
    saved = await widget.saved()
    conv = await relay.conversation(ConversationId(saved["conversationId"]))
    cc_id = conv.cc_conversation_id
    assert cc_id is not None
    typing = page.get_by_test_id("chat-typing")
    await relay.agent_typing(cc_id, active=True)
    await expect(typing).to_have_text("Alice,Anders is typing…")
    await relay.agent_typing(cc_id, active=False)
    await expect(typing).to_be_hidden()
    now = relay.clock()
    await relay.accept_cc_event(InboundEvent("read-1", cc_id, AgentRead(read_at=now, at=now), now))
    await expect(mine.get_by_test_id("chat-read")).to_have_text("Read")
    await shots(page, "read")

    # Agent -> customer: a file the agent sent, as a link the gateway serves.
    await _agent_sends_file(shop, cc_id, conv.id, b"%PDF-1.4\n% invoice\n")
    theirs = widget.bubble("agent").filter(has=page.get_by_test_id("chat-file"))
    await expect(theirs.get_by_test_id("chat-file")).to_contain_text("invoice.pdf")
    agent_href = await theirs.get_by_test_id("chat-file").get_attribute("href")
    assert agent_href is not None
    async with aiohttp.ClientSession() as http, http.get(agent_href) as resp:
        assert resp.status == 200
        assert await resp.read() == b"%PDF-1.4\n% invoice\n"
    await shots(page, "agent-file")

    # After a reload the transcript, its files and the read mark come back.
    await page.reload()
    await expect(widget.panel).to_be_visible()  # it was open: it opens again
    await expect(widget.bubble("customer").get_by_test_id("chat-file")).to_contain_text("receipt.png")
    await expect(page.get_by_test_id("chat-read")).to_have_text("Read")
    assert watch.errors == []


async def _agent_sends_file(
    shop: TestServer, cc_id: CcConversationId, cid: ConversationId, data: bytes
) -> None:
    """An agent's file as the adapter reports it; its bytes are already in the store (fetched before)."""
    relay = shop.app[relay_key]
    file = AttachedFile(key="agent-file-key-0123456789", name="invoice.pdf", content_type="application/pdf")
    await relay.store.put_attachment(StoredFile(cid, file, data, relay.clock()))
    event = AgentSaid(AgentRef("alice", "Alice,Anders"), "", relay.clock(), attachments=(file,))
    await relay.accept_cc_event(InboundEvent("agent-file-1", cc_id, event, relay.clock()))
