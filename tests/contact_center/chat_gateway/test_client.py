"""The Chat Gateway client against the emulator over real HTTP: auth headers, typed errors, what is and is
not retried without an Idempotency-Key, HAL lists, set-up, and the webhook keys."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import unused_port
from pytest_aiohttp import AiohttpServer

from gateway.contact_center.chat_gateway.client import ChatGatewayClient
from gateway.contact_center.chat_gateway.errors import (
    ChatGatewayRejected,
    ChatGatewayUnauthorized,
    ChatGatewayUnavailable,
)
from gateway.contact_center.chat_gateway.setup import ensure_setup
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator


@pytest.fixture
async def cc() -> AsyncIterator[Emulator]:
    async with running_emulator(EmulatorConfig(mode="manual", retry_scale=0.01, hang_seconds=5)) as emulator:
        yield emulator


@pytest.fixture
async def session(cc: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=cc.base_url + "/", timeout=aiohttp.ClientTimeout(total=1)) as s:
        yield s


def _client(
    cc: Emulator, session: aiohttp.ClientSession, *, key: str | None = None, tenant: str | None = None
) -> ChatGatewayClient:
    return ChatGatewayClient(
        session, api_key=key or cc.chat_gateway_api_key, tenant=tenant or cc.tenant_id, backoff_base_s=0.01
    )


async def _ok(request: web.Request) -> web.Response:
    return web.Response()


async def _setup(
    client: ChatGatewayClient, aiohttp_server: AiohttpServer, **overrides: object
) -> tuple[str, dict[str, object]]:
    receiver = web.Application()
    receiver.router.add_post("/hook", _ok)
    server = await aiohttp_server(receiver)
    kwargs: dict[str, object] = {
        "webhook_uri": str(server.make_url("/hook")),
        "webhook_name": "gw",
        "channel_name": "gw",
        "queue_id": "101",
        "pinned_channel": None,
        **overrides,
    }
    result = await ensure_setup(client, **kwargs)  # type: ignore[arg-type]
    return result.channel_id, kwargs


async def test_setup_run_twice_reuses_the_webhook_and_the_one_channel_and_a_pinned_channel_asks_nothing(
    cc: Emulator, session: aiohttp.ClientSession, aiohttp_server: AiohttpServer
) -> None:
    client = _client(cc, session)
    channel, kwargs = await _setup(client, aiohttp_server)
    again = await ensure_setup(client, **kwargs)  # type: ignore[arg-type]
    assert again.channel_id == channel
    assert again.changed == ()
    assert len(await client.list_webhooks()) == 1
    [made] = await client.list_channels()
    assert made["type"] == "ChatAPI"
    assert made["routingOptions"] == {"type": "queue", "id": "101"}
    calls = len(cc.requests)
    pinned = await ensure_setup(client, **{**kwargs, "pinned_channel": "999"})  # type: ignore[arg-type]
    assert (pinned.channel_id, pinned.webhook_id) == ("999", None)
    assert len(cc.requests) == calls
    assert all(r.headers.get("x-api-key") == cc.chat_gateway_api_key for r in cc.requests)


async def test_a_wrong_key_and_a_foreign_tenant_are_unauthorized_with_8x8s_reason(
    cc: Emulator, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ChatGatewayUnauthorized, match="access_denied"):
        await _client(cc, session, key="wrong").list_channels()
    with pytest.raises(ChatGatewayUnauthorized, match="403"):
        await _client(cc, session, tenant="SomeoneElse").list_channels()


async def test_a_create_refused_with_503_is_repeated_and_creates_one_conversation(
    cc: Emulator, session: aiohttp.ClientSession, aiohttp_server: AiohttpServer
) -> None:
    client = _client(cc, session)
    channel, _ = await _setup(client, aiohttp_server)
    cc.fail_next("cgw_create_conversation", 2, status=503)
    cid = await client.create_conversation({"channelId": channel, "user": {"userId": "gw-1"}})
    creates = [r for r in cc.requests if r.method == "POST" and r.path.endswith("/conversations")]
    assert [r.status for r in creates] == [503, 503, 202]
    assert cc.conversation_ids() == [cid]
    assert [c["id"] for c in await client.find_conversations(user_id="gw-1")] == [cid]
    assert await client.find_conversations(user_id="gw-2") == []


async def test_a_post_that_may_have_been_carried_out_is_not_repeated_blindly(
    cc: Emulator, session: aiohttp.ClientSession, aiohttp_server: AiohttpServer
) -> None:
    client = _client(cc, session)
    channel, _ = await _setup(client, aiohttp_server)
    cid = await client.create_conversation({"channelId": channel, "user": {"userId": "gw-1"}})
    cc.fail_next("cgw_send_message", 1, status=504)
    with pytest.raises(ChatGatewayUnavailable) as raised:
        await client.send_message(cid, {"authorType": "user", "text": "hello"})
    assert raised.value.ambiguous
    sends = [r for r in cc.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert len(sends) == 1  # the adapter decides after looking (test_chat_gateway.py)
    cc.fail_next("cgw_list_conversations", 1, status=504)
    assert await client.find_conversations(user_id="gw-1")  # a read is simply repeated
    lists = [r.status for r in cc.requests if r.method == "GET" and r.path.endswith("/conversations")]
    assert lists == [504, 200]


async def test_a_hang_times_out_as_ambiguous_and_a_refused_connection_as_not_sent(
    cc: Emulator, session: aiohttp.ClientSession
) -> None:
    client = ChatGatewayClient(session, api_key=cc.chat_gateway_api_key, tenant=cc.tenant_id, max_attempts=1)
    cc.fail_next("cgw_list_channels", 1, hang=True)
    with pytest.raises(ChatGatewayUnavailable, match="TimeoutError") as hung:
        await client.list_channels()
    assert hung.value.ambiguous
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{unused_port()}/") as s:
        refused = ChatGatewayClient(s, api_key="k", tenant=None, backoff_base_s=0.01)
        with pytest.raises(ChatGatewayUnavailable) as raised:
            await refused.create_conversation({})
        assert not raised.value.ambiguous


async def test_a_message_without_author_type_is_rejected_naming_it(
    cc: Emulator, session: aiohttp.ClientSession, aiohttp_server: AiohttpServer
) -> None:
    client = _client(cc, session)
    channel, _ = await _setup(client, aiohttp_server)
    cid = await client.create_conversation({"channelId": channel, "user": {"userId": "gw-1"}})
    with pytest.raises(ChatGatewayRejected, match="authorType") as raised:
        await client.send_message(cid, {"text": "no author"})
    assert raised.value.status == 400


async def test_the_webhook_key_is_fetched_without_the_api_key_and_an_unknown_kid_is_none(
    cc: Emulator, session: aiohttp.ClientSession
) -> None:
    client = _client(cc, session)
    jwk = await client.public_jwk(cc.kid)
    assert jwk is not None
    assert jwk["n"] == cc.public_jwk()["n"]
    assert await client.public_jwk("no-such-kid") is None
    assert not any("x-api-key" in {k.lower() for k in r.headers} for r in cc.requests if "/jwk/" in r.path)
