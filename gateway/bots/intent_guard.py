"""Customer text that starts with ``/`` must not reach Rasa as an intent: ``/restart`` or
``/human_handoff{"handoff_queue": "vip"}`` would skip NLU and set intents, entities and slots at will.

Rasa strips the text and treats ``/`` at its start as an intent (``YAMLStoryReader.unpack_regex_message``).
Escaped text gets an invisible WORD JOINER (U+2060) in front, which ``str.strip`` keeps, so Rasa's NLU reads
it as ordinary text; the transcript keeps what the customer typed. Only the payload of a button the bot
offered in its latest answer in that conversation passes as is (that is how buttons work in Rasa).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

from gateway.relay.model import ConversationId

ESCAPE: Final = "\u2060"
MAX_CONVERSATIONS: Final = 10_000


class IntentGuard:
    """The button payloads each conversation was offered last (bounded; least recently used dropped)."""

    def __init__(self, max_conversations: int = MAX_CONVERSATIONS) -> None:
        self._offered: OrderedDict[ConversationId, frozenset[str]] = OrderedDict()
        self._max = max_conversations

    def offered(self, conversation_id: ConversationId, payloads: frozenset[str]) -> None:
        """Remember the payloads of the bot's latest answer (an answer without buttons forgets them)."""
        self._offered.pop(conversation_id, None)
        if payloads:
            self._offered[conversation_id] = payloads
            while len(self._offered) > self._max:
                self._offered.popitem(last=False)

    def escape(self, conversation_id: ConversationId, text: str) -> str:
        """``text`` as Rasa may see it: an offered payload or text without a leading ``/`` unchanged."""
        stripped = text.strip()
        if not stripped.startswith("/") or stripped in self._offered.get(conversation_id, frozenset()):
            return text
        return ESCAPE + stripped
