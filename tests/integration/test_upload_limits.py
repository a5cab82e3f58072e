"""Uploads being read are bounded: one at a time per session, a few per instance, and never slow forever.

A file is held in memory while it is read, so what a client may keep open at once is capped (``429``),
and a body that stops arriving is cut off (``408``) and frees its slot. A refused or cut-off upload
changes nothing: the transcript has no entry for it.
"""

from __future__ import annotations

import asyncio

import aiohttp

from gateway.emulator.handle import Emulator
from tests.integration.test_typing_receipts_attachments import PNG, _agent_chat
from tests.support.customer import CustomerSocket
from tests.support.gateway import GatewayFactory
from tests.support.matrix import chat_gateway_only

Upload = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _start_upload(port: int, c: CustomerSocket, client_id: str) -> Upload:
    """Declare a 1 MiB PNG, send its first bytes, and stop."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"POST /chat/sessions/{c.conversation_id}/attachments?filename=a.png&client_id={client_id} "
            f"HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {c.session}\r\nContent-Type: image/png\r\n"
            f"Content-Length: {1024 * 1024}\r\n\r\n"
        ).encode()
        + PNG
    )
    await writer.drain()
    return reader, writer


async def _status(upload: Upload, *, within_s: float) -> int:
    reader, writer = upload
    try:
        line = await asyncio.wait_for(reader.readline(), within_s)
    finally:
        writer.close()
    return int(line.split()[1])


@chat_gateway_only
async def test_a_stalled_upload_is_cut_off_and_a_second_one_meanwhile_is_refused(
    start_gateway: GatewayFactory, connect: object, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    gateway, c, _ = await _agent_chat(
        start_gateway, connect, cc, attachments={"upload_idle_timeout_s": 1.0, "uploads_in_flight": 4}
    )
    assert gateway.port is not None
    stalled = await _start_upload(gateway.port, c, "first")
    await asyncio.sleep(0.3)
    second = await _start_upload(gateway.port, c, "second")
    assert await _status(second, within_s=2) == 429  # one upload at a time per session
    assert await _status(stalled, within_s=3) == 408  # nothing arrived for 1 s
    # The slot is free again, and neither attempt left a trace in the transcript.
    before = c.last_seq
    async with http.post(
        gateway.make_url(f"/chat/sessions/{c.conversation_id}/attachments"),
        params={"filename": "b.png", "client_id": "third"},
        data=PNG,
        headers={"Content-Type": "image/png", "Authorization": f"Bearer {c.session}"},
    ) as resp:
        assert resp.status == 202, await resp.text()
        assert (await resp.json())["seq"] == before + 1


@chat_gateway_only
async def test_uploads_in_flight_are_capped_per_instance(
    start_gateway: GatewayFactory, connect: object, cc: Emulator
) -> None:
    gateway, first, _ = await _agent_chat(
        start_gateway,
        connect,
        cc,
        attachments={"uploads_in_flight": 1, "uploads_per_session": 2, "upload_idle_timeout_s": 2.0},
    )
    assert gateway.port is not None
    holding = await _start_upload(gateway.port, first, "one")
    await asyncio.sleep(0.3)
    other = await _start_upload(gateway.port, first, "two")
    assert await _status(other, within_s=2) == 429
    assert await _status(holding, within_s=4) == 408


@chat_gateway_only
async def test_extra_multipart_parts_are_bounded_in_number_and_size(
    start_gateway: GatewayFactory, connect: object, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    """Issue 19, finding 11: parts other than ``file``, ``client_id`` and ``text`` were drained without
    a limit. Now at most 16 parts are read, each as small as a text field."""
    gateway, c, _ = await _agent_chat(start_gateway, connect, cc)
    url = gateway.make_url(f"/chat/sessions/{c.conversation_id}/attachments")
    headers = {"Authorization": f"Bearer {c.session}"}

    many = aiohttp.FormData()
    for i in range(20):
        many.add_field(f"junk{i}", "x")
    many.add_field("file", PNG, filename="a.png", content_type="image/png")
    async with http.post(url, data=many, headers=headers) as resp:
        assert resp.status == 422, await resp.text()
        assert "parts" in (await resp.json())["detail"]

    big = aiohttp.FormData()
    big.add_field("junk", "x" * (4 * 4000 + 1))
    big.add_field("file", PNG, filename="a.png", content_type="image/png")
    async with http.post(url, data=big, headers=headers) as resp:
        assert resp.status == 413, await resp.text()

    fine = aiohttp.FormData()
    fine.add_field("junk", "x")
    fine.add_field("file", PNG, filename="a.png", content_type="image/png")
    async with http.post(url, data=fine, headers=headers) as resp:
        assert resp.status == 202, await resp.text()
