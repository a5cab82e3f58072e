"""Files in a conversation: the customer's uploads (checked, stored before the line that carries them is
acked) and the agent's files (fetched from the contact center on first use, then kept).

The rules live here, not in a channel: files go to agents only (``FILE_STATES``), the files of one
conversation share a quota, and a repeated ``client_id`` is answered with the line stored first.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace

from gateway.relay.errors import ContactCenterRejected, ContactCenterUnavailable, TooLarge, WrongState
from gateway.relay.model import AttachedFile, Author, Conversation, ConversationId, MessageEntry, State
from gateway.relay.policy import ExtrasPolicy
from gateway.relay.ports import ContactCenter, Store, StoredFile

FILE_STATES = (State.ESCALATING, State.QUEUED, State.AGENT)
"""Files go to agents: a customer may send them while waiting for or talking to one."""


def new_file_key() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file the customer sends, as the channel read it."""

    name: str
    data: bytes
    content_type: Callable[[], str]
    """The file's checked media type; raises (the channel's own error) when the type is not accepted.
    Called only for a new line, after the state and the quota are checked."""


class Files:
    def __init__(
        self,
        *,
        store: Store,
        contact_center: ContactCenter,
        extras_policy: ExtrasPolicy,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._cc = contact_center
        self._extras_policy = extras_policy
        self._clock = clock

    async def before_upload(
        self, conv: Conversation, *, client_id: str | None, upto_bytes: int, quota_bytes: int
    ) -> None:
        """The cheap checks before a byte of the body is read: the quota (``upto_bytes``: the most the file
        can be, from the body's declared size), and the state. A file for the bot would be refused after
        reading anyway; a retry of a stored upload (``client_id`` known) passes, to be acked."""
        if await self.stored_bytes(conv.id) + upto_bytes > quota_bytes:
            raise TooLarge(f"the files of one chat may add up to {quota_bytes} bytes")
        if conv.state not in FILE_STATES and (
            client_id is None or await self._store.seq_of_client_id(conv.id, client_id) is None
        ):
            raise WrongState("files can be sent to an agent only: ask for one first")

    async def store_upload(
        self, conversation_id: ConversationId, upload: Upload, *, quota_bytes: int
    ) -> AttachedFile:
        """Check a new upload against the state and the quota, then store it (before its line is stored)."""
        conv = await self._store.conversation(conversation_id)
        if conv is None or conv.state not in FILE_STATES:
            raise WrongState("files can be sent to an agent only: ask for one first")
        if await self.stored_bytes(conversation_id) + len(upload.data) > quota_bytes:
            raise TooLarge(f"the files of one chat may add up to {quota_bytes} bytes")
        file = AttachedFile(
            key=new_file_key(), name=upload.name, content_type=upload.content_type(), size=len(upload.data)
        )
        await self._store.put_attachment(StoredFile(conversation_id, file, upload.data, self._clock()))
        return file

    async def files_of(self, conversation_id: ConversationId, seq: int) -> tuple[AttachedFile, ...]:
        entries = await self._store.entries(conversation_id, after=seq - 1, upto=seq)
        return tuple(a for e in entries if isinstance(e, MessageEntry) for a in e.attachments)

    async def stored_bytes(self, conversation_id: ConversationId) -> int:
        """What the customer's files in this conversation add up to (the storage quota counts these)."""
        total, after = 0, 0
        while entries := await self._store.entries(conversation_id, after=after, limit=1000):
            total += sum(
                a.size or 0
                for e in entries
                if isinstance(e, MessageEntry) and e.author is Author.CUSTOMER
                for a in e.attachments
            )
            after = entries[-1].seq
        return total

    async def open_file(self, key: str) -> StoredFile | None:
        """A stored file by key; a contact-center file is fetched (and kept) on first use.

        ``None``: no such file. ``ContactCenterError``: the agent's file cannot be had now (also when the
        contact center does not answer within ``call_timeout_s``).
        """
        file = await self._store.attachment(key)
        if file is None or file.data is not None:
            return file
        conv = await self._store.conversation(file.conversation_id)
        if conv is None or (cc_id := conv.cc_conversation_id) is None:
            return None
        extras = self._cc.extras(cc_id)
        if extras is None:
            raise ContactCenterRejected("the conversation's contact center has no files")
        try:
            async with asyncio.timeout(self._extras_policy.call_timeout_s):
                content_type, data = await extras.fetch_attachment(cc_id, file.attachment)
        except TimeoutError as exc:
            raise ContactCenterUnavailable("the contact center did not send the file in time") from exc
        if not file.attachment.content_type or file.attachment.content_type == "application/octet-stream":
            file = replace(file, attachment=replace(file.attachment, content_type=content_type))
        file = replace(file, data=data)
        await self._store.put_attachment(file)
        return file
