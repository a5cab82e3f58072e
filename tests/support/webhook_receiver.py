"""A webhook endpoint for emulator tests: records every delivery (raw body, headers, arrival time) and fails
on request. Serve ``Receiver.handle`` on a real port (the ``receiver`` fixture does)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

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
