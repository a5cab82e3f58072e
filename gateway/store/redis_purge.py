"""Deleting conversations from the Redis store: retention and erasure on request (``chat-gateway purge``).

What a conversation owns (see the key table in ``redis.py``): its hash, its contact-center mapping, its
place in the ``state:`` index, transcript, client_id index, undelivered work, the files its transcript
links (``attachment:<key>``, base64 in memory), unapplied contact-center events, the session keys
(hashes of its tokens) and recorded events that point at it. Those hold no reverse index, so a ``SCAN``
over ``session:*`` and ``inbound:*`` per batch finds them. Reads come first; the deletes go in one MULTI/EXEC.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from gateway.relay import codec
from gateway.relay.model import ConversationId, MessageEntry
from gateway.store.redis import RedisStore

SCAN_COUNT = 1000


async def purge(store: RedisStore, conversation_ids: Sequence[ConversationId]) -> int:
    """Delete each conversation and everything of it; returns how many existed."""
    r = store.redis
    doomed: list[str] = []
    members: list[tuple[str, str]] = []  # (zset or hash, member) to remove
    cc_ids: set[str] = set()
    purged = 0
    for conversation_id in conversation_ids:
        conv_key = store.key("conv", conversation_id)
        found: list[str | None] = await r.hmget(conv_key, ["cc", "state"])  # type: ignore[assignment]
        cc_id, state = found
        if state is None:
            continue
        purged += 1
        doomed += [
            conv_key,
            store.key("entries", conversation_id),
            store.key("client_ids", conversation_id),
            store.key("outbox", conversation_id),
        ]
        members += [(store.key("state", state), conversation_id)]
        members += [(store.key("outbox_conversations"), conversation_id)]
        rows: list[str] = await r.zrange(store.key("entries", conversation_id), 0, -1)  # type: ignore[assignment]
        for row in rows:
            entry = codec.entry_from_json(json.loads(row))
            if isinstance(entry, MessageEntry):
                doomed += [store.key("attachment", a.key) for a in entry.attachments]
        items: list[str] = await r.zrange(store.key("outbox", conversation_id), 0, -1)  # type: ignore[assignment]
        members += [(store.key("outbox_items"), item) for item in items]
        if cc_id:
            cc_ids.add(cc_id)
            doomed.append(store.key("cc", cc_id))
            pending = store.key("inbound_pending", cc_id)
            events: list[str] = await r.zrange(pending, 0, -1)  # type: ignore[assignment]
            doomed += [pending, *(store.key("inbound", e) for e in events)]
            members += [(store.key("inbound_pending"), e) for e in events]
    if not purged:
        return 0
    doomed += await _keys_pointing_at(store, "session", {str(c) for c in conversation_ids}, field=None)
    if cc_ids:  # applied events too: they keep the 8x8 conversation id until processed_ttl_s
        doomed += await _keys_pointing_at(store, "inbound", cc_ids, field="cc")
    async with r.pipeline(transaction=True) as pipe:
        for key in doomed:
            pipe.delete(key)
        for container, member in members:
            if container.endswith("outbox_items"):
                pipe.hdel(container, member)
            else:
                pipe.zrem(container, member)
        await pipe.execute()
    return purged


async def _keys_pointing_at(
    store: RedisStore, kind: str, targets: set[str], *, field: str | None
) -> list[str]:
    """Keys ``P <kind>:*`` whose value (a string, or a hash's ``field``) is one of ``targets``."""
    found: list[str] = []
    async for key in store.redis.scan_iter(match=store.key(kind, "*"), count=SCAN_COUNT):
        value = await (store.redis.get(key) if field is None else store.redis.hget(key, field))
        if value in targets:
            found.append(key)
    return found
