"""Page objects: the customer's widget on the demo shop, and what the tests watch on a page.

Selectors are the widget's ``data-testid`` attributes; Playwright's CSS engine pierces the widget's
open shadow root.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import ConsoleMessage, Dialog, Error, Locator, Page, WebSocket, expect


@dataclass
class Watch:
    """Uncaught page errors, dialogs (alert/confirm) and the customer socket's frames, as they happen."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def on(cls, page: Page) -> Watch:
        watch = cls()
        page.on("pageerror", lambda exc: watch.errors.append(str(exc)))
        page.on("console", watch._console)
        page.on("dialog", watch._dialog)
        page.on("websocket", watch._socket)
        return watch

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error" and "net::ERR_INTERNET_DISCONNECTED" not in msg.text:
            self.errors.append(msg.text)

    async def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()

    def _socket(self, ws: WebSocket) -> None:
        if ws.url.endswith("/chat/ws"):
            ws.on("framesent", lambda payload: self.sent.append(json.loads(payload)))
            ws.on("framereceived", lambda payload: self.received.append(json.loads(payload)))

    def frames(self, direction: list[dict[str, Any]], **fields: Any) -> list[dict[str, Any]]:
        return [f for f in direction if all(f.get(k) == v for k, v in fields.items())]


class CustomerWidget:
    """The chat widget as a customer uses it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.get_by_test_id("chat-launcher")
        self.panel = page.get_by_test_id("chat-panel")
        self.log = page.get_by_test_id("chat-log")
        self.input = page.get_by_test_id("chat-input")
        self.send_button = page.get_by_test_id("chat-send")
        self.banner = page.get_by_test_id("chat-banner")
        self.notice = page.get_by_test_id("chat-notice")
        self.badge = page.get_by_test_id("chat-badge")
        self.bubbles = page.locator('[data-testid="chat-message"][data-seq]')
        self.sending = page.locator('[data-testid="chat-message"].is-sending')

    async def open(self) -> None:
        await self.launcher.click()
        await expect(self.panel).to_be_visible()
        await expect(self.input).to_be_focused()

    async def say(self, text: str) -> None:
        await self.input.fill(text)
        await self.send_button.click()

    def bubble(self, author: str, text: str | None = None) -> Locator:
        found = self.page.locator(f'[data-testid="chat-message"][data-author="{author}"]')
        return found.filter(has_text=text) if text is not None else found

    def button(self, title: str) -> Locator:
        return self.log.get_by_role("button", name=title)

    async def sees(self, author: str, text: str) -> None:
        await expect(self.bubble(author, text).last).to_be_visible()

    async def settled(self) -> None:
        """Connected, and nothing of ours waiting for an ack."""
        await expect(self.notice).to_be_hidden()
        await expect(self.sending).to_have_count(0)

    async def seqs(self) -> list[int]:
        """The seq of every transcript line shown, in page order."""
        values: list[str] = await self.page.locator("[data-testid=chat-log] [data-seq]").evaluate_all(
            "els => els.map(e => e.dataset.seq)"
        )
        return [int(v) for v in values]

    async def saved(self) -> dict[str, Any]:
        """What the widget keeps in sessionStorage (token, last seq, frames, pending)."""
        raw = await self.page.evaluate(
            "() => { for (let i = 0; i < sessionStorage.length; i++) {"
            " const k = sessionStorage.key(i); if (k.startsWith('chat-gateway-widget:')) return sessionStorage.getItem(k); }"
            " return null; }"
        )
        if raw is None:
            raise Error("the widget has saved nothing")
        saved: dict[str, Any] = json.loads(raw)
        return saved


class AgentConsole:
    """The emulator's agent console (``/console``) as an agent uses it: by clicking and typing.

    History lines carry ``data-author`` (``user``, ``bot``, ``agent``) and, for the bot transcript handed
    over with the conversation, ``data-transcript="true"``.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.live = page.get_by_test_id("live")
        self.items = page.get_by_test_id("conversation-item")
        self.state = page.get_by_test_id("state")
        self.agent_select = page.get_by_test_id("agent-select")
        self.accept_button = page.get_by_test_id("accept")
        self.end_button = page.get_by_test_id("end")
        self.error = page.get_by_test_id("error")
        self.history = page.get_by_test_id("history")
        self.lines = page.get_by_test_id("history-line")
        self.events = page.get_by_test_id("history-event")
        self.input = page.get_by_test_id("reply-input")
        self.send_button = page.get_by_test_id("reply-send")
        self.customer_details = page.get_by_test_id("customer-details")

    async def open(self, url: str) -> None:
        await self.page.goto(url)
        await expect(self.live).to_have_attribute("data-live", "on")

    def conversation(self, state: str) -> Locator:
        return self.page.locator(f'[data-testid="conversation-item"][data-state="{state}"]')

    async def accept(self, agent_id: str | None = None) -> str:
        """Select the waiting conversation, accept it (as ``agent_id`` if given); its id."""
        waiting = self.conversation("queued")
        await expect(waiting).to_have_count(1)
        conversation_id = await waiting.get_attribute("data-conversation-id")
        assert conversation_id
        await waiting.click()
        await expect(self.state).to_have_attribute("data-state", "queued")
        await expect(self.input).to_be_disabled()
        if agent_id is not None:
            await self.agent_select.select_option(agent_id)
        await self.accept_button.click()
        await expect(self.state).to_have_attribute("data-state", "agent")
        await expect(self.input).to_be_focused()
        return conversation_id

    def line(self, author: str, text: str | None = None, *, transcript: bool | None = None) -> Locator:
        selector = f'[data-testid="history-line"][data-author="{author}"]'
        if transcript is True:
            selector += '[data-transcript="true"]'
        elif transcript is False:
            selector += ":not([data-transcript])"
        found = self.page.locator(selector)
        return found.filter(has_text=text) if text is not None else found

    async def sees(self, author: str, text: str, *, transcript: bool | None = None) -> None:
        await expect(self.line(author, text, transcript=transcript).last).to_be_visible()

    async def say(self, text: str) -> None:
        """Type and send with the Send button; done once the line is in the history."""
        before = await self.line("agent").count()
        await self.input.fill(text)
        await self.send_button.click()
        await expect(self.line("agent")).to_have_count(before + 1)
        await expect(self.line("agent").last.locator(".line-text")).to_have_text(text)
        await expect(self.input).to_have_value("")
        await expect(self.error).to_be_hidden()

    async def end(self) -> None:
        await self.end_button.click()
        await expect(self.state).to_have_attribute("data-state", "closed")
        await expect(self.input).to_be_disabled()
