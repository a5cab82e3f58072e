"""The customer WebSocket protocol over a real socket, against the gateway on a real port.

These are the promises a widget is built on: a line is acked only once stored, seq is contiguous
across authors, a retried client_id is stored once, a resume replays exactly what was missed, and a
bad frame gets its error code without closing the socket or changing anything.
"""

from __future__ import annotations

import json

import aiohttp
from aiohttp.test_utils import TestServer

from tests.support.gateway import CustomerFactory
from tests.support.matrix import both_stores

# Both stores: the customer channel behaves the same on SQLite and on Redis (the rate limit is the
# process's own, and its test counts on timing, so it runs on the default store only).


@both_stores
async def test_start_answers_with_a_session_frame(customer: CustomerFactory) -> None:
    c = await customer()
    session = await c.start(customer={"name": "Ann", "language": "en"})
    assert session["state"] == "bot"
    assert len(session["session"]) >= 40  # 32 random bytes, url-safe
    assert session["conversation_id"]


@both_stores
async def test_customer_line_is_acked_then_the_bot_answers_with_the_next_seq(
    customer: CustomerFactory,
) -> None:
    c = await customer()
    await c.start()
    ack = await c.say("hello", client_id="c-1")
    assert ack == {"type": "ack", "client_id": "c-1", "seq": 1}
    reply = await c.expect("message", author="bot", seq=2)
    assert reply["text"].startswith("Hi!")
    assert [b["payload"] for b in reply["buttons"]] == ["/track_order", "/opening_hours", "/human_handoff"]
    assert reply["ts"].endswith("Z")
    await c.say("when are you open?")
    await c.expect("message", author="bot", seq=4)


@both_stores
async def test_a_repeated_client_id_is_stored_and_answered_once(
    customer: CustomerFactory, gateway: TestServer, http: aiohttp.ClientSession
) -> None:
    c = await customer()
    session = await c.start()
    first = await c.say("hello", client_id="same")
    await c.expect("message", author="bot", seq=2)
    again = await c.say("hello", client_id="same")
    assert again["seq"] == first["seq"] == 1
    await c.silent()  # no second bot answer
    resp = await http.get(
        gateway.make_url(f"/chat/sessions/{session['conversation_id']}/messages"),
        headers={"Authorization": f"Bearer {session['session']}"},
    )
    entries = (await resp.json())["entries"]
    assert [(e["seq"], e["author"]) for e in entries] == [(1, "customer"), (2, "bot")]


@both_stores
async def test_resume_with_last_seq_replays_exactly_the_missing_entries(customer: CustomerFactory) -> None:
    first = await customer()
    await first.start()
    await first.say("hello")
    await first.expect("message", seq=2)
    await first.ws.close()

    second = await customer()
    second.session = first.session
    session = await second.start(resume=True, last_seq=1)
    assert session["conversation_id"] == first.conversation_id
    replayed = await second.expect("message", seq=2, author="bot")
    assert replayed["text"].startswith("Hi!")
    await second.silent()
    ack = await second.say("my order")
    assert ack["seq"] == 3


@both_stores
async def test_resume_without_last_seq_replays_everything_including_the_customers_lines(
    customer: CustomerFactory,
) -> None:
    first = await customer()
    await first.start()
    await first.say("hello")
    await first.expect("message", seq=2)
    second = await customer()
    second.session = first.session
    await second.send(type="start", session=first.session)
    await second.expect("session")
    assert (await second.expect("message", seq=1))["author"] == "customer"
    await second.expect("message", seq=2, author="bot")


@both_stores
async def test_other_sockets_of_the_session_see_the_customer_line_the_sender_gets_an_ack(
    customer: CustomerFactory,
) -> None:
    a = await customer()
    await a.start()
    b = await customer()
    b.session = a.session
    await b.start(resume=True, last_seq=0)
    await a.send(type="message", text="hello", client_id="x1")
    assert await a.expect("ack") == {"type": "ack", "client_id": "x1", "seq": 1}
    echoed = await b.expect("message", seq=1, author="customer", text="hello")
    assert echoed["client_id"] == "x1"
    await a.expect("message", seq=2, author="bot")
    await b.expect("message", seq=2, author="bot")


@both_stores
async def test_an_unknown_or_forged_token_gets_unknown_session_and_the_socket_stays_usable(
    customer: CustomerFactory,
) -> None:
    c = await customer()
    await c.send(type="start", session="forged-token", last_seq=0)
    err = await c.expect("error", code="unknown_session")
    assert "session" in err["message"]
    session = await c.start()  # a fresh start on the same socket works
    assert session["state"] == "bot"


@both_stores
async def test_bad_frames_get_their_error_codes_and_change_nothing(customer: CustomerFactory) -> None:
    c = await customer()
    await c.send(type="message", text="hi", client_id="early")
    await c.expect("error", code="not_started")
    await c.start()
    cases = [
        ("{not json", "bad_json"),
        ("[1, 2]", "invalid_frame"),
        ('{"type": 5}', "invalid_frame"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "message", "text": "x"}', "invalid_frame"),
        ('{"type": "message", "text": "", "client_id": "a"}', "invalid_frame"),
        ('{"type": "message", "text": "x", "client_id": "a", "extra": 1}', "invalid_frame"),
        (json.dumps({"type": "message", "text": "x" * 4001, "client_id": "a"}), "too_long"),
        (json.dumps({"type": "message", "text": "x", "client_id": "a", "pad": "y" * 70_000}), "too_long"),
        ('{"type": "cancel"}', "wrong_state"),
        ('{"type": "read", "upto_seq": true}', "invalid_frame"),  # no bool or string for a number
        ('{"type": "read", "upto_seq": "3"}', "invalid_frame"),
        ('{"type": "start", "last_seq": false}', "invalid_frame"),
        ("[" * 50_000, "bad_json"),
    ]
    for raw, code in cases:
        await c.ws.send_str(raw)
        await c.expect("error", code=code)
    await c.ws.send_bytes(b"\x00\x01")
    await c.expect("error", code="bad_json")
    # Nothing was stored: the next line is seq 1.
    ack = await c.say("hello")
    assert ack["seq"] == 1


async def test_messages_over_the_rate_limit_get_rate_limited(customer: CustomerFactory) -> None:
    c = await customer()
    await c.start()
    for i in range(25):
        await c.send(type="message", text=f"line {i}", client_id=f"r{i}")
    codes: list[str] = []
    acks = 0
    while acks + len(codes) < 25:
        frame = await c.recv()
        if frame["type"] == "ack":
            acks += 1
        elif frame["type"] == "error":
            codes.append(frame["code"])
    assert set(codes) == {"rate_limited"}
    assert 20 <= acks < 25  # the burst of 20 (plus what refilled meanwhile) gets through


@both_stores
async def test_leave_closes_and_a_new_line_starts_with_the_bot_again(customer: CustomerFactory) -> None:
    c = await customer()
    await c.start()
    await c.say("hello")
    await c.expect("message", seq=2)
    await c.send(type="leave")
    await c.expect("state", seq=3, state="closed")
    await c.send(type="leave")
    await c.expect("error", code="wrong_state")
    await c.send(type="message", text="hello again", client_id="back")
    await c.expect("state", seq=4, state="bot")
    assert await c.expect("ack") == {"type": "ack", "client_id": "back", "seq": 5}
    await c.expect("message", seq=6, author="bot")
