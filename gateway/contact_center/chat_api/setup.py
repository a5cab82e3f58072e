"""Find or create the web-hook and one channel per queue, reusing them by name so restarts add nothing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from gateway.contact_center.chat_api.client import ChatApiClient

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SetupResult:
    webhook_id: str | None
    channels: dict[str, str]  # queue id -> channel id
    created: tuple[str, ...] = ()  # what this run created or updated, for the operator


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
    hook = await _ensure_webhook(client, name=webhook_name, uri=webhook_uri, changed=changed)
    existing = await client.list_channels()
    channels = dict(pinned)
    for queue_id in todo:
        name = channel_name(channel_base_name, queue_id)
        found: dict[str, Any] | None = next((c for c in existing if c.get("name") == name), None)
        if found is None:
            found = await client.create_channel(
                name=name, webhook_id=hook, queue_id=queue_id, idempotency_key=str(uuid.uuid4())
            )
            changed.append(f"created channel {found['id']} for queue {queue_id}")
        elif found.get("webHookId") != hook or (found.get("routingOptions") or {}).get("id") != queue_id:
            found = await client.update_channel(
                str(found["id"]), name=name, webhook_id=hook, queue_id=queue_id
            )
            changed.append(f"updated channel {found['id']} for queue {queue_id}")
        channels[queue_id] = str(found["id"])
    logger.info("chat_api_setup", webhook_id=hook, channels=channels, changed=changed)
    return SetupResult(webhook_id=hook, channels=channels, created=tuple(changed))


async def _ensure_webhook(client: ChatApiClient, *, name: str, uri: str, changed: list[str]) -> str:
    hooks = await client.list_webhooks()
    found = next((h for h in hooks if h.get("name") == name), None)
    if found is None:
        found = await client.create_webhook(name=name, uri=uri, idempotency_key=str(uuid.uuid4()))
        changed.append(f"created web-hook {found['id']}")
    elif found.get("uri") != uri:
        found = await client.update_webhook(str(found["id"]), name=name, uri=uri)
        changed.append(f"updated web-hook {found['id']} to {uri}")
    return str(found["id"])
