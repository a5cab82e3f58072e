"""Builds the Chat API adapter from settings: session, token, client, set-up, webhook receiver."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
import structlog

from gateway.contact_center.chat_api.adapter import ChatApiContactCenter
from gateway.contact_center.chat_api.client import ChatApiClient
from gateway.contact_center.chat_api.setup import SetupResult, ensure_setup
from gateway.contact_center.chat_api.signature import JwkCache
from gateway.contact_center.chat_api.token import TokenProvider
from gateway.relay.errors import ContactCenterError
from gateway.settings import ChatApiSettings

logger = structlog.get_logger(__name__)


@dataclass
class ChatApi:
    session: aiohttp.ClientSession
    client: ChatApiClient
    keys: JwkCache


def open_chat_api(
    cfg: ChatApiSettings, *, observe: Callable[[str, int | None, float], None] | None = None
) -> ChatApi:
    session = aiohttp.ClientSession(
        base_url=str(cfg.base_url).rstrip("/") + "/",
        timeout=aiohttp.ClientTimeout(total=cfg.timeout_s, connect=min(3.0, cfg.timeout_s)),
        raise_for_status=False,
    )
    tokens = TokenProvider(
        session, api_key=cfg.api_key.get_secret_value(), api_secret=cfg.api_secret.get_secret_value()
    )
    client = ChatApiClient(
        session,
        tokens,
        region=cfg.region,
        tenant_id=cfg.tenant_id,
        max_attempts=cfg.client_max_attempts,
        observe=observe,
    )
    return ChatApi(session=session, client=client, keys=JwkCache(client.public_jwk))


def queues_of(cfg: ChatApiSettings) -> list[str]:
    return list(dict.fromkeys([cfg.queue_id, *cfg.queues]))


async def run_setup(api: ChatApi, cfg: ChatApiSettings, *, public_base_url: str) -> SetupResult:
    pinned = {cfg.queue_id: cfg.channel_id} if cfg.channel_id else {}
    return await ensure_setup(
        api.client,
        webhook_uri=public_base_url.rstrip("/") + "/webhooks/8x8",
        webhook_name=cfg.webhook_name,
        channel_base_name=cfg.channel_name,
        queues=queues_of(cfg),
        pinned=pinned,
    )


async def keep_setting_up(
    api: ChatApi, cfg: ChatApiSettings, adapter: ChatApiContactCenter, *, public_base_url: str
) -> None:
    """Run set-up until it succeeds (8x8 down, or not yet able to reach our web-hook: try again)."""
    delay = 0.2
    while True:
        try:
            result = await run_setup(api, cfg, public_base_url=public_base_url)
        except ContactCenterError as exc:
            logger.warning("chat_api_setup_failed", error=str(exc), retry_in_s=round(delay, 1))
            await asyncio.sleep(delay * random.uniform(0.75, 1.0))
            delay = min(60.0, delay * 2)
            continue
        adapter.set_channels(result.channels)
        logger.info("chat_api_ready", channels=result.channels, webhook_id=result.webhook_id)
        return
