"""Cards from the agent on Chat Gateway (issue 22, point 1), through the strict emulator: quick replies as
buttons whose choice goes back as the card's action, Adaptive Cards as a ``card`` with a text fallback, and
no agent message refused for its content."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from gateway.emulator.delivery import Event
from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.escalation import escalate
from tests.support.gateway import GatewayFactory
from tests.support.matrix import chat_gateway_only

Connect = Callable[..., Awaitable[CustomerSocket]]

QUICK = {
    "contentType": "application/8x8.quick.replies",
    "content": {
        "options": [
            {"title": "option one", "data": {"postback": "1"}},
            {"title": "second", "data": {"postback": "2"}},
        ]
    },
}
ADAPTIVE = {
    "contentType": "application/vnd.microsoft.card.adaptive",
    "content": {
        "type": "AdaptiveCard",
        "version": "1.3",
        "body": [
            {"type": "TextBlock", "text": "Your order"},
            {"type": "TextBlock", "text": "<b>Shipped</b> today"},
            {"type": "FactSet", "facts": [{"title": "Order", "value": "A-1042"}]},
        ],
        "actions": [
            {"type": "Action.OpenUrl", "title": "Track", "url": "https://example.com/t"},
            {"type": "Action.OpenUrl", "title": "Bad", "url": "javascript:alert(1)"},
            {"type": "Action.Submit", "title": "Looks good"},
        ],
    },
}


async def _with_agent(c: CustomerSocket, cc: Emulator) -> str:
    await c.start()
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    return cid


async def _messages_taken(cc: Emulator, cid: str) -> set[int | None]:
    """Once every MESSAGE event of the conversation is delivered: the answers it got (a 400 is retried)."""

    def events() -> list[Event]:
        return [e for e in cc.events_of(cid) if e.type == "MESSAGE"]

    await cc.wait_for(lambda: events() and all(e.status == "delivered" for e in events()))
    ids = {e.id for e in events()}
    return {d.status for d in cc.deliveries if d.event_id in ids}


@chat_gateway_only
async def test_a_quick_reply_reaches_the_customer_as_buttons_and_the_choice_goes_back_as_the_cards_action(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    c = await connect(await start_gateway())
    cid = await _with_agent(c, cc)
    await cc.agent_send(cid, "", cards=[QUICK])  # cards only: was answered 400 malformed
    said = await c.until("message", author="agent")
    assert said["buttons"] == [{"title": "option one", "payload": "1"}, {"title": "second", "payload": "2"}]
    assert said["text"] == ""
    assert await _messages_taken(cc, cid) == {200}

    await c.say("1")  # the widget sends the chosen option's payload
    line = await cc.wait_for_message(cid, "option one", author_type="user")  # the agent sees the title
    assert line["text"] == "option one"
    actions = await cc.wait_for(lambda: cc.card_actions(cid))
    card_id = next(iter(actions))
    assert actions == {card_id: {"action": "submitted", "name": "1"}}
    view = cc.conversation(cid)
    assert not any(m["text"] == "1" for m in view["messages"])  # the payload itself never reached the agent


@chat_gateway_only
async def test_an_adaptive_card_arrives_as_a_card_with_a_text_fallback_and_text_files_and_cards_stay_together(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    c = await connect(await start_gateway())
    cid = await _with_agent(c, cc)
    await cc.agent_send(cid, "Here it is", cards=[ADAPTIVE, QUICK])
    said = await c.until("message", author="agent")
    assert said["text"] == (
        "Here it is\n\nYour order\n<b>Shipped</b> today\nOrder: A-1042\n[Track] https://example.com/t\n[Bad]\n[Looks good]"
    )
    assert said["card"] == {
        "kind": "adaptive",
        "title": "Your order",
        "body": ["<b>Shipped</b> today"],
        "facts": [{"title": "Order", "value": "A-1042"}],
        "actions": [
            {"title": "Track", "url": "https://example.com/t"},
            {"title": "Bad"},
            {"title": "Looks good"},
        ],
    }
    assert [b["payload"] for b in said["buttons"]] == ["1", "2"]


@chat_gateway_only
async def test_what_cannot_be_rendered_becomes_a_fallback_line_and_is_never_refused(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator
) -> None:
    c = await connect(await start_gateway())
    cid = await _with_agent(c, cc)
    carousel: dict[str, Any] = {"contentType": "Carousel", "content": {"items": []}}
    await cc.agent_send(cid, "", cards=[carousel, carousel])
    said = await c.until("message", author="agent")
    assert said["text"] == "[The agent sent content that cannot be shown here.]"
    assert "card" not in said
    assert "buttons" not in said
    await cc.agent_send(cid, "after it")
    assert (await c.until("message", author="agent"))["text"] == "after it"
    assert await _messages_taken(cc, cid) == {200}
