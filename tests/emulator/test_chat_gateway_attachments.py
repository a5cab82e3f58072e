"""Chat Gateway files in the emulator (spec chat-gateway-v1 §3 Attachments, §4 MESSAGE): multipart upload,
list, metadata, authenticated content download, messages naming uploaded files, and the agent's files
reaching the webhook with a pre-signed URL that works without the key.
"""

from __future__ import annotations

import aiohttp

from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from tests.support.emulator_api import GatewayApi
from tests.support.webhook_receiver import Receiver

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


async def test_upload_list_get_and_download(cgw: GatewayApi, receiver: Receiver, emulator: Emulator) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    reply = await cgw.upload(cid, "photo.png", PNG, content_type="image/png")
    assert reply.status == 200
    assert reply.content_type == "application/hal+json"
    att = reply.body
    assert set(att) == {"id", "filename", "sizeInBytes", "createdAt"}
    assert att["filename"] == "photo.png"
    assert att["sizeInBytes"] == len(PNG)
    listed = (await cgw.call("GET", f"/conversations/{cid}/attachments")).body
    assert listed["_embedded"]["attachments"] == [att]
    assert (await cgw.call("GET", f"/conversations/{cid}/attachments/{att['id']}")).body == att
    content = await cgw.call("GET", f"/conversations/{cid}/attachments/{att['id']}/content")
    assert content.status == 200
    assert content.content_type == "application/octet-stream"
    assert content.raw == PNG
    async with cgw.session.get(
        f"{cgw.emulator.chat_gateway_url}/conversations/{cid}/attachments/{att['id']}/content",
        headers={"x-api-key": cgw.emulator.chat_gateway_api_key},
    ) as resp:
        assert resp.headers["Content-Disposition"] == 'attachment; filename="photo.png"'
    no_key = await cgw.call("GET", f"/conversations/{cid}/attachments/{att['id']}/content", api_key="")
    assert no_key.status == 401
    assert (await cgw.call("GET", f"/conversations/{cid}/attachments/nope")).status == 404


async def test_upload_refuses_bad_forms_and_stores_nothing(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    agent = await cgw.upload(cid, "a.txt", b"hi", content_type="text/plain", author_type="agent")
    assert agent.status == 400
    assert agent.body["errors"][0]["code"] == "invalid_attachment"
    form = aiohttp.FormData()
    form.add_field("authorType", "user")
    no_file = await cgw.call("POST", f"/conversations/{cid}/attachments", data=form)
    assert no_file.status == 400
    as_json = await cgw.call("POST", f"/conversations/{cid}/attachments", {"attachment": "x"})
    assert as_json.status == 400
    assert (await cgw.call("GET", f"/conversations/{cid}/attachments")).body["page"]["totalElements"] == 0


async def test_upload_over_the_limit_is_refused(session: aiohttp.ClientSession, receiver: Receiver) -> None:
    async with running_emulator(EmulatorConfig(mode="manual", attachment_max_bytes=1000)) as emulator:
        cgw = GatewayApi(session, emulator)
        cid = await cgw.create_conversation(await cgw.channel(receiver))
        reply = await cgw.upload(cid, "big.bin", b"x" * 1001, content_type="application/octet-stream")
        assert reply.status == 400
        assert reply.body["errors"][0]["code"] == "attachment_too_large"
        assert (
            await cgw.upload(cid, "ok.bin", b"x" * 1000, content_type="application/octet-stream")
        ).status == 200


async def test_message_with_an_uploaded_file_is_echoed_with_a_presigned_url(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    att = (await cgw.upload(cid, "photo.png", PNG, content_type="image/png")).body
    unknown = await cgw.call(
        "POST", f"/conversations/{cid}/messages", {"authorType": "user", "attachments": [{"id": "nope"}]}
    )
    assert unknown.status == 400
    assert unknown.body["errors"]["code"] == "invalid_json_object"
    body = {"authorType": "user", "text": "see this", "attachments": [{"id": att["id"]}]}
    assert (await cgw.call("POST", f"/conversations/{cid}/messages", body)).status == 202
    listed = (await cgw.call("GET", f"/conversations/{cid}/messages")).body["_embedded"]["messages"]
    assert listed[0]["attachments"] == [{"id": att["id"]}]
    echo = await receiver.wait_for(
        lambda: next((e for e in receiver.events(cid) if e.event_type == "MESSAGE"), None)
    )
    refs = echo.json["data"]["attachments"]
    assert [(r["id"], r["type"], r["fileName"]) for r in refs] == [(att["id"], "image", "photo.png")]
    async with cgw.session.get(refs[0]["preSignedUrl"]) as resp:  # no key
        assert resp.status == 200
        assert resp.content_type == "image/png"
        assert await resp.read() == PNG


async def test_agent_sends_a_file(cgw: GatewayApi, receiver: Receiver, emulator: Emulator) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    await emulator.wait_for_state(cid, "queued")
    await emulator.agent_join(cid, "alice")
    attachment_id = await emulator.agent_send_attachment(
        cid, "invoice.pdf", b"%PDF-1.4 fake", content_type="application/pdf", text="your invoice"
    )
    event = await emulator.wait_for_event(cid, "MESSAGE")
    data = event.payload["data"]
    assert data["isEcho"] is False
    assert data["sender"] == {"id": "alice", "type": "agent"}
    assert data["text"] == "your invoice"
    ref = data["attachments"][0]
    assert (ref["id"], ref["type"], ref["fileName"]) == (attachment_id, "file", "invoice.pdf")
    async with cgw.session.get(ref["preSignedUrl"]) as resp:
        assert await resp.read() == b"%PDF-1.4 fake"
    content = await cgw.call("GET", f"/conversations/{cid}/attachments/{attachment_id}/content")
    assert content.raw == b"%PDF-1.4 fake"
    view = emulator.conversation(cid)["messages"][-1]
    assert view["attachments"][0]["filename"] == "invoice.pdf"
    async with cgw.session.get(
        emulator.base_url + view["attachments"][0]["url"]
    ) as resp:  # the console's link
        assert await resp.read() == b"%PDF-1.4 fake"
    async with cgw.session.get(ref["preSignedUrl"].replace("/files/", "/files/x")) as resp:
        assert resp.status == 403


async def test_file_names_with_spaces_quotes_and_non_ascii_survive(
    cgw: GatewayApi, receiver: Receiver, emulator: Emulator
) -> None:
    cid = await cgw.create_conversation(await cgw.channel(receiver))
    name = 'my "report" #1 (ü).pdf'
    form = aiohttp.FormData(quote_fields=False)  # the name as it is (quoted-pair for ", raw UTF-8)
    form.add_field("attachment", b"%PDF", filename=name, content_type="application/pdf")
    form.add_field("authorType", "user")
    att = (await cgw.call("POST", f"/conversations/{cid}/attachments", data=form)).body
    assert att["filename"] == name
    # names are taken as sent: aiohttp's default percent-quoting is not undone (as a plain server would not)
    quoted = (await cgw.upload(cid, "a b.pdf", b"%PDF", content_type="application/pdf")).body
    assert quoted["filename"] == "a%20b.pdf"
    body = {"authorType": "user", "attachments": [{"id": att["id"]}]}
    assert (await cgw.call("POST", f"/conversations/{cid}/messages", body)).status == 202
    event = await emulator.wait_for_event(cid, "MESSAGE")
    ref = event.payload["data"]["attachments"][0]
    assert ref["fileName"] == name
    async with cgw.session.get(ref["preSignedUrl"]) as resp:
        assert resp.status == 200
        assert await resp.read() == b"%PDF"
    async with cgw.session.get(
        f"{emulator.chat_gateway_url}/conversations/{cid}/attachments/{att['id']}/content",
        headers={"x-api-key": emulator.chat_gateway_api_key},
    ) as resp:
        assert resp.headers["Content-Disposition"] == (
            "attachment; filename=\"my _report_ #1 (_).pdf\"; filename*=UTF-8''my%20%22report%22%20%231%20%28%C3%BC%29.pdf"
        )
