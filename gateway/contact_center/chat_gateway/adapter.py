"""``ContactCenter`` on 8x8 Chat Gateway v1: one channel, queues by assignment, and no double sends.

Ids. The conversation ids this adapter returns are qualified ``cgw:<8x8 id>`` (``core.ids``); the Chat API's
ids stay bare. A stored conversation thereby remembers which API opened it, and ``routing`` sends its later
calls to the same API whichever one new conversations use.

Exactly once without an Idempotency-Key (Chat Gateway declares none): after a create or a send whose outcome
is uncertain, ``core.uncertain`` finds out whether the first attempt took effect before the call is
repeated: a conversation whose ``user.userId`` is ours begun since the attempt (listed, or named by a webhook
since), or a message of ours with the same text created since the first attempt. A create that a process that
died may have made (``OpenRequest.maybe_created_since``) is looked for the same way. Lines with the same text
are told apart by counting: those found since the first attempt, less those this process knows it delivered
in a wider window (so a doubt ends in a repeat, never in a lost line).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from gateway.contact_center.chat_gateway.cards import QuickReplies
from gateway.contact_center.chat_gateway.client import ChatGatewayClient
from gateway.contact_center.chat_gateway.listings import began, matches, quick_reply_card
from gateway.contact_center.chat_gateway.transcript import create_body
from gateway.contact_center.core.errors import Rejected
from gateway.contact_center.core.ids import bare, is_chat_gateway_id, qualify
from gateway.contact_center.core.setup import SetupResultGate
from gateway.contact_center.core.text import author_type, split_text
from gateway.contact_center.core.uncertain import CLOCK_SLACK_S, Uncertain, went_through
from gateway.relay.errors import ContactCenterError
from gateway.relay.model import AttachedFile, Author, CcConversationId
from gateway.relay.ports import Attachment, ContactCenterExtras, HistoryLine, NotReady, OpenRequest

logger = structlog.get_logger(__name__)

__all__ = ["ChatGatewayContactCenter", "Routing", "bare", "is_chat_gateway_id", "qualify"]


@dataclass(frozen=True, slots=True)
class Routing:
    """What set-up found or made: the channel every conversation is created on, and the queues."""

    channel_id: str
    default_queue: str
    queues: frozenset[str]
    webhook_id: str | None = None  # ours: where a post-agent assignment hands the conversation back


@dataclass(frozen=True, slots=True)
class PostAgent:
    """``GATEWAY_CHAT_GATEWAY__HANDBACK=post_agent_assignment``: 8x8's timers, in minutes."""

    max_total_minutes: int
    user_timeout_minutes: int


class ChatGatewayContactCenter:
    def __init__(
        self,
        client: ChatGatewayClient,
        *,
        clock_skew_s: float = 2.0,
        setup_wait_s: float = 10.0,
        uncertain: Uncertain | None = None,
        clock: Callable[[], float] = time.time,
        post_agent: PostAgent | None = None,
    ) -> None:
        self.client = client
        self.post_agent = post_agent
        self._assigned: OrderedDict[str, None] = OrderedDict()  # conversations given a post-agent assignment
        self._tasks: set[asyncio.Task[None]] = set()
        self.uncertain = uncertain or Uncertain()
        self._routing: SetupResultGate[Routing] = SetupResultGate("Chat Gateway", wait_s=setup_wait_s)
        self._skew = clock_skew_s
        self._clock = clock
        self._uploads: OrderedDict[str, str] = OrderedDict()  # outbox key -> uploaded attachment id
        self.quick_replies = QuickReplies()  # filled by the webhook translator
        self._choices: OrderedDict[str, str] = OrderedDict()  # outbox key -> the chosen option's title

    # --- set-up ----------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._routing.ready

    async def readiness(self) -> NotReady | None:
        """Not ready until set-up has found (or made) the channel."""
        if not self.ready:
            return NotReady("chat_gateway", "set-up with the Chat Gateway has not finished")
        return None

    def set_routing(self, routing: Routing) -> None:
        self._routing.set(routing)

    def queue_for(self, routing: Routing, queue_id: str | None) -> str | None:
        """The queue to assign, or None for the channel's own (the default) queue."""
        if queue_id and queue_id != routing.default_queue:
            if queue_id in routing.queues:
                return queue_id
            logger.warning("unknown_queue", queue_id=queue_id, fallback=routing.default_queue)
        return None

    # --- 8x8-native hand-back ---------------------------------------------------------------------

    def agent_joined(self, cc_conversation_id: CcConversationId) -> None:
        """Schedule the post-agent assignment to our webhook (once per conversation), in the background:
        the webhook that reported the agent is answered at once."""
        if self.post_agent is None or cc_conversation_id in self._assigned:
            return
        self._assigned[cc_conversation_id] = None
        while len(self._assigned) > 10_000:
            self._assigned.popitem(last=False)
        task = asyncio.create_task(self._assign_post_agent(cc_conversation_id, self.post_agent))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _assign_post_agent(self, cc_conversation_id: CcConversationId, post_agent: PostAgent) -> None:
        routing = await self._routing.get()
        if not routing.webhook_id:
            logger.warning("post_agent_assignment_without_webhook", setting="GATEWAY_CHAT_GATEWAY__HANDBACK")
            return
        try:
            await self.client.post_agent_assignment(
                bare(cc_conversation_id),
                webhook_id=routing.webhook_id,
                max_total_minutes=post_agent.max_total_minutes,
                user_timeout_minutes=post_agent.user_timeout_minutes,
            )
        except ContactCenterError as exc:
            self._assigned.pop(cc_conversation_id, None)  # the next agent joining tries again
            logger.warning(
                "post_agent_assignment_failed", cc_conversation_id=cc_conversation_id, error=str(exc)
            )
            return
        logger.info("post_agent_assignment_made", cc_conversation_id=cc_conversation_id)

    async def bot_thinking(self, cc_conversation_id: CcConversationId) -> None:
        await self.client.thinking(bare(cc_conversation_id))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- the port --------------------------------------------------------------------------------

    async def open_conversation(self, request: OpenRequest, *, idempotency_key: str) -> CcConversationId:
        routing = await self._routing.get()
        if request.maybe_created_since is not None:
            self.uncertain.inherit(idempotency_key, since=request.maybe_created_since)
        found = await self.uncertain.find_created(
            idempotency_key,
            request.conversation_id,
            listed=lambda since: self._listed(request.conversation_id, since),
            owner_of=self._owner_of,
        )
        if found is not None:
            return qualify(found)
        body = create_body(
            request, channel_id=routing.channel_id, queue_id=self.queue_for(routing, request.queue_id)
        )
        started = self._clock()
        cc_id = await self.uncertain.guarded(idempotency_key, self.client.create_conversation(body))
        self.uncertain.delivered.opened(cc_id)
        for item in body.get("history", {}).get("messages", []):
            self.uncertain.delivered.add(cc_id, item["authorType"], item["text"], started)
        logger.info(
            "cc_conversation_created",
            api="chat_gateway",
            conversation_id=request.conversation_id,
            cc_conversation_id=cc_id,
            history=len(body.get("history", {}).get("messages", [])),
        )
        return qualify(cc_id)

    async def _listed(self, chat_id: str, since: float) -> str | None:
        """The newest conversation of this chat whose first interaction began since ``since`` (less the slack;
        one whose start 8x8 does not give counts). The ``user.userId`` selector of the FIQL filter is not
        documented: if 8x8 refuses it, only the webhooks' sightings are left to find the conversation by."""
        try:
            found = await self.client.find_conversations(user_id=chat_id)
        except Rejected as exc:
            logger.warning("cc_conversation_lookup_refused", api="chat_gateway", error=str(exc))
            return None
        for conv in found:
            start = began(await self.client.interactions(str(conv["id"])))
            if start is None or start >= since - CLOCK_SLACK_S:
                return str(conv["id"])
        return None

    async def _owner_of(self, cc_id: str) -> str | None:
        try:
            conv = await self.client.get_conversation(cc_id)
        except Rejected:
            return None
        return (conv.get("user") or {}).get("userId")

    def posted(self, conversation_id: str, text: str) -> bool:
        """Whether this process posted ``text`` to the (bare) conversation: an echo of ours."""
        return self.uncertain.delivered.posted(conversation_id, text)

    async def post_message(
        self, cc_conversation_id: CcConversationId, line: HistoryLine, *, idempotency_key: str
    ) -> None:
        conversation_id = bare(cc_conversation_id)
        kind = author_type(line.author)
        title = self._choice(cc_conversation_id, line, idempotency_key)
        if title is not None:
            # The customer's choice: their line says the option's title, and the card is answered.
            await self._post_choice(conversation_id, title, line.text, idempotency_key=idempotency_key)
            return
        pieces = split_text(line.text)
        if (
            len(pieces) == 1
            and line.sent_before is not None
            and self.uncertain.started(idempotency_key) is None
        ):
            messages = await self.client.recent_messages(conversation_id)
            at_8x8 = matches(messages, kind=kind, text=pieces[0], attachment_id=None, since=0.0)
            if went_through(
                at_8x8=at_8x8,
                sent_before=line.sent_before,
                api="chat_gateway",
                cc_conversation_id=conversation_id,
            ):
                return
        for i, piece in enumerate(pieces):
            key = idempotency_key if i == 0 else str(uuid.uuid5(uuid.UUID(idempotency_key), f"part-{i}"))
            if await self._already_sent(conversation_id, key, kind, text=piece):
                continue
            body = {"authorType": kind, "text": piece}
            await self.uncertain.guarded(key, self.client.send_message(conversation_id, body))
            self.uncertain.delivered.add(conversation_id, kind, piece, self._clock())

    def _choice(self, cc_id: CcConversationId, line: HistoryLine, key: str) -> str | None:
        if line.author is not Author.CUSTOMER:
            return None
        if key not in self._choices and (title := self.quick_replies.chosen(cc_id, line.text)) is not None:
            self._choices[key] = title
            while len(self._choices) > 1000:
                self._choices.popitem(last=False)
        return self._choices.get(key)

    async def _post_choice(
        self, conversation_id: str, title: str, postback: str, *, idempotency_key: str
    ) -> None:
        if not await self._already_sent(conversation_id, idempotency_key, "user", text=title):
            body = {"authorType": "user", "text": title}
            await self.uncertain.guarded(idempotency_key, self.client.send_message(conversation_id, body))
            self.uncertain.delivered.add(conversation_id, "user", title, self._clock())
        self._choices.pop(idempotency_key, None)
        try:  # the line reached the agent: the card's answer is told once, and a failure only logged
            card_id = quick_reply_card(await self.client.recent_messages(conversation_id), postback)
            if card_id is None:
                logger.warning("quick_reply_card_not_found", cc_conversation_id=conversation_id)
                return
            await self.client.card_action_submit(conversation_id, card_id, name=postback)
        except ContactCenterError as exc:
            logger.warning("quick_reply_action_failed", cc_conversation_id=conversation_id, error=str(exc))

    async def customer_left(self, cc_conversation_id: CcConversationId, *, idempotency_key: str) -> None:
        await self.client.user_left(bare(cc_conversation_id))

    def can_reuse(self, cc_conversation_id: CcConversationId) -> bool:
        return is_chat_gateway_id(cc_conversation_id)

    def extras(self, cc_conversation_id: CcConversationId | None = None) -> ContactCenterExtras | None:
        """Typing, read receipts, files and queue moves, for its own conversations."""
        return self if cc_conversation_id is None or is_chat_gateway_id(cc_conversation_id) else None

    async def move_to_queue(self, cc_conversation_id: CcConversationId, queue_id: str) -> None:
        """``PATCH /conversations/{id} {"assignment":{"type":"queue","id"}}`` (202: 8x8 confirms with
        ``CONVERSATION_UPDATE`` and ``QUEUED``). Setting the same queue again changes nothing."""
        await self.client.assign_queue(bare(cc_conversation_id), queue_id)
        logger.info("cc_conversation_moved", cc_conversation_id=cc_conversation_id, queue_id=queue_id)

    async def customer_typing(self, cc_conversation_id: CcConversationId) -> None:
        await self.client.typing(bare(cc_conversation_id), author_type="user")

    async def customer_read(self, cc_conversation_id: CcConversationId, *, read_at: float) -> None:
        await self.client.read_receipt(bare(cc_conversation_id), read_at_ms=int(read_at * 1000))

    async def post_attachment(
        self,
        cc_conversation_id: CcConversationId,
        attachment: Attachment,
        *,
        author: Author,
        idempotency_key: str,
    ) -> None:
        conversation_id = bare(cc_conversation_id)
        kind = author_type(author)
        attachment_id = self._uploads.get(idempotency_key)
        if attachment_id is None:
            attachment_id = await self.client.upload_attachment(
                conversation_id,
                filename=attachment.filename,
                content_type=attachment.content_type,
                data=attachment.data,
                author_type=kind,
            )
            self._uploads[idempotency_key] = attachment_id
            while len(self._uploads) > 1000:
                self._uploads.popitem(last=False)
        if await self._already_sent(conversation_id, idempotency_key, kind, attachment_id=attachment_id):
            return
        body = {"authorType": kind, "attachments": [{"id": attachment_id}]}
        await self.uncertain.guarded(idempotency_key, self.client.send_message(conversation_id, body))
        self._uploads.pop(idempotency_key, None)

    async def fetch_attachment(
        self, cc_conversation_id: CcConversationId, attachment: AttachedFile
    ) -> tuple[str, bytes]:
        if not attachment.remote_id:
            raise Rejected("the file has no Chat Gateway attachment id", status=404)
        return await self.client.attachment_content(bare(cc_conversation_id), attachment.remote_id)

    # --- exactly once ----------------------------------------------------------------------------

    async def _already_sent(
        self,
        conversation_id: str,
        key: str,
        kind: str,
        *,
        text: str | None = None,
        attachment_id: str | None = None,
    ) -> bool:
        """After an ambiguous attempt with ``key``: did that message reach 8x8 after all?"""
        started = self.uncertain.started(key)
        if started is None:
            return False
        found = matches(
            await self.client.recent_messages(conversation_id),
            kind=kind,
            text=text,
            attachment_id=attachment_id,
            since=started - self._skew,
        )
        if text is not None:
            # Ours already, from an earlier line with the same text? Counted in a wider window, so that
            # clock differences end in a repeat rather than in a lost line.
            found -= self.uncertain.delivered.count(
                conversation_id, kind, text, since=started - 5 * self._skew
            )
        if found > 0:
            self.uncertain.forget(key)
            logger.info("cc_message_found_after_ambiguous_send", cc_conversation_id=conversation_id)
        return found > 0
