"""The Chat API client against the emulator over real HTTP: tokens, retries, keys, typed errors, set-up."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import unused_port
from hypothesis import given
from hypothesis import strategies as st
from pytest_aiohttp import AiohttpServer

from gateway.contact_center.chat_api.client import ChatApiClient, message_body
from gateway.contact_center.chat_api.errors import ChatApiRejected, ChatApiUnauthorized, ChatApiUnavailable
from gateway.contact_center.chat_api.setup import ensure_setup
from gateway.contact_center.chat_api.token import TokenProvider
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator


@pytest.fixture
async def cc() -> AsyncIterator[Emulator]:
    async with running_emulator(EmulatorConfig(mode="manual", retry_scale=0.01, hang_seconds=5)) as emulator:
        yield emulator


def _client(cc: Emulator, session: aiohttp.ClientSession, *, secret: str | None = None) -> ChatApiClient:
    tokens = TokenProvider(session, api_key=cc.api_key, api_secret=secret or cc.api_secret)
    return ChatApiClient(session, tokens, region=cc.region, tenant_id=cc.tenant_id, backoff_base_s=0.01)


@pytest.fixture
async def session(cc: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=cc.base_url + "/", timeout=aiohttp.ClientTimeout(total=1)) as s:
        yield s


async def _channel(cc: Emulator, client: ChatApiClient, aiohttp_server: AiohttpServer) -> str:
    receiver = web.Application()
    receiver.router.add_post("/hook", _ok)
    server = await aiohttp_server(receiver)
    result = await ensure_setup(
        client,
        webhook_uri=str(server.make_url("/hook")),
        webhook_name="test",
        channel_base_name="test",
        queues=["101"],
        pinned={},
    )
    return result.channels["101"]


async def _ok(request: web.Request) -> web.Response:
    return web.Response()


def _token_requests(cc: Emulator) -> int:
    return sum(1 for r in cc.requests if r.path == "/oauth/v2/token")


async def test_one_token_serves_many_calls_and_concurrent_callers_share_one_fetch(
    cc: Emulator, session: aiohttp.ClientSession
) -> None:
    client = _client(cc, session)
    await asyncio.gather(*(client.list_channels() for _ in range(10)))
    await client.list_webhooks()
    assert _token_requests(cc) == 1


async def test_an_expired_token_is_refreshed_once_and_the_call_retried(
    cc: Emulator, session: aiohttp.ClientSession
) -> None:
    client = _client(cc, session)
    await client.list_channels()
    cc.expire_tokens()
    assert await client.list_channels() == []
    assert _token_requests(cc) == 2
    assert [r.status for r in cc.requests if r.path.endswith("/channels")] == [200, 401, 200]


async def test_bad_credentials_are_a_typed_error_naming_8x8s_reason(
    cc: Emulator, session: aiohttp.ClientSession
) -> None:
    client = _client(cc, session, secret="wrong")
    with pytest.raises(ChatApiUnauthorized, match="invalid_client"):
        await client.list_channels()


async def test_503s_are_retried_with_the_same_idempotency_key(
    cc: Emulator, session: aiohttp.ClientSession, aiohttp_server: AiohttpServer
) -> None:
    client = _client(cc, session)
    channel = await _channel(cc, client, aiohttp_server)
    cc.fail_next("create_conversation", 2, status=503)
    cid = await client.create_conversation(
        {"channelId": channel, "customer": {"name": "Ann"}},
        idempotency_key="0f1d5c1e-7a57-4d4a-9d7c-3c5b2b1a0e99",
    )
    creates = [r for r in cc.requests if r.method == "POST" and r.path.endswith("/conversations")]
    assert [r.status for r in creates] == [503, 503, 202]
    assert {r.headers["Idempotency-Key"] for r in creates} == {"0f1d5c1e-7a57-4d4a-9d7c-3c5b2b1a0e99"}
    assert cc.conversation_ids() == [cid]


async def test_every_post_carries_its_key_yet_nothing_relies_on_it(
    cc: Emulator, session: aiohttp.ClientSession, aiohttp_server: AiohttpServer
) -> None:
    """The v2 OpenAPI declares Idempotency-Key, no operation uses it: 8x8 (the strict emulator) may act twice
    on a repeat, so the client sends the key and the adapter looks before repeating (test_real_8x8)."""
    client = _client(cc, session)
    channel = await _channel(cc, client, aiohttp_server)
    body = {"channelId": channel, "customer": {"name": "Ann"}}
    key = "6b0c7a2e-1f1e-4c3a-8f0a-9e8d7c6b5a41"
    first = await client.create_conversation(body, idempotency_key=key)
    again = await client.create_conversation(body, idempotency_key=key)
    assert first != again
    creates = [r for r in cc.requests if r.method == "POST" and r.path.endswith("/conversations")]
    assert [r.headers.get("Idempotency-Key") for r in creates] == [key, key]
    posts = [r for r in cc.requests if r.method == "POST" and "/tenant/" in r.path]
    assert all(len(r.headers.get("Idempotency-Key", "")) == 36 for r in posts)


@given(text=st.text(), author_type=st.sampled_from(["user", "bot", 'o"dd\\\u00e9']))
def test_a_line_body_is_what_json_dumps_makes_of_it(text: str, author_type: str) -> None:
    """``message_body`` writes the JSON out by hand: it must stay byte for byte ``json.dumps``'s."""
    assert message_body(text, author_type) == json.dumps({"text": text, "authorType": author_type}).encode()


async def test_a_line_is_posted_as_json_whatever_it_holds(
    cc: Emulator, session: aiohttp.ClientSession, aiohttp_server: AiohttpServer
) -> None:
    client = _client(cc, session)
    channel = await _channel(cc, client, aiohttp_server)
    cid = await client.create_conversation(
        {"channelId": channel, "customer": {"name": "Ann"}}, idempotency_key=client.post_key()
    )
    text = 'a "quoted" back\\slash, \u00e9 \U0001f600 \u2028 </script>\n\ttab'
    key = client.post_key()
    await client.send_message(cid, text, "user", idempotency_key=key)
    (sent,) = [r for r in cc.requests if r.method == "POST" and r.path.endswith(f"{cid}/messages")]
    assert sent.status == 202
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Idempotency-Key"] == key
    assert json.loads(sent.body) == {"text": text, "authorType": "user"}
    assert [m["originalText"] for m in await client.messages(cid)] == [text]


async def test_retries_give_up_as_unavailable(cc: Emulator, session: aiohttp.ClientSession) -> None:
    client = _client(cc, session)
    cc.fail_next("list_channels", 5, status=502)
    with pytest.raises(ChatApiUnavailable, match="502"):
        await client.list_channels()


async def test_a_hanging_call_times_out_as_unavailable(cc: Emulator, session: aiohttp.ClientSession) -> None:
    client = _client(cc, session)
    await client.list_channels()  # token first
    cc.fail_next("list_channels", 5, hang=True)
    with pytest.raises(ChatApiUnavailable, match="TimeoutError"):
        await client.list_channels()


async def test_a_refused_connection_is_unavailable() -> None:
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{unused_port()}/") as s:
        client = ChatApiClient(
            s, TokenProvider(s, api_key="k", api_secret="s"), region="us", tenant_id="t", backoff_base_s=0.01
        )
        with pytest.raises(ChatApiUnavailable, match="token"):
            await client.list_channels()


async def test_a_validation_error_names_the_field(
    cc: Emulator, session: aiohttp.ClientSession, aiohttp_server: AiohttpServer
) -> None:
    client = _client(cc, session)
    channel = await _channel(cc, client, aiohttp_server)
    with pytest.raises(ChatApiRejected, match=r"customer\.email") as raised:
        await client.create_conversation(
            {"channelId": channel, "customer": {"email": "nope"}},
            idempotency_key="0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d",
        )
    assert raised.value.status == 400
    assert cc.conversation_ids() == []


async def test_setup_run_twice_reuses_everything_by_name(
    cc: Emulator, session: aiohttp.ClientSession, aiohttp_server: AiohttpServer
) -> None:
    client = _client(cc, session)
    receiver = web.Application()
    receiver.router.add_post("/hook", _ok)
    server = await aiohttp_server(receiver)
    kwargs = {
        "webhook_uri": str(server.make_url("/hook")),
        "webhook_name": "gw",
        "channel_base_name": "gw",
        "queues": ["101", "102"],
        "pinned": {},
    }
    first = await ensure_setup(client, **kwargs)  # type: ignore[arg-type]
    second = await ensure_setup(client, **kwargs)  # type: ignore[arg-type]
    assert first.channels == second.channels
    assert second.changed == ()
    assert len(await client.list_webhooks()) == 1
    assert len(await client.list_channels()) == 2
    pinned = await ensure_setup(client, **{**kwargs, "queues": ["101"], "pinned": {"101": "999"}})  # type: ignore[arg-type]
    assert pinned.channels == {"101": "999"}
    assert pinned.webhook_id is None
