"""A quiet escalation, and a transcript the customer can keep.

Asking for a person used to print four lines that said the same thing. Now the waiting shows as one
banner (with "Stop waiting"), and the transcript gets no line of its own for it: what the bot said
("Connecting you to a human agent...") and the gateway's queue notice stay, as they are the bot's and
the operator's words. Once the chat has ended the customer can download the whole transcript as text,
and it is the same text the REST route gives.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from gateway.emulator.handle import Emulator
from tests.browser.pages import CustomerWidget, Watch
from tests.support.browser import Screenshots

pytestmark = pytest.mark.browser

ENTRIES = """() => {
  const root = document.querySelector("chat-gateway-widget").shadowRoot;
  return [...root.querySelector('[data-testid="chat-log"] .entries').children].map((el) => ({
    kind: el.dataset.author || el.dataset.state || "?",
    text: (el.querySelector(".text") || el).textContent,
  }));
}"""
STAMP = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\] ")


@pytest.mark.timeout(90)
async def test_one_banner_and_one_line_then_the_transcript_to_keep(
    browser: Browser, shop: TestServer, cc: Emulator, shots: Screenshots
) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    watch = Watch.on(page)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await widget.open()
    await widget.say("hello")
    await widget.button("Talk to a person").click()
    await expect(widget.banner).to_contain_text("Waiting in queue Billing")
    await expect(widget.log).to_contain_text("You are in the queue for Billing")
    await shots(page, "queued")

    entries: list[dict[str, Any]] = await page.evaluate(ENTRIES)
    asked = max(i for i, e in enumerate(entries) if e["text"] == "Talk to a person")
    assert entries[asked + 1 :] == [
        {"kind": "bot", "text": "Connecting you to a human agent..."},
        {
            "kind": "system",
            "text": "You are in the queue for Billing. An agent will be with you as soon as possible.",
        },
    ]
    await expect(page.get_by_test_id("chat-banner")).to_have_count(1)
    assert watch.frames(watch.received, type="state", state="escalating")  # the gateway did say so
    assert watch.frames(watch.received, type="state", state="queued")

    # A reload shows the same: the stored frames render by the same rule.
    await page.reload()
    await expect(widget.banner).to_contain_text("Waiting in queue Billing")
    await widget.settled()
    assert await page.evaluate(ENTRIES) == entries

    cid = (await cc.wait_for(cc.conversation_ids))[0]
    await cc.agent_join(cid, "alice")
    await cc.agent_send(cid, "Hi, Alice here. Your refund is on its way.")
    await widget.sees("agent", "refund is on its way")
    await widget.say("Thanks!")
    await widget.settled()
    await expect(page.get_by_test_id("chat-download")).to_be_hidden()  # offered once the chat has ended

    await page.get_by_test_id("chat-end").click()
    await page.get_by_test_id("chat-end-confirm").click()
    download_button = page.get_by_test_id("chat-download")
    await expect(download_button).to_be_visible()
    await expect(widget.banner).to_contain_text("Keep a copy of this chat")
    await shots(page, "ended-with-download")
    async with page.expect_download() as info:
        await download_button.click()
    download = await info.value
    assert re.fullmatch(r"chat-transcript-\d{4}-\d\d-\d\d\.txt", download.suggested_filename)
    path = await download.path()
    text = path.read_text(encoding="utf-8")

    lines = text.rstrip("\n").split("\n")[2:]
    assert all(STAMP.match(line) for line in lines if not line.startswith("    ")), lines
    said = [STAMP.sub("", line) for line in lines]
    assert said[0] == "You: hello"
    for expected in (
        "You: Talk to a person",  # the customer's own line, as shown (the button's title)
        "Assistant: Connecting you to a human agent...",
        "System: You are in the queue for Billing. An agent will be with you as soon as possible.",
        "You: Thanks!",
        "-- Chat ended --",
    ):
        assert expected in said, (expected, said)
    assert any(re.fullmatch(r"-- Alice.* joined --", line) for line in said), said
    assert any(re.fullmatch(r"Alice.*: Hi, Alice here. Your refund is on its way.", line) for line in said), (
        said
    )

    # The REST route gives the same text to the same session token, and nothing to none.
    saved = await widget.saved()
    url = shop.make_url(f"/chat/sessions/{saved['conversationId']}/transcript")
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Authorization": f"Bearer {saved['session']}"}) as resp:
            assert resp.status == 200
            assert await resp.text() == text
        async with http.get(url) as resp:
            assert resp.status == 401
    assert watch.errors == []
    await context.close()
