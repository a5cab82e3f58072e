"""Escalation end to end: gateway and 8x8 emulator on real ports, real signed webhooks.

The whole lifecycle a contact-center engineer expects: the bot hands off, one conversation is
created with the transcript and the customer's details, the agent and the customer talk, a transfer
keeps the bot out, the agent leaving hands back to the bot, and a returning customer reuses the same
8x8 conversation so the next agent sees everything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.emulator_settings import chat_api_settings
from tests.support.escalation import conversations_of, escalate
from tests.support.gateway import GatewayFactory
from tests.support.matrix import both_apis, both_stores

# Both stores: the customer channel and escalation behave the same on SQLite and on Redis.
pytestmark = both_stores

NewCustomer = Callable[..., Awaitable[CustomerSocket]]


@both_apis
async def test_the_whole_lifecycle(new_customer: NewCustomer, cc: Emulator, cc_api: str) -> None:
    c = await new_customer()
    await c.start(
        customer={"name": "Ann Smith", "email": "ann@example.com", "language": "en-US", "plan": "gold"}
    )
    await c.say("hello")
    await c.expect("message", author="bot", seq=2)
    cid = await escalate(c, cc)

    conv = cc.conversation(cid)
    assert conv["customer"] == {
        "name": "Ann Smith",
        ("userId" if cc_api == "chat_gateway" else "customerId"): c.conversation_id,
        "email": "ann@example.com",
        "language": "en",
        "handoffReason": "customer_asked",
        "intent": "human_handoff",
        "confidence": "1.0",
        "customer.plan": "gold",  # set by the client: never in the bot's namespace
    }
    history = [(m["authorType"], m["text"]) for m in conv["messages"]]
    assert history[0] == ("user", "hello")
    assert history[1][0] == "bot"
    assert history[1][1].startswith("Hi!")
    assert history[2:] == [
        ("user", "I want to talk to an agent"),
        ("bot", "Connecting you to a human agent..."),
    ]

    await cc.agent_join(cid, "alice")
    joined = await c.until("state", state="agent")
    assert joined["agent"] == {"id": "alice", "name": "Alice"}  # 8x8 sends "First,Last"
    await cc.agent_send(cid, "Hi Ann, how can I help?")
    said = await c.expect("message", author="agent", text="Hi Ann, how can I help?")
    assert said["agent"]["name"] == "Alice"
    await c.say("I was charged twice")
    await cc.wait_for_message(cid, "I was charged twice", author_type="user")

    # Transfer: the bot stays out, the conversation waits in the new queue.
    await cc.agent_transfer(cid, "102")
    await c.until("state", state="queued")
    await cc.agent_join(cid, "carol")
    assert (await c.until("state", state="agent"))["agent"]["name"] == "Carol"
    await cc.agent_send(cid, "Refund done.")
    await c.expect("message", author="agent", text="Refund done.")

    # The agent leaves: back to the bot, which speaks first again.
    await cc.agent_leave(cid)
    back = await c.until("state", state="bot")
    assert back["outcome"] == "completed"
    handback = await c.expect("message", author="bot")
    assert "agent has left" in handback["text"]

    # Needing an agent again reuses the same 8x8 conversation; the lines since are posted first.
    await c.say("thanks, one more thing")
    await c.expect("message", author="bot")
    await c.say("agent please")
    await c.until("state", state="escalating")
    await c.until("state", state="queued")
    assert [i for i in cc.conversation_ids()] == [cid]

    # Exactly the lines the agent side has not seen: the hand-back and everything after it. 8x8 re-queues
    # on the first line posted, so "queued" can reach the customer before the last line reaches 8x8.
    def lines_since() -> list[tuple[str, str]] | None:
        messages = [(m["authorType"], m["text"]) for m in cc.conversation(cid)["messages"]]
        since = messages[messages.index(("user", "I was charged twice")) + 1 :]
        return since if len(since) >= 6 else None

    since = await cc.wait_for(lines_since)
    assert [author for author, _ in since] == ["agent", "bot", "user", "bot", "user", "bot"]
    assert since[0] == ("agent", "Refund done.")
    assert since[1] == ("bot", handback["text"])
    assert since[2] == ("user", "thanks, one more thing")
    assert since[4:] == [("user", "agent please"), ("bot", "Connecting you to a human agent...")]
    assert len(cc.conversation(cid)["interactions"]) == 2  # the transfer kept the first; the reopen is new
    # Agent names: Chat API v2 events carry them; Chat Gateway's do not, so the gateway's directory names them.

    # The customer leaves: 8x8 is told, which frees the agent.
    await cc.agent_join(cid, "bob")
    await c.until("state", state="agent")
    await c.send(type="leave")
    closed = await c.until("state", state="closed")
    assert closed["outcome"] == "completed"
    await cc.wait_for_state(cid, "closed")
    leave = (
        ("PATCH", "participants/user") if cc_api == "chat_gateway" else ("DELETE", "participants/customer")
    )
    assert any(
        r.method == leave[0] and r.path.endswith(f"/conversations/{cid}/{leave[1]}") for r in cc.requests
    )


@both_apis
async def test_every_post_carries_an_idempotency_key_and_a_bearer_token(
    new_customer: NewCustomer, cc: Emulator, cc_api: str
) -> None:
    """Chat API v2: a Bearer token and an Idempotency-Key on every POST. Chat Gateway has neither: the API
    key and the tenant on every call (its exactly-once without a key is in test_chat_gateway.py)."""
    c = await new_customer()
    await c.start()
    cid = await escalate(c, cc)
    await c.say("line one")
    await cc.wait_for_message(cid, "line one")
    if cc_api == "chat_gateway":
        calls = [r for r in cc.requests if r.path.startswith("/chat-gateway/v1/") and "/jwk/" not in r.path]
        assert any(r.method == "POST" for r in calls), "no API calls recorded"
        for r in calls:
            assert r.headers.get("x-api-key") == cc.config.chat_gateway_api_key
            assert r.headers.get("X-8x8-Tenant") == cc.tenant_id
        return
    posts = [r for r in cc.requests if r.method == "POST" and "/tenant/" in r.path]
    assert posts, "no API calls recorded"
    for r in posts:
        assert r.headers.get("Authorization", "").startswith("Bearer ")
        assert len(r.headers.get("Idempotency-Key", "")) == 36


@both_apis
async def test_cancel_while_queued_calls_customer_leave_and_the_bot_takes_over(
    new_customer: NewCustomer, cc: Emulator
) -> None:
    c = await new_customer()
    await c.start()
    cid = await escalate(c, cc)
    await c.send(type="cancel")
    back = await c.until("state", state="bot")
    assert back["outcome"] == "cancelled"
    assert "stopped looking" in (await c.expect("message", author="bot"))["text"]
    await cc.wait_for_state(cid, "closed")
    # An agent who accepts late changes nothing for the customer.
    await c.say("hello")
    await c.expect("message", author="bot")


@both_apis
async def test_leave_while_queued_abandons_and_frees_the_queue(
    new_customer: NewCustomer, cc: Emulator
) -> None:
    c = await new_customer()
    await c.start()
    cid = await escalate(c, cc)
    await c.send(type="leave")
    assert (await c.until("state", state="closed"))["outcome"] == "abandoned"
    await cc.wait_for_state(cid, "closed")


@both_apis
async def test_two_handoff_triggers_open_one_conversation(new_customer: NewCustomer, cc: Emulator) -> None:
    c = await new_customer()
    await c.start()
    await c.send(type="message", text="agent", client_id="h1")
    await c.send(type="message", text="/human_handoff", client_id="h2")
    await c.until("state", state="queued")
    await cc.wait_idle()
    assert c.conversation_id is not None
    mine = conversations_of(cc, c.conversation_id)
    assert len(mine) == 1
    # The second line went to the agent side as a customer message, not to the bot.
    await cc.wait_for_message(mine[0], "/human_handoff", author_type="user")


@both_apis
async def test_agent_names_can_be_shown_in_full(
    start_gateway: GatewayFactory, connect: Callable[..., Awaitable[CustomerSocket]], cc: Emulator
) -> None:
    gateway = await start_gateway(chat_api=chat_api_settings(cc, agent_name="full"))
    c = await connect(gateway)
    await c.start(customer={"name": "Ann"})
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    joined = await c.until("state", state="agent")
    assert joined["agent"] == {"id": "alice", "name": "Alice Anders"}


@both_apis
async def test_a_customer_set_property_cannot_pass_for_the_bots_context(
    new_customer: NewCustomer, cc: Emulator, cc_api: str
) -> None:
    """Issue 19, finding 7: ``{"Authenticated": "yes", "intent": "vip"}`` from the page's script reaches
    the agent as ``customer.*`` properties, beside (never instead of) what the bot established."""
    c = await new_customer()
    await c.start(customer={"name": "Eve", "Authenticated": "yes", "intent": "vip"})
    cid = await escalate(c, cc)
    props = cc.conversation(cid)["customer"]
    assert "Authenticated" not in props
    assert props["customer.Authenticated"] == "yes"
    assert props["intent"] == "human_handoff"  # the bot's context, untouched
    assert props["customer.intent"] == "vip"
