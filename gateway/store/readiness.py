"""A store's readiness for ``/readyz``: it answers a ping within a few seconds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from gateway.relay.ports import NotReady

PING_TIMEOUT_S = 3.0


async def pinged(ping: Callable[[], Awaitable[None]]) -> NotReady | None:
    """``None`` when ``ping`` returns in time; else the kind of failure (never its text, which may name hosts)."""
    try:
        await asyncio.wait_for(ping(), PING_TIMEOUT_S)
    except Exception as exc:
        return NotReady("store", type(exc).__name__)
    return None
