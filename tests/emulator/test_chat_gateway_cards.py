"""The emulator's Chat Gateway cards (spec chat-gateway-v1 §3, "Cards"): the agent sends cards (console and
control API), they are listed with ids, and the card actions outside ``/chat-gateway/v1`` answer a card."""

from __future__ import annotations

from typing import Any

import aiohttp

from gateway.emulator.handle import Emulator
from tests.support.emulator_api import GatewayApi
from tests.support.webhook_receiver import Receiver

QUICK = {
    "contentType": "application/8x8.quick.replies",
    "content": {"options": [{"title": "A", "data": {"postback": "a"}}]},
}


async def _card_put(
    session: aiohttp.ClientSession, emulator: Emulator, path: str, body: Any, *, key: str | None = None
) -> tuple[int, Any]:
    async with session.put(
        emulator.base_url + "/api/v1" + path,
        json=body,
        headers={"x-api-key": key if key is not None else emulator.chat_gateway_api_key},
    ) as resp:
        return resp.status, (await resp.json() if resp.status != 204 else None)


async def test_agent_cards_are_sent_listed_and_answered_by_the_card_action(
    cgw: GatewayApi, emulator: Emulator, receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    await emulator.wait_for_state(cid, "queued")
    await emulator.agent_join(cid)
    async with session.post(
        f"{emulator.base_url}/_emulator/conversations/{cid}/agent/messages",
        json={"text": "", "cards": [QUICK]},
    ) as resp:
        assert resp.status == 200
    event = await emulator.wait_for(lambda: [e for e in emulator.events_of(cid) if e.type == "MESSAGE"])
    data = event[0].payload["data"]
    assert "text" not in data  # cards alone: no text
    assert data["cards"] == [QUICK]
    messages = (await cgw.call("GET", f"/conversations/{cid}/messages")).body["_embedded"]["messages"]
    card = messages[0]["cards"][0]
    assert card["actionSubmitted"] is False
    tenant = emulator.tenant_id
    path = f"/tenant/{tenant}/conversations/{cid}/cards/{card['id']}/action-submit"

    assert (await _card_put(session, emulator, path, {"name": "a"}, key="wrong"))[0] == 401
    other = path.replace(f"/tenant/{tenant}/", "/tenant/Other/")
    assert (await _card_put(session, emulator, other, {"name": "a"}))[0] == 403
    status, body = await _card_put(session, emulator, path.replace(card["id"], "nope-0"), {"name": "a"})
    assert status == 404
    assert body["errors"][0]["code"] == "resource_not_found"
    assert emulator.card_actions(cid) == {}

    assert (await _card_put(session, emulator, path, {"name": "a"}))[0] == 204
    assert emulator.card_actions(cid) == {card["id"]: {"action": "submitted", "name": "a"}}
    cards = await cgw.call("GET", f"/conversations/{cid}/messages/{messages[0]['id']}/cards")
    assert cards.body["_embedded"]["cards"][0]["actionSubmitted"] is True


async def test_the_control_api_refuses_bad_cards_and_sends_nothing(
    cgw: GatewayApi, emulator: Emulator, receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    await emulator.wait_for_state(cid, "queued")
    await emulator.agent_join(cid)
    url = f"{emulator.base_url}/_emulator/conversations/{cid}/agent/messages"
    for body in (
        {"text": "", "cards": []},
        {"cards": [{"contentType": "Nope", "content": {}}]},
        {"cards": "x"},
    ):
        async with session.post(url, json=body) as resp:
            assert resp.status == 400, body
    assert not [e for e in emulator.events_of(cid) if e.type == "MESSAGE"]
