"""The :class:`Emulator` handle — what tests, ``chat-gateway demo`` and the CLI hold — and
:func:`running_emulator`, which serves an emulator on a host/port for the duration of an ``async with``.

The handle acts in-process on the same state the HTTP control API uses, so
``await emulator.agent_join(cid)`` and ``POST /_emulator/conversations/{cid}/agent/join`` are the same thing.
The agent actions work alike for Chat API v2 and Chat Gateway conversations; typing, read receipts and files
exist only in Chat Gateway (a Chat API conversation answers them with a 409 ``Problem``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from .app import build_emulator_app
from .config import EmulatorConfig
from .delivery import DeliveryAttempt, Event
from .runtime import RecordedRequest, Runtime, runtime_key
from .signing import Signer
from .state import Conversation
from .views import conversation_view


class Emulator:
    """A running emulator: URLs, credentials, agent actions, faults, logs and waiting helpers."""

    def __init__(self, app: web.Application, base_url: str) -> None:
        self.app = app
        self.base_url = base_url.rstrip("/")
        self._rt: Runtime = app[runtime_key]

    # -- where and who ---------------------------------------------------------------------------------
    @property
    def config(self) -> EmulatorConfig:
        return self._rt.config

    @property
    def tenant_id(self) -> str:
        return self.config.tenant_id

    @property
    def customer_id(self) -> str:
        return self.config.customer_id

    @property
    def region(self) -> str:
        return self.config.region

    @property
    def api_key(self) -> str:
        return self.config.api_key

    @property
    def api_secret(self) -> str:
        return self.config.api_secret.get_secret_value()

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth/v2/token"

    @property
    def api_url(self) -> str:
        """``{base}/vcc/{region}/chat/v2/tenant/{tenant}`` — prefix of every tenant endpoint."""
        return f"{self.base_url}/vcc/{self.region}/chat/v2/tenant/{self.tenant_id}"

    @property
    def chat_gateway_url(self) -> str:
        """``{base}/chat-gateway/v1`` — prefix of every Chat Gateway endpoint."""
        return f"{self.base_url}/chat-gateway/v1"

    @property
    def chat_gateway_api_key(self) -> str:
        """The ``x-api-key`` the Chat Gateway routes accept (not the Chat API's key)."""
        return self.config.chat_gateway_api_key

    @property
    def console_url(self) -> str:
        return f"{self.base_url}/console"

    @property
    def kid(self) -> str:
        return self._rt.signer.kid

    def public_jwk(self) -> dict[str, str]:
        return self._rt.signer.public_jwk()

    def rotate_signing_key(self) -> str:
        """8x8 rotates (and revokes) its webhook key: a new kid signs from now on, the old one is unknown
        (404 at the JWK endpoints). Returns the new kid."""
        signer = Signer()
        self._rt.signer = signer
        self._rt.deliverer.use_signer(signer)
        return signer.kid

    # -- state -----------------------------------------------------------------------------------------
    def conversation_ids(self) -> list[str]:
        return list(self._rt.store.conversations)

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        """The control view (state, queue, agent, customer, messages, …) — same as ``GET /_emulator/…``."""
        return conversation_view(self.config, self._conv(conversation_id))

    def _conv(self, conversation_id: str) -> Conversation:
        return self._rt.lifecycle.conversation(conversation_id)

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._rt.requests

    @property
    def deliveries(self) -> list[DeliveryAttempt]:
        return self._rt.deliverer.log

    @property
    def events(self) -> list[Event]:
        return self._rt.deliverer.events

    def events_of(self, conversation_id: str) -> list[Event]:
        return [e for e in self.events if e.conversation_id == conversation_id]

    # -- agent actions ---------------------------------------------------------------------------------
    async def agent_join(self, conversation_id: str, agent_id: str | None = None) -> str:
        """An agent (the first eligible one unless named) accepts; returns the agent id."""
        return self._rt.lifecycle.join(self._conv(conversation_id), agent_id).id

    async def agent_send(
        self, conversation_id: str, text: str, *, cards: list[dict[str, Any]] | None = None
    ) -> None:
        """The agent's line; Chat Gateway: with ``cards`` (``[{contentType, content}]``), text may be ""."""
        self._rt.lifecycle.agent_message(self._conv(conversation_id), text, cards=cards)

    def card_actions(self, conversation_id: str) -> dict[str, dict[str, str]]:
        """Chat Gateway: the card actions the integration sent, card id -> ``{"action", "name"}``."""
        conv = self._conv(conversation_id)
        return {f"{m.id}-{i}": a for m in conv.messages for i, a in m.card_actions.items()}

    async def agent_send_attachment(
        self,
        conversation_id: str,
        filename: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        text: str = "",
    ) -> str:
        """Chat Gateway: the agent sends a file (with an optional caption); returns the attachment id.

        The ``MESSAGE`` event carries ``attachments[{id, type, preSignedUrl, fileName}]``.
        """
        conv = self._conv(conversation_id)
        self._rt.lifecycle.require_gateway(conv, "attachments")
        self._rt.lifecycle.active_agent(conv)
        attachment = self._rt.lifecycle.add_attachment(conv, filename, content_type, data, "agent")
        self._rt.lifecycle.agent_message(conv, text, attachment_ids=[attachment.id])
        return attachment.id

    async def agent_typing(self, conversation_id: str, active: bool = True) -> None:
        """Chat Gateway: ``ACTIVITY`` typing with the agent in ``users`` (``active=False``: an empty list)."""
        self._rt.lifecycle.agent_typing(self._conv(conversation_id), active)

    async def agent_read(self, conversation_id: str, read_at_ms: int | None = None) -> int:
        """Chat Gateway: ``ACTIVITY`` read-receipts, everything up to ``read_at_ms`` (default now) read."""
        return self._rt.lifecycle.agent_read(self._conv(conversation_id), read_at_ms)

    async def agent_leave(self, conversation_id: str) -> None:
        self._rt.lifecycle.agent_leave(self._conv(conversation_id))

    async def agent_transfer(self, conversation_id: str, queue_id: str) -> None:
        self._rt.lifecycle.transfer(self._conv(conversation_id), queue_id)

    # -- faults ----------------------------------------------------------------------------------------
    def fail_next(
        self, operation: str, count: int = 1, *, status: int = 503, hang: bool = False, after: bool = False
    ) -> None:
        """The next ``count`` calls of ``operation`` (a route name, see ``app.OPERATIONS``) fail or hang;
        with ``after``, each is carried out first (8x8 acted, its answer is lost)."""
        self._rt.faults.fail_next(operation, count, status=status, hang=hang, after=after)

    def clear_faults(self) -> None:
        self._rt.faults.clear()

    def expire_tokens(self) -> None:
        self._rt.tokens.expire_all()

    def revoke_chat_gateway_key(self, revoked: bool = True) -> None:
        """Chat Gateway: every call answers 401 Access Denied until ``revoke_chat_gateway_key(False)``."""
        self._rt.faults.chat_gateway_key_revoked = revoked

    def lag_lists(self, seconds: float) -> None:
        """Conversation lists leave out conversations younger than ``seconds`` (8x8's lists may lag)."""
        self._rt.store.list_lag_ms = int(seconds * 1000)

    def v2_style_events(self, enabled: bool = True) -> None:
        """Chat Gateway: agent joins, lines and leaves as v2-style AGENT_JOINED, TEXT, AGENT_LEFT events
        (the shape 8x8's Chat Gateway workflow page shows)."""
        self._rt.faults.v2_style_events = enabled

    def agent_lines_marked_echo(self, enabled: bool = True) -> None:
        """Chat Gateway: the agent's MESSAGE carries ``isEcho: true`` (as on 8x8's workflow page)."""
        self._rt.faults.agent_lines_echo = enabled

    def pause_delivery(self) -> None:
        self._rt.deliverer.pause()

    def resume_delivery(self) -> None:
        self._rt.deliverer.resume()

    def duplicate_next_event(self, count: int = 1) -> None:
        """Each of the next ``count`` events is delivered twice (same event id and body)."""
        self._rt.faults.delivery.duplicate_next += count

    def corrupt_next_signature(self, count: int = 1) -> None:
        """The next ``count`` delivery attempts carry a signature that does not verify."""
        self._rt.faults.delivery.bad_signature_next += count

    def reorder_next(self, window: int = 2, max_wait: float = 1.0) -> None:
        """Hold the next ``window`` events (or until ``max_wait`` s) and release them newest first."""
        self._rt.faults.delivery.reorder_window = window
        self._rt.faults.delivery.reorder_max_wait = max_wait

    def queued_before_response(self, enabled: bool = True) -> None:
        """Create waits until QUEUED is delivered before answering 202 (spec §8 gotcha 2)."""
        self._rt.faults.queued_before_response = enabled

    # -- waiting ---------------------------------------------------------------------------------------
    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Re-check ``predicate`` after every state change until it is truthy; return its value.

        Raises ``TimeoutError`` (naming the predicate) after ``timeout`` seconds.
        """
        loop_time = self._loop_time
        deadline = loop_time() + timeout
        while not (result := predicate()):
            remaining = deadline - loop_time()
            if remaining <= 0:
                raise TimeoutError(f"emulator: condition not met within {timeout}s: {predicate!r}")
            try:
                await self._rt.store.notifier.wait(remaining)
            except TimeoutError:
                continue
        return result

    @staticmethod
    def _loop_time() -> float:
        return asyncio.get_running_loop().time()

    async def wait_for_state(self, conversation_id: str, state: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait until the conversation exists and is in ``state`` (created|queued|agent|closed)."""

        def reached() -> dict[str, Any] | None:
            conv = self._rt.store.conversations.get(conversation_id)
            return conversation_view(self.config, conv) if conv and conv.state.value == state else None

        result: dict[str, Any] = await self.wait_for(reached, timeout)
        return result

    async def wait_for_message(
        self, conversation_id: str, text: str, *, author_type: str | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Wait until the conversation holds a message with exactly ``text`` (optionally by that author)."""

        def found() -> dict[str, Any] | None:
            conv = self._rt.store.conversations.get(conversation_id)
            if conv is None:
                return None
            view = conversation_view(self.config, conv)
            return next(
                (
                    m
                    for m in view["messages"]
                    if m["text"] == text and (author_type is None or m["authorType"] == author_type)
                ),
                None,
            )

        result: dict[str, Any] = await self.wait_for(found, timeout)
        return result

    async def wait_for_event(
        self, conversation_id: str, event_type: str, *, status: str = "delivered", timeout: float = 5.0
    ) -> Event:
        """Wait until an event of ``event_type`` for the conversation reached ``status`` (delivered|given_up)."""

        def found() -> Event | None:
            return next(
                (e for e in self.events_of(conversation_id) if e.type == event_type and e.status == status),
                None,
            )

        result: Event = await self.wait_for(found, timeout)
        return result

    async def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until no event is pending delivery."""
        await self.wait_for(lambda: all(e.status != "pending" for e in self.events), timeout)


@asynccontextmanager
async def running_emulator(
    config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[Emulator]:
    """Serve a new emulator on ``host:port`` (0 = a free port) until the block exits.

    >>> async with running_emulator(EmulatorConfig(mode="manual")) as emulator:
    ...     print(emulator.base_url)
    """
    app = build_emulator_app(config or EmulatorConfig())
    runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        _bound_host, bound_port = runner.addresses[0][:2]
        shown = host if host not in {"0.0.0.0", "::", ""} else "127.0.0.1"
        if ":" in shown:
            shown = f"[{shown}]"
        base_url = f"http://{shown}:{bound_port}"
        app[runtime_key].store.base_url = base_url  # pre-signed file URLs in events point here
        yield Emulator(app, base_url)
    finally:
        await runner.cleanup()
