"""Fault injection (test support): make API operations fail or hang, and disturb webhook delivery.

Operations are named by route name (``create_conversation``, ``send_message``, ``token``, ... see
``app.OPERATIONS``). ``fail_next(op, count, status=503)`` answers the next ``count`` calls of ``op`` with that
status and a 500-style body; ``hang=True`` holds them until the emulator stops (or ``hang_seconds``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from .errors import internal_error


@dataclass
class RequestFault:
    remaining: int
    status: int = 503
    hang: bool = False
    after: bool = False
    """Carry the call out, then fail or hold its answer (8x8 acted; the client is not told)."""


@dataclass
class DeliveryFaults:
    """Switches the delivery loop reads before each attempt."""

    paused: bool = False
    duplicate_next: int = 0
    bad_signature_next: int = 0
    reorder_window: int = 0
    reorder_max_wait: float = 1.0


@dataclass
class Faults:
    requests: dict[str, deque[RequestFault]] = field(default_factory=dict)
    delivery: DeliveryFaults = field(default_factory=DeliveryFaults)
    queued_before_response: bool = False
    chat_gateway_key_revoked: bool = False
    v2_style_events: bool = False
    """Chat Gateway sends AGENT_JOINED, AGENT_LEFT and TEXT as on 8x8's Chat Gateway workflow page."""
    agent_lines_echo: bool = False
    """Chat Gateway marks the agent's MESSAGE ``isEcho: true``, as on 8x8's Chat Gateway workflow page."""
    released: asyncio.Event = field(default_factory=asyncio.Event)
    known_operations: frozenset[str] = frozenset()
    """Operation names a fault may name (set by the app); a name outside them is refused, not ignored."""

    def fail_next(
        self, operation: str, count: int = 1, *, status: int = 503, hang: bool = False, after: bool = False
    ) -> None:
        if self.known_operations and operation not in self.known_operations:
            raise ValueError(
                f"unknown operation {operation!r}; known: {', '.join(sorted(self.known_operations))}"
            )
        self.requests.setdefault(operation, deque()).append(RequestFault(count, status, hang, after))

    def take(self, operation: str) -> RequestFault | None:
        """Consume one call's worth of the first pending fault of ``operation``."""
        pending = self.requests.get(operation)
        if not pending:
            return None
        fault = pending[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            pending.popleft()
        return fault

    def clear(self) -> None:
        """Drop pending faults, release hung calls, reset delivery switches (not pause)."""
        self.requests.clear()
        paused = self.delivery.paused
        self.delivery = DeliveryFaults(paused=paused)
        self.queued_before_response = False
        self.chat_gateway_key_revoked = False
        self.release_hung()

    def release_hung(self) -> None:
        self.released.set()
        self.released = asyncio.Event()


def fault_middleware(faults: Faults, hang_seconds: float) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        route_name = request.match_info.route.name
        fault = faults.take(route_name) if route_name else None
        if fault is None:
            return await handler(request)
        if fault.after:
            carried_out = await handler(request)
            if carried_out.status >= 400:
                return carried_out  # refused: nothing was done, so nothing is lost
        if fault.hang:
            released = faults.released
            try:
                async with asyncio.timeout(hang_seconds):
                    await released.wait()
            except TimeoutError:
                pass
            return internal_error(f"{route_name}: injected hang", 504).response()
        return internal_error(f"{route_name}: injected fault", fault.status).response()

    return middleware
