"""8x8 Chat Gateway (``GATEWAY_CHAT_GATEWAY__*``), when configured: its client and adapter before the relay,
its webhook receiver and orphan sweep after it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from gateway.contact_center.chat_gateway.reconciler import ChatGatewayOrphanCheck
from gateway.contact_center.chat_gateway.webhook import AgentNames, ChatGatewayWebhook
from gateway.contact_center.chat_gateway.wiring import keep_setting_up, open_chat_gateway
from gateway.contact_center.keys import chat_gateway_key, chat_gateway_webhook_key
from gateway.keys import metrics_key, relay_key, settings_key
from gateway.wiring.contact_center import orphan_sweeps
from gateway.wiring.tasks import running


@asynccontextmanager
async def chat_gateway_context(app: web.Application) -> AsyncIterator[None]:
    """The API's session, client and adapter. Set-up runs in the background until it succeeds (it may create
    a web-hook, which 8x8 verifies by calling it: the gateway must be listening)."""
    settings = app[settings_key]
    if (cfg := settings.chat_gateway) is None:
        yield
        return
    metrics = app[metrics_key]
    cgw = open_chat_gateway(cfg, observe=lambda op, status, s: metrics.chat_api_call(f"cgw_{op}", status, s))
    app[chat_gateway_key] = cgw
    async with running(keep_setting_up(cgw, cfg, public_base_url=settings.base_url)):
        yield
    await cgw.adapter.close()
    await cgw.session.close()


@asynccontextmanager
async def chat_gateway_receiver_context(app: web.Application) -> AsyncIterator[None]:
    """The signed webhook's receiver (``POST /webhooks/8x8/chat-gateway``) and the orphan sweep
    (``GATEWAY_CHAT_GATEWAY__RECONCILE_INTERVAL_S``, 0: none)."""
    settings = app[settings_key]
    if (cfg := settings.chat_gateway) is None:
        yield
        return
    cgw, relay, metrics = app[chat_gateway_key], app[relay_key], app[metrics_key]
    app[chat_gateway_webhook_key] = ChatGatewayWebhook(
        relay,
        cgw.keys,
        tenant=cfg.tenant,
        names=AgentNames(cfg.agent_names, fallback=cfg.agent_display_name),
        max_body_bytes=settings.limits.max_body_bytes,
        max_clock_skew_s=cfg.max_clock_skew_s,
        observe=lambda event_type, result: metrics.webhook(f"cgw_{event_type}", result),
        ours=cgw.adapter.posted,
        sighted=cgw.adapter.uncertain.sightings.saw,
        quick_replies=cgw.adapter.quick_replies,
        agent_joined=cgw.adapter.agent_joined,
        bot_continues=(
            (cfg.handback_max_total_minutes * 60.0, cfg.handback_user_timeout_minutes * 60.0)
            if cfg.handback == "post_agent_assignment"
            else None
        ),
    )
    sweeps = orphan_sweeps(
        app,
        ChatGatewayOrphanCheck(cgw.client),
        interval_s=cfg.reconcile_interval_s,
        window_s=cfg.reconcile_window_s,
    )
    async with running(*sweeps):
        yield
