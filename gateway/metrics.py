"""Prometheus metrics, on a registry of the application's own (no process-global state).

``/metrics`` needs ``Authorization: Bearer <GATEWAY_METRICS__TOKEN>``; or set ``GATEWAY_METRICS__PORT``
to serve it without a token on a separate listener that only operators can reach.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics import MetricWrapperBase

from gateway.channels.web.problems import problem
from gateway.relay.ports import Store

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.sessions = Gauge("gateway_conversations", "Conversations by state", ["state"], registry=r)
        self.messages = Counter(
            "gateway_messages_relayed", "Messages relayed, by direction", ["direction"], registry=r
        )
        self.relay_latency = Histogram(
            "gateway_relay_seconds",
            "From stored to delivered: customer line -> 8x8 accepted, webhook received -> customer frame",
            ["direction"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.bot_answers = Counter("gateway_bot_answers", "Bot turns by result", ["result"], registry=r)
        self.bot_latency = Histogram(
            "gateway_bot_seconds", "Time the bot took to answer", buckets=LATENCY_BUCKETS, registry=r
        )
        self.escalations = Counter(
            "gateway_escalations",
            "Escalations by outcome (and failure reason)",
            ["outcome", "reason"],
            registry=r,
        )
        self.webhooks = Counter(
            "gateway_webhook_events",
            "8x8 webhook requests by event type and result",
            ["event_type", "result"],
            registry=r,
        )
        self.outbox_depth = Gauge("gateway_outbox_depth", "Contact-center work not yet delivered", registry=r)
        self.outbox_oldest = Gauge(
            "gateway_outbox_oldest_age_seconds",
            "Age of the oldest undelivered item (0 when empty)",
            registry=r,
        )
        self.bot_resumes = Counter(
            "gateway_bot_resumes",
            "Resumes of the Rasa conversation after an escalation: ok, failed, retried_ok",
            ["result"],
            registry=r,
        )
        self.bot_resumes_pending = Gauge(
            "gateway_bot_resumes_pending",
            "Conversations still paused in Rasa, their resume being retried",
            registry=r,
        )
        self.chat_api = Histogram(
            "gateway_chat_api_call_seconds",
            "Chat API calls by operation and HTTP status (error for no answer)",
            ["operation", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        # Labelled children by label values: ``labels()`` costs more than the count it leads to, and a
        # round trip counts four times. Bounded (webhook event types are 8x8's strings).
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    def _child(self, family: MetricWrapperBase, *values: str) -> Any:
        key = (id(family), values)
        child = self._children.get(key)
        if child is None:
            if len(self._children) > 1000:
                self._children.clear()
            child = self._children[key] = family.labels(*values)
        return child

    # --- Telemetry (the relay's port) ----------------------------------------------------------------

    def message_relayed(self, direction: str, seconds: float | None = None) -> None:
        self._child(self.messages, direction).inc()
        if seconds is not None:
            self._child(self.relay_latency, direction).observe(max(0.0, seconds))

    def bot_answered(self, result: str, seconds: float) -> None:
        self.bot_answers.labels(result).inc()
        self.bot_latency.observe(seconds)

    def escalation(self, outcome: str, reason: str = "") -> None:
        # Reasons are our own short texts; cut them so a chatty error cannot blow up label cardinality.
        self.escalations.labels(outcome, reason.split(":")[0][:40]).inc()

    # --- adapters ----------------------------------------------------------------------------------

    def webhook(self, event_type: str, result: str) -> None:
        self._child(self.webhooks, event_type[:40], result).inc()

    def bot_resume(self, result: str, pending: int) -> None:
        self.bot_resumes.labels(result).inc()
        self.bot_resumes_pending.set(pending)

    def chat_api_call(self, operation: str, status: int | None, seconds: float) -> None:
        self._child(self.chat_api, operation, str(status) if status is not None else "error").observe(seconds)

    async def refresh(self, store: Store) -> None:
        stats = await store.stats()
        for state in ("bot", "escalating", "queued", "agent", "closed"):
            self.sessions.labels(state).set(stats.conversations_by_state.get(state, 0))
        self.outbox_depth.set(stats.outbox_depth)
        oldest = stats.outbox_oldest_created_at
        self.outbox_oldest.set(time.time() - oldest if oldest else 0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def metrics_handler(metrics: Metrics, store: Callable[[], Store], *, token: str | None) -> Handler:
    """``token`` None: no check (only for the separate operators' port)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if token is not None:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return problem("unauthorized", "metrics need Authorization: Bearer <GATEWAY_METRICS__TOKEN>")
        await metrics.refresh(store())
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handle
