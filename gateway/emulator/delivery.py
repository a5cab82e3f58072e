"""Webhook delivery (spec §5): signed POSTs, strict order per conversation, retries on a scaled schedule.

Each conversation has its own FIFO and at most one worker task: event n+1 is not sent until event n got a
2xx or was given up (head of line); conversations are delivered in parallel. The body bytes are serialised
once per event and reused on every attempt; ``x-8x8-transmission-time``, ``x-8x8-retry`` and the signature are
made fresh per attempt.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .config import EmulatorConfig
from .errors import dumps
from .faults import Faults
from .signing import Signer, random_id, signature_payload
from .state import Store, now_ms

VERIFY_BODY = dumps({"notificationVersion": "v2.0", "eventType": "WEB_HOOK_VERIFY"})


@dataclass
class Event:
    """One webhook event and its fate: ``pending`` → ``delivered`` | ``given_up``."""

    id: str
    conversation_id: str | None
    type: str
    body: bytes
    status: str = "pending"
    attempts: int = 0

    @property
    def payload(self) -> dict[str, Any]:
        import json

        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class DeliveryAttempt:
    """One HTTP attempt: what was sent and what came back (``status`` None = no HTTP answer)."""

    event_id: str
    conversation_id: str | None
    event_type: str
    retry: int
    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None
    error: str | None
    latency_ms: float
    sent_at_ms: int = field(default_factory=now_ms)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Deliverer:
    """Owns the per-conversation queues, the delivery log and the HTTP session to receivers."""

    def __init__(self, config: EmulatorConfig, signer: Signer, store: Store, faults: Faults) -> None:
        self._config = config
        self._signer = signer
        self._store = store
        self._faults = faults
        self._queues: dict[str, deque[Event]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._held: list[Event] = []
        self._held_task: asyncio.Task[None] | None = None
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._session: aiohttp.ClientSession | None = None
        self.events: list[Event] = []
        self.log: list[DeliveryAttempt] = []

    # -- lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)

    async def stop(self) -> None:
        tasks = [*self._workers.values(), *([self._held_task] if self._held_task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    # -- public ----------------------------------------------------------------------------------------
    def emit(self, conversation_id: str, body: dict[str, Any]) -> Event:
        """Queue one conversation event for delivery (body keys already in the spec's order)."""
        event = Event(random_id(), conversation_id, str(body["eventType"]), dumps(body))
        self.events.append(event)
        self._store.changed()
        window = self._faults.delivery.reorder_window
        if window > 0:
            self._hold(event, window)
        else:
            self._enqueue(event)
        return event

    async def wait_delivered(self, event: Event) -> None:
        while event.status == "pending":
            await self._store.notifier.wait()

    def pause(self) -> None:
        self._faults.delivery.paused = True
        self._resumed.clear()

    def use_signer(self, signer: Signer) -> None:
        """Sign from now on with ``signer`` (key rotation)."""
        self._signer = signer

    def resume(self) -> None:
        self._faults.delivery.paused = False
        self._resumed.set()

    async def verify(self, uri: str, body: bytes = VERIFY_BODY) -> str | None:
        """Send one WEB_HOOK_VERIFY (no retries); ``None`` if answered 2xx, else what went wrong."""
        event = Event(random_id(), None, "WEB_HOOK_VERIFY", body)
        self.events.append(event)
        # Strict: unsigned (8x8 documents only "answer 2xx"; the event carries no data).
        attempt = await self._attempt(
            event, uri, 0, self._config.verify_timeout, signed=not self._config.strict
        )
        event.status = "delivered" if attempt.ok else "given_up"
        self._store.changed()
        return None if attempt.ok else str(attempt.status if attempt.status is not None else attempt.error)

    # -- internals -------------------------------------------------------------------------------------
    def _enqueue(self, event: Event) -> None:
        cid = event.conversation_id or ""
        self._queues.setdefault(cid, deque()).append(event)
        if cid not in self._workers:
            self._workers[cid] = asyncio.create_task(self._run(cid), name=f"deliver-{cid}")

    def _hold(self, event: Event, window: int) -> None:
        """Reorder fault: collect ``window`` events, then release them newest first."""
        self._held.append(event)
        if len(self._held) >= window:
            self._release_held()
        elif self._held_task is None:
            self._held_task = asyncio.create_task(self._release_later())

    async def _release_later(self) -> None:
        await asyncio.sleep(self._faults.delivery.reorder_max_wait)
        self._held_task = None
        self._release_held()

    def _release_held(self) -> None:
        held, self._held = self._held, []
        self._faults.delivery.reorder_window = 0
        if self._held_task is not None and self._held_task is not asyncio.current_task():
            self._held_task.cancel()
            self._held_task = None
        for event in reversed(held):
            self._enqueue(event)

    async def _run(self, cid: str) -> None:
        queue = self._queues[cid]
        try:
            while queue:
                event = queue[0]
                await self._deliver(event)
                queue.popleft()
        finally:
            del self._workers[cid]
            if not queue:
                self._queues.pop(cid, None)

    def _uri_for(self, event: Event) -> str | None:
        conv = self._store.conversations.get(event.conversation_id or "")
        if conv is None:
            return None
        channel = self._store.channels.get(conv.channel_id)
        webhook = self._store.webhooks.get(channel.webhook_id if channel else conv.webhook_id)
        return webhook.uri if webhook else None

    async def _deliver(self, event: Event) -> None:
        delays = [d * self._config.retry_scale for d in self._config.retry_delays]
        duplicate = self._faults.delivery.duplicate_next > 0
        if duplicate:
            self._faults.delivery.duplicate_next -= 1
        for retry in range(len(delays) + 1):
            await self._resumed.wait()
            uri = self._uri_for(event)
            attempt = (
                await self._attempt(event, uri, retry, self._config.delivery_timeout)
                if uri is not None
                else self._record(event, "", retry, {}, None, "no webhook bound to the conversation", 0.0)
            )
            if attempt.ok:
                event.status = "delivered"
                self._store.changed()
                if duplicate and uri is not None:
                    await self._attempt(event, uri, 0, self._config.delivery_timeout)
                return
            if retry < len(delays):
                await asyncio.sleep(delays[retry])
        event.status = "given_up"
        self._store.changed()

    def _headers(self, event: Event, retry: int) -> dict[str, str]:
        tt = now_ms()
        cfg = self._config
        payload = signature_payload(
            event.body, cid=cfg.customer_id, eid=event.id, retry=retry, tid=cfg.tenant_id, tt=tt
        )
        signature = self._signer.sign(payload)
        if self._faults.delivery.bad_signature_next > 0:
            self._faults.delivery.bad_signature_next -= 1
            head, _, sig = signature.rpartition(".")
            signature = f"{head}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"
        return {
            "content-type": "application/json",
            "x-8x8-tenant-id": cfg.tenant_id,
            "x-8x8-customer-id": cfg.customer_id,
            "x-8x8-event-id": event.id,
            "x-8x8-transmission-time": str(tt),
            "x-8x8-retry": str(retry),
            "x-8x8-signature": signature,
        }

    async def _attempt(
        self, event: Event, uri: str, retry: int, timeout: float, *, signed: bool = True
    ) -> DeliveryAttempt:
        assert self._session is not None, "Deliverer.start() was not awaited"
        headers = self._headers(event, retry) if signed else {"content-type": "application/json"}
        event.attempts += 1
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            async with self._session.post(
                uri,
                data=event.body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as resp:
                await resp.read()
                status = resp.status
        except TimeoutError:
            error = "timeout"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        latency = (time.perf_counter() - started) * 1000
        return self._record(event, uri, retry, headers, status, error, latency)

    def _record(
        self,
        event: Event,
        uri: str,
        retry: int,
        headers: dict[str, str],
        status: int | None,
        error: str | None,
        latency: float,
    ) -> DeliveryAttempt:
        attempt = DeliveryAttempt(
            event.id,
            event.conversation_id,
            event.type,
            retry,
            uri,
            headers,
            event.body,
            status,
            error,
            latency,
        )
        self.log.append(attempt)
        self._store.changed()
        return attempt


EventSink = Callable[[str, dict[str, Any]], Event]
