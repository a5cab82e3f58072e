"""The conversation lifecycle (spec §6): transfer, reopen on the last queue with the whole history,
customer messages never echoed, auto mode.
"""

from __future__ import annotations

import aiohttp

from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from tests.support.emulator_api import Api
from tests.support.webhook_receiver import Receiver

HISTORY = {
    "messages": [{"type": "user", "text": "I was charged twice"}, {"type": "bot", "text": "Connecting."}]
}


async def test_transfer_sends_transfer_agent_left_queued_in_that_order(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await api.create_conversation(await api.channel(receiver))
    await emulator.wait_for_state(cid, "queued")
    await emulator.agent_join(cid, "alice")
    reply = await api.control("POST", f"/conversations/{cid}/agent/transfer", {"queueId": "103"})
    assert reply.status == 200, reply.body
    assert (reply.body["state"], reply.body["queue"]["id"]) == ("queued", "103")
    await receiver.wait_for(lambda: len(receiver.events(cid)) == 5)
    assert receiver.types(cid) == ["QUEUED", "AGENT_JOINED", "TRANSFER", "AGENT_LEFT", "QUEUED"]
    last = receiver.events(cid)[-1].json
    assert (last["queueId"], last["queueName"]) == ("103", "Sales")
    assert receiver.events(cid)[3].json["agentId"] == "alice"


async def test_reopen_after_customer_leave_requeues_on_the_last_queue_with_full_history(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await api.create_conversation(await api.channel(receiver), history=HISTORY)
    await emulator.wait_for_state(cid, "queued")
    await emulator.agent_join(cid, "alice")
    await emulator.agent_transfer(cid, "102")
    await emulator.agent_join(cid, "carol")
    await emulator.agent_send(cid, "Refund done.")
    assert (await api.call("DELETE", f"/conversations/{cid}/participants/customer")).status == 204
    await receiver.wait_for(
        lambda: receiver.types(cid)[-1:] == ["AGENT_LEFT"] and len(receiver.types(cid)) == 8
    )
    assert (
        await api.call("DELETE", f"/conversations/{cid}/participants/customer")
    ).status == 204  # idempotent

    assert (
        await api.call("POST", f"/conversations/{cid}/messages", {"text": "One more thing"})
    ).status == 202
    await receiver.wait_for(lambda: len(receiver.types(cid)) == 9)
    queued = receiver.events(cid)[-1].json
    assert (queued["eventType"], queued["queueId"]) == ("QUEUED", "102")

    conv = (await api.call("GET", f"/conversations/{cid}")).body
    assert len(conv["interactions"]) == 2
    assert "endTime" in conv["interactions"][0]
    assert conv["interactions"][1]["endTime"] is None  # strict profile: open is null
    messages = (await api.call("GET", f"/conversations/{cid}/messages")).body["messages"]
    assert [(m["authorType"], m["originalText"]) for m in messages] == [
        ("user", "I was charged twice"),
        ("bot", "Connecting."),
        ("agent", "Refund done."),
        ("user", "One more thing"),
    ]
    assert messages[3]["interactionId"] == conv["interactions"][1]["id"]
    await emulator.agent_join(cid, "bob")  # the next agent sees all of it
    assert [m["text"] for m in emulator.conversation(cid)["messages"]][:2] == [
        "I was charged twice",
        "Connecting.",
    ]


async def test_auto_mode_agent_joins_and_echoes(session: aiohttp.ClientSession, receiver: Receiver) -> None:
    config = EmulatorConfig(mode="auto", auto_join_delay=0, retry_scale=0.01)
    async with running_emulator(config) as emulator:
        api = Api(session, emulator)
        cid = await api.create_conversation(await api.channel(receiver))
        await receiver.wait_for(lambda: "AGENT_JOINED" in receiver.types(cid))
        assert (
            await api.call("POST", f"/conversations/{cid}/messages", {"text": "hello there"})
        ).status == 202
        await receiver.wait_for(lambda: "TEXT" in receiver.types(cid))
        assert receiver.types(cid) == ["QUEUED", "AGENT_JOINED", "TEXT"]
        text = receiver.events(cid)[-1].json
        assert text["message"] == "Agent echo: hello there"
        assert text["messageType"] == "AGENT"
        assert text["agentId"] == receiver.events(cid)[1].json["agentId"]
