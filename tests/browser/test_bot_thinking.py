"""The bot is thinking (issue 22, point 4), in real Chromium: while a slow Rasa computes its answer the widget
shows the assistant typing, and the answer replaces it."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import unused_port
from playwright.async_api import Browser, expect
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.emulator.handle import Emulator
from tests.browser.pages import CustomerWidget
from tests.support.browser import Screenshots
from tests.support.emulator_settings import chat_gateway_settings
from tests.support.gateway import SettingsFactory
from tests.support.rasa_standin import RasaStandIn

pytestmark = pytest.mark.browser


async def test_the_widget_shows_the_assistant_typing_while_a_slow_bot_answers(
    browser: Browser,
    aiohttp_server: AiohttpServer,
    make_settings: SettingsFactory,
    cc: Emulator,
    shots: Screenshots,
) -> None:
    rasa = RasaStandIn(f"http://127.0.0.1:{unused_port()}", token="t")  # greetings need no custom action
    rasa.webhook_delay_s = 1.5
    rasa_server = await aiohttp_server(rasa.app())
    port = unused_port()
    settings = make_settings(
        public_url=f"http://127.0.0.1:{port}",
        contact_center="chat_gateway",
        chat_gateway=chat_gateway_settings(cc),
        bot={"url": str(rasa_server.make_url("/")), "token": "t"},
    )
    shop = await aiohttp_server(build_app(settings, demo_page=True), port=port)
    page = await browser.new_page()
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await widget.open()
    await widget.say("hello")
    typing = page.get_by_test_id("chat-typing")
    await expect(typing).to_have_text("Assistant is typing…")
    await shots(page, "assistant-typing")
    await widget.sees("bot", "virtual assistant")
    await expect(typing).to_be_hidden()
