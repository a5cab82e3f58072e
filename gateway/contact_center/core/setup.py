"""Find or create by name, so restarts add nothing: the webhook, then each API's channels.

8x8 keeps one webhook list that both APIs see, each webhook with its notification version (``v2.0`` for
Chat API v2, ``Chat Gateway v1.0`` for Chat Gateway). Set-up only ever takes a webhook of its own API's
version: it never rewrites one of the other API's (its conversations would stop getting events) and never
reuses one of an older version (its events have another shape). A name taken by such a webhook gets a new
webhook of our version beside it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Generic, Protocol, TypeVar
from urllib.parse import quote

import structlog

from gateway.contact_center.core.errors import Unavailable
from gateway.contact_center.core.http import HttpCore
from gateway.relay.errors import ContactCenterError

logger = structlog.get_logger(__name__)

T = TypeVar("T")


class SetupCalls(Protocol):
    async def list_webhooks(self) -> list[dict[str, Any]]: ...

    async def create_webhook(self, *, name: str, uri: str) -> dict[str, Any]: ...

    async def update_webhook(self, webhook_id: str, *, name: str, uri: str) -> dict[str, Any]: ...

    async def list_channels(self) -> list[dict[str, Any]]: ...

    async def create_channel(self, *, name: str, webhook_id: str, queue_id: str) -> dict[str, Any]: ...

    async def update_channel(
        self, channel_id: str, *, name: str, webhook_id: str, queue_id: str
    ) -> dict[str, Any]: ...


class SetupRequests:
    """The set-up writes both APIs make alike; each names its webhook path, version and channel body."""

    http: HttpCore
    WEBHOOKS: ClassVar[str]
    VERSION: ClassVar[str]

    def channel_body(self, name: str, webhook_id: str, queue_id: str) -> dict[str, Any]:
        return {"name": name, "webHookId": webhook_id, "routingOptions": {"type": "queue", "id": queue_id}}

    def post_key(self) -> str | None:
        """An ``Idempotency-Key`` for a POST, where the API declares one."""
        return None

    async def _write(self, method: str, path: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        key = self.post_key() if method == "POST" else None
        answer: dict[str, Any] = await self.http.request(
            method, path, operation=operation, json_body=body, idempotency_key=key
        )
        return answer

    async def create_webhook(self, *, name: str, uri: str) -> dict[str, Any]:
        body = {"name": name, "uri": uri, "version": self.VERSION}
        return await self._write("POST", self.WEBHOOKS, "create_webhook", body)

    async def update_webhook(self, webhook_id: str, *, name: str, uri: str) -> dict[str, Any]:
        body = {"name": name, "uri": uri, "version": self.VERSION}
        return await self._write(
            "PUT", f"{self.WEBHOOKS}/{quote(webhook_id, safe='')}", "update_webhook", body
        )

    async def create_channel(self, *, name: str, webhook_id: str, queue_id: str) -> dict[str, Any]:
        return await self._write(
            "POST", "channels", "create_channel", self.channel_body(name, webhook_id, queue_id)
        )

    async def update_channel(
        self, channel_id: str, *, name: str, webhook_id: str, queue_id: str
    ) -> dict[str, Any]:
        body = self.channel_body(name, webhook_id, queue_id)
        return await self._write("PUT", f"channels/{quote(channel_id, safe='')}", "update_channel", body)


def _version(hook: dict[str, Any]) -> Any:
    return hook.get("version", hook.get("notificationVersion"))


async def ensure_webhook(client: SetupCalls, *, name: str, uri: str, version: str, changed: list[str]) -> str:
    hooks = await client.list_webhooks()
    found = next((h for h in hooks if h.get("name") == name and _version(h) == version), None)
    if found is None:
        others = [str(h.get("id")) for h in hooks if h.get("name") == name]
        if others:
            logger.warning("webhook_name_taken", name=name, by=others, version=version)
        found = await client.create_webhook(name=name, uri=uri)
        changed.append(f"created webhook {found['id']}")
    elif found.get("uri") != uri:
        found = await client.update_webhook(str(found["id"]), name=name, uri=uri)
        changed.append(f"updated webhook {found['id']} to {uri}")
    return str(found["id"])


async def ensure_channel(
    client: SetupCalls,
    existing: list[dict[str, Any]],
    *,
    name: str,
    webhook_id: str,
    queue_id: str,
    changed: list[str],
) -> str:
    found = next((c for c in existing if c.get("name") == name), None)
    if found is None:
        found = await client.create_channel(name=name, webhook_id=webhook_id, queue_id=queue_id)
        changed.append(f"created channel {found['id']} for queue {queue_id}")
    elif (
        str(found.get("webHookId")) != webhook_id or (found.get("routingOptions") or {}).get("id") != queue_id
    ):
        found = await client.update_channel(
            str(found["id"]), name=name, webhook_id=webhook_id, queue_id=queue_id
        )
        changed.append(f"updated channel {found['id']} for queue {queue_id}")
    return str(found["id"])


async def keep_trying(
    attempt: Callable[[], Awaitable[None]], *, api: str, sleep: Callable[[float], Awaitable[None]]
) -> None:
    """Run set-up until it succeeds (8x8 down, or not yet able to reach our webhook: try again)."""
    delay = 0.2
    while True:
        try:
            await attempt()
            return
        except ContactCenterError as exc:
            logger.warning("cc_setup_failed", api=api, error=str(exc), retry_in_s=round(delay, 1))
            await sleep(delay * random.uniform(0.75, 1.0))
            delay = min(60.0, delay * 2)


class SetupResultGate(Generic[T]):
    """What set-up found, for the adapter: set-up runs in the background once the gateway listens (8x8
    verifies a new webhook by calling it); until it is done a call waits a little, then counts as
    "unavailable", so the outbox retries it."""

    def __init__(self, api: str, *, wait_s: float = 10.0) -> None:
        self._api = api
        self._wait_s = wait_s
        self._value: T | None = None
        self._ready = asyncio.Event()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def set(self, value: T) -> None:
        self._value = value
        self._ready.set()

    async def get(self) -> T:
        if not self._ready.is_set():
            try:
                await asyncio.wait_for(self._ready.wait(), self._wait_s)
            except TimeoutError:
                raise Unavailable(f"the {self._api} set-up has not finished yet") from None
        assert self._value is not None
        return self._value
