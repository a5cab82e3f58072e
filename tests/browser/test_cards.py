"""Cards from the agent in real Chromium (issue 22, point 1): the agent sends quick replies and an Adaptive
Card from the emulator's console; the customer clicks an option in the widget, sees their choice as their own
line, and the agent sees the choice and the card answered; the card reads as plain text, never as markup."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from gateway.emulator.handle import Emulator
from tests.browser.pages import AgentConsole, CustomerWidget, Watch
from tests.browser.test_widget import escalate
from tests.support.browser import Screenshots

pytestmark = pytest.mark.browser


async def test_quick_replies_round_trip_and_an_adaptive_card_as_text(
    browser: Browser, cgw_shop: TestServer, cc: Emulator, shots: Screenshots
) -> None:
    page = await (await browser.new_context()).new_page()
    watch = Watch.on(page)
    await page.goto(str(cgw_shop.make_url("/")))
    widget = CustomerWidget(page)
    await widget.open()
    cid = await escalate(widget, cc)

    agent = AgentConsole(await (await browser.new_context()).new_page())
    await agent.open(cc.console_url)
    await agent.accept()
    await expect(widget.log).to_contain_text("joined")

    # The agent sends quick replies from the console: "question | option | option".
    await agent.input.fill("Which one? | Refund | Exchange")
    await agent.page.get_by_test_id("send-quick-replies").click()
    await expect(agent.line("agent").last.locator(".line-cards")).to_have_text(
        "quick replies: Refund / Exchange"
    )
    bubble = widget.bubble("agent", "Which one?")
    await expect(bubble.get_by_role("button")).to_have_text(["Refund", "Exchange"])
    await shots(page, "quick-replies")

    # The customer clicks: their line says the title, the agent sees it and the card answered.
    await widget.button("Exchange").click()
    await widget.sees("customer", "Exchange")
    await expect(widget.button("Refund")).to_be_disabled()
    assert watch.frames(watch.sent, type="message")[-1]["text"] == "2"  # the option's postback
    await agent.sees("user", "Exchange")
    await expect(agent.line("agent").last.locator(".line-cards")).to_have_text(
        "quick replies: Refund / Exchange · customer submitted: 2"
    )
    await shots(agent.page, "quick-reply-answered")

    # An Adaptive Card (its title typed with markup): plain text in a card bubble, the link a real link.
    await agent.input.fill("Your <b>order</b>")
    await agent.page.get_by_test_id("send-card").click()
    card = widget.bubble("agent", "A-1042")
    await expect(card).to_have_class("msg msg-agent has-card")
    await expect(card.locator(".text")).to_have_text(
        "Your <b>order</b>\nShipped today, arriving in two days.\nOrder: A-1042\nStatus: Shipped\n"
        "[Track the parcel] https://example.com/track/A-1042\n[Looks good]"
    )
    await expect(card.get_by_role("link")).to_have_attribute("href", "https://example.com/track/A-1042")
    assert await widget.log.locator("b").count() == 0
    frame = watch.frames(watch.received, type="message")[-1]
    assert frame["card"]["title"] == "Your <b>order</b>"
    assert frame["card"]["facts"] == [
        {"title": "Order", "value": "A-1042"},
        {"title": "Status", "value": "Shipped"},
    ]
    await shots(page, "adaptive-card")
    assert cc.card_actions(cid)  # the quick reply's answer is on 8x8's side
