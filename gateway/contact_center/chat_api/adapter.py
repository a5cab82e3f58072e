"""``ContactCenter`` on the 8x8 Chat API v2: which channel serves which queue, long lines split, and no
double creates or sends.

The queue -> channel map comes from set-up, which runs in the background once the gateway listens
(8x8 verifies a new web-hook by calling it). Until then an escalation waits a little, then counts as
"unavailable", so the outbox retries it.

Exactly once without relying on ``Idempotency-Key`` (declared by the v2 OpenAPI, used by no operation; it is
still sent): after a create or a send whose outcome is uncertain, ``core.uncertain`` finds out whether 8x8
acted before the call is repeated. A create is found by ``customer.customerId`` (the conversation list's
``userId`` filter, or a conversation a webhook named since); so is one that a process that died may have made
(``OpenRequest.maybe_created_since``). A send is found by counting the conversation's
messages with that author type and text against the lines this process knows it delivered; v2 messages
carry no time, so this is only decided for conversations this process opened (otherwise it repeats: a line
may arrive twice, never be lost).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

import structlog

from gateway.contact_center.chat_api.client import ChatApiClient
from gateway.contact_center.chat_api.transcript import create_body
from gateway.contact_center.core.errors import Rejected
from gateway.contact_center.core.setup import SetupResultGate
from gateway.contact_center.core.text import author_type, split_text
from gateway.contact_center.core.uncertain import CLOCK_SLACK_S, Uncertain, went_through
from gateway.relay.model import CcConversationId
from gateway.relay.ports import ContactCenterExtras, HistoryLine, NotReady, OpenRequest

logger = structlog.get_logger(__name__)

TOKEN_CHECK_TIMEOUT_S = 5.0


class ChatApiContactCenter:
    def __init__(
        self,
        client: ChatApiClient,
        *,
        default_queue: str,
        setup_wait_s: float = 10.0,
        uncertain: Uncertain | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.uncertain = uncertain or Uncertain()
        self._clock = clock
        self._default_queue = default_queue
        self._channels: SetupResultGate[dict[str, str]] = SetupResultGate("Chat API", wait_s=setup_wait_s)

    @property
    def ready(self) -> bool:
        return self._channels.ready

    async def readiness(self) -> NotReady | None:
        """Not ready until set-up has finished, nor while no access token can be had."""
        if not self.ready:
            return NotReady("chat_api", "set-up with the Chat API has not finished")
        try:
            await asyncio.wait_for(self.client.tokens.get(), TOKEN_CHECK_TIMEOUT_S)
        except Exception as exc:
            return NotReady("chat_api", f"no token: {exc}")
        return None

    def set_channels(self, channels: Mapping[str, str]) -> None:
        """``channels`` maps each configured queue id to the channel routed to it."""
        self._channels.set(dict(channels))

    def channel_for(self, channels: Mapping[str, str], queue_id: str | None) -> str:
        if queue_id and queue_id in channels:
            return channels[queue_id]
        if queue_id:
            logger.warning("unknown_queue", queue_id=queue_id, fallback=self._default_queue)
        return channels[self._default_queue]

    async def open_conversation(self, request: OpenRequest, *, idempotency_key: str) -> CcConversationId:
        channels = await self._channels.get()
        chat_id = request.conversation_id
        if request.maybe_created_since is not None:
            self.uncertain.inherit(idempotency_key, since=request.maybe_created_since)
        found = await self.uncertain.find_created(
            idempotency_key,
            chat_id,
            listed=lambda since: self._listed(chat_id, since),
            owner_of=self._owner_of,
        )
        body = create_body(request, channel_id=self.channel_for(channels, request.queue_id))
        started = self._clock()
        if found is None:
            found = await self.uncertain.guarded(
                idempotency_key, self.client.create_conversation(body, idempotency_key=idempotency_key)
            )
        cc_id = found
        self.uncertain.delivered.opened(cc_id)  # with the history it was created with
        for item in body.get("history", {}).get("messages", []):
            self.uncertain.delivered.add(cc_id, item["type"], item["text"], started)
        logger.info(
            "cc_conversation_created",
            api="chat_api",
            conversation_id=chat_id,
            cc_conversation_id=cc_id,
            history=len(body.get("history", {}).get("messages", [])),
        )
        return CcConversationId(cc_id)

    async def _listed(self, chat_id: str, since: float) -> str | None:
        """The newest conversation of this chat that started since the uncertain attempt (less the slack)."""
        for conv in await self.client.find_conversations(customer_id=chat_id):
            started = _iso(conv.get("startTime"))
            if started is None or started >= since - CLOCK_SLACK_S:
                return str(conv["id"])
        return None

    async def _owner_of(self, cc_id: str) -> str | None:
        try:
            conv = await self.client.get_conversation(cc_id)
        except Rejected:
            return None
        return (conv.get("customer") or {}).get("customerId")

    async def post_message(
        self, cc_conversation_id: CcConversationId, line: HistoryLine, *, idempotency_key: str
    ) -> None:
        kind = author_type(line.author)
        pieces = split_text(line.text)
        if (
            len(pieces) == 1
            and line.sent_before is not None
            and self.uncertain.started(idempotency_key) is None
        ):
            messages = await self.client.messages(cc_conversation_id)
            at_8x8 = sum(
                1 for m in messages if m.get("authorType") == kind and m.get("originalText") == pieces[0]
            )
            if went_through(
                at_8x8=at_8x8,
                sent_before=line.sent_before,
                api="chat_api",
                cc_conversation_id=cc_conversation_id,
            ):
                return
        for i, piece in enumerate(pieces):
            # One key per piece, derived from the line's key, so a retry re-sends no piece twice.
            key = idempotency_key if i == 0 else str(uuid.uuid5(uuid.UUID(idempotency_key), f"part-{i}"))
            if not await self._already_sent(cc_conversation_id, key, kind, piece):
                await self.uncertain.guarded(
                    key, self.client.send_message(cc_conversation_id, piece, kind, idempotency_key=key)
                )
            self.uncertain.delivered.add(cc_conversation_id, kind, piece, self._clock())

    async def _already_sent(self, cc_id: str, key: str, kind: str, text: str) -> bool:
        """After an uncertain send with ``key``: did that message reach 8x8 after all?"""
        if self.uncertain.started(key) is None:
            return False
        if not self.uncertain.delivered.knows_all(cc_id):
            self.uncertain.forget(key)
            return False  # cannot tell ours from earlier lines: repeat (twice at worst, never lost)
        messages = await self.client.messages(cc_id)
        self.uncertain.forget(key)
        at_8x8 = sum(1 for m in messages if m.get("authorType") == kind and m.get("originalText") == text)
        sent = at_8x8 > self.uncertain.delivered.count(cc_id, kind, text)
        if sent:
            logger.info("cc_message_found_after_uncertain_send", api="chat_api", cc_conversation_id=cc_id)
        return sent

    async def customer_left(self, cc_conversation_id: CcConversationId, *, idempotency_key: str) -> None:
        await self.client.customer_leave(cc_conversation_id)

    def can_reuse(self, cc_conversation_id: CcConversationId) -> bool:
        return True

    def extras(self, cc_conversation_id: CcConversationId | None = None) -> ContactCenterExtras | None:
        """Chat API v2 carries text only: no typing, read receipts, files or queue moves."""
        return None


def _iso(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
