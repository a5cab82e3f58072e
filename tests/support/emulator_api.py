"""Deliberately naive HTTP clients for the 8x8 emulator: ``Api`` (Chat API v2: tokens, tenant API, control
API) and ``GatewayApi`` (Chat Gateway: ``x-api-key``, HAL bodies). Emulator tests must not borrow the
gateway's own 8x8 clients, or a shared mistake would pass unnoticed."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp

from gateway.emulator.handle import Emulator
from tests.support.webhook_receiver import Receiver


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
