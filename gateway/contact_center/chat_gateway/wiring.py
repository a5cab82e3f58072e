"""Builds the Chat Gateway adapter from settings: session, client, set-up, keys."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
import structlog

from gateway.contact_center.chat_api.signature import JwkCache
from gateway.contact_center.chat_gateway.adapter import ChatGatewayContactCenter, Routing
from gateway.contact_center.chat_gateway.client import ChatGatewayClient
from gateway.contact_center.chat_gateway.setup import SetupResult, ensure_setup
from gateway.relay.errors import ContactCenterError
from gateway.settings import ChatGatewaySettings

logger = structlog.get_logger(__name__)

WEBHOOK_PATH = "/webhooks/8x8/chat-gateway"


@dataclass
class ChatGateway:
    session: aiohttp.ClientSession
    client: ChatGatewayClient
    keys: JwkCache
    adapter: ChatGatewayContactCenter


def open_chat_gateway(
    cfg: ChatGatewaySettings, *, observe: Callable[[str, int | None, float], None] | None = None
) -> ChatGateway:
    session = aiohttp.ClientSession(
        base_url=str(cfg.base_url).rstrip("/") + "/",
        timeout=aiohttp.ClientTimeout(total=cfg.timeout_s, connect=min(3.0, cfg.timeout_s)),
        raise_for_status=False,
    )
    client = ChatGatewayClient(
        session,
        api_key=cfg.api_key.get_secret_value(),
        tenant=cfg.tenant,
        max_attempts=cfg.client_max_attempts,
        observe=observe,
    )
    adapter = ChatGatewayContactCenter(client)
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
    """Run set-up until it succeeds (8x8 down, or not yet able to reach our webhook: try again)."""
    delay = 0.2
    while True:
        try:
            result = await run_setup(cgw.client, cfg, public_base_url=public_base_url)
        except ContactCenterError as exc:
            logger.warning("chat_gateway_setup_failed", error=str(exc), retry_in_s=round(delay, 1))
            await asyncio.sleep(delay * random.uniform(0.75, 1.0))
            delay = min(60.0, delay * 2)
            continue
        cgw.adapter.set_routing(
            Routing(
                channel_id=result.channel_id, default_queue=cfg.queue_id, queues=frozenset(queues_of(cfg))
            )
        )
        logger.info("chat_gateway_ready", channel_id=result.channel_id, webhook_id=result.webhook_id)
        return
