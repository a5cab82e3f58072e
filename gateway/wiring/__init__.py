"""The gateway's resources, one aiohttp cleanup context each (``gateway.app`` appends them in ``CONTEXTS``'
order). A context opens its resource, stores it under a typed key, and after ``yield`` closes it; aiohttp
closes only what was opened, in reverse order, so a failed start-up cleans up what came before it.

A setting that cannot be used ends start-up as ``StartupError`` naming it (``chat-gateway serve`` prints the
one line).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from aiohttp import web

CleanupContext = Callable[[web.Application], AbstractAsyncContextManager[None]]
"""What ``app.cleanup_ctx`` takes: one resource's start (before ``yield``) and cleanup (after it)."""
