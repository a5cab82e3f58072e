"""8x8 Chat API v2 (``GATEWAY_CHAT_API__*``), when configured: its client and adapter before the relay, its
webhook receiver and orphan sweep after it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from gateway.contact_center.chat_api.adapter import ChatApiContactCenter
from gateway.contact_center.chat_api.reconciler import ChatApiOrphanCheck
from gateway.contact_center.chat_api.webhook import ChatApiWebhook
from gateway.contact_center.chat_api.wiring import keep_setting_up, open_chat_api
from gateway.contact_center.keys import chat_api_adapter_key, chat_api_key, chat_api_webhook_key
from gateway.keys import metrics_key, relay_key, settings_key
from gateway.wiring.contact_center import orphan_sweeps
from gateway.wiring.tasks import running


@asynccontextmanager
async def chat_api_context(app: web.Application) -> AsyncIterator[None]:
    """The API's session, client and adapter. Set-up runs in the background until it succeeds (unless every
    id is pinned it creates a web-hook, which 8x8 verifies by calling it: the gateway must be listening)."""
    settings = app[settings_key]
    if (cfg := settings.chat_api) is None:
        yield
        return
    api = open_chat_api(cfg, observe=app[metrics_key].chat_api_call)
    adapter = ChatApiContactCenter(api.client, default_queue=cfg.queue_id, uncertain=api.uncertain)
    app[chat_api_key] = api
    app[chat_api_adapter_key] = adapter
    async with running(keep_setting_up(api, cfg, adapter, public_base_url=settings.base_url)):
        yield
    await api.session.close()


@asynccontextmanager
async def chat_api_receiver_context(app: web.Application) -> AsyncIterator[None]:
    """The signed webhook's receiver (``POST /webhooks/8x8``) and the orphan sweep
    (``GATEWAY_CHAT_API__RECONCILE_INTERVAL_S``, 0: none)."""
    settings = app[settings_key]
    if (cfg := settings.chat_api) is None:
        yield
        return
    api, relay, metrics = app[chat_api_key], app[relay_key], app[metrics_key]
    app[chat_api_webhook_key] = ChatApiWebhook(
        relay,
        api.keys,
        tenant_id=cfg.tenant_id,
        max_body_bytes=settings.limits.max_body_bytes,
        max_clock_skew_s=cfg.max_clock_skew_s,
        observe=metrics.webhook,
        agent_name=cfg.agent_name,
        sighted=api.uncertain.sightings.saw,
    )
    sweeps = orphan_sweeps(
        app,
        ChatApiOrphanCheck(api.client),
        interval_s=cfg.reconcile_interval_s,
        window_s=cfg.reconcile_window_s,
    )
    async with running(*sweeps):
        yield
