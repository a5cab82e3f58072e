"""The agent console in real Chromium, for both APIs: the same accept/reply flow for a Chat API and a Chat
Gateway conversation, plus what only Chat Gateway has — the customer's typing and files shown to the agent,
and the agent's typing, read receipts and files reaching the integration's webhook as events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.emulator.handle import Emulator
from tests.support.emulator_api import Api, GatewayApi
from tests.support.webhook_receiver import Receiver

if TYPE_CHECKING:
    from playwright.async_api import Browser

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def activities(receiver: Receiver, cid: str, name: str) -> list[object]:
    return [
        e.json["data"]["value"]
        for e in receiver.events(cid)
        if e.event_type == "ACTIVITY" and e.json["data"]["name"] == name
    ]


async def test_console_shows_files_and_typing_and_sends_agent_indicators(
    browser: Browser,
    cgw: GatewayApi,
    receiver: Receiver,
    emulator: Emulator,
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver), name="Gina Gateway")
    await emulator.wait_for_state(cid, "queued")
    page = await browser.new_page()
    try:
        from playwright.async_api import expect  # imported late: without Playwright the fixture says why

        await page.goto(f"{emulator.console_url}#{cid}")
        await page.get_by_test_id("accept").click()
        await emulator.wait_for_state(cid, "agent")
        assert "Chat Gateway" in await page.locator("#conv-sub").inner_text()

        # the customer types and sends a picture: the agent sees both
        await cgw.call("POST", f"/conversations/{cid}/typing", {"authorType": "user"})
        indicators = page.get_by_test_id("indicators")
        await indicators.get_by_text("Gina Gateway is typing…").wait_for()
        att = (await cgw.upload(cid, "dot.png", PNG, content_type="image/png")).body
        body = {"authorType": "user", "text": "look", "attachments": [{"id": att["id"]}]}
        await cgw.call("POST", f"/conversations/{cid}/messages", body)
        file_link = page.get_by_test_id("history-file")
        await file_link.get_by_text("dot.png", exact=False).wait_for()
        loaded = await file_link.locator("img").evaluate("img => img.complete && img.naturalWidth")
        assert loaded == 1
        # the line is on screen for the active agent: read receipt
        # (webhook deliveries under a loaded CI machine can take seconds: the waits are generous)
        await receiver.wait_for(lambda: activities(receiver, cid, "read-receipts"), timeout=15)

        # the agent types: typing on, then off when the reply is sent
        await page.get_by_test_id("reply-input").fill("Nice picture")
        await receiver.wait_for(
            lambda: {"users": [{"id": "alice", "type": "agent"}]} in activities(receiver, cid, "typing"),
            timeout=15,
        )
        await page.get_by_test_id("reply-send").click()
        await receiver.wait_for(lambda: {"users": []} in activities(receiver, cid, "typing"), timeout=15)
        await emulator.wait_for_message(cid, "Nice picture", author_type="agent")

        # the agent sends a file with a caption
        await expect(page.get_by_test_id("reply-input")).to_have_value("")  # the reply went out
        await page.get_by_test_id("reply-input").fill("here is the form")
        await page.get_by_test_id("attach-input").set_input_files(
            {"name": "form.txt", "mimeType": "text/plain", "buffer": b"fill me in"}
        )
        message = await receiver.wait_for(
            lambda: next(
                (
                    e
                    for e in receiver.events(cid)
                    if e.event_type == "MESSAGE"
                    and e.json["data"]["attachments"]
                    and e.json["data"]["sender"]["type"] == "agent"
                ),
                None,
            )
        )
        data = message.json["data"]
        assert data["text"] == "here is the form"
        assert data["attachments"][0]["fileName"] == "form.txt"
        async with cgw.session.get(data["attachments"][0]["preSignedUrl"]) as resp:
            assert await resp.read() == b"fill me in"
        await page.get_by_test_id("history-file").get_by_text("form.txt", exact=False).wait_for()
    finally:
        await page.close()


async def test_console_serves_a_chat_api_conversation_the_same_way(
    browser: Browser,
    api: Api,
    receiver: Receiver,
    emulator: Emulator,
) -> None:
    cid = await api.create_conversation(await api.channel(receiver), name="Vera Vtwo")
    await emulator.wait_for_state(cid, "queued")
    page = await browser.new_page()
    try:
        await page.goto(f"{emulator.console_url}#{cid}")
        await page.get_by_test_id("accept").click()
        await emulator.wait_for_state(cid, "agent")
        assert "Chat API" in await page.locator("#conv-sub").inner_text()
        assert await page.get_by_test_id("attach").is_hidden()  # no files in the Chat API
        await page.get_by_test_id("reply-input").fill("Hello Vera")
        await page.get_by_test_id("reply-send").click()
        await receiver.wait_for(lambda: "TEXT" in receiver.types(cid))
        assert receiver.types(cid) == ["QUEUED", "AGENT_JOINED", "TEXT"]  # no typing or read events
        assert receiver.events(cid)[-1].json["message"] == "Hello Vera"
    finally:
        await page.close()
