"""The 8x8 webhook receive path, the same for both APIs; each API supplies only its event translation.

Order of checks, each refusing with a 4xx problem+json and no state change: body size; a ``WEB_HOOK_VERIFY``
without signature headers is answered 200 (8x8 documents only "answer 2xx"; it carries no data); the
delivery headers; tenant; transmission-time window (default 60 s); signature; a reused event id with another
body (the signature covers only a CRC-32 of the body, so a captured signature could be replayed on a forged
body with the same CRC); JSON; event shape. Only then is the event stored (deduplicated by
``x-8x8-event-id``) and answered 200; it is applied to the conversation afterwards. The id of every event
whose signature verified and that was answered 2xx is recorded, whatever it was (verify, ignored, our own
echo), for twice the window: a second delivery with that id, the same body and a new transmission time or
retry count is 8x8 retrying (200, applied once); with another body, or as the very same delivery again, it
is a replay and refused (409).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from aiohttp import web

from gateway.channels.web.problems import problem
from gateway.contact_center.core.signature import REQUIRED_HEADERS, JwkCache, SignatureInvalid, verify
from gateway.relay.errors import ContactCenterError, GatewayError
from gateway.relay.events import CcEvent, InboundEvent
from gateway.relay.model import CcConversationId
from gateway.relay.relay import Relay

logger = structlog.get_logger(__name__)

DEFAULT_WINDOW_S = 60.0


@dataclass(frozen=True, slots=True)
class Accepted:
    """An event for the relay; ``chatty`` events (message lines) are logged at debug only."""

    cc_id: CcConversationId
    event: CcEvent
    chatty: bool = False


@dataclass(frozen=True, slots=True)
class Typing:
    """Ephemeral: shown to the customer's open sockets, never stored."""

    cc_id: CcConversationId
    active: bool


@dataclass(frozen=True, slots=True)
class Ignored:
    """Verified, answered 200, changes nothing (``WEB_HOOK_VERIFY``, our own echo, an unknown type)."""

    result: str = "ignored"


@dataclass(frozen=True, slots=True)
class Malformed:
    detail: str


Translation = Accepted | Typing | Ignored | Malformed


class Translator(Protocol):
    """One API's events: its JSON body -> what the receiver does with it."""

    async def translate(self, body: Any, received_at: float) -> tuple[str, Translation]:
        """(event type for metrics and logs, translation)."""
        ...


def is_verify(raw: bytes) -> bool:
    try:
        body = json.loads(raw)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("eventType") == "WEB_HOOK_VERIFY"


@dataclass
class _Seen:
    digest: bytes
    attempts: set[tuple[str, str]]  # (x-8x8-transmission-time, x-8x8-retry) of each delivery taken
    expires: float


class EventRecord:
    """Event ids whose signature verified: the digest of their body and the (transmission time, retry) of
    every delivery taken, kept for ``keep_s`` (bounded).

    8x8 delivering an event again sets a new transmission time (its docs) and retry count, both signed. So a
    second delivery with the same body and a new attempt is 8x8 retrying; another body (a CRC-32 twin), or
    the very same attempt again, is a replay.
    """

    def __init__(self, keep_s: float, *, limit: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self._seen: OrderedDict[str, _Seen] = OrderedDict()
        self._keep_s = keep_s
        self._limit = limit
        self._clock = clock

    def _expire(self) -> None:
        now = self._clock()
        while self._seen and (
            next(iter(self._seen.values())).expires <= now or len(self._seen) > self._limit
        ):
            self._seen.popitem(last=False)

    def replayed(self, event_id: str, digest: bytes, attempt: tuple[str, str]) -> bool:
        """Whether this delivery re-uses a recorded id with another body, or repeats a recorded attempt."""
        self._expire()
        seen = self._seen.get(event_id)
        return seen is not None and (seen.digest != digest or attempt in seen.attempts)

    def record(self, event_id: str, digest: bytes, attempt: tuple[str, str]) -> None:
        seen = self._seen.setdefault(event_id, _Seen(digest, set(), self._clock() + self._keep_s))
        seen.attempts.add(attempt)


class WebhookReceiver:
    def __init__(
        self,
        relay: Relay,
        keys: JwkCache,
        translator: Translator,
        *,
        api: str,
        tenant: str,
        max_body_bytes: int,
        window_s: float = DEFAULT_WINDOW_S,
        clock: Callable[[], float] = time.time,
        observe: Callable[[str, str], None] | None = None,
        sighted: Callable[[str], None] | None = None,
    ) -> None:
        self._sighted = sighted or (lambda _cid: None)
        self._relay = relay
        self._keys = keys
        self._translator = translator
        self._api = api
        self._tenant = tenant
        self._max_body_bytes = max_body_bytes
        self._window_s = window_s
        self._clock = clock
        self._observe = observe or (lambda _type, _result: None)
        self._record = EventRecord(2 * window_s)

    async def handle(self, request: web.Request) -> web.Response:
        """Every answer 8x8 gets is made here: 2xx once the event is stored (and applied), a refusal for a
        request that will never do, ``503`` when the gateway cannot store it now (8x8 delivers again)."""
        try:
            response, event_type, result = await self._receive(request)
        except GatewayError as exc:  # the store (or a stale write that kept losing): not stored, not acked
            logger.warning("webhook_not_stored", api=self._api, error=type(exc).__name__)
            response = problem(
                "unavailable", "the event could not be stored right now; deliver it again later"
            )
            event_type, result = "-", "unavailable"
        self._observe(event_type, result)
        return response

    async def _receive(self, request: web.Request) -> tuple[web.Response, str, str]:
        raw = await request.content.read(self._max_body_bytes + 1)
        if len(raw) > self._max_body_bytes:
            detail = f"webhook bodies are limited to {self._max_body_bytes} bytes"
            return problem("too_long", detail), "-", "too_long"
        header = request.headers.get
        headers = {name: header(name, "") for name in REQUIRED_HEADERS}
        if not headers["x-8x8-signature"] and is_verify(raw):
            return web.Response(status=200), "WEB_HOOK_VERIFY", "verified"
        if not all(headers.values()):
            missing = next(name for name, value in headers.items() if not value)
            return _refuse(401, "unsigned", f"missing header {missing}"), "-", "unsigned"
        if headers["x-8x8-tenant-id"] != self._tenant:
            return _refuse(403, "wrong_tenant", "the event is for another tenant"), "-", "wrong_tenant"
        try:
            sent_at = int(headers["x-8x8-transmission-time"]) / 1000
        except ValueError:
            return _refuse(400, "malformed", "x-8x8-transmission-time must be an integer"), "-", "malformed"
        if abs(self._clock() - sent_at) > self._window_s:
            detail = "x-8x8-transmission-time is outside the accepted window"
            return _refuse(400, "stale", detail), "-", "stale"
        event_id = headers["x-8x8-event-id"][:256]
        try:
            await verify(raw, headers, self._keys)
        except (SignatureInvalid, ContactCenterError) as exc:
            refused = self._refused(exc)
            return refused, "-", "bad_signature" if refused.status == 401 else "unavailable"
        digest = hashlib.sha256(raw).digest()
        attempt = (headers["x-8x8-transmission-time"], headers["x-8x8-retry"])
        if self._record.replayed(event_id, digest, attempt):
            logger.warning("webhook_refused", api=self._api, reason="replayed", event_id=event_id[:64])
            detail = "this event id was delivered before with another body, or this very delivery was"
            return _refuse(409, "replayed", detail), "-", "replayed"
        try:
            body = json.loads(raw)
        except ValueError:
            return _refuse(400, "malformed", "the body is not JSON"), "-", "malformed"
        if isinstance(body, dict) and isinstance(cid := body.get("conversationId"), str):
            self._sighted(cid)  # proof that 8x8 made it (core.uncertain)
        received_at = self._clock()
        event_type, translation = await self._translator.translate(body, received_at)
        response, result = await self._apply(translation, event_id, event_type, headers, received_at)
        if response.status < 300:
            self._record.record(event_id, digest, attempt)
        return response, event_type, result

    def _refused(self, exc: SignatureInvalid | ContactCenterError) -> web.Response:
        """The answer to a signature that did not verify (401), or whose key 8x8 could not give (503)."""
        if isinstance(exc, SignatureInvalid):
            logger.warning("webhook_refused", api=self._api, reason=str(exc))
            return _refuse(401, "bad_signature", str(exc))
        logger.warning("webhook_key_unavailable", api=self._api, error=str(exc))
        return problem("unavailable", "the signing key could not be fetched from 8x8; deliver again later")

    async def _apply(
        self,
        translation: Translation,
        event_id: str,
        event_type: str,
        headers: dict[str, str],
        received_at: float,
    ) -> tuple[web.Response, str]:
        match translation:
            case Accepted(cc_id, event, chatty):  # the usual case first
                inbound = InboundEvent(
                    event_id=event_id, cc_conversation_id=cc_id, event=event, received_at=received_at
                )
                fresh = await self._relay.accept_cc_event(inbound)
                (logger.debug if chatty else logger.info)(
                    "webhook_received",
                    api=self._api,
                    cc_conversation_id=cc_id,
                    event_type=event_type,
                    event_id=event_id,
                    duplicate=not fresh,
                    retry=headers["x-8x8-retry"],
                )
                return web.Response(status=200), "accepted" if fresh else "duplicate"
            case Malformed(detail):
                return _refuse(400, "malformed", detail), "malformed"
            case Ignored(result):
                if result != "verified":
                    logger.info("webhook_event_ignored", api=self._api, event_type=event_type, result=result)
                return web.Response(status=200), result
            case Typing(cc_id, active):
                await self._relay.agent_typing(cc_id, active=active)
                return web.Response(status=200), "typing"
        raise AssertionError(f"unknown translation {translation!r}")


def _refuse(status: int, code: str, detail: str) -> web.Response:
    body: dict[str, Any] = {
        "type": f"urn:chat-gateway:problem:webhook-{code}",
        "title": "Webhook refused",
        "status": status,
        "detail": detail,
        "code": code,
    }
    return web.Response(status=status, text=json.dumps(body), content_type="application/problem+json")
