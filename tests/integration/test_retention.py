"""Customer data does not live forever, and one customer's can be erased on request (issue 19, finding 5).

On both stores: ``chat-gateway purge ID`` deletes a conversation with its transcript, files, session
token hashes and pending work, and nothing of anyone else's; the retention sweep deletes closed chats
past ``CLOSED_DAYS``; a closed chat's token stops working ``TOKEN_HOURS_AFTER_CLOSE`` after its last
activity (a leaked token no longer reopens it); file links expire; a chat's files have a quota.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestServer

from gateway.cli import main
from gateway.emulator.handle import Emulator
from gateway.keys import settings_key, store_key
from gateway.relay.model import ConversationId
from tests.integration.test_typing_receipts_attachments import PNG, _agent_chat
from tests.support.gateway import GatewayFactory
from tests.support.matrix import both_stores, chat_gateway_only

pytestmark = both_stores


def _auth(session: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {session}"}


async def _rest_chat(http: aiohttp.ClientSession, gateway: TestServer, *, leave: bool) -> dict[str, Any]:
    async with http.post(gateway.make_url("/chat/sessions")) as resp:
        chat: dict[str, Any] = await resp.json()
    base = f"/chat/sessions/{chat['conversation_id']}"
    async with http.post(
        gateway.make_url(f"{base}/messages"),
        json={"text": "hello", "client_id": "a"},
        headers=_auth(chat["session"]),
    ) as resp:
        assert resp.status == 202
    if leave:
        async with http.post(gateway.make_url(f"{base}/leave"), headers=_auth(chat["session"])) as resp:
            assert (await resp.json())["state"] == "closed"
    return chat


async def _status(http: aiohttp.ClientSession, gateway: TestServer, chat: dict[str, Any]) -> int:
    url = gateway.make_url(f"/chat/sessions/{chat['conversation_id']}/messages")
    async with http.get(url, headers=_auth(chat["session"])) as resp:
        return resp.status


async def _traces(gateway: TestServer, needles: list[str]) -> list[str]:
    """Every stored key or row that still mentions one of ``needles`` (ids, file keys)."""
    url = gateway.app[settings_key].store.url
    found: list[str] = []
    if url.startswith("redis"):
        r = aioredis.Redis.from_url(url, decode_responses=True)
        try:
            async for key in r.scan_iter(match="*"):
                kind = await r.type(key)
                blob = key + (str(await r.get(key)) if kind == "string" else "")
                if kind == "zset":
                    blob += str(await r.zrange(key, 0, -1))
                if kind == "hash":
                    blob += str(await r.hgetall(key))
                found += [key for n in needles if n in blob]
        finally:
            await r.aclose()
        return found
    db = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in db.execute(f"SELECT * FROM {table}").fetchall():
                found += [f"{table}: {row!r:.80}" for n in needles if n in repr(row)]
    finally:
        db.close()
    return found


@chat_gateway_only
async def test_purge_erases_one_customer_and_nobody_else(
    start_gateway: GatewayFactory,
    connect: Any,
    cc: Emulator,
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    gateway, c, cc_id = await _agent_chat(start_gateway, connect, cc)
    async with http.post(
        gateway.make_url(f"/chat/sessions/{c.conversation_id}/attachments"),
        params={"filename": "a.png", "client_id": "f1"},
        data=PNG,
        headers={"Content-Type": "image/png", **_auth(str(c.session))},
    ) as resp:
        mine = (await resp.json())["attachment"]
    await cc.agent_send_attachment(cc_id, "b.png", PNG, content_type="image/png", text="")
    (theirs,) = (await c.until("message", author="agent"))["attachments"]
    other = await _rest_chat(http, gateway, leave=False)
    conversation_id = str(c.conversation_id)
    file_keys = [mine["url"].split("/")[3], theirs["url"].split("/")[3]]
    assert await _traces(gateway, [conversation_id, *file_keys])

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GATEWAY_STORE__URL", gateway.app[settings_key].store.url)
    monkeypatch.setenv("GATEWAY_STORE__PREFIX", gateway.app[settings_key].store.prefix)
    assert await asyncio.to_thread(main, ["purge", conversation_id]) == 0  # as an operator runs it

    assert await _traces(gateway, [conversation_id, cc_id, *file_keys]) == []
    store = gateway.app[store_key]
    assert await store.conversation(ConversationId(conversation_id)) is None
    for url in (mine["url"], theirs["url"]):
        async with http.get(gateway.make_url(url)) as resp:
            assert resp.status == 404
    assert await _status(http, gateway, {"conversation_id": conversation_id, "session": c.session}) == 404
    assert await _status(http, gateway, other) == 200  # someone else's chat is untouched
    await c.ws.close()


@chat_gateway_only
async def test_a_closed_chats_token_expires_and_the_sweep_deletes_it(
    start_gateway: GatewayFactory, http: aiohttp.ClientSession
) -> None:
    retention = {"token_hours_after_close": 1.0 / 3600, "closed_days": 2.0 / 86400, "purge_interval_s": 0.3}
    gateway = await start_gateway(retention=retention)
    closed = await _rest_chat(http, gateway, leave=True)
    open_chat = await _rest_chat(http, gateway, leave=False)
    assert await _status(http, gateway, closed) == 200  # within the hour (here: the second) after close
    await asyncio.sleep(1.2)
    assert await _status(http, gateway, closed) == 404  # a leaked token no longer reopens it
    assert await _status(http, gateway, open_chat) == 200  # an open chat's token keeps working
    await asyncio.sleep(1.5)
    assert await _traces(gateway, [closed["conversation_id"]]) == []
    assert await _status(http, gateway, open_chat) == 200


@chat_gateway_only
async def test_file_links_expire_and_a_chats_files_have_a_quota(
    start_gateway: GatewayFactory, connect: Any, cc: Emulator, http: aiohttp.ClientSession
) -> None:
    retention = {"file_link_days": 1.0 / 86400, "max_file_bytes_per_conversation": len(PNG) * 2}
    gateway, c, _ = await _agent_chat(start_gateway, connect, cc, retention=retention)
    url = gateway.make_url(f"/chat/sessions/{c.conversation_id}/attachments")
    statuses, links = [], []
    for i in range(3):
        async with http.post(
            url,
            params={"filename": "a.png", "client_id": f"f{i}"},
            data=PNG,
            headers={"Content-Type": "image/png", **_auth(str(c.session))},
        ) as resp:
            statuses.append(resp.status)
            if resp.status == 202:
                links.append((await resp.json())["attachment"]["url"])
    assert statuses == [202, 202, 413]
    async with http.get(gateway.make_url(links[0])) as resp:
        assert resp.status == 200
    await asyncio.sleep(1.1)
    async with http.get(gateway.make_url(links[0])) as resp:
        assert resp.status == 404
        assert (await resp.json())["detail"] == "this link has expired"
    await c.ws.close()
