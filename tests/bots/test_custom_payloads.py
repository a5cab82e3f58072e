"""A bot's ``custom`` payloads other than the handoff (cards, carousels, a site's own widgets) reach the widget
as the ``custom`` of a bot message frame, live and on replay, instead of being dropped; the handoff payload is
still never shown. Here a canned Rasa on a real port answers, the gateway runs on a real port, and the
customer reads frames on the real WebSocket and the REST replay."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.bots.rest_items import MAX_CUSTOM_BYTES, parse_rest_items
from gateway.relay.events import BotMessage
from tests.support.customer import CustomerSocket
from tests.support.gateway import SettingsFactory

CARD = {"card": {"title": "Order 42", "status": "shipped", "items": [1, 2], "note": None}}


@pytest.fixture
async def rasa(aiohttp_server: AiohttpServer) -> str:
    """A Rasa that answers every turn with a text and a card (its REST shape: custom as its own item)."""

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        sender = body["sender"]
        return web.json_response(
            [{"recipient_id": sender, "text": "Here it is:"}, {"recipient_id": sender, "custom": CARD}]
        )

    async def status(request: web.Request) -> web.Response:
        return web.json_response({"model_id": "x"})

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_get("/status", status)
    server = await aiohttp_server(app)
    return str(server.make_url("/"))


async def test_custom_payload_reaches_the_widget_live_and_on_replay(
    rasa: str, aiohttp_server: AiohttpServer, make_settings: SettingsFactory
) -> None:
    gateway: TestServer = await aiohttp_server(build_app(make_settings(bot={"url": rasa, "token": "t"})))
    async with aiohttp.ClientSession() as http:
        c = CustomerSocket(await http.ws_connect(gateway.make_url("/chat/ws")))
        session = (await c.start())["session"]
        await c.say("where is my order")

        text = await c.until("message", author="bot")
        card = await c.expect("message", author="bot")

        assert text["text"] == "Here it is:"
        assert card["custom"] == CARD
        assert card["text"] is None
        assert card["seq"] == text["seq"] + 1
        url = gateway.make_url(f"/chat/sessions/{c.conversation_id}/messages")
        async with http.get(
            url, params={"after": "0"}, headers={"Authorization": f"Bearer {session}"}
        ) as resp:
            entries: list[dict[str, Any]] = (await resp.json())["entries"]
        assert [e.get("custom") for e in entries if e.get("author") == "bot"] == [None, CARD]


def test_handoff_is_never_a_custom_message_and_bad_customs_are_dropped() -> None:
    big = {"blob": "x" * MAX_CUSTOM_BYTES}
    items: list[dict[str, Any]] = [
        {"recipient_id": "c", "custom": {"handoff": {"reason": "billing"}}},
        {"recipient_id": "c", "custom": CARD},
        {"recipient_id": "c", "custom": big},
        {"recipient_id": "c", "custom": ["not", "an", "object"]},
    ]

    reply = parse_rest_items(items)

    assert reply.handoff is not None
    assert reply.messages == (BotMessage(custom=json.dumps(CARD, separators=(",", ":"))),)
