"""The conversation lifecycle of spec §6 — create, queue, join, relay, leave, transfer, reopen — shared by
both APIs; the webhook events each step emits come from the conversation's :class:`EventWriter`.

States: ``created`` →(QUEUED) ``queued`` →(agent joins) ``agent`` →(agent leaves / customer leaves)
``closed`` →(customer message) ``queued`` … Listeners (the auto agents) hear about queued conversations,
customer lines and freed agents. Chat Gateway adds re-routing while queued, user data updates, files and
indicators (typing, read receipts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

from .chat_gateway.events import BOT_ID, USER_ID, ChatGatewayEvents
from .config import AgentConfig, EmulatorConfig
from .delivery import Deliverer, Event
from .errors import conflict, not_found
from .events import ChatApiEvents, EventWriter
from .faults import Faults
from .signing import random_id
from .state import (
    Api,
    Attachment,
    Channel,
    Conversation,
    ConvState,
    Message,
    Store,
    new_interaction,
    now_ms,
)


class LifecycleListener(Protocol):
    def on_queued(self, conv: Conversation) -> None: ...
    def on_customer_message(self, conv: Conversation, message: Message) -> None: ...
    def on_agent_joined(self, conv: Conversation) -> None: ...
    def on_agent_free(self, agent_id: str) -> None: ...


class Background:
    """Keeps references to fire-and-forget tasks and cancels them at shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Lifecycle:
    def __init__(self, config: EmulatorConfig, store: Store, deliverer: Deliverer, faults: Faults) -> None:
        self.config = config
        self.faults = faults
        self.store = store
        self.deliverer = deliverer
        self.background = Background()
        self.listeners: list[LifecycleListener] = []
        self._pending_queue: dict[str, asyncio.Task[Any]] = {}
        self._writers: dict[Api, EventWriter] = {
            Api.CHAT_API: ChatApiEvents(config, store, deliverer),
            Api.CHAT_GATEWAY: ChatGatewayEvents(config, store, deliverer, faults),
        }

    def events(self, conv: Conversation) -> EventWriter:
        return self._writers[conv.api]

    # -- lookups ---------------------------------------------------------------------------------------
    def conversation(self, conversation_id: str) -> Conversation:
        conv = self.store.conversations.get(conversation_id)
        if conv is None:
            raise not_found("Conversation", conversation_id)
        return conv

    def agent(self, agent_id: str) -> AgentConfig:
        agent = next((a for a in self.config.agents if a.id == agent_id), None)
        if agent is None:
            raise not_found("Agent", agent_id)
        return agent

    def is_eligible(self, agent: AgentConfig, conv: Conversation) -> bool:
        """Serves the conversation's queue, speaks its language, and has a free slot."""
        return (
            conv.queue_id in agent.queues
            and (not agent.languages or conv.language in agent.languages)
            and len(self.store.agent_load.get(agent.id, set())) < agent.capacity
        )

    def eligible_agents(self, conv: Conversation) -> list[AgentConfig]:
        return [a for a in self.config.agents if self.is_eligible(a, conv)]

    def waiting(self) -> list[Conversation]:
        """Queued conversations, oldest queueing first."""
        queued = [c for c in self.store.conversations.values() if c.state is ConvState.QUEUED]
        return sorted(queued, key=lambda c: c.queued_seq)

    # -- customer side ---------------------------------------------------------------------------------
    async def create(
        self,
        channel: Channel,
        customer: dict[str, str],
        history: list[dict[str, Any]],
        *,
        user: dict[str, Any] | None = None,
        queue_id: str | None = None,
    ) -> Conversation:
        """A new conversation on ``channel`` (its API), queued on ``queue_id`` or the channel's queue.

        ``history`` items are ``{"type": "user"|"bot", "text", "attachments"?: [ids], "cards"?: [...]}``.
        """
        interaction = new_interaction(self.config.tenant_id)
        conv = Conversation(
            id=self.store.new_conversation_id(),
            channel_id=channel.id,
            webhook_id=channel.webhook_id,
            customer=customer,
            start_ms=interaction.start_ms,
            queue_id=queue_id or channel.queue_id,
            interactions=[interaction],
            api=channel.api,
            user=user or {},
        )
        conv.add_participant(self._user_pid(conv), "user")
        for line in history:
            author = line.get("type", "user")
            pid = self._bot_pid(conv) if author == "bot" else self._user_pid(conv)
            conv.add_participant(pid, author)
            message = Message(interaction.id, line["text"], author, pid, conv.start_ms, True)
            message.cards = list(line.get("cards", []))
            conv.messages.append(message)
        self.store.conversations[conv.id] = conv
        self.store.changed()
        self.events(conv).created(conv)
        if self.faults.queued_before_response:
            await self.deliverer.wait_delivered(self._enqueue(conv, conv.queue_id))
        else:
            self._pending_queue[conv.id] = self.background.spawn(self._queue_later(conv))
        return conv

    async def _queue_later(self, conv: Conversation) -> None:
        # Let the 202 go out first (spec §7: "the response is written first and QUEUED follows").
        await asyncio.sleep(self.config.queued_delay)
        self._pending_queue.pop(conv.id, None)
        if conv.state is ConvState.CREATED:
            self._enqueue(conv, conv.queue_id)

    def post_customer_message(
        self,
        conv: Conversation,
        text: str,
        author_type: str,
        *,
        attachment_ids: list[str] | None = None,
        cards: list[dict[str, Any]] | None = None,
    ) -> Message:
        # After the agent, with a post-agent assignment, the bot's webhook has the conversation: no queue.
        reopen = conv.state is ConvState.CLOSED and not conv.post_agent_open(now_ms())
        if reopen:
            conv.post_agent_since_ms = None
            conv.interactions.append(new_interaction(self.config.tenant_id))
        pid = self._bot_pid(conv) if author_type == "bot" else self._user_pid(conv)
        user = conv.participant(self._user_pid(conv))
        user_returns = author_type == "user" and user is not None and user.removed
        conv.add_participant(pid, author_type)
        message = Message(conv.interaction.id, text, author_type, pid, now_ms())
        message.attachment_ids = list(attachment_ids or [])
        message.cards = list(cards or [])
        conv.messages.append(message)
        self.store.changed()
        events = self.events(conv)
        events.integration_said(conv, message)
        if user_returns:
            events.user_returned(conv)
        if reopen:
            self._enqueue(conv, conv.queue_id)  # the last queue it was handled in
        for listener in self.listeners:
            listener.on_customer_message(conv, message)
        return message

    def customer_leave(self, conv: Conversation) -> None:
        """Idempotent: ends the open interaction; the agent (if in) leaves first, then the user."""
        pending = self._pending_queue.pop(conv.id, None)
        if pending is not None:
            pending.cancel()
        user = conv.participant(self._user_pid(conv))
        if conv.state is ConvState.CLOSED and (user is None or user.removed):
            return
        if conv.state is ConvState.AGENT:
            self._agent_leaves(conv)
        if user is not None:
            user.removed = True
        conv.post_agent_since_ms = None  # the user's leaving ends the bot's time after the agent too
        events = self.events(conv)
        events.user_left(conv)
        if conv.state is not ConvState.CLOSED:
            conv.state = ConvState.CLOSED
            conv.interaction.end_ms = now_ms()
            events.idle(conv)
        self.store.changed()

    def reroute(self, conv: Conversation, queue_id: str) -> None:
        """Chat Gateway PUT/PATCH ``assignment``: a new queue while created, queued or idle (not with an agent)."""
        if conv.state is ConvState.AGENT:
            raise conflict(f"conversation {conv.id} is handled by an agent")
        if self.config.queue(queue_id) is None:
            raise not_found("Queue", queue_id)
        changed = queue_id != conv.queue_id
        conv.queue_id = queue_id
        if conv.state is ConvState.QUEUED and changed:
            self._enqueue(conv, queue_id)
        elif changed:
            self.events(conv).updated(conv)
        self.store.changed()

    def update_user(self, conv: Conversation, user: dict[str, Any], customer: dict[str, str]) -> None:
        conv.user = user
        conv.customer = customer
        self.events(conv).updated(conv)
        self.store.changed()

    def add_attachment(
        self, conv: Conversation, filename: str, content_type: str, data: bytes, author_type: str
    ) -> Attachment:
        attachment = Attachment(
            id=random_id(),
            filename=filename,
            content_type=content_type,
            data=data,
            author_type=author_type,
            created_ms=now_ms(),
            token=random_id() + random_id(),
        )
        conv.attachments[attachment.id] = attachment
        self.store.changed()
        return attachment

    # -- agent side ------------------------------------------------------------------------------------
    def join(self, conv: Conversation, agent_id: str | None = None) -> AgentConfig:
        if conv.state is not ConvState.QUEUED:
            raise conflict(f"conversation {conv.id} is {conv.state.value}, not queued")
        if agent_id is None:
            candidates = self.eligible_agents(conv)
            if not candidates:
                raise conflict(f"no free agent serves queue {conv.queue_id}")
            agent = candidates[0]
        else:
            agent = self.agent(agent_id)
            if len(self.store.agent_load.get(agent.id, set())) >= agent.capacity:
                raise conflict(f"agent {agent.id} is at capacity")
        conv.state = ConvState.AGENT
        conv.agent_id = agent.id
        conv.add_participant(agent.id, "agent")
        self.store.agent_load.setdefault(agent.id, set()).add(conv.id)
        self.events(conv).agent_joined(conv, agent)
        for listener in self.listeners:
            listener.on_agent_joined(conv)
        return agent

    def agent_message(
        self,
        conv: Conversation,
        text: str,
        *,
        attachment_ids: list[str] | None = None,
        cards: list[dict[str, Any]] | None = None,
    ) -> Message:
        agent = self.active_agent(conv)
        if (attachment_ids or cards) and conv.api is not Api.CHAT_GATEWAY:
            raise conflict("the Chat API has no attachments or cards")
        message = Message(conv.interaction.id, text, "agent", agent.id, now_ms())
        message.attachment_ids = list(attachment_ids or [])
        message.cards = list(cards or [])
        conv.messages.append(message)
        self.events(conv).agent_said(conv, agent, message)
        return message

    def agent_typing(self, conv: Conversation, active: bool = True) -> None:
        agent = self.active_agent(conv)
        self.require_gateway(conv, "typing indicators")
        self.events(conv).agent_typing(conv, agent, active)

    def agent_read(self, conv: Conversation, read_at_ms: int | None = None) -> int:
        agent = self.active_agent(conv)
        self.require_gateway(conv, "read receipts")
        at = read_at_ms if read_at_ms is not None else now_ms()
        self.events(conv).agent_read(conv, agent, at)
        return at

    def agent_leave(self, conv: Conversation) -> None:
        if conv.state is not ConvState.AGENT:
            raise conflict(f"conversation {conv.id} has no agent")
        self._agent_leaves(conv)
        conv.state = ConvState.CLOSED
        conv.interaction.end_ms = now_ms()
        if conv.post_agent_assignment is not None:
            conv.post_agent_since_ms = conv.interaction.end_ms
        self.events(conv).idle(conv)
        self.store.changed()

    def transfer(self, conv: Conversation, queue_id: str) -> None:
        if conv.state is not ConvState.AGENT:
            raise conflict(f"conversation {conv.id} has no agent")
        if self.config.queue(queue_id) is None:
            raise not_found("Queue", queue_id)
        self.events(conv).transferred(conv)
        self._agent_leaves(conv)
        self._enqueue(conv, queue_id)

    # -- internals -------------------------------------------------------------------------------------
    def active_agent(self, conv: Conversation) -> AgentConfig:
        if conv.state is not ConvState.AGENT or conv.agent_id is None:
            raise conflict(f"conversation {conv.id} has no agent")
        return self.agent(conv.agent_id)

    @staticmethod
    def require_gateway(conv: Conversation, what: str) -> None:
        if conv.api is not Api.CHAT_GATEWAY:
            raise conflict(f"the Chat API has no {what}; conversation {conv.id} is a Chat API conversation")

    @staticmethod
    def _user_pid(conv: Conversation) -> str:
        return USER_ID if conv.api is Api.CHAT_GATEWAY else "customer"

    @staticmethod
    def _bot_pid(conv: Conversation) -> str:
        return BOT_ID

    def _agent_leaves(self, conv: Conversation) -> None:
        assert conv.agent_id is not None
        agent = self.agent(conv.agent_id)
        self.store.agent_load.get(agent.id, set()).discard(conv.id)
        conv.agent_id = None
        self.events(conv).agent_left(conv, agent)
        for listener in self.listeners:
            listener.on_agent_free(agent.id)

    def _enqueue(self, conv: Conversation, queue_id: str) -> Event:
        conv.state = ConvState.QUEUED
        conv.queue_id = queue_id
        conv.queued_seq = self.store.next_queued_seq()
        event = self.events(conv).queued(conv)
        self.store.changed()
        for listener in self.listeners:
            listener.on_queued(conv)
        return event
