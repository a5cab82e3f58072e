"""What Chat Gateway adds, as the customer sees it, and how the Chat API path degrades.

A customer's file is acked only once it is stored, reaches the agent (on the Chat API as a line with a link
the agent can open), and is served back byte for byte at an unguessable link. Bad uploads are refused with a
precise problem and change nothing. The agent's typing and read receipts reach the widget as frames that are
not transcript entries; a resumed socket learns the latest receipt. On the Chat API v2 there is no typing
or receipt to show, and the customer's typing goes nowhere without an error.
"""

from __future__ import annotations

import asyncio
import base64
import io
import re
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from gateway.emulator.handle import Emulator
from gateway.keys import store_key
from gateway.relay.model import ConversationId, MessageEntry
from tests.support.customer import CustomerSocket
from tests.support.escalation import escalate
from tests.support.gateway import GatewayFactory
from tests.support.matrix import both_apis, chat_api_only, chat_gateway_only

# A 1x1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


async def _agent_chat(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator, **settings: Any
) -> tuple[TestServer, CustomerSocket, str]:
    gateway = await start_gateway(**settings)
    c: CustomerSocket = await connect(gateway)
    await c.start()
    cc_id = await escalate(c, cc)
    await cc.agent_join(cc_id, "alice")
    await c.until("state", state="agent")
    return gateway, c, cc_id


async def _delivery_recorded(gateway: TestServer, c: CustomerSocket) -> None:
    """Until the gateway has recorded the customer's lines as delivered. 8x8 holds a line before the
    gateway has its answer to the POST; a read receipt that arrives in between covers the lines whose
    delivery is recorded, then that line in a second frame once its delivery is (the test just below), so a
    test of what one receipt covers reads after this."""
    store = gateway.app[store_key]
    for _ in range(500):
        if not await store.outbox(ConversationId(str(c.conversation_id))):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the gateway never recorded the customer's lines as delivered")


def _auth(c: CustomerSocket) -> dict[str, str]:
    return {"Authorization": f"Bearer {c.session}"}


def _upload_url(gateway: TestServer, c: CustomerSocket) -> Any:
    return gateway.make_url(f"/chat/sessions/{c.conversation_id}/attachments")


async def _problem(resp: aiohttp.ClientResponse, status: int, code: str) -> dict[str, Any]:
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/problem+json"
    body: dict[str, Any] = await resp.json()
    assert (body["code"], body["status"]) == (code, status)
    return body


async def _agent_lines(cc: Emulator, cc_id: str, count: int) -> list[str]:
    """The customer's text lines as the agent sees them, once there are at least ``count``."""

    def lines() -> list[str] | None:
        found = [
            str(m["text"])
            for m in cc.conversation(cc_id)["messages"]
            if m.get("authorType") == "user" and m.get("text")
        ]
        return found if len(found) >= count else None

    if count == 0:
        return lines() or []
    result: list[str] = await cc.wait_for(lines)
    return result


async def _agent_files(cc: Emulator, cc_id: str, count: int) -> list[dict[str, Any]]:
    """The customer's files as the agent sees them (Chat Gateway), once there are at least ``count``."""

    def files() -> list[dict[str, Any]] | None:
        found = [
            a
            for m in cc.conversation(cc_id)["messages"]
            if m.get("authorType") == "user"
            for a in m.get("attachments", ())
        ]
        return found if len(found) >= count else None

    if count == 0:
        return files() or []
    result: list[dict[str, Any]] = await cc.wait_for(files)
    return result


@both_apis
async def test_a_customer_file_is_stored_acked_relayed_and_served_back(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator, http: aiohttp.ClientSession, cc_api: str
) -> None:
    gateway, c, cc_id = await _agent_chat(start_gateway, connect, cc)
    before = len(await _agent_lines(cc, cc_id, 0))
    params = {"filename": "../../shot.png", "client_id": "file-1"}
    headers = {**_auth(c), "Content-Type": "image/png"}
    async with http.post(_upload_url(gateway, c), data=PNG, params=params, headers=headers) as resp:
        assert resp.status == 202, await resp.text()
        ack = await resp.json()
    key = ack["attachment"]["id"]
    assert len(key) >= 32
    assert ack == {
        "client_id": "file-1",
        "seq": ack["seq"],
        "attachment": {
            "id": key,
            "name": "shot.png",
            "content_type": "image/png",
            "size": len(PNG),
            "url": f"/chat/files/{key}/shot.png",
        },
    }
    # The customer's socket sees the line with its file (the upload came over REST, not this socket).
    frame = await c.until("message", seq=ack["seq"])
    assert (frame["author"], frame["text"], frame["client_id"]) == ("customer", "", "file-1")
    assert frame["attachments"] == [ack["attachment"]]

    link = f"http://127.0.0.1:{gateway.port}/chat/files/{key}/shot.png"
    if cc_api == "chat_api":  # text only: the agent gets one line with the absolute link
        lines = await _agent_lines(cc, cc_id, before + 1)
        assert lines[-1] == f"shot.png (image/png, {len(PNG)} B): {link}"
    else:  # Chat Gateway: the agent gets the file itself
        (sent,) = await _agent_files(cc, cc_id, 1)
        assert (sent["filename"], sent["contentType"], sent["size"]) == ("shot.png", "image/png", len(PNG))
        async with http.get(cc.base_url.rstrip("/") + sent["url"]) as at_8x8:
            assert await at_8x8.read() == PNG

    # Served at that link, byte for byte, as an image that cannot run script.
    async with http.get(link) as served:
        assert served.status == 200
        assert await served.read() == PNG
        assert served.headers["Content-Type"] == "image/png"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.headers["Content-Disposition"] == "inline; filename*=UTF-8''shot.png"
        assert "sandbox" in served.headers["Content-Security-Policy"]

    # The same client_id again: stored once, re-acked with the first seq, nothing more for the agent.
    async with http.post(_upload_url(gateway, c), data=PNG, params=params, headers=headers) as again:
        assert again.status == 202
        assert await again.json() == ack
    await asyncio.sleep(0.2)
    if cc_api == "chat_api":
        assert len(await _agent_lines(cc, cc_id, 0)) == before + 1
    else:
        assert len(await _agent_lines(cc, cc_id, 0)) == before
        assert len(await _agent_files(cc, cc_id, 0)) == 1
    entries = await gateway.app[store_key].entries(ConversationId(str(c.conversation_id)))
    assert [e.seq for e in entries if isinstance(e, MessageEntry) and e.client_id == "file-1"] == [ack["seq"]]


@both_apis
async def test_a_multipart_upload_with_a_caption(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator, http: aiohttp.ClientSession, cc_api: str
) -> None:
    gateway, c, cc_id = await _agent_chat(start_gateway, connect, cc)
    before = len(await _agent_lines(cc, cc_id, 0))
    form = aiohttp.FormData()
    form.add_field("client_id", "note-1")
    form.add_field("text", "my order number is in here")
    form.add_field("file", b"Order 1234\nthanks\n", filename="note.txt", content_type="text/plain")
    async with http.post(_upload_url(gateway, c), data=form, headers=_auth(c)) as resp:
        assert resp.status == 202, await resp.text()
        ack = await resp.json()
    assert ack["attachment"]["content_type"] == "text/plain"
    frame = await c.until("message", seq=ack["seq"])
    assert frame["text"] == "my order number is in here"
    line = (await _agent_lines(cc, cc_id, before + 1))[-1]
    if cc_api == "chat_gateway":  # the caption as a line, the file as an attachment
        assert line == "my order number is in here"
        (sent,) = await _agent_files(cc, cc_id, 1)
        assert (sent["filename"], sent["contentType"]) == ("note.txt", "text/plain")
        return
    assert re.fullmatch(
        r"my order number is in here\nnote\.txt \(text/plain, 18 B\): http://127\.0\.0\.1:\d+/chat/files/[\w-]+/note\.txt",
        line,
    ), line
    async with http.get(gateway.make_url(ack["attachment"]["url"])) as served:
        assert served.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert await served.text() == "Order 1234\nthanks\n"


@both_apis
async def test_bad_uploads_get_precise_problems_and_change_nothing(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    gateway = await start_gateway(
        attachments={"max_bytes": 1024, "allowed_types": ["image/png", "text/plain"]}
    )
    c: CustomerSocket = await connect(gateway)
    await c.start()
    url = _upload_url(gateway, c)
    png = {**_auth(c), "Content-Type": "image/png"}

    async with http.post(url, data=PNG, headers={"Content-Type": "image/png"}) as resp:
        await _problem(resp, 401, "unauthorized")
    other: CustomerSocket = await connect(gateway)
    await other.start()
    async with http.post(url, data=PNG, headers={**_auth(other), "Content-Type": "image/png"}) as resp:
        await _problem(resp, 404, "unknown_session")  # another customer's token never reaches this chat
    async with http.post(url, data=PNG, headers=png) as resp:
        body = await _problem(resp, 409, "wrong_state")  # with the bot: files are for agents
        assert "agent" in body["detail"]

    cc_id = await escalate(c, cc)
    await cc.agent_join(cc_id, "alice")
    await c.until("state", state="agent")
    stored_before = len(await gateway.app[store_key].entries(ConversationId(str(c.conversation_id))))
    async with http.post(url, data=b"\x89PNG" + b"\0" * 2000, headers=png) as resp:
        await _problem(resp, 413, "too_long")
    async with http.post(
        url, data=b"PK\x03\x04zip", headers={**_auth(c), "Content-Type": "application/zip"}
    ) as resp:
        body = await _problem(resp, 415, "unsupported_type")
        assert "image/png, text/plain" in body["detail"]
    async with http.post(url, data=b"<script>alert(1)</script>", headers=png) as resp:
        body = await _problem(resp, 415, "unsupported_type")  # claims PNG, is not
        assert body["detail"] == "the content is not image/png"
    async with http.post(
        url, data=b"\xff\xfe\x00bad", headers={**_auth(c), "Content-Type": "text/plain"}
    ) as resp:
        await _problem(resp, 415, "unsupported_type")
    async with http.post(url, data=b"", headers=png) as resp:
        await _problem(resp, 422, "invalid_frame")
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("text", "no file here")
    async with http.post(url, data=form, headers=_auth(c)) as resp:
        body = await _problem(resp, 422, "invalid_frame")
        assert body["detail"].startswith("file:")

    assert len(await gateway.app[store_key].entries(ConversationId(str(c.conversation_id)))) == stored_before
    await c.silent(0.2)


async def test_file_links_are_unguessable(gateway: TestServer, http: aiohttp.ClientSession) -> None:
    for path in ("/chat/files/" + "A" * 32 + "/x.png", "/chat/files/short/x.png", "/chat/files/a.b~c$d/x"):
        async with http.get(gateway.make_url(path)) as resp:
            await _problem(resp, 404, "not_found")


async def test_cross_site_uploads_need_an_allowed_origin(
    aiohttp_server: Any, make_settings: Any, http: aiohttp.ClientSession
) -> None:
    from gateway.app import build_app

    gateway = await aiohttp_server(
        build_app(make_settings(web={"allowed_origins": ["https://shop.example"]}))
    )
    url = gateway.make_url("/chat/sessions/abc/attachments")
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    async with http.options(url, headers={"Origin": "https://shop.example", **ask}) as resp:
        assert resp.status == 204
        assert resp.headers["Access-Control-Allow-Origin"] == "https://shop.example"
        assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]
    async with http.options(url, headers={"Origin": "https://evil.example", **ask}) as resp:
        await _problem(resp, 403, "forbidden_origin")
        assert "Access-Control-Allow-Origin" not in resp.headers
    # A refusal is readable by the allowed site (the widget shows why), not by others.
    async with http.post(url, data=b"x", headers={"Origin": "https://shop.example"}) as resp:
        await _problem(resp, 401, "unauthorized")
        assert resp.headers["Access-Control-Allow-Origin"] == "https://shop.example"


@chat_api_only
async def test_on_the_chat_api_typing_goes_nowhere_quietly(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    gateway, c, cc_id = await _agent_chat(start_gateway, connect, cc)
    for _ in range(3):
        await c.send(type="typing")
    async with http.post(
        gateway.make_url(f"/chat/sessions/{c.conversation_id}/typing"), headers=_auth(c)
    ) as resp:
        assert resp.status == 204
    await c.silent(0.3)
    assert [m for m in cc.conversation(cc_id)["messages"] if m.get("authorType") == "user"] != []


@chat_gateway_only
async def test_customer_typing_reaches_the_agent_at_most_once_per_interval(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    gateway, c, cc_id = await _agent_chat(start_gateway, connect, cc, limits={"typing_interval_s": 0.5})

    def typing_calls() -> int:
        return sum(1 for r in cc.requests if r.method == "POST" and r.path.endswith("/typing"))

    await c.send(type="typing")
    await cc.wait_for(lambda: cc.conversation(cc_id).get("typing") == ["user"])
    assert typing_calls() == 1
    for _ in range(4):  # keys within the interval: nothing more goes out
        await asyncio.sleep(0.05)
        await c.send(type="typing")
    await asyncio.sleep(0.1)
    assert typing_calls() == 1
    await asyncio.sleep(0.3)  # the interval has passed
    async with http.post(
        gateway.make_url(f"/chat/sessions/{c.conversation_id}/typing"), headers=_auth(c)
    ) as resp:
        assert resp.status == 204
    await cc.wait_for(lambda: typing_calls() == 2)
    await c.silent(0.2)  # nothing comes back to the customer


@chat_gateway_only
async def test_a_receipt_for_a_line_8x8_took_before_the_gateway_heard_covers_it_once_the_gateway_does(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator
) -> None:
    gateway, c, cc_id = await _agent_chat(start_gateway, connect, cc)
    cc.fail_next("cgw_send_message", hang=True, after=True)  # 8x8 takes the line; its answer waits

    seq = (await c.say("are you there?"))["seq"]
    await cc.wait_for_message(cc_id, "are you there?", author_type="user")
    await cc.agent_read(cc_id)  # the agent reads it before the gateway knows 8x8 has it
    earlier = await c.until("read", author="agent")  # the lines before it (the transcript's)
    assert earlier["upto_seq"] < seq  # the gateway cannot claim this one yet...
    assert await gateway.app[store_key].outbox(ConversationId(str(c.conversation_id)))  # ...as it still waits

    cc.clear_faults()  # the POST's answer is lost; the gateway finds the line at 8x8 and records it
    receipt = await c.until("read", author="agent")
    assert receipt["upto_seq"] == seq
    await c.silent(0.3)  # once
    sent = [m for m in cc.conversation(cc_id)["messages"] if m["text"] == "are you there?"]
    assert len(sent) == 1  # found at 8x8 after the lost answer, not sent again


@chat_gateway_only
async def test_agent_typing_read_receipts_and_files_reach_the_customer(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    gateway, c, cc_id = await _agent_chat(start_gateway, connect, cc)

    await cc.agent_typing(cc_id, active=True)
    typing = await c.until("typing", author="agent", active=True)
    assert "seq" not in typing  # not a transcript entry
    assert typing["agent"]["name"] == "Alice"
    await cc.agent_typing(cc_id, active=False)
    await c.until("typing", author="agent", active=False)

    first = (await c.say("first question"))["seq"]
    await cc.wait_for_message(cc_id, "first question", author_type="user")
    await _delivery_recorded(gateway, c)
    read_at = await cc.agent_read(cc_id)
    receipt = await c.until("read", author="agent")
    assert receipt["upto_seq"] == first
    assert "seq" not in receipt
    second = (await c.say("second question"))["seq"]
    await cc.wait_for_message(cc_id, "second question", author_type="user")
    await _delivery_recorded(gateway, c)
    await cc.agent_read(cc_id, read_at_ms=read_at)  # the same receipt again: nothing new to say
    await cc.agent_read(cc_id)
    assert (await c.until("read", author="agent"))["upto_seq"] == second

    pdf = b"%PDF-1.4\n% an invoice\n%%EOF\n"
    await cc.agent_send_attachment(
        cc_id, "invoice.pdf", pdf, content_type="application/pdf", text="here it is"
    )
    frame = await c.until("message", author="agent")
    assert frame["text"] == "here it is"
    (file,) = frame["attachments"]
    assert (file["name"], file["content_type"]) == ("invoice.pdf", "application/pdf")
    assert re.fullmatch(r"/chat/files/[\w-]{32}/invoice\.pdf", file["url"]), file
    async with http.get(gateway.make_url(file["url"])) as served:  # fetched from 8x8, then kept
        assert served.status == 200
        assert served.headers["Content-Type"] == "application/pdf"
        assert await served.read() == pdf
    cc.fail_next("cgw_attachment_content", 10, status=500)
    async with http.get(gateway.make_url(file["url"])) as again:
        assert await again.read() == pdf  # served from the store: 8x8 is not asked again

    # A file 8x8 cannot hand over right now: 503, and served once it can.
    await cc.agent_send_attachment(cc_id, "later.txt", b"later", content_type="text/plain")
    later = (await c.until("message", author="agent"))["attachments"][0]
    async with http.get(gateway.make_url(later["url"])) as resp:
        await _problem(resp, 503, "unavailable")
    cc.clear_faults()
    async with http.get(gateway.make_url(later["url"])) as resp:
        assert await resp.read() == b"later"

    # REST pollers see the receipt and the files too.
    async with http.get(
        gateway.make_url(f"/chat/sessions/{c.conversation_id}/messages"), headers=_auth(c)
    ) as polled:
        body = await polled.json()
    assert body["read_upto_seq"] == second
    assert [e["attachments"][0]["name"] for e in body["entries"] if "attachments" in e] == [
        "invoice.pdf",
        "later.txt",
    ]

    # A resumed socket gets what it missed, then the latest receipt.
    again_socket: CustomerSocket = await connect(gateway)
    again_socket.session = c.session
    await again_socket.start(resume=True, last_seq=second)
    frames = [await again_socket.recv() for _ in range(3)]
    assert [f["type"] for f in frames] == ["message", "message", "read"]
    assert frames[-1]["upto_seq"] == second


@chat_gateway_only
async def test_a_file_8x8_refuses_is_reported_and_one_it_could_not_take_yet_arrives_once(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    gateway, c, cc_id = await _agent_chat(start_gateway, connect, cc)
    headers = {**_auth(c), "Content-Type": "image/png"}

    cc.fail_next("cgw_upload_attachment", 1, status=400)
    async with http.post(
        _upload_url(gateway, c), data=PNG, params={"filename": "a.png"}, headers=headers
    ) as resp:
        assert resp.status == 202  # stored and acked: delivery is the outbox's business
    notice = await c.until("message", author="system")
    assert notice["text"] == "Sorry, your last message could not be delivered to the agent."
    assert await _agent_files(cc, cc_id, 0) == []

    cc.fail_next("cgw_upload_attachment", 4, status=503)  # more than the client's own quick retries
    async with http.post(
        _upload_url(gateway, c), data=PNG, params={"filename": "b.png"}, headers=headers
    ) as resp:
        assert resp.status == 202
    (sent,) = await _agent_files(cc, cc_id, 1)
    assert sent["filename"] == "b.png"
    await asyncio.sleep(0.3)
    assert len(await _agent_files(cc, cc_id, 0)) == 1


@both_apis
async def test_a_file_sent_while_waiting_reaches_the_agent_who_takes_the_chat(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator, http: aiohttp.ClientSession, cc_api: str
) -> None:
    gateway = await start_gateway()
    c: CustomerSocket = await connect(gateway)
    await c.start()
    cc_id = await escalate(c, cc)
    headers = {**_auth(c), "Content-Type": "image/png"}
    params = {"filename": "early.png", "client_id": "early"}
    async with http.post(_upload_url(gateway, c), data=PNG, params=params, headers=headers) as resp:
        assert resp.status == 202
    await cc.agent_join(cc_id, "alice")
    if cc_api == "chat_gateway":
        (sent,) = await _agent_files(cc, cc_id, 1)
        assert sent["filename"] == "early.png"
    else:
        lines = await cc.wait_for(lambda: [x for x in _user_texts(cc, cc_id) if "early.png" in x])
        assert len(lines) == 1


def _user_texts(cc: Emulator, cc_id: str) -> list[str]:
    """Every line the customer's side posted, as the agent sees it."""
    return [str(m["text"]) for m in cc.conversation(cc_id)["messages"] if m.get("authorType") == "user"]


@chat_api_only
async def test_files_larger_than_aiohttps_default_body_limit_are_taken_up_to_the_setting(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    gateway, c, _ = await _agent_chat(start_gateway, connect, cc, attachments={"max_bytes": 3 * 1024 * 1024})
    big = PNG + b"\0" * (2 * 1024 * 1024)  # 2 MiB: over aiohttp's 1 MiB client_max_size, under the setting
    headers = {**_auth(c), "Content-Type": "image/png"}
    async with http.post(
        _upload_url(gateway, c), data=io.BytesIO(big), params={"filename": "big.png"}, headers=headers
    ) as r:
        assert r.status == 202, await r.text()
        url = (await r.json())["attachment"]["url"]
    form = aiohttp.FormData()
    form.add_field("file", io.BytesIO(big), filename="big.png", content_type="image/png")
    async with http.post(_upload_url(gateway, c), data=form, headers=_auth(c)) as r:
        assert r.status == 202, await r.text()
    async with http.get(gateway.make_url(url)) as served:
        assert await served.read() == big
    too_big = big + b"\0" * (1024 * 1024)
    async with http.post(_upload_url(gateway, c), data=io.BytesIO(too_big), headers=headers) as r:
        await _problem(r, 413, "too_long")


@both_apis
async def test_the_customers_read_receipt_reaches_the_agent_where_shown(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator, http: aiohttp.ClientSession, cc_api: str
) -> None:
    gateway, c, cc_id = await _agent_chat(start_gateway, connect, cc)

    def receipts() -> int:
        return sum(1 for r in cc.requests if r.method == "POST" and r.path.endswith("/read-receipt"))

    await cc.agent_send(cc_id, "Hello, how can I help?")
    seq = (await c.until("message", author="agent"))["seq"]
    stored = await gateway.app[store_key].entries(
        ConversationId(str(c.conversation_id)), after=seq - 1, upto=seq
    )
    await c.send(type="read", upto_seq=seq)
    await c.send(type="read", upto_seq=seq)  # the same mark again goes nowhere
    await c.send(type="read", upto_seq=seq - 1)  # nor does an older one
    url = gateway.make_url(f"/chat/sessions/{c.conversation_id}/read")
    async with http.post(url, json={"upto_seq": seq}, headers=_auth(c)) as resp:
        assert resp.status == 204
    for bad in (0, True, str(seq)):  # out of range, or not a number at all (no coercion)
        async with http.post(url, json={"upto_seq": bad}, headers=_auth(c)) as resp:
            await _problem(resp, 422, "invalid_frame")
    await c.send(type="read", upto_seq="soon")
    assert (await c.until("error"))["code"] == "invalid_frame"
    if cc_api == "chat_gateway":
        await cc.wait_for(lambda: cc.conversation(cc_id).get("readAt", {}).get("user"))
        assert cc.conversation(cc_id)["readAt"]["user"] == int(stored[0].ts * 1000)
    await asyncio.sleep(0.3)
    assert receipts() == (1 if cc_api == "chat_gateway" else 0)
    await c.silent(0.1)


@chat_gateway_only
async def test_pdfs_download_rather_than_open_on_the_widgets_origin(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    """Issue 19, finding 9: a PDF (which may carry script for the browser's viewer) is an attachment,
    sandboxed like every file; images still show inline."""
    gateway, c, cc_id = await _agent_chat(start_gateway, connect, cc)
    pdf = b"%PDF-1.4\n% an invoice\n%%EOF\n"
    await cc.agent_send_attachment(cc_id, "invoice.pdf", pdf, content_type="application/pdf", text="here")
    (file,) = (await c.until("message", author="agent"))["attachments"]
    async with http.get(gateway.make_url(file["url"])) as served:
        assert served.status == 200
        assert served.headers["Content-Disposition"].startswith("attachment;")
        assert "sandbox" in served.headers["Content-Security-Policy"]
        assert await served.read() == pdf
    await cc.agent_send_attachment(cc_id, "dot.png", PNG, content_type="image/png", text="")
    (image,) = (await c.until("message", author="agent"))["attachments"]
    async with http.get(gateway.make_url(image["url"])) as served:
        assert served.headers["Content-Disposition"].startswith("inline;")
