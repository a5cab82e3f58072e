"""The conversation lifecycle of spec §6 — create, queue, join, relay, leave, transfer, reopen — and the
webhook events each step emits.

States: ``created`` →(QUEUED) ``queued`` →(AGENT_JOINED) ``agent`` →(AGENT_LEFT / customer leave) ``closed``
→(customer message) ``queued`` … Customer and bot messages never emit events. Listeners (the auto agents)
hear about queued conversations, customer lines and freed agents.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

from .config import AgentConfig, EmulatorConfig
from .delivery import Deliverer, Event
from .errors import conflict, not_found
from .faults import Faults
from .state import Channel, Conversation, ConvState, Message, Store, new_interaction, now_ms


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
        self, channel: Channel, customer: dict[str, str], history: list[dict[str, str]]
    ) -> Conversation:
        interaction = new_interaction(self.config.tenant_id)
        conv = Conversation(
            id=self.store.new_conversation_id(),
            channel_id=channel.id,
            webhook_id=channel.webhook_id,
            customer=customer,
            start_ms=interaction.start_ms,
            queue_id=channel.queue_id,
            interactions=[interaction],
        )
        conv.add_participant("customer", "user")
        for line in history:
            author = line.get("type", "user")
            pid = "bot" if author == "bot" else "customer"
            conv.add_participant(pid, author)
            conv.messages.append(Message(interaction.id, line["text"], author, pid, conv.start_ms, True))
        self.store.conversations[conv.id] = conv
        self.store.changed()
        if self.faults.queued_before_response:
            await self.deliverer.wait_delivered(self._enqueue(conv, channel.queue_id))
        else:
            self._pending_queue[conv.id] = self.background.spawn(self._queue_later(conv, channel.queue_id))
        return conv

    async def _queue_later(self, conv: Conversation, queue_id: str) -> None:
        # Let the 202 go out first (spec §7: "the response is written first and QUEUED follows").
        await asyncio.sleep(self.config.queued_delay)
        self._pending_queue.pop(conv.id, None)
        if conv.state is ConvState.CREATED:
            self._enqueue(conv, queue_id)

    def post_customer_message(self, conv: Conversation, text: str, author_type: str) -> Message:
        reopen = conv.state is ConvState.CLOSED
        if reopen:
            conv.interactions.append(new_interaction(self.config.tenant_id))
        pid = "bot" if author_type == "bot" else "customer"
        conv.add_participant(pid, author_type)
        message = Message(conv.interaction.id, text, author_type, pid, now_ms())
        conv.messages.append(message)
        self.store.changed()
        if reopen:
            self._enqueue(conv, conv.queue_id)  # the last queue it was handled in
        for listener in self.listeners:
            listener.on_customer_message(conv, message)
        return message

    def customer_leave(self, conv: Conversation) -> None:
        """Idempotent: ends the open interaction; AGENT_LEFT only if an agent was in."""
        pending = self._pending_queue.pop(conv.id, None)
        if pending is not None:
            pending.cancel()
        if conv.state is ConvState.CLOSED:
            return
        if conv.state is ConvState.AGENT:
            self._agent_leaves(conv)
        conv.state = ConvState.CLOSED
        conv.interaction.end_ms = now_ms()
        self.store.changed()

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
        self._emit(conv, "AGENT_JOINED", agentId=agent.id, agentName=agent.name)
        for listener in self.listeners:
            listener.on_agent_joined(conv)
        return agent

    def agent_message(self, conv: Conversation, text: str) -> Message:
        if conv.state is not ConvState.AGENT or conv.agent_id is None:
            raise conflict(f"conversation {conv.id} has no agent")
        agent = self.agent(conv.agent_id)
        message = Message(conv.interaction.id, text, "agent", agent.id, now_ms())
        conv.messages.append(message)
        self._emit(conv, "TEXT", agentId=agent.id, agentName=agent.name, message=text)
        return message

    def agent_leave(self, conv: Conversation) -> None:
        if conv.state is not ConvState.AGENT:
            raise conflict(f"conversation {conv.id} has no agent")
        self._agent_leaves(conv)
        conv.state = ConvState.CLOSED
        conv.interaction.end_ms = now_ms()
        self.store.changed()

    def transfer(self, conv: Conversation, queue_id: str) -> None:
        if conv.state is not ConvState.AGENT:
            raise conflict(f"conversation {conv.id} has no agent")
        if self.config.queue(queue_id) is None:
            raise not_found("Queue", queue_id)
        self._emit(conv, "TRANSFER")
        self._agent_leaves(conv)
        self._enqueue(conv, queue_id)

    # -- internals -------------------------------------------------------------------------------------
    def _agent_leaves(self, conv: Conversation) -> None:
        assert conv.agent_id is not None
        agent = self.agent(conv.agent_id)
        self.store.agent_load.get(agent.id, set()).discard(conv.id)
        conv.agent_id = None
        self._emit(conv, "AGENT_LEFT", agentId=agent.id, agentName=agent.name)
        for listener in self.listeners:
            listener.on_agent_free(agent.id)

    def _enqueue(self, conv: Conversation, queue_id: str) -> Event:
        queue = self.config.queue(queue_id)
        conv.state = ConvState.QUEUED
        conv.queue_id = queue_id
        conv.queued_seq = self.store.next_queued_seq()
        event = self._emit(conv, "QUEUED", queueId=queue_id, queueName=queue.name if queue else queue_id)
        for listener in self.listeners:
            listener.on_queued(conv)
        return event

    def _emit(self, conv: Conversation, event_type: str, **extra: str) -> Event:
        """Build the body in the key order of the spec's examples (§5.2) and queue it."""
        ts = now_ms()
        message_type = "AGENT" if event_type == "TEXT" else "SYSTEM"
        body: dict[str, Any] = {
            "eventType": event_type,
            "messageType": message_type,
            "conversationId": conv.id,
        }
        if event_type == "AGENT_JOINED":
            body.update(extra)
            body["timestamp"] = ts
        else:
            body["timestamp"] = ts
            body.update(extra)
        self.store.changed()
        return self.deliverer.emit(conv.id, body)
