"""The widget with the keyboard alone, and what a screen reader is told.

A customer who cannot use a mouse must reach the chat, talk, pick the bot's choices, stop waiting, end
the chat and get back to the page: focus always on something visible, never lost to the page's body and
never trapped in the panel. A screen reader hears each new bot or agent line and each state change once,
through one polite live region, and hears nothing again after a reload.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from gateway.emulator.handle import Emulator
from tests.browser.pages import CustomerWidget, Watch
from tests.support.browser import Screenshots

pytestmark = pytest.mark.browser

# Records what the widget's live region is given, from the moment the widget is on the page.
RECORD_ANNOUNCEMENTS = """
window.__announced = [];
new MutationObserver((_, observer) => {
  const host = document.querySelector("chat-gateway-widget");
  const region = host && host.shadowRoot && host.shadowRoot.querySelector('[data-testid="chat-announcer"]');
  if (!region) return;
  observer.disconnect();
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) window.__announced.push(n.textContent);
  }).observe(region, { childList: true });
}).observe(document, { childList: true, subtree: true });
"""

# The element that has the focus, looking into the widget's shadow root.
FOCUSED = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body) return { body: true };
  const label = el.getAttribute("aria-label") || (el.labels && el.labels[0] && el.labels[0].textContent) || "";
  return {
    body: false,
    in_widget: el.getRootNode() !== document,
    tag: el.tagName.toLowerCase(),
    testid: el.dataset.testid || null,
    name: (label || el.textContent || "").trim(),
    visible: el.getClientRects().length > 0,
  };
}"""

# Every button in the panel a customer can use now: visible and enabled.
USABLE_BUTTONS = """() => {
  const root = document.querySelector("chat-gateway-widget").shadowRoot;
  return [...root.querySelectorAll('[data-testid="chat-panel"] button')]
    .filter((b) => !b.disabled && b.getClientRects().length > 0)
    .map((b) => (b.getAttribute("aria-label") || b.textContent).trim());
}"""

# Live regions in the widget: anything with aria-live other than "off", or a role that is live.
LIVE_REGIONS = """() => {
  const root = document.querySelector("chat-gateway-widget").shadowRoot;
  return [...root.querySelectorAll("*")].filter((el) => {
    const live = el.getAttribute("aria-live");
    if (live) return live !== "off";
    return ["status", "alert", "log", "marquee", "timer"].includes(el.getAttribute("role"));
  }).length;
}"""


async def focused(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = await page.evaluate(FOCUSED)
    return found


async def announced(page: Page) -> list[str]:
    texts: list[str] = await page.evaluate("window.__announced")
    return texts


async def tab_through_widget(page: Page) -> list[dict[str, Any]]:
    """From the launcher, Tab until focus leaves the widget; every stop on the way (fails if it never does)."""
    stops = [await focused(page)]
    assert stops[0]["testid"] == "chat-launcher", stops
    for _ in range(40):
        await page.keyboard.press("Tab")
        now = await focused(page)
        if now["body"] or not now["in_widget"]:
            return stops  # out of the widget: on to the page (or the browser), not trapped
        assert now["visible"], f"focus on something hidden: {now}"
        stops.append(now)
    raise AssertionError(f"focus is trapped in the widget: {stops}")


async def reachable_and_labelled(page: Page, stops: list[dict[str, Any]]) -> None:
    buttons = [s for s in stops if s["tag"] == "button"]
    assert all(b["name"] for b in buttons), f"a button without a name: {buttons}"
    usable: list[str] = await page.evaluate(USABLE_BUTTONS)
    assert set(usable) <= {b["name"] for b in buttons}, (usable, buttons)


async def tab_to(page: Page, testid: str | None = None, name: str | None = None) -> None:
    """Tab (at most 40 times) until the control with this test id or accessible name has the focus."""
    for _ in range(40):
        now = await focused(page)
        if (
            not now["body"]
            and (testid is None or now["testid"] == testid)
            and (name is None or now["name"] == name)
        ):
            return
        await page.keyboard.press("Tab")
        assert not (await focused(page))["body"] or testid is None, "focus fell to the page's body"
    raise AssertionError(f"Tab never reached {testid or name}")


@pytest.mark.timeout(120)
async def test_the_whole_chat_by_keyboard_with_each_change_announced_once(
    browser: Browser, shop: TestServer, cc: Emulator, shots: Screenshots
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    watch = Watch.on(page)
    await page.add_init_script(RECORD_ANNOUNCEMENTS)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await expect(widget.launcher).to_be_visible()

    # Tab from the top of the page reaches the launcher; Shift+Tab goes back to the page.
    await tab_to(page, "chat-launcher")
    await expect(widget.launcher).to_have_accessible_name("Open chat")
    await page.keyboard.press("Shift+Tab")
    back = await focused(page)
    assert not back["body"], back
    assert not back["in_widget"], back
    await page.keyboard.press("Tab")
    await expect(widget.launcher).to_be_focused()

    # Enter opens the panel with the focus in the input; Enter sends; Shift+Enter breaks the line.
    await page.keyboard.press("Enter")
    await expect(widget.panel).to_be_visible()
    await expect(widget.input).to_be_focused()
    await expect(widget.panel).to_have_accessible_name("Help")
    await expect(widget.input).to_have_accessible_name("Your message")
    assert await page.evaluate(LIVE_REGIONS) == 1
    await page.keyboard.type("hello")
    await page.keyboard.press("Enter")
    await widget.sees("bot", "virtual assistant")
    await expect(widget.input).to_have_value("")
    await expect(widget.input).to_be_focused()
    await page.keyboard.type("first line")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("second line")
    await expect(widget.input).to_have_value("first line\nsecond line")
    await page.keyboard.press("Enter")
    await expect(widget.bubble("customer", "second line").locator(".text")).to_have_text(
        "first line\nsecond line"
    )
    await widget.sees("bot", "Sorry, I didn't get that")
    await shots(page, "keyboard-chat")

    # Every usable button is reached by Tab and has a name; Tab leaves the panel in the end.
    await widget.launcher.focus()
    await reachable_and_labelled(page, await tab_through_widget(page))

    # The bot's choice by keyboard: focus goes to the input, not to the page, as the choices retire.
    await widget.input.focus()
    await page.keyboard.type("a billing question")
    await page.keyboard.press("Enter")
    await expect(widget.button("Talk to a person").last).to_be_enabled()
    await tab_to(page, name="Talk to a person")
    await page.keyboard.press("Enter")
    await expect(widget.banner).to_contain_text("Waiting in queue Billing")
    await expect(widget.input).to_be_focused()
    await widget.launcher.focus()
    stops = await tab_through_widget(page)
    await reachable_and_labelled(page, stops)
    assert "Stop waiting" in [s["name"] for s in stops]
    await shots(page, "keyboard-queued")

    # Stop waiting by keyboard: the banner goes, and the focus with it to the input.
    await tab_to(page, "chat-cancel")
    await page.keyboard.press("Enter")
    await expect(widget.banner).to_be_hidden()
    await expect(widget.input).to_be_focused()
    await expect(widget.log.get_by_test_id("chat-event").last).to_have_text("The assistant is back")

    # End the chat by keyboard: the safe choice first, then the download is reachable.
    await widget.launcher.focus()
    await tab_to(page, "chat-end")
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("chat-end-cancel")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_test_id("chat-end-confirm")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(widget.log.get_by_test_id("chat-event").last).to_have_text("Chat ended")
    await expect(widget.input).to_be_focused()
    await widget.launcher.focus()
    stops = await tab_through_widget(page)
    await reachable_and_labelled(page, stops)
    assert "Download transcript" in [s["name"] for s in stops]

    # Escape closes the panel and gives the focus back to the launcher.
    await widget.input.focus()
    await page.keyboard.press("Escape")
    await expect(widget.panel).to_be_hidden()
    await expect(widget.launcher).to_be_focused()
    await shots(page, "keyboard-closed")

    # Said once each: the bot's lines and the state changes; never the customer's own lines.
    said = await announced(page)
    assert said.count("Assistant: Hi! I'm the virtual assistant. How can I help?") == 1, said
    assert said.count("Waiting in queue Billing") == 1, said
    assert said.count("The assistant is back") == 1, said
    assert said.count("Chat ended") == 1, said
    assert not [text for text in said if "hello" in text or "second line" in text], said
    repeated = [text for text, n in Counter(said).items() if n > 1 and "didn't get that" not in text]
    assert repeated == [], said

    # After a reload the history is there, and nothing of it is read out again.
    await page.reload()
    await expect(widget.launcher).to_be_visible()
    await widget.launcher.click()
    await expect(widget.log).to_contain_text("Chat ended")
    await page.wait_for_timeout(500)
    assert await announced(page) == []
    assert watch.errors == []


async def test_an_agent_line_and_typing_are_announced(
    browser: Browser, shop: TestServer, cc: Emulator
) -> None:
    page = await browser.new_page()
    await page.add_init_script(RECORD_ANNOUNCEMENTS)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await widget.open()
    await widget.say("I want to talk to a person")
    await expect(widget.banner).to_contain_text("Waiting in queue Billing")
    cid = (await cc.wait_for(cc.conversation_ids))[0]
    await cc.agent_join(cid, "alice")
    await cc.agent_send(cid, "Hi, Alice here.")
    await widget.sees("agent", "Alice here")
    said = await announced(page)
    assert said.count("Alice joined") == 1, said
    assert said.count("Alice: Hi, Alice here.") == 1, said
