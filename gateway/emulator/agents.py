"""Auto mode: scripted agents that join queued conversations and answer every customer line.

An eligible free agent joins ``auto_join_delay`` seconds after a conversation is queued, optionally greets,
and answers each customer (``user``) line of its interaction with the next of ``auto_replies`` (``{text}`` is
replaced by the customer's text; the default is an echo, so benchmarks can time round trips). Lines sent
while the conversation waited are answered right after joining. In manual mode nothing here runs.
"""

from __future__ import annotations

import asyncio

from .config import EmulatorConfig
from .lifecycle import Lifecycle
from .state import Conversation, ConvState, Message


class AutoAgents:
    def __init__(self, config: EmulatorConfig, lifecycle: Lifecycle) -> None:
        self._config = config
        self._lifecycle = lifecycle
        self._reply_index = 0
        self._scheduled: set[str] = set()
        self._answered: dict[str, int] = {}  # conversation id -> messages already considered

    # -- LifecycleListener -----------------------------------------------------------------------------
    def on_queued(self, conv: Conversation) -> None:
        self._schedule_join(conv)

    def on_agent_free(self, agent_id: str) -> None:
        for conv in self._lifecycle.waiting():
            self._schedule_join(conv)

    def on_agent_joined(self, conv: Conversation) -> None:
        if self._config.auto_greeting:
            self._lifecycle.agent_message(conv, self._config.auto_greeting)
        self._answer_pending(conv)

    def on_customer_message(self, conv: Conversation, message: Message) -> None:
        if conv.state is ConvState.AGENT:
            self._answer_pending(conv)

    # -- internals -------------------------------------------------------------------------------------
    def _schedule_join(self, conv: Conversation) -> None:
        if conv.id in self._scheduled or not self._lifecycle.eligible_agents(conv):
            return
        self._scheduled.add(conv.id)
        self._lifecycle.background.spawn(self._join_later(conv))

    async def _join_later(self, conv: Conversation) -> None:
        try:
            await asyncio.sleep(self._config.auto_join_delay)
        finally:
            self._scheduled.discard(conv.id)
        if conv.state is ConvState.QUEUED and self._lifecycle.eligible_agents(conv):
            self._lifecycle.join(conv)

    def _answer_pending(self, conv: Conversation) -> None:
        start = self._answered.get(conv.id, 0)
        self._answered[conv.id] = len(conv.messages)
        current = conv.interaction.id
        lines = [
            m
            for m in conv.messages[start:]
            if m.author_type == "user" and not m.from_history and m.interaction_id == current
        ]
        for line in lines:
            reply = self._next_reply().replace("{text}", line.text)
            if self._config.auto_reply_delay > 0:
                self._lifecycle.background.spawn(self._reply_later(conv, reply))
            else:
                self._lifecycle.agent_message(conv, reply)

    async def _reply_later(self, conv: Conversation, reply: str) -> None:
        await asyncio.sleep(self._config.auto_reply_delay)
        if conv.state is ConvState.AGENT:
            self._lifecycle.agent_message(conv, reply)

    def _next_reply(self) -> str:
        reply = self._config.auto_replies[self._reply_index % len(self._config.auto_replies)]
        self._reply_index += 1
        return reply
