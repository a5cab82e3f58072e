"""Typing, read receipts and files in the widget, in real Chromium, with the gateway on 8x8 Chat Gateway.

A customer must see when the agent is typing and when the agent has read their lines, must be able to
send a file to the agent (and see it in the transcript once it is stored), and must be able to open a
file the agent sent. The customer's typing reaches the agent, rate-limited by the widget and the gateway,
and so does the fact that the customer has seen the agent's lines.
"""

from __future__ import annotations

import base64
import re

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, FilePayload, expect

from gateway.emulator.handle import Emulator
from tests.browser.pages import CustomerWidget, Watch
from tests.browser.test_widget import escalate
from tests.support.browser import Screenshots

pytestmark = pytest.mark.browser

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


async def test_files_both_ways_typing_and_read_receipts_in_the_widget(
    browser: Browser, cgw_shop: TestServer, cc: Emulator, shots: Screenshots
) -> None:
    shop = cgw_shop
    page = await browser.new_page()
    watch = Watch.on(page)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await widget.open()
    attach = page.get_by_test_id("chat-attach")
    await expect(attach).to_be_hidden()  # with the bot: files are for agents
    cid = await escalate(widget, cc)
    await cc.agent_join(cid, "alice")
    await expect(widget.log).to_contain_text("Alice joined")
    await expect(attach).to_be_visible()
    await expect(attach).to_have_accessible_name("Send a file")

    # The customer types: one typing frame for a burst of keys, and the agent sees it.
    await widget.input.press_sequentially("hel", delay=30)
    await cc.wait_for(lambda: cc.conversation(cid).get("typing") == ["user"])
    assert watch.frames(watch.sent, type="typing") == [{"type": "typing"}]
    await widget.input.fill("")

    # The agent types: the widget says so, and stops saying so.
    typing = page.get_by_test_id("chat-typing")
    await cc.agent_typing(cid, active=True)
    await expect(typing).to_have_text("Alice is typing…")
    await shots(page, "agent-typing")
    await cc.agent_typing(cid, active=False)
    await expect(typing).to_be_hidden()

    # Customer -> agent: a file through the attach button, shown once stored, delivered as a file.
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
    delivered = await cc.wait_for(
        lambda: [a for m in cc.conversation(cid)["messages"] for a in m.get("attachments", ())]
    )
    assert [(a["filename"], a["size"]) for a in delivered] == [("receipt.png", len(PNG))]
    await shots(page, "customer-file")

    # The agent reads it: the customer's line says "Read".
    await cc.agent_read(cid)
    await expect(mine.get_by_test_id("chat-read")).to_have_text("Read")
    await shots(page, "read")

    # Agent -> customer: a file, as a link the gateway serves (fetched from 8x8).
    pdf = b"%PDF-1.4\n% invoice\n%%EOF\n"
    await cc.agent_send_attachment(
        cid, "invoice.pdf", pdf, content_type="application/pdf", text="your invoice"
    )
    theirs = widget.bubble("agent", "your invoice")
    await expect(theirs.get_by_test_id("chat-file")).to_contain_text("invoice.pdf")
    agent_href = await theirs.get_by_test_id("chat-file").get_attribute("href")
    assert agent_href is not None
    async with aiohttp.ClientSession() as http, http.get(agent_href) as resp:
        assert resp.status == 200
        assert await resp.read() == pdf
    await shots(page, "agent-file")
    # The customer has the panel open and sees the agent's line: the agent gets the customer's receipt.
    await cc.wait_for(lambda: cc.conversation(cid).get("readAt", {}).get("user"))
    assert watch.frames(watch.sent, type="read")[-1]["upto_seq"] >= int(
        await theirs.get_attribute("data-seq") or 0
    )

    # After a reload the transcript, its files and the read mark come back.
    await page.reload()
    await expect(widget.panel).to_be_visible()  # it was open: it opens again
    await expect(widget.bubble("customer").get_by_test_id("chat-file")).to_contain_text("receipt.png")
    await expect(widget.bubble("agent").get_by_test_id("chat-file")).to_contain_text("invoice.pdf")
    await expect(page.get_by_test_id("chat-read")).to_have_text("Read")
    assert watch.errors == []
