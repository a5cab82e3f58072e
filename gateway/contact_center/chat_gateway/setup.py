"""Find or create the Chat Gateway webhook and the one channel, reusing them by name so restarts add nothing.

A Chat API v2 channel routes to one queue, so that adapter keeps a channel per queue. Chat Gateway takes an
``assignment`` on the create call that overrides the channel's queue (spec §3.1), so one channel routed
to the default queue serves every configured queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from gateway.contact_center.chat_gateway.client import ChatGatewayClient

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
    hook = await _ensure_webhook(client, name=webhook_name, uri=webhook_uri, changed=changed)
    channels = await client.list_channels()
    found: dict[str, Any] | None = next((c for c in channels if c.get("name") == channel_name), None)
    if found is None:
        found = await client.create_channel(name=channel_name, webhook_id=hook, queue_id=queue_id)
        changed.append(f"created channel {found['id']} for queue {queue_id}")
    elif str(found.get("webHookId")) != hook or (found.get("routingOptions") or {}).get("id") != queue_id:
        found = await client.update_channel(
            str(found["id"]), name=channel_name, webhook_id=hook, queue_id=queue_id
        )
        changed.append(f"updated channel {found['id']} for queue {queue_id}")
    channel_id = str(found["id"])
    logger.info("chat_gateway_setup", webhook_id=hook, channel_id=channel_id, changed=changed)
    return SetupResult(webhook_id=hook, channel_id=channel_id, changed=tuple(changed))


async def _ensure_webhook(client: ChatGatewayClient, *, name: str, uri: str, changed: list[str]) -> str:
    hooks = await client.list_webhooks()
    found = next((h for h in hooks if h.get("name") == name), None)
    if found is None:
        found = await client.create_webhook(name=name, uri=uri)
        changed.append(f"created webhook {found['id']}")
    elif found.get("uri") != uri:
        found = await client.update_webhook(str(found["id"]), name=name, uri=uri)
        changed.append(f"updated webhook {found['id']} to {uri}")
    return str(found["id"])
