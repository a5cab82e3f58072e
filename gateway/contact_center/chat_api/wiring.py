"""Builds the Chat API adapter from settings: session, token, client, set-up, keys."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
import structlog

from gateway.contact_center.chat_api.adapter import ChatApiContactCenter
from gateway.contact_center.chat_api.client import ChatApiClient
from gateway.contact_center.chat_api.setup import SetupResult, ensure_setup
from gateway.contact_center.chat_api.token import TokenProvider
from gateway.contact_center.core.http import Observe, open_session
from gateway.contact_center.core.setup import keep_trying
from gateway.contact_center.core.signature import JwkCache
from gateway.contact_center.core.uncertain import Uncertain
from gateway.settings import ChatApiSettings

logger = structlog.get_logger(__name__)


@dataclass
class ChatApi:
    session: aiohttp.ClientSession
    client: ChatApiClient
    keys: JwkCache
    uncertain: Uncertain
    """Shared by the adapter and the webhook receiver (which reports the conversations it sees)."""


def open_chat_api(cfg: ChatApiSettings, *, observe: Observe | None = None) -> ChatApi:
    session = open_session(str(cfg.base_url), cfg.timeout_s)
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
    return ChatApi(session=session, client=client, keys=JwkCache(client.public_jwk), uncertain=Uncertain())


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
    """Run set-up until it succeeds, then hand the adapter its channels."""

    async def attempt() -> None:
        result = await run_setup(api, cfg, public_base_url=public_base_url)
        adapter.set_channels(result.channels)
        logger.info("cc_ready", api="chat_api", channels=result.channels, webhook_id=result.webhook_id)

    await keep_trying(attempt, api="chat_api", sleep=asyncio.sleep)
