"""axe-core finds nothing wrong with the widget in any state a customer meets, nor with the agent console.

Shops in the EU must make customer-facing chat accessible (WCAG 2.1 AA), and buyers ask for the report
before they embed anything: every state is audited on the demo shop (so a landmark the widget adds
would clash with the page's own and fail), at a desktop size and on a 375x667 phone, in the light and
the dark scheme. A screenshot of each audited state is saved next to the others.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, FilePayload, Page, WebSocketRoute, expect

from gateway.emulator.handle import Emulator
from tests.browser.axe import describe, violations
from tests.browser.pages import AgentConsole, CustomerWidget, Watch
from tests.browser.test_files_and_typing import PNG
from tests.support.browser import HostPage, Screenshots

pytestmark = pytest.mark.browser

DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
PHONE: dict[str, Any] = {"viewport": {"width": 375, "height": 667}, "has_touch": True}


class Sockets:
    """The widget's sockets pass through untouched; the test may drop them, refuse new ones, or add a frame."""

    def __init__(self) -> None:
        self.routes: list[WebSocketRoute] = []
        self.refuse = False

    async def handle(self, route: WebSocketRoute) -> None:
        if self.refuse:
            await route.close()
            return
        route.connect_to_server()
        self.routes.append(route)

    async def install(self, page: Page) -> None:
        await page.route_web_socket(re.compile(r"/chat/ws$"), self.handle)


# Landmarks inside the widget: any would sit beside the host page's own (a second banner, main, ...).
LANDMARKS = """() => [...document.querySelector("chat-gateway-widget").shadowRoot.querySelectorAll(
  "header, footer, main, nav, aside, section[aria-label], section[aria-labelledby], form[aria-label], "
  + "form[aria-labelledby], [role=banner], [role=main], [role=navigation], [role=complementary], "
  + "[role=contentinfo], [role=region], [role=search], [role=form]"
)].map((el) => el.outerHTML.slice(0, 80))"""


class Audit:
    """Audit the page at each named state; every state is audited before the test fails."""

    def __init__(self, axe_script: Path, shots: Screenshots) -> None:
        self.axe_script = axe_script
        self.shots = shots
        self.failed: dict[str, str] = {}
        self.states: list[str] = []

    async def __call__(self, page: Page, state: str) -> None:
        await self.shots(page, state)
        if await page.locator("chat-gateway-widget").count():
            assert await page.evaluate(LANDMARKS) == [], state
        found = await violations(page, self.axe_script)
        self.states.append(state)
        if found:
            self.failed[state] = describe(found)

    def report(self) -> str:
        return "\n".join(f"[{state}]\n{text}" for state, text in self.failed.items())


@pytest.mark.timeout(150)
@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_every_widget_state_passes_axe(
    browser: Browser,
    cgw_shop: TestServer,
    cc: Emulator,
    axe_script: Path,
    shots: Screenshots,
    device: dict[str, Any],
) -> None:
    context = await browser.new_context(**device)
    page = await context.new_page()
    watch = Watch.on(page)
    sockets = Sockets()
    await sockets.install(page)
    audit = Audit(axe_script, shots)
    await page.goto(str(cgw_shop.make_url("/")))
    widget = CustomerWidget(page)
    await expect(widget.launcher).to_be_visible()
    await audit(page, "closed")

    await widget.open()
    await audit(page, "open")

    await widget.say("hello")
    await expect(widget.button("Talk to a person")).to_be_enabled()
    await audit(page, "bot-answer-with-buttons")

    await widget.button("Talk to a person").click()
    await expect(widget.banner).to_contain_text("Waiting in queue Billing")
    await expect(
        widget.log
    ).to_be_focused()  # the clicked choice retired: focus on the log, no keyboard popping up
    await audit(page, "queued")

    cid = (await cc.wait_for(cc.conversation_ids))[0]
    await cc.agent_join(cid, "alice")
    await cc.agent_send(cid, "Hi, Alice here. How can I help?")
    await widget.sees("agent", "Alice here")
    await audit(page, "agent")

    await cc.agent_typing(cid, active=True)
    await expect(page.get_by_test_id("chat-typing")).to_be_visible()
    await audit(page, "agent-typing")
    await cc.agent_typing(cid, active=False)

    await page.get_by_test_id("chat-file-input").set_input_files(
        files=[FilePayload(name="receipt.png", mimeType="image/png", buffer=PNG)]
    )
    await expect(widget.bubble("customer").get_by_test_id("chat-file")).to_be_visible()
    await widget.settled()
    await audit(page, "file-sent")

    sockets.refuse = True
    await sockets.routes[-1].close()
    await expect(widget.notice).to_have_text("Reconnecting…")
    await audit(page, "reconnecting")
    sockets.refuse = False
    await expect(widget.notice).to_be_hidden(timeout=20_000)

    sockets.routes[-1].send(
        json.dumps({"type": "error", "code": "invalid_frame", "message": "not understood"})
    )
    await expect(widget.notice).to_have_text("Something went wrong: not understood")
    await audit(page, "error")

    await page.get_by_test_id("chat-end").click()
    await expect(page.get_by_test_id("chat-confirm")).to_be_visible()
    await audit(page, "end-confirm")
    await page.get_by_test_id("chat-end-confirm").click()
    await expect(page.get_by_test_id("chat-download")).to_be_visible()
    await audit(page, "ended")

    assert len(audit.states) == 11
    assert not audit.failed, audit.report()
    assert watch.errors == []
    await context.close()


@pytest.mark.timeout(90)
async def test_the_dark_scheme_passes_axe_and_a_page_colour_keeps_it_light(
    browser: Browser,
    shop: TestServer,
    cc: Emulator,
    host_page: HostPage,
    axe_script: Path,
    shots: Screenshots,
) -> None:
    context = await browser.new_context(color_scheme="dark", **DESKTOP)
    page = await context.new_page()
    audit = Audit(axe_script, shots)
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await widget.open()
    await widget.say("hello")
    await expect(widget.button("Talk to a person")).to_be_enabled()
    background = "el => getComputedStyle(el).backgroundColor"
    assert await widget.log.evaluate(background) == "rgb(17, 24, 39)"  # the dark backdrop
    await audit(page, "dark-bot-answer")
    await widget.button("Talk to a person").click()
    await expect(widget.banner).to_be_visible()
    cid = (await cc.wait_for(cc.conversation_ids))[0]
    await cc.agent_join(cid, "alice")
    await cc.agent_send(cid, "Hi, Alice here.")
    await widget.sees("agent", "Alice here")
    await audit(page, "dark-agent")
    assert not audit.failed, audit.report()

    # A page that sets its own colour gets the light widget around it, with a readable text colour.
    await page.goto(await host_page('data-color="#fde047"'))
    await widget.open()
    await widget.say("hello")
    await expect(widget.button("Talk to a person")).to_be_enabled()
    assert await widget.log.evaluate(background) == "rgb(248, 250, 252)"
    header = page.locator("chat-gateway-widget .header")
    assert await header.evaluate("el => getComputedStyle(el).color") == "rgb(0, 0, 0)"  # black on yellow
    await audit(page, "page-colour")
    assert not audit.failed, audit.report()
    await context.close()


@pytest.mark.timeout(90)
async def test_the_agent_console_passes_axe_and_names_an_anonymous_customer(
    browser: Browser, shop: TestServer, cc: Emulator, axe_script: Path, shots: Screenshots
) -> None:
    context = await browser.new_context(**DESKTOP)
    agent = AgentConsole(await context.new_page())
    watch = Watch.on(agent.page)
    audit = Audit(axe_script, shots)
    await agent.open(cc.console_url)
    await expect(agent.page.locator("#list-empty")).to_be_visible()
    await audit(agent.page, "console-empty")

    page = await browser.new_page()
    widget = CustomerWidget(page)
    await page.goto(str(shop.make_url("/")))
    await widget.open()
    await widget.say("hello")
    await widget.button("Talk to a person").click()
    await expect(widget.banner).to_contain_text("Waiting in queue Billing")
    cid = (await cc.wait_for(cc.conversation_ids))[0]

    # The widget's customer gave no name: the console says "Visitor" and a short id, not a 32-character one.
    waiting = agent.conversation("queued")
    await expect(waiting).to_have_count(1)
    name = waiting.locator(".item-name")
    await expect(name).to_have_text(re.compile(r"^Visitor [0-9a-z]{6}$"))
    visitor = await name.inner_text()
    await audit(agent.page, "console-list")
    await agent.accept("alice")
    await expect(agent.page.locator("#conv-name")).to_have_text(visitor)
    await agent.say("Hi, Alice here.")
    await expect(agent.line("user", "hello").first.locator(".line-author")).to_have_text(visitor)
    await audit(agent.page, "console-conversation")
    assert cid in cc.conversation_ids()
    assert not audit.failed, audit.report()
    assert watch.errors == []
    await context.close()
