"""Builds the Chat Gateway adapter from settings: session, client, set-up, keys."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
import structlog

from gateway.contact_center.chat_gateway.adapter import ChatGatewayContactCenter, PostAgent, Routing
from gateway.contact_center.chat_gateway.client import ChatGatewayClient
from gateway.contact_center.chat_gateway.setup import SetupResult, ensure_setup
from gateway.contact_center.core.http import Observe, open_session
from gateway.contact_center.core.setup import keep_trying
from gateway.contact_center.core.signature import JwkCache
from gateway.settings import ChatGatewaySettings

logger = structlog.get_logger(__name__)

WEBHOOK_PATH = "/webhooks/8x8/chat-gateway"


@dataclass
class ChatGateway:
    session: aiohttp.ClientSession
    client: ChatGatewayClient
    keys: JwkCache
    adapter: ChatGatewayContactCenter


def open_chat_gateway(cfg: ChatGatewaySettings, *, observe: Observe | None = None) -> ChatGateway:
    session = open_session(str(cfg.base_url), cfg.timeout_s)
    client = ChatGatewayClient(
        session,
        api_key=cfg.api_key.get_secret_value(),
        tenant=cfg.tenant,
        max_attempts=cfg.client_max_attempts,
        observe=observe,
    )
    post_agent = (
        PostAgent(cfg.handback_max_total_minutes, cfg.handback_user_timeout_minutes)
        if cfg.handback == "post_agent_assignment"
        else None
    )
    adapter = ChatGatewayContactCenter(client, post_agent=post_agent)
    return ChatGateway(session=session, client=client, keys=JwkCache(client.public_jwk), adapter=adapter)


def queues_of(cfg: ChatGatewaySettings) -> list[str]:
    return list(dict.fromkeys([cfg.queue_id, *cfg.queues]))


async def run_setup(
    client: ChatGatewayClient, cfg: ChatGatewaySettings, *, public_base_url: str
) -> SetupResult:
    return await ensure_setup(
        client,
        webhook_uri=public_base_url.rstrip("/") + WEBHOOK_PATH,
        webhook_name=cfg.webhook_name,
        channel_name=cfg.channel_name,
        queue_id=cfg.queue_id,
        pinned_channel=cfg.channel_id,
    )


async def keep_setting_up(cgw: ChatGateway, cfg: ChatGatewaySettings, *, public_base_url: str) -> None:
    """Run set-up until it succeeds, then hand the adapter its channel and queues."""

    async def attempt() -> None:
        result = await run_setup(cgw.client, cfg, public_base_url=public_base_url)
        queues = frozenset(queues_of(cfg))
        webhook_id = result.webhook_id
        if webhook_id is None and cgw.adapter.post_agent is not None:  # a pinned channel: find our webhook
            hooks = await cgw.client.list_webhooks()
            webhook_id = next((str(h["id"]) for h in hooks if h.get("name") == cfg.webhook_name), None)
        routing = Routing(result.channel_id, default_queue=cfg.queue_id, queues=queues, webhook_id=webhook_id)
        cgw.adapter.set_routing(routing)
        logger.info(
            "cc_ready", api="chat_gateway", channel_id=result.channel_id, webhook_id=result.webhook_id
        )

    await keep_trying(attempt, api="chat_gateway", sleep=asyncio.sleep)
