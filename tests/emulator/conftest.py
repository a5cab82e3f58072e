"""Contract tests of the 8x8 Chat API emulator, over real HTTP.

The emulator runs on a free port (the shipped pytest plugin's ``emulator`` fixture, or ``running_emulator``
for other settings); a webhook receiver runs on another (pytest-aiohttp's ``aiohttp_server``) and records
every delivery with its raw body, headers and arrival time. ``Api`` is a deliberately naive client: these
tests must not borrow the gateway's own 8x8 client, or a shared mistake would pass unnoticed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from gateway.emulator.handle import Emulator

JsonObject = dict[str, Any]


@dataclass
class Delivery:
    """One POST the receiver got, and what it answered."""

    headers: dict[str, str]  # lower-case names
    body: bytes
    received_at: float  # time.monotonic()
    status: int

    @property
    def json(self) -> JsonObject:
        parsed: JsonObject = json.loads(self.body)
        return parsed

    @property
    def event_type(self) -> str:
        return str(self.json["eventType"])

    @property
    def event_id(self) -> str:
        return self.headers["x-8x8-event-id"]

    @property
    def retry(self) -> int:
        return int(self.headers["x-8x8-retry"])

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class FailRule:
    remaining: int
    status: int
    conversation_id: str | None


@dataclass
class Receiver:
    """A webhook endpoint that records everything and fails on request (never the WEB_HOOK_VERIFY)."""

    deliveries: list[Delivery] = field(default_factory=list)
    rules: list[FailRule] = field(default_factory=list)
    verify_status: int = 200
    url: str = ""

    def fail(self, times: int, *, status: int = 503, conversation_id: str | None = None) -> None:
        """Answer ``status`` to the next ``times`` events (of that conversation, if given)."""
        self.rules.append(FailRule(times, status, conversation_id))

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        payload = json.loads(body)
        status = 200
        if payload.get("eventType") == "WEB_HOOK_VERIFY":
            status = self.verify_status
        else:
            for rule in self.rules:
                if rule.remaining > 0 and rule.conversation_id in (None, payload.get("conversationId")):
                    rule.remaining -= 1
                    status = rule.status
                    break
        self.deliveries.append(Delivery(headers, body, time.monotonic(), status))
        return web.Response(status=status)

    def events(self, conversation_id: str | None = None, *, ok_only: bool = True) -> list[Delivery]:
        """Conversation events received (not WEB_HOOK_VERIFY), answered 2xx unless ``ok_only=False``."""
        return [
            d
            for d in self.deliveries
            if d.json.get("eventType") != "WEB_HOOK_VERIFY"
            and (conversation_id is None or d.json.get("conversationId") == conversation_id)
            and (d.ok or not ok_only)
        ]

    def types(self, conversation_id: str | None = None) -> list[str]:
        return [d.event_type for d in self.events(conversation_id)]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while not (result := predicate()):
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: not met within {timeout}s; got {self.types()}")
            await asyncio.sleep(0.01)
        return result


@pytest.fixture
async def receiver(aiohttp_server: AiohttpServer) -> Receiver:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    server: TestServer = await aiohttp_server(app)
    rec.url = str(server.make_url("/hook"))
    return rec


@dataclass
class Reply:
    status: int
    body: Any  # parsed JSON, or None for an empty body
    content_type: str
    raw: bytes


def basic_auth(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


class Api:
    """A plain HTTP client for the emulator: tokens, the tenant API and the control API."""

    def __init__(self, session: aiohttp.ClientSession, emulator: Emulator) -> None:
        self.session = session
        self.emulator = emulator
        self._token: str | None = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        async with self.session.request(method, url, json=json_body, data=data, headers=headers) as resp:
            raw = await resp.read()
            body = json.loads(raw) if raw else None
            return Reply(resp.status, body, resp.content_type, raw)

    async def issue_token(self, key: str | None = None, secret: str | None = None) -> Reply:
        return await self.request(
            "POST",
            self.emulator.token_url,
            data={"grant_type": "client_credentials"},
            headers={
                "Authorization": basic_auth(key or self.emulator.api_key, secret or self.emulator.api_secret)
            },
        )

    async def token(self) -> str:
        if self._token is None:
            reply = await self.issue_token()
            assert reply.status == 200, reply.body
            self._token = str(reply.body["access_token"])
        return self._token

    async def call(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> Reply:
        """``path`` below ``/vcc/{region}/chat/v2/tenant/{tenant}``, with a Bearer token."""
        bearer = token if token is not None else await self.token()
        return await self.request(
            method,
            self.emulator.api_url + path,
            json_body=json_body,
            headers={"Authorization": f"Bearer {bearer}", **(headers or {})},
        )

    async def control(self, method: str, path: str, json_body: Any = None) -> Reply:
        """``path`` below ``/_emulator``."""
        return await self.request(method, f"{self.emulator.base_url}/_emulator{path}", json_body=json_body)

    async def channel(self, receiver: Receiver, queue_id: str = "101") -> str:
        """A webhook pointing at ``receiver`` and a channel on ``queue_id``; the channel id."""
        hook = await self.call("POST", "/web-hooks", {"name": "test", "uri": receiver.url, "version": "v2.0"})
        assert hook.status == 200, hook.body
        channel = await self.call(
            "POST",
            "/channels",
            {
                "name": "web",
                "webHookId": hook.body["id"],
                "routingOptions": {"type": "queue", "id": queue_id},
            },
        )
        assert channel.status == 200, channel.body
        return str(channel.body["id"])

    async def create_conversation(self, channel_id: str, name: str = "Jane Doe", **extra: Any) -> str:
        body = {"channelId": channel_id, "customer": {"name": name}, **extra}
        reply = await self.call(
            "POST", "/conversations", body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert reply.status == 202, reply.body
        return str(reply.body["conversationId"])


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def api(session: aiohttp.ClientSession, emulator: Emulator) -> Api:
    return Api(session, emulator)


class GatewayApi:
    """A plain HTTP client for the emulator's Chat Gateway routes (``x-api-key``, HAL bodies)."""

    def __init__(self, session: aiohttp.ClientSession, emulator: Emulator) -> None:
        self.session = session
        self.emulator = emulator

    async def call(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        *,
        data: Any = None,
        headers: dict[str, str] | None = None,
        api_key: str | None = None,
    ) -> Reply:
        """``path`` below ``/chat-gateway/v1``, with the emulator's Chat Gateway key unless given."""
        async with self.session.request(
            method,
            self.emulator.chat_gateway_url + path,
            json=json_body,
            data=data,
            headers={
                "x-api-key": api_key if api_key is not None else self.emulator.chat_gateway_api_key,
                **(headers or {}),
            },
        ) as resp:
            raw = await resp.read()
            body = json.loads(raw) if raw and resp.content_type.endswith("json") else None
            return Reply(resp.status, body, resp.content_type, raw)

    async def channel(self, receiver: Receiver, queue_id: str = "101") -> str:
        hook = await self.call(
            "POST", "/webhooks", {"name": "test", "uri": receiver.url, "version": "Chat Gateway v1.0"}
        )
        assert hook.status == 200, hook.body
        channel = await self.call(
            "POST",
            "/channels",
            {
                "name": "web",
                "webHookId": hook.body["id"],
                "routingOptions": {"type": "queue", "id": queue_id},
            },
        )
        assert channel.status == 200, channel.body
        return str(channel.body["id"])

    async def create_conversation(self, channel_id: str, name: str = "Jane Doe", **extra: Any) -> str:
        body = {"channelId": channel_id, "user": {"name": name}, **extra}
        reply = await self.call("POST", "/conversations", body)
        assert reply.status == 202, reply.body
        return str(reply.body["conversationId"])

    async def upload(
        self,
        conversation_id: str,
        filename: str,
        data: bytes,
        *,
        content_type: str,
        author_type: str = "user",
    ) -> Reply:
        form = aiohttp.FormData()
        form.add_field("attachment", data, filename=filename, content_type=content_type)
        form.add_field("authorType", author_type)
        return await self.call("POST", f"/conversations/{conversation_id}/attachments", data=form)


@pytest.fixture
def cgw(session: aiohttp.ClientSession, emulator: Emulator) -> GatewayApi:
    return GatewayApi(session, emulator)
