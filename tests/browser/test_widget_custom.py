"""A bot's custom payload in real Chromium: the widget shows no empty bubble for it and hands it to the page
as a ``chat-gateway:custom`` event, live and again (``live: false``) when the transcript is replayed."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer, unused_port
from playwright.async_api import Browser, expect
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from tests.browser.pages import CustomerWidget
from tests.support.gateway import SettingsFactory

pytestmark = pytest.mark.browser

CARD = {"card": {"title": "Order 42", "status": "shipped"}}
COLLECT = """
window.__customs = [];
window.addEventListener("chat-gateway:custom", (e) => window.__customs.push(e.detail));
"""


@pytest.fixture
async def shop_with_cards(aiohttp_server: AiohttpServer, make_settings: SettingsFactory) -> TestServer:
    async def webhook(request: web.Request) -> web.Response:
        sender = (await request.json())["sender"]
        return web.json_response(
            [{"recipient_id": sender, "text": "Here it is:"}, {"recipient_id": sender, "custom": CARD}]
        )

    rasa = web.Application()
    rasa.router.add_post("/webhooks/rest/webhook", webhook)
    rasa_server = await aiohttp_server(rasa)
    port = unused_port()
    settings = make_settings(
        public_url=f"http://127.0.0.1:{port}", bot={"url": str(rasa_server.make_url("/"))}
    )
    return await aiohttp_server(build_app(settings, demo_page=True), port=port)


async def customs(widget: CustomerWidget) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await widget.page.evaluate("window.__customs")
    return found


async def test_custom_payload_becomes_a_page_event_not_a_bubble(
    browser: Browser, shop_with_cards: TestServer
) -> None:
    page = await browser.new_page()
    await page.add_init_script(COLLECT)
    await page.goto(str(shop_with_cards.make_url("/")))
    widget = CustomerWidget(page)
    await widget.open()

    await widget.say("where is my order")

    await widget.sees("bot", "Here it is:")
    await page.wait_for_function("window.__customs.length === 1")
    (live,) = await customs(widget)
    assert (live["custom"], live["live"]) == (CARD, True)
    await expect(widget.bubble("bot")).to_have_count(1)

    await page.reload()
    await page.wait_for_function("window.__customs.length === 1")
    (replayed,) = await customs(widget)
    assert (replayed["custom"], replayed["seq"], replayed["live"]) == (CARD, live["seq"], False)
