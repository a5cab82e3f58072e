"""The emulator's agent console on its own, in real Chromium: the live conversation list, transfer to
another queue and a second agent, and a webhook the receiver never took shown as given up.

Conversations are made through the emulator's v2 API over HTTP (no gateway): the console must show what
any 8x8 client does.
"""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect
from pytest_aiohttp import AiohttpServer

from gateway.emulator.handle import Emulator
from tests.browser.pages import AgentConsole, Watch
from tests.support.browser import Screenshots
from tests.support.emulator_api import Api
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.browser


@pytest.fixture
async def receiver(aiohttp_server: AiohttpServer) -> Receiver:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    server: TestServer = await aiohttp_server(app)
    rec.url = str(server.make_url("/hook"))
    return rec


async def test_the_list_follows_the_emulator_live(
    browser: Browser, cc: Emulator, receiver: Receiver, shots: Screenshots
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    watch = Watch.on(page)
    agent = AgentConsole(page)
    await agent.open(cc.console_url)
    await expect(page.get_by_test_id("counts")).to_have_text("0 queued · 0 active · 0 closed")

    async with aiohttp.ClientSession() as http:
        api = Api(http, cc)
        channel = await api.channel(receiver)
        first = await api.create_conversation(channel, name="Ann Example")
        second = await api.create_conversation(channel, name="Bo Example")
        await expect(agent.conversation("queued")).to_have_count(2)
        await expect(page.get_by_test_id("counts")).to_have_text("2 queued · 0 active · 0 closed")
        await expect(agent.items.first).to_contain_text("Ann Example")  # the longest waiting first

        # The second customer gives up while waiting: gone from the list, back with "show closed".
        assert (await api.call("DELETE", f"/conversations/{second}/participants/customer")).status == 204
        await expect(agent.items).to_have_count(1)
        await expect(page.get_by_test_id("counts")).to_have_text("1 queued · 0 active · 1 closed")
        await page.get_by_test_id("show-closed").check()
        await expect(agent.conversation("closed")).to_contain_text("Bo Example")

        # The first customer writes while queued: the console's line and preview follow.
        await agent.items.filter(has_text="Ann Example").click()
        await expect(page.get_by_test_id("customer-details")).to_contain_text("Ann Example")
        assert (
            await api.call("POST", f"/conversations/{first}/messages", {"text": "Still there?"})
        ).status == 202
        await agent.sees("user", "Still there?", transcript=False)
        await expect(agent.items.filter(has_text="Ann Example")).to_contain_text("Still there?")
        await shots(page, "list")
    assert watch.errors == []


async def test_transfer_to_another_queue_and_a_given_up_webhook(
    browser: Browser, cc: Emulator, receiver: Receiver, shots: Screenshots
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    watch = Watch.on(page)
    agent = AgentConsole(page)
    await agent.open(cc.console_url)
    retries = len(cc.config.retry_delays)
    receiver.fail(retries + 1, status=500)  # the QUEUED event is never taken: every attempt fails

    async with aiohttp.ClientSession() as http:
        api = Api(http, cc)
        channel = await api.channel(receiver)
        cc.pause_delivery()
        cid = await api.create_conversation(
            channel,
            name="Ann Example",
            history={"messages": [{"type": "user", "text": "I was charged twice"}]},
        )
    # The agent has the conversation open while 8x8 keeps trying to deliver its QUEUED event.
    await agent.items.first.click()
    queued = agent.events.filter(has_text="Queued on Billing")
    await expect(queued).to_have_attribute("data-delivery", "pending")
    await agent.sees("user", "I was charged twice", transcript=True)
    cc.resume_delivery()
    await cc.wait_for_event(cid, "QUEUED", status="given_up")
    await expect(queued).to_have_attribute("data-delivery", "given_up")
    await expect(queued).to_contain_text("webhook given up")

    # Billing (101) is served by Alice and Bob; the agent picks Bob.
    options = agent.agent_select.locator("option")
    await expect(options).to_have_text(["Alice,Anders", "Bob,Brown"])
    await agent.accept("bob")
    await agent.say("Let me pass you to Sales.")
    await page.get_by_test_id("transfer-select").select_option(label="Sales")
    await page.get_by_test_id("transfer").click()
    await expect(agent.state).to_have_attribute("data-state", "queued")
    await expect(page.get_by_test_id("conversation-details")).to_contain_text("Sales (103)")
    for text in ("Transferred to another queue", "Bob,Brown left", "Queued on Sales"):
        await expect(agent.events.filter(has_text=text)).to_have_count(1)
    await expect(agent.events.filter(has_text="Queued on Sales")).to_have_attribute(
        "data-delivery", "delivered"
    )

    # Sales (103) is served by Bob and Carol; Carol takes it and answers.
    await expect(options).to_have_text(["Bob,Brown", "Carol,Chen"])
    await agent.accept("carol")
    await agent.say("Hi, Carol from Sales here.")
    await shots(page, "transferred")
    conv = cc.conversation(cid)
    assert (conv["agent"], conv["queue"]) == (
        {"id": "carol", "name": "Carol,Chen"},
        {"id": "103", "name": "Sales"},
    )
    assert [m["participantId"] for m in conv["messages"] if m["authorType"] == "agent"] == ["bob", "carol"]
    assert watch.errors == []
