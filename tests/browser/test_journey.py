"""The whole journey in two browsers: a customer on the demo shop, an agent on the emulator's console.

This is the product's promise end to end: the bot answers first, a person takes over with the bot
transcript in front of them, a reload in the middle of the chat loses nothing and shows nothing twice,
the bot comes back when the agent leaves, and the customer can end the chat. The agent acts only by
clicking and typing in the console page, in a browser context of its own (no shared cookies or storage).
"""

from __future__ import annotations

from collections import Counter

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from gateway.emulator.handle import Emulator
from tests.browser.pages import AgentConsole, CustomerWidget, Watch
from tests.support.browser import Screenshots

pytestmark = pytest.mark.browser

HTML_PAYLOAD = "<img src=x onerror=alert(1)><b>bold</b><script>alert(2)</script>"


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

    # The agent's console is open before anyone asks for a person: nothing waits yet.
    agent_context = await browser.new_context(viewport={"width": 1280, "height": 800})
    agent = AgentConsole(await agent_context.new_page())
    agent_watch = Watch.on(agent.page)
    await agent.open(cc.console_url)
    await expect(agent.items).to_have_count(0)

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

    # Asking for a person: connecting, then waiting in the queue; the console lists the chat live.
    await widget.say("I would like to talk to a person")
    await expect(widget.banner).to_contain_text("Waiting in queue Billing")
    await expect(page.get_by_test_id("chat-cancel")).to_be_visible()
    await shots(page, "customer-queued")
    await expect(agent.conversation("queued")).to_have_count(1)
    await expect(agent.conversation("queued")).to_contain_text("Billing")
    await shots(agent.page, "agent-console-queued")

    # The agent accepts by clicking and sees what was said to the bot, marked as bot and customer lines.
    cid = await agent.accept("alice")
    await agent.sees("user", "hello", transcript=True)
    await agent.sees("bot", "Hi! I'm the virtual assistant", transcript=True)
    await agent.sees("bot", "Monday to Friday", transcript=True)
    await agent.sees("user", "talk to a person", transcript=True)
    await expect(agent.line("agent")).to_have_count(0)
    for detail in ("handoffReason", "customer_asked", "intent", "human_handoff", "language"):
        await expect(agent.customer_details).to_contain_text(detail)  # why the bot handed over
    await expect(agent.events.filter(has_text="Alice,Anders joined")).to_have_count(1)
    await shots(agent.page, "agent-accepted-with-bot-transcript")
    await expect(widget.log).to_contain_text("Alice joined")
    await expect(widget.banner).to_be_hidden()
    assert cc.conversation(cid)["agent"] == {"id": "alice", "name": "Alice,Anders"}

    # They talk.
    await agent.say("Hi, I'm Alice. How can I help?")
    await widget.sees("agent", "How can I help?")
    await widget.say("My lamp arrived broken")
    await agent.sees("user", "My lamp arrived broken", transcript=False)
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
    await shots(page, "customer-after-reload")
    await agent.say("Found it, a new lamp is on its way.")
    await widget.sees("agent", "a new lamp is on its way")
    await expect(widget.bubbles).to_have_count(before + 1)
    seqs = await widget.seqs()
    assert seqs == sorted(seqs)
    assert [seq for seq, n in Counter(seqs).items() if n > 1] == []
    await expect(widget.bubble("agent", "How can I help?")).to_have_count(1)
    await expect(agent.line("user", "My lamp arrived broken")).to_have_count(1)  # nothing re-sent

    # The agent ends with the console's button: the bot is back for the customer.
    await agent.end()
    await expect(agent.events.filter(has_text="Alice,Anders left")).to_have_count(1)
    await shots(agent.page, "agent-ended")
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
    assert agent_watch.errors == []
    await agent_context.close()
    await customer_context.close()


async def test_html_typed_in_the_console_is_text_in_the_widget_on_a_small_phone(
    browser: Browser, shop: TestServer, cc: Emulator, shots: Screenshots
) -> None:
    phone = await browser.new_context(viewport={"width": 375, "height": 667}, has_touch=True)
    page = await phone.new_page()
    watch = Watch.on(page)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await widget.launcher.tap()
    await expect(widget.panel).to_be_visible()
    await widget.input.fill("hello")
    await widget.send_button.tap()
    await widget.sees("bot", "virtual assistant")
    await widget.button("Talk to a person").tap()
    await expect(widget.banner).to_contain_text("Waiting in queue Billing")

    agent_context = await browser.new_context(viewport={"width": 1280, "height": 800})
    agent = AgentConsole(await agent_context.new_page())
    agent_watch = Watch.on(agent.page)
    await agent.open(cc.console_url)
    await agent.accept()
    await agent.say(HTML_PAYLOAD)
    await agent.say("A very long word: " + "x" * 120)

    # The widget shows the markup as the characters the agent typed, and runs none of it.
    await expect(widget.bubble("agent", "bold").locator(".text")).to_have_text(HTML_PAYLOAD)
    await widget.sees("agent", "A very long word")
    await shots(page, "phone-agent-html-as-text")
    for tag in ("img", "b", "script"):
        assert await widget.log.locator(tag).count() == 0, tag
        assert await agent.history.locator(tag).count() == 0, tag
    await shots(agent.page, "console-agent-html-as-text")

    # On a 375x667 phone the panel fills the screen and nothing sticks out or hides behind the edge.
    await expect(widget.launcher).to_be_hidden()
    controls = [widget.input, widget.send_button, page.get_by_test_id("chat-close"), widget.bubbles.last]
    for control in controls:
        await expect(control).to_be_in_viewport(ratio=1)
        box = await control.bounding_box()
        assert box is not None
        assert box["x"] >= 0, control
        assert box["x"] + box["width"] <= 375, control
        assert box["y"] >= 0, control
        assert box["y"] + box["height"] <= 667, control
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    await widget.input.tap()
    await widget.input.fill("Thanks, I see it as text")
    await widget.send_button.tap()
    await agent.sees("user", "Thanks, I see it as text", transcript=False)
    await expect(widget.bubble("customer", "Thanks, I see it as text").locator(".status")).to_have_text(
        "Sent"
    )
    await shots(page, "phone-customer-replied")

    assert watch.dialogs == []
    assert agent_watch.dialogs == []
    assert watch.errors == []
    assert agent_watch.errors == []
    await agent_context.close()
    await phone.close()
