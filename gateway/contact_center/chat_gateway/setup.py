"""Chat Gateway set-up: its webhook (version ``Chat Gateway v1.0``) and the one channel, found or created by
name with ``core.setup``.

A Chat API v2 channel routes to one queue, so that API keeps a channel per queue. Chat Gateway takes an
``assignment`` on the create call that overrides the channel's queue (spec §3.1), so one channel routed
to the default queue serves every configured queue.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from gateway.contact_center.chat_gateway.client import VERSION, ChatGatewayClient
from gateway.contact_center.core.setup import ensure_channel, ensure_webhook

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SetupResult:
    webhook_id: str | None
    channel_id: str
    changed: tuple[str, ...] = ()  # what this run created or updated, for the operator


async def ensure_setup(
    client: ChatGatewayClient,
    *,
    webhook_uri: str,
    webhook_name: str,
    channel_name: str,
    queue_id: str,
    pinned_channel: str | None,
) -> SetupResult:
    """The channel to create conversations on; nothing is looked up when its id is pinned."""
    if pinned_channel:
        return SetupResult(webhook_id=None, channel_id=pinned_channel)
    changed: list[str] = []
    hook = await ensure_webhook(client, name=webhook_name, uri=webhook_uri, version=VERSION, changed=changed)
    channel_id = await ensure_channel(
        client,
        await client.list_channels(),
        name=channel_name,
        webhook_id=hook,
        queue_id=queue_id,
        changed=changed,
    )
    logger.info("cc_setup", api="chat_gateway", webhook_id=hook, channel_id=channel_id, changed=changed)
    return SetupResult(webhook_id=hook, channel_id=channel_id, changed=tuple(changed))
