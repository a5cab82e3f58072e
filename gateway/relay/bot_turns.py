"""The bot's side of a conversation: its turns in order per conversation, its thinking, its hand-offs.

A stored customer line with the bot (``AskBot``) becomes one turn; a hand-back (``ResumeBot``) tells the
bot it has the conversation again. Turns run one after another per conversation, in the background (they
live in memory: ``recover`` asks again for those a dead process lost).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import assert_never

import structlog

from gateway.relay.commits import Commits
from gateway.relay.decision import AskBot, Effect, ResumeBot
from gateway.relay.errors import BotUnavailable, IllegalTransition
from gateway.relay.events import BotMessage, BotSaid, HandoffRequested
from gateway.relay.model import (
    Author,
    Button,
    Conversation,
    ConversationId,
    Handback,
    Handoff,
    MessageEntry,
    State,
    Typing,
)
from gateway.relay.policy import BotPolicy, ConversationPolicy, ExtrasPolicy
from gateway.relay.ports import Bot, BotReply, BotTurn, ContactCenter, Fanout, Store, Telemetry
from gateway.relay.tasks import SerialRunner
from gateway.relay.thinking import while_thinking

logger = structlog.get_logger(__name__)

_THINKING_CALL_S = 2.0
"""The contact center is told the bot is thinking within this long, or not at all: the answer waits."""


class BotTurns:
    def __init__(
        self,
        *,
        commits: Commits,
        store: Store,
        bot: Bot,
        fanout: Fanout,
        contact_center: ContactCenter,
        telemetry: Telemetry,
        bot_policy: BotPolicy,
        conversation_policy: ConversationPolicy,
        extras_policy: ExtrasPolicy,
        clock: Callable[[], float],
    ) -> None:
        self._commits = commits
        self._store = store
        self._bot = bot
        self._fanout = fanout
        self._cc = contact_center
        self._telemetry = telemetry
        self._bot_policy = bot_policy
        self._conversation_policy = conversation_policy
        self._extras_policy = extras_policy
        self._clock = clock
        self._jobs = SerialRunner()
        self._empty_replies: dict[ConversationId, int] = {}

    def on_effect(self, conversation_id: ConversationId, effect: Effect) -> None:
        """Queue the bot's part of a stored decision behind the conversation's earlier turns."""
        match effect:
            case AskBot(text=text):
                self._telemetry.message_relayed("customer_to_bot")
                self._jobs.submit(conversation_id, partial(self._turn, conversation_id, text))
            case ResumeBot(handback=handback):
                self._telemetry.escalation(handback.outcome.value, handback.reason or "")
                self._jobs.submit(conversation_id, partial(self._resume, conversation_id, handback))
            case _:
                assert_never(effect)

    async def recover(self, *, settled_before: float, since: float) -> int:
        """Ask the bot again where a customer's line was stored and acked but the bot's turn was lost (the
        process died between the two). Looks at chats with the bot whose last activity lies in
        [since, settled_before) and whose last entry is still the customer's line. ``settled_before`` must
        leave any turn still running elsewhere (another instance) time to finish. Returns how many turns
        it asked for again."""
        asked = 0
        for conversation_id in await self._store.idle_conversations(
            (State.BOT,), before=settled_before, after=since, limit=1000
        ):
            conv = await self._store.conversation(conversation_id)
            if conv is None or conv.state is not State.BOT or conv.last_seq == 0:
                continue
            last = await self._store.entries(conversation_id, after=conv.last_seq - 1)
            line = last[-1] if last else None
            if not isinstance(line, MessageEntry) or line.author is not Author.CUSTOMER or not line.text:
                continue
            logger.info("bot_turn_recovered", conversation_id=conversation_id, seq=line.seq)
            self._jobs.submit(conversation_id, partial(self._turn, conversation_id, line.text))
            asked += 1
        return asked

    async def stop(self) -> None:
        await self._jobs.close()

    async def idle(self) -> None:
        await self._jobs.idle()

    def __len__(self) -> int:
        return len(self._jobs)

    async def request_handoff(self, conversation_id: ConversationId, handoff: Handoff) -> None:
        now = self._clock()
        hours = self._conversation_policy.hours
        closed = (
            self._conversation_policy.closed_text if hours is not None and not hours.open_at(now) else None
        )
        try:
            await self._commits.apply(
                conversation_id, HandoffRequested(handoff, str(uuid.uuid4()), now, closed_notice=closed)
            )
        except IllegalTransition:
            # Already escalating (or closed): two triggers never open two conversations.
            logger.info("handoff_ignored", conversation_id=conversation_id)

    async def _turn(self, conversation_id: ConversationId, text: str) -> None:
        conv = await self._commits.conversation(conversation_id)
        if conv.state is not State.BOT:
            return  # escalated meanwhile: the bot must not answer while an agent owns the conversation
        if text.strip() == self._bot_policy.agent_request_payload:
            await self.request_handoff(conversation_id, Handoff(reason="customer_asked"))
            return
        started = time.perf_counter()
        try:
            reply = await while_thinking(
                self._bot.respond(BotTurn(conversation_id, text, conv.customer)),
                partial(self._thinking, conv),
                after_s=self._bot_policy.thinking_after_s,
            )
            result = "handoff" if reply.handoff else "answered" if reply.messages else "empty"
        except BotUnavailable as exc:
            logger.warning("bot_unavailable", conversation_id=conversation_id, error=str(exc))
            reply = BotReply(messages=(self._offer_agent(self._bot_policy.unavailable_text),))
            result = "unavailable"
        self._telemetry.bot_answered(result, time.perf_counter() - started)
        logger.info(
            "bot_answered",
            conversation_id=conversation_id,
            messages=len(reply.messages),
            handoff=reply.handoff is not None,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        if not reply.messages and reply.handoff is None:
            reply = self._count_empty_reply(conversation_id)
        else:
            self._empty_replies.pop(conversation_id, None)
        await self._say(conversation_id, reply)

    async def _thinking(self, conv: Conversation, active: bool) -> None:
        """The customer sees the assistant typing; inside 8x8's conversation (post-agent) 8x8 is told too."""
        await self._fanout.signal(conv.id, Typing(Author.BOT, active))
        cc_id, window = conv.cc_conversation_id, conv.cc_bot
        if not active or cc_id is None or window is None or not window.open_at(self._clock()):
            return
        extras = self._cc.extras(cc_id)
        if extras is not None:
            async with asyncio.timeout(min(_THINKING_CALL_S, self._extras_policy.call_timeout_s)):
                await extras.bot_thinking(cc_id)

    async def _resume(self, conversation_id: ConversationId, handback: Handback) -> None:
        conv = await self._commits.conversation(conversation_id)
        try:
            reply = await self._bot.resume(conversation_id, conv.customer, handback)
        except BotUnavailable as exc:
            logger.warning("bot_resume_failed", conversation_id=conversation_id, error=str(exc))
            return
        if handback.speak:
            await self._say(conversation_id, reply)

    async def _say(self, conversation_id: ConversationId, reply: BotReply) -> None:
        if reply.messages:
            try:
                await self._commits.apply(conversation_id, BotSaid(reply.messages, self._clock()))
            except IllegalTransition:
                logger.info("bot_reply_dropped", conversation_id=conversation_id)
                return
            for _ in reply.messages:
                self._telemetry.message_relayed("bot_to_customer")
        if reply.handoff is not None:
            await self.request_handoff(conversation_id, reply.handoff)

    def _count_empty_reply(self, conversation_id: ConversationId) -> BotReply:
        count = self._empty_replies.get(conversation_id, 0) + 1
        limit = self._bot_policy.empty_replies_before_offer
        if limit and count >= limit:
            self._empty_replies.pop(conversation_id, None)
            return BotReply(messages=(self._offer_agent(None),))
        self._empty_replies[conversation_id] = count
        logger.info("bot_said_nothing", conversation_id=conversation_id, in_a_row=count)
        return BotReply()

    def _offer_agent(self, text: str | None) -> BotMessage:
        return BotMessage(
            text=text or "I could not answer that.",
            buttons=(Button(self._bot_policy.offer_agent_title, self._bot_policy.agent_request_payload),),
        )
