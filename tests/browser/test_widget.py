"""The customer's widget in real Chromium, with the test acting for the agent through the emulator.

What a customer must be able to trust: an agent's text can never become markup or script in the page,
the panel is usable on a phone, a line typed with no network is sent once the network is back and
acked exactly once, and a stale session token quietly starts a new chat instead of breaking the widget.
"""

from __future__ import annotations

import json
import re

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, WebSocketRoute, expect

from gateway.emulator.handle import Emulator
from tests.browser.pages import CustomerWidget, Watch
from tests.support.browser import Screenshots

pytestmark = pytest.mark.browser


async def escalate(widget: CustomerWidget, cc: Emulator) -> str:
    """Greet the bot, take its "Talk to a person" button, wait in the queue; the 8x8 conversation id."""
    await widget.say("hello")
    await widget.button("Talk to a person").click()
    await expect(widget.banner).to_contain_text("Waiting in queue Billing")
    ids: list[str] = await cc.wait_for(cc.conversation_ids)
    return ids[0]


async def test_agent_html_is_shown_as_literal_text(
    browser: Browser, shop: TestServer, cc: Emulator, shots: Screenshots
) -> None:
    page = await browser.new_page()
    watch = Watch.on(page)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await widget.open()
    cid = await escalate(widget, cc)
    await cc.agent_join(cid, "alice")
    payload = "<img src=x onerror=alert(1)><b>bold</b>"
    await cc.agent_send(cid, payload)
    await cc.agent_send(cid, "Docs: https://example.com/help?a=1&b=2. Not a link: javascript:alert(2)")

    await expect(widget.bubble("agent", "bold").locator(".text")).to_have_text(payload)
    await widget.sees("agent", "Docs:")
    await shots(page, "agent-html-as-text")
    assert await widget.panel.locator("img").count() == 0
    assert await widget.panel.locator("b").count() == 0
    links = widget.panel.locator("a")
    await expect(links).to_have_count(1)
    assert await links.get_attribute("href") == "https://example.com/help?a=1&b=2"
    assert "noopener" in (await links.get_attribute("rel") or "").split()
    assert await links.get_attribute("target") == "_blank"
    assert watch.dialogs == []
    assert watch.errors == []


async def test_panel_is_usable_on_a_small_phone(
    browser: Browser, shop: TestServer, shots: Screenshots
) -> None:
    context = await browser.new_context(viewport={"width": 375, "height": 667}, has_touch=True)
    page = await context.new_page()
    watch = Watch.on(page)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await shots(page, "closed")
    await widget.open()
    for control in (widget.input, widget.send_button, widget.page.get_by_test_id("chat-close")):
        await expect(control).to_be_in_viewport(ratio=1)
        box = await control.bounding_box()
        assert box is not None
        assert box["x"] >= 0, control
        assert box["x"] + box["width"] <= 375, control
        assert box["y"] >= 0, control
        assert box["y"] + box["height"] <= 667, control
        assert box["height"] >= 24, f"{control} is too small to tap"
    await widget.input.tap()
    await widget.input.fill("hello")
    await widget.send_button.tap()
    await widget.sees("bot", "virtual assistant")
    await expect(widget.bubble("customer", "hello").locator(".status")).to_have_text("Sent")
    await shots(page, "open")
    await expect(widget.launcher).to_be_hidden()  # the panel covers the screen; its own button closes it
    await widget.page.get_by_test_id("chat-close").tap()
    await expect(widget.launcher).to_be_visible()
    assert watch.errors == []
    await context.close()


async def test_a_line_typed_offline_is_sent_when_back_and_acked_once(
    browser: Browser, shop: TestServer, shots: Screenshots
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    watch = Watch.on(page)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await widget.open()
    await widget.say("hello")
    await widget.sees("bot", "virtual assistant")

    await context.set_offline(True)
    await expect(widget.notice).to_contain_text("offline")
    await widget.say("typed in a tunnel")
    pending = widget.bubble("customer", "typed in a tunnel")
    await expect(pending).to_have_class("msg msg-customer is-sending")
    await expect(pending.locator(".status")).to_have_text("Sending…")
    await shots(page, "offline-sending")

    await context.set_offline(False)
    await expect(pending.locator(".status")).to_have_text("Sent")
    await widget.sees("bot", "Sorry, I didn't get that")
    await widget.settled()
    await shots(page, "back-online-sent")

    sent = [f for f in watch.sent if f.get("text") == "typed in a tunnel"]
    assert len(sent) == 1, sent
    client_id = sent[0]["client_id"]
    assert len(watch.frames(watch.received, type="ack", client_id=client_id)) == 1
    await expect(widget.bubble("customer", "typed in a tunnel")).to_have_count(1)
    resumes = watch.frames(watch.sent, type="start")
    assert len(resumes) == 2, resumes  # the first start, then one resume after the network came back
    assert "session" not in resumes[0]
    assert resumes[1]["last_seq"] >= 2, resumes

    saved = await widget.saved()
    assert resumes[1]["session"] == saved["session"]
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            shop.make_url(f"/chat/sessions/{saved['conversationId']}/messages"),
            params={"after": "0"},
            headers={"Authorization": f"Bearer {saved['session']}"},
        ) as resp,
    ):
        stored = await resp.json()
    texts = [e.get("text") for e in stored["entries"]]
    assert texts.count("typed in a tunnel") == 1
    assert watch.errors == []
    await context.close()


async def test_an_unknown_session_token_starts_a_new_chat(
    browser: Browser, shop: TestServer, shots: Screenshots
) -> None:
    page = await browser.new_page()
    watch = Watch.on(page)
    key = f"chat-gateway-widget:{shop.make_url('/')}"
    forged = {"session": "forged-token", "lastSeq": 7, "frames": [], "pending": [], "open": True, "unread": 0}
    js_key, js_value = json.dumps(key), json.dumps(json.dumps(forged))
    await page.add_init_script(
        f"if (!sessionStorage.getItem({js_key})) sessionStorage.setItem({js_key}, {js_value})"
    )
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await expect(widget.panel).to_be_visible()
    await widget.say("hello")
    await widget.sees("bot", "virtual assistant")
    await shots(page, "fresh-chat")
    assert [f["code"] for f in watch.frames(watch.received, type="error")] == ["unknown_session"]
    saved = await widget.saved()
    assert saved["session"] not in (None, "forged-token")
    assert await widget.seqs() == [1, 2]
    assert watch.errors == []


async def test_agent_typing_frames_show_an_indicator(
    browser: Browser, shop: TestServer, cc: Emulator
) -> None:
    """The Chat API v2 has no typing event, but the widget shows one if the gateway ever sends it."""
    page = await browser.new_page()
    watch = Watch.on(page)
    routes: list[WebSocketRoute] = []

    def through(route: WebSocketRoute) -> None:
        route.connect_to_server()  # frames pass both ways untouched; the test may add its own
        routes.append(route)

    await page.route_web_socket(re.compile(r"/chat/ws$"), through)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await widget.open()
    cid = await escalate(widget, cc)
    await cc.agent_join(cid, "alice")
    await expect(widget.log).to_contain_text("Alice joined")
    typing = page.get_by_test_id("chat-typing")
    await expect(typing).to_be_hidden()
    routes[-1].send(json.dumps({"type": "typing", "author": "agent"}))
    await expect(typing).to_have_text("Alice is typing…")
    await cc.agent_send(cid, "Here I am")
    await widget.sees("agent", "Here I am")
    await expect(typing).to_be_hidden()
    assert watch.errors == []


async def test_keyboard_and_screen_reader(browser: Browser, shop: TestServer) -> None:
    page = await browser.new_page()
    watch = Watch.on(page)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    await expect(widget.launcher).to_have_accessible_name("Open chat")
    await widget.launcher.focus()
    await page.keyboard.press("Enter")
    await expect(widget.input).to_be_focused()
    await expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    await expect(widget.panel).to_have_attribute("role", "dialog")
    await expect(widget.panel).to_have_accessible_name("Help")
    await expect(widget.log).to_have_attribute("role", "log")
    await expect(widget.log).to_have_attribute("aria-live", "off")  # the announcer says what is new, once
    await expect(page.get_by_test_id("chat-announcer")).to_have_attribute("aria-live", "polite")
    await expect(widget.input).to_have_accessible_name("Your message")
    await page.keyboard.type("hello")
    await page.keyboard.press("Enter")
    await widget.sees("bot", "virtual assistant")
    await expect(widget.input).to_have_value("")

    await page.get_by_test_id("chat-end").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("chat-end-cancel")).to_be_focused()  # the safe choice first
    await page.keyboard.press("Escape")
    await expect(page.get_by_test_id("chat-confirm")).to_be_hidden()
    await expect(page.get_by_test_id("chat-end")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(widget.panel).to_be_hidden()
    await expect(widget.launcher).to_be_focused()
    assert watch.errors == []


async def test_stop_waiting_goes_back_to_the_bot(browser: Browser, shop: TestServer, cc: Emulator) -> None:
    page = await browser.new_page()
    watch = Watch.on(page)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await widget.open()
    cid = await escalate(widget, cc)
    await page.get_by_test_id("chat-cancel").click()
    await expect(widget.banner).to_be_hidden()
    await expect(widget.log.get_by_test_id("chat-event").last).to_have_text("The assistant is back")
    await cc.wait_for_state(cid, "closed")  # 8x8 was told: the interaction left the queue
    assert watch.frames(watch.sent, type="cancel") == [{"type": "cancel"}]
    assert watch.errors == []
