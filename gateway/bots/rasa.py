"""The Rasa adapter: the ``Bot`` port over Rasa's REST input channel and HTTP API (shared/specs/rasa.md).

- ``respond``: ``POST webhooks/rest/webhook`` with the customer's line and details as ``metadata``; the
  answer (a list of REST items) is read by ``parse_rest_items``, so a ``custom.handoff`` item escalates.
- ``resume``: after an escalation, one ``POST conversations/{id}/tracker/events`` with
  ``[resume, action_listen]`` (a bare ``resume`` makes the next turn misfire), then, when someone is there to
  hear it, ``POST conversations/{id}/trigger_intent`` with the hand-back intent and the hand-back details as
  entities; its ``messages`` are what the bot says. A 404 there (intent not in the domain) means silence.
  With ``handback_mode="message"`` (Rasa Pro CALM, where ``trigger_intent`` cannot start a flow) the
  hand-back is instead a REST message ``/agent_left{"outcome": ...}`` with the details as metadata too.
  A failed resume is retried with backoff (``ResumeRetrier``), and once more before the conversation's next
  customer line is forwarded; until then that line gets ``BotUnavailable``, never a silent paused bot. An
  empty answer is checked against the tracker: a conversation Rasa still holds paused (a resume lost with a
  restarted or another instance) is resumed and the line sent again.
- Customer text starting with ``/`` is escaped (``IntentGuard``) unless it is a button payload the bot offered.
- ``check_token``: at start, ``GET status`` tells a refused or missing API token (``StartupError`` material).

Every call has a total timeout. A timeout, a connection error, a non-2xx status or an answer that is not
what Rasa sends becomes ``BotUnavailable``. Error messages never carry a URL (the API token travels in the
query string) and nothing here logs message text.
"""

from __future__ import annotations

import json
from typing import Any, Final

import aiohttp
import structlog
from yarl import URL

from gateway.bots.intent_guard import IntentGuard
from gateway.bots.rest_items import CHANNEL, parse_rest_items
from gateway.bots.resume_retry import Observe, ResumeRetrier
from gateway.relay.errors import BotUnavailable
from gateway.relay.model import ConversationId, Customer, Handback
from gateway.relay.ports import BotReply, BotTurn, NotReady
from gateway.settings import BotSettings, HandbackMode

logger = structlog.get_logger(__name__)

RESUME_EVENTS: Final[list[dict[str, str]]] = [
    {"event": "resume"},
    {"event": "action", "name": "action_listen"},
]


def customer_details(customer: Customer) -> dict[str, str]:
    """The customer as the handoff payload's ``customer`` object expects it; empty values left out."""
    details = {
        "name": customer.name,
        "email": customer.email,
        "language": customer.language,
        **customer.extra,
    }
    return {k: v for k, v in details.items() if v}


class RasaBot:
    """A Rasa server reached over HTTP, through one ``aiohttp.ClientSession``.

    Build it with ``await RasaBot.open(settings)`` (it then owns its session), or pass a session you own.
    Call ``close()`` once when done; it closes the session only if the bot created it.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        url: str,
        timeout_s: float,
        token: str | None = None,
        handback_intent: str = "agent_left",
        handback_mode: HandbackMode = "trigger_intent",
        owns_session: bool = False,
        resume_retry_base_s: float = 1.0,
        resume_retry_cap_s: float = 60.0,
        observe_resume: Observe | None = None,
    ) -> None:
        self._session = session
        self._base = URL(url.rstrip("/") + "/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._token = token
        self._handback_intent = handback_intent
        self._handback_mode = handback_mode
        self._owns_session = owns_session
        self._guard = IntentGuard()
        self.resumes = ResumeRetrier(
            self._resume_tracker,
            base_s=resume_retry_base_s,
            cap_s=resume_retry_cap_s,
            observe=observe_resume,
        )

    @classmethod
    async def open(cls, settings: BotSettings, *, observe_resume: Observe | None = None) -> RasaBot:
        """A bot with its own session, configured by ``GATEWAY_BOT__*`` (``url`` must not be ``embedded``)."""
        if settings.url == "embedded":
            raise ValueError("RasaBot needs Rasa's base URL, not 'embedded'")
        return cls(
            aiohttp.ClientSession(),
            url=str(settings.url),
            timeout_s=settings.timeout_s,
            token=settings.token.get_secret_value() if settings.token is not None else None,
            handback_intent=settings.handback_intent,
            handback_mode=settings.handback_mode,
            owns_session=True,
            resume_retry_base_s=settings.resume_retry_base_s,
            resume_retry_cap_s=settings.resume_retry_cap_s,
            observe_resume=observe_resume,
        )

    async def close(self) -> None:
        await self.resumes.close()
        if self._owns_session:
            await self._session.close()

    async def check_token(self) -> str | None:
        """At start: ``None`` when Rasa's HTTP API takes the token (or cannot be reached yet: ``/readyz`` will
        say so), else why it cannot be used, naming the setting."""
        params = {"token": self._token} if self._token is not None else None
        try:
            async with self._session.get(self._base / "status", params=params, timeout=self._timeout) as resp:
                await resp.read()
                status = resp.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            logger.warning("rasa_unreachable_at_start", error=type(exc).__name__)
            return None
        if status in (401, 403):
            if self._token is None:
                return f"GATEWAY_BOT__TOKEN: not set, but Rasa's HTTP API needs one (HTTP {status})"
            return f"GATEWAY_BOT__TOKEN: Rasa's HTTP API refused it (HTTP {status})"
        if status == 404:
            # No HTTP API (rasa run without --enable-api): the bot works until a handoff, then the resume
            # fails, is retried and shows on /readyz. Said loudly now, but no reason to refuse to start.
            logger.warning("rasa_http_api_off", hint="start Rasa with --enable-api to resume after a handoff")
            return None
        if status != 200:
            logger.warning("rasa_status_at_start", status=status)
        return None

    async def readiness(self) -> NotReady | None:
        """Not ready while Rasa's REST channel is down, or conversations are left paused in it."""
        try:
            await self.ping()
        except BotUnavailable as exc:
            return NotReady("bot", str(exc))
        if self.resumes.pending:
            return NotReady(
                "bot",
                f"{self.resumes.pending} conversation(s) still paused in Rasa, resume retried "
                f"(last error: {self.resumes.last_error})",
            )
        return None

    async def ping(self) -> None:
        """Raise ``BotUnavailable`` unless Rasa's REST channel answers (``GET webhooks/rest/``)."""
        try:
            async with self._session.get(
                self._base / "webhooks" / "rest" / "", timeout=self._timeout
            ) as resp:
                await resp.read()
                status = resp.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise BotUnavailable(f"rasa: {type(exc).__name__}") from exc
        if status != 200:
            raise BotUnavailable(f"rasa REST channel answered HTTP {status}")

    async def respond(self, turn: BotTurn) -> BotReply:
        if self.resumes.is_pending(turn.conversation_id):
            # Its agent left but Rasa still has it paused: Rasa would answer nothing. Try once more now.
            try:
                await self._resume_tracker(turn.conversation_id)
            except BotUnavailable as exc:
                raise BotUnavailable(f"the conversation is still paused in Rasa ({exc})") from exc
            self.resumes.succeeded(turn.conversation_id, retried=True)
        reply = await self._turn(turn)
        if not reply.messages and reply.handoff is None and await self._paused_in_rasa(turn.conversation_id):
            # Rasa holds the conversation paused while the gateway gives the bot the turn (e.g. its resume was
            # lost with a restarted instance): resume it and ask again, rather than answer nothing.
            logger.warning("rasa_found_paused", conversation_id=turn.conversation_id)
            await self._resume_tracker(turn.conversation_id)
            reply = await self._turn(turn)
        return reply

    async def _turn(self, turn: BotTurn) -> BotReply:
        body = {
            "sender": turn.conversation_id,
            "message": self._guard.escape(turn.conversation_id, turn.text),
            "metadata": {
                "customer": customer_details(turn.customer),
                "channel": CHANNEL,
                "language": turn.customer.language,
            },
        }
        status, answer = await self._post(("webhooks", "rest", "webhook"), body, call="webhook")
        if not 200 <= status < 300:
            raise BotUnavailable(f"rasa webhook answered HTTP {status}")
        reply = parse_rest_items(answer)
        self._remember_buttons(turn.conversation_id, reply)
        logger.debug(
            "rasa_answered",
            conversation_id=turn.conversation_id,
            messages=len(reply.messages),
            handoff=reply.handoff is not None,
        )
        return reply

    async def _paused_in_rasa(self, conversation_id: ConversationId) -> bool:
        """Whether Rasa's tracker says ``paused`` (``False`` when it cannot be asked: no worse than before)."""
        url = self._base / "conversations" / conversation_id / "tracker"
        params = {"include_events": "NONE", **({"token": self._token} if self._token is not None else {})}
        try:
            async with self._session.get(url, params=params, timeout=self._timeout) as resp:
                if resp.status != 200:
                    logger.warning("rasa_http_error", call="tracker", status=resp.status)
                    return False
                state = json.loads(await resp.read())
        except (TimeoutError, aiohttp.ClientError, ValueError, UnicodeDecodeError) as exc:
            logger.warning("rasa_tracker_unreadable", error=type(exc).__name__)
            return False
        return isinstance(state, dict) and state.get("paused") is True

    async def resume(
        self, conversation_id: ConversationId, customer: Customer, handback: Handback
    ) -> BotReply:
        try:
            await self._resume_tracker(conversation_id)
        except BotUnavailable as exc:
            self.resumes.failed(conversation_id, str(exc))
            raise
        self.resumes.succeeded(conversation_id)
        if not handback.speak:
            return BotReply()
        entities = {
            k: v
            for k, v in (
                ("outcome", handback.outcome.value),
                ("agent_name", handback.agent_name),
                ("duration_s", handback.duration_s),
                ("reason", handback.reason),
            )
            if v is not None
        }
        if self._handback_mode == "message":
            reply = await self._handback_message(conversation_id, customer, entities)
        else:
            reply = await self._handback_trigger(conversation_id, entities)
        self._remember_buttons(conversation_id, reply)
        return reply

    async def _handback_trigger(self, conversation_id: ConversationId, entities: dict[str, Any]) -> BotReply:
        """Rasa Open Source: ``trigger_intent`` runs the hand-back rule; its ``messages`` are the answer."""
        body = {"name": self._handback_intent, "entities": entities}
        status, answer = await self._post(
            ("conversations", conversation_id, "trigger_intent"),
            body,
            call="trigger_intent",
            query={"output_channel": "latest"},
        )
        if status == 404:
            # The intent is not in the bot's domain: the bot is back, but has nothing to say.
            logger.info("rasa_handback_intent_unknown", conversation_id=conversation_id)
            return BotReply()
        if not 200 <= status < 300:
            raise BotUnavailable(f"rasa trigger_intent answered HTTP {status}")
        if not isinstance(answer, dict):
            raise BotUnavailable("rasa trigger_intent answer is not an object")
        # Rasa leaves "messages" out when the output channel is not a collecting one: nothing to relay.
        return parse_rest_items(answer.get("messages", []))

    async def _handback_message(
        self, conversation_id: ConversationId, customer: Customer, entities: dict[str, Any]
    ) -> BotReply:
        """Rasa Pro (CALM), where ``trigger_intent`` cannot start a flow: a message the bot matches,
        ``/agent_left{"outcome": ...}`` on the REST channel (a flow's ``nlu_trigger`` or a rule), with the
        same details as metadata."""
        text = f"/{self._handback_intent}" + (json.dumps(entities, separators=(",", ":")) if entities else "")
        body = {
            "sender": conversation_id,
            "message": text,
            "metadata": {"customer": customer_details(customer), "channel": CHANNEL, "handback": entities},
        }
        status, answer = await self._post(("webhooks", "rest", "webhook"), body, call="webhook")
        if not 200 <= status < 300:
            raise BotUnavailable(f"rasa webhook answered HTTP {status}")
        return parse_rest_items(answer)

    async def _resume_tracker(self, conversation_id: ConversationId) -> None:
        """Unpause the conversation in Rasa; raise ``BotUnavailable`` when Rasa does not take it."""
        status, _ = await self._post(
            ("conversations", conversation_id, "tracker", "events"),
            RESUME_EVENTS,
            call="tracker_events",
            read_answer=False,
        )
        if not 200 <= status < 300:
            raise BotUnavailable(f"rasa tracker events answered HTTP {status}")

    def _remember_buttons(self, conversation_id: ConversationId, reply: BotReply) -> None:
        payloads = frozenset(b.payload for m in reply.messages for b in m.buttons)
        self._guard.offered(conversation_id, payloads)

    async def _post(
        self,
        path: tuple[str, ...],
        body: object,
        *,
        call: str,
        query: dict[str, str] | None = None,
        read_answer: bool = True,
    ) -> tuple[int, Any]:
        """POST JSON; return the status and the decoded JSON answer (``None`` for a non-2xx answer, or when
        ``read_answer`` is false)."""
        url = self._base
        for segment in path:  # yarl percent-encodes each one (a conversation id with "?" stays in the path)
            url = url / segment
        params = dict(query or {})
        if self._token is not None and call != "webhook":
            params["token"] = self._token  # the HTTP API takes it only as a query parameter
        try:
            async with self._session.post(
                url, json=body, params=params or None, timeout=self._timeout
            ) as resp:
                raw = await resp.read()
                status = resp.status
        except TimeoutError as exc:
            raise BotUnavailable(f"rasa {call}: no answer in {self._timeout.total} s") from exc
        except aiohttp.ClientError as exc:
            # str(exc) may hold the request URL, and with it the token: name the error type only.
            raise BotUnavailable(f"rasa {call}: {type(exc).__name__}") from exc
        if not 200 <= status < 300:
            logger.warning("rasa_http_error", call=call, status=status)
            return status, None
        if not read_answer:
            return status, None
        try:
            return status, json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BotUnavailable(f"rasa {call}: the answer is not JSON") from exc
