"""Chat API v2 set-up: its webhook (version ``v2.0``) and one channel per queue (a v2 channel routes to one
queue), found or created by name with ``core.setup``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import structlog

from gateway.contact_center.chat_api.client import VERSION, ChatApiClient
from gateway.contact_center.core.setup import ensure_channel, ensure_webhook

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SetupResult:
    webhook_id: str | None
    channels: dict[str, str]  # queue id -> channel id
    changed: tuple[str, ...] = ()  # what this run created or updated, for the operator


def channel_name(base: str, queue_id: str) -> str:
    return f"{base} queue {queue_id}"


async def ensure_setup(
    client: ChatApiClient,
    *,
    webhook_uri: str,
    webhook_name: str,
    channel_base_name: str,
    queues: Sequence[str],
    pinned: Mapping[str, str],
) -> SetupResult:
    """Channels for every queue not pinned to a configured channel id; nothing at all if all are pinned."""
    todo = [q for q in dict.fromkeys(queues) if q not in pinned]
    if not todo:
        return SetupResult(webhook_id=None, channels=dict(pinned))
    changed: list[str] = []
    hook = await ensure_webhook(client, name=webhook_name, uri=webhook_uri, version=VERSION, changed=changed)
    existing = await client.list_channels()
    channels = dict(pinned)
    for queue_id in todo:
        name = channel_name(channel_base_name, queue_id)
        channels[queue_id] = await ensure_channel(
            client, existing, name=name, webhook_id=hook, queue_id=queue_id, changed=changed
        )
    logger.info("cc_setup", api="chat_api", webhook_id=hook, channels=channels, changed=changed)
    return SetupResult(webhook_id=hook, channels=channels, changed=tuple(changed))
