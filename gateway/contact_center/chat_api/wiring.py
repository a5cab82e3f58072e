"""Builds the Chat API adapter from settings: session, token, client, set-up, webhook receiver."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from config.settings import ChatApiSettings
from gateway.contact_center.chat_api.adapter import ChatApiContactCenter
from gateway.contact_center.chat_api.client import ChatApiClient
from gateway.contact_center.chat_api.setup import SetupResult, ensure_setup
from gateway.contact_center.chat_api.signature import JwkCache
from gateway.contact_center.chat_api.token import TokenProvider


@dataclass
class ChatApi:
    session: aiohttp.ClientSession
    client: ChatApiClient
    keys: JwkCache


def open_chat_api(cfg: ChatApiSettings) -> ChatApi:
    session = aiohttp.ClientSession(
        base_url=str(cfg.base_url).rstrip("/") + "/",
        timeout=aiohttp.ClientTimeout(total=cfg.timeout_s, connect=min(3.0, cfg.timeout_s)),
        raise_for_status=False,
    )
    tokens = TokenProvider(
        session, api_key=cfg.api_key.get_secret_value(), api_secret=cfg.api_secret.get_secret_value()
    )
    client = ChatApiClient(
        session, tokens, region=cfg.region, tenant_id=cfg.tenant_id, max_attempts=cfg.client_max_attempts
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


def contact_center_for(api: ChatApi, cfg: ChatApiSettings, setup: SetupResult) -> ChatApiContactCenter:
    return ChatApiContactCenter(api.client, default_queue=cfg.queue_id, channels=setup.channels)
