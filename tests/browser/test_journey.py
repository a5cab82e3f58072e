"""The whole journey in two browsers: a customer on the demo shop, an agent on the emulator's console.

This is the product's promise end to end: the bot answers first, a person takes over with the bot
transcript in front of them, a reload in the middle of the chat loses nothing and shows nothing twice,
the bot comes back when the agent leaves, and the customer can end the chat.
"""

from __future__ import annotations

from collections import Counter

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from gateway.emulator.handle import Emulator
from tests.browser.conftest import Screenshots
from tests.browser.pages import AgentConsole, CustomerWidget, Watch

pytestmark = pytest.mark.browser


@pytest.mark.timeout(90)
async def test_customer_bot_agent_and_back(
    browser: Browser, shop: TestServer, cc: Emulator, shots: Screenshots
) -> None:
    customer_context = await browser.new_context(viewport={"width": 1100, "height": 760})
    page = await customer_context.new_page()
    watch = Watch.on(page)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await shots(page, "customer-shop")

    # The bot answers first; its buttons send their payload and show their title.
    await widget.open()
    await widget.say("hello")
    await widget.sees("bot", "virtual assistant")
    await shots(page, "customer-bot-greeting")
    await widget.button("Opening hours").click()
    await widget.sees("bot", "Monday to Friday")
    await expect(widget.bubble("customer", "Opening hours")).to_have_count(1)
    assert watch.frames(watch.sent, type="message", text="/opening_hours")
    await expect(widget.button("Track my order")).to_be_disabled()  # only the newest buttons count

    # Asking for a person: connecting, then waiting in the queue.
    await widget.say("I would like to talk to a person")
    await expect(widget.banner).to_contain_text("Waiting in queue Billing")
    await expect(page.get_by_test_id("chat-cancel")).to_be_visible()
    await shots(page, "customer-queued")

    # The agent accepts on the console and sees what was said to the bot.
    agent_context = await browser.new_context(viewport={"width": 1200, "height": 800})
    agent = AgentConsole(await agent_context.new_page(), cc)
    await agent.open()
    await agent.accept()
    await agent.sees("hello")
    await agent.sees("Hi! I'm the virtual assistant")
    await agent.sees("/opening_hours")
    await shots(agent.page, "agent-accepted-with-bot-transcript")
    await expect(widget.log).to_contain_text("Alice joined")
    await expect(widget.banner).to_be_hidden()

    # They talk.
    await agent.say("Hi, I'm Alice. How can I help?")
    await widget.sees("agent", "How can I help?")
    await widget.say("My lamp arrived broken")
    await agent.sees("My lamp arrived broken")
    await shots(page, "customer-with-agent")
    await shots(agent.page, "agent-conversation")

    # A message while the panel is closed shows on the launcher's badge.
    await page.get_by_test_id("chat-close").click()
    await agent.say("Sorry to hear that! Do you have the order number?")
    await expect(widget.badge).to_have_text("1")
    await shots(page, "customer-unread-badge")
    await widget.launcher.click()
    await expect(widget.badge).to_be_hidden()

    # A reload in the middle of the chat: the history once, then new lines as usual.
    await widget.settled()
    before = await widget.bubbles.count()
    seqs_before = await widget.seqs()
    await page.reload()
    await expect(widget.panel).to_be_visible()  # it was open, so it opens again
    await widget.settled()
    await expect(widget.bubbles).to_have_count(before)
    assert await widget.seqs() == seqs_before
    resume = watch.frames(watch.sent, type="start")[-1]
    assert resume["last_seq"] == max(seqs_before)
    await agent.say("Found it, a new lamp is on its way.")
    await widget.sees("agent", "a new lamp is on its way")
    await expect(widget.bubbles).to_have_count(before + 1)
    seqs = await widget.seqs()
    assert seqs == sorted(seqs)
    assert [seq for seq, n in Counter(seqs).items() if n > 1] == []
    await shots(page, "customer-after-reload")

    # The agent ends: the bot is back.
    await agent.end()
    await expect(widget.log).to_contain_text("The agent left — the assistant is back")
    await widget.sees("bot", "agent has left")
    await shots(page, "customer-bot-back")

    # The customer ends the chat, after confirming.
    await page.get_by_test_id("chat-end").click()
    await expect(page.get_by_test_id("chat-confirm")).to_be_visible()
    await shots(page, "customer-end-confirm")
    await page.get_by_test_id("chat-end-confirm").click()
    await expect(widget.log.get_by_test_id("chat-event").last).to_have_text("Chat ended")
    await expect(page.get_by_test_id("chat-end")).to_be_hidden()
    await shots(page, "customer-chat-ended")
    assert watch.frames(watch.sent, type="leave") == [{"type": "leave"}]
    assert watch.errors == []
    assert watch.dialogs == []
    await agent_context.close()
    await customer_context.close()
