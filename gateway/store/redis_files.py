"""Files on the Redis store: ``P attachment:<key>``, a hash of ``conversation_id``, ``created_at``, ``meta``
(the attachment's JSON) and ``data`` (the bytes, base64; absent until a contact-center file is fetched).

Storing a key again only fills in bytes that were missing (``PUT_ATTACHMENT`` in ``redis_scripts``).
"""

from __future__ import annotations

import base64
import json
from typing import cast

from gateway.relay import codec
from gateway.relay.model import ConversationId
from gateway.relay.ports import StoredFile
from gateway.store.json_text import dumps
from gateway.store.redis import RedisStore


async def put_attachment(store: RedisStore, file: StoredFile) -> None:
    await store.put_attachment_script(
        args=[
            store.prefix,
            file.attachment.key,
            file.conversation_id,
            repr(file.created_at),
            dumps(codec.attachment_to_json(file.attachment)),
            "0" if file.data is None else "1",
            "" if file.data is None else base64.b64encode(file.data).decode("ascii"),
        ]
    )


async def attachment(store: RedisStore, key: str) -> StoredFile | None:
    found = cast(dict[str, str], await store.redis.hgetall(store.key("attachment", key)))
    if not found:
        return None
    data = found.get("data")
    return StoredFile(
        conversation_id=ConversationId(found["conversation_id"]),
        attachment=codec.attachment_from_json(json.loads(found["meta"])),
        data=None if data is None else base64.b64decode(data),
        created_at=float(found["created_at"]),
    )
