"""The contact center the relay talks to: both configured 8x8 APIs behind one router.

New escalations go to the selected API (``GATEWAY_CONTACT_CENTER``), a stored conversation stays on the API
that opened it; without any API configured, escalation says no agent is available.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiohttp import web

from gateway.contact_center.keys import chat_api_adapter_key, chat_gateway_key
from gateway.contact_center.reconciler import OrphanCheck, run_reconciler
from gateway.contact_center.routing import ContactCenterRouter
from gateway.keys import contact_center_key, metrics_key, relay_key, settings_key, store_key

logger = structlog.get_logger(__name__)


@asynccontextmanager
async def contact_center_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    if settings.relay.overflow_queue_id and settings.api == "chat_api":
        logger.warning(
            "overflow_not_supported",
            setting="GATEWAY_RELAY__OVERFLOW_QUEUE_ID",
            api="chat_api",
            detail="Chat API v2 cannot move a waiting conversation to another queue: chats stay in their queue",
        )
    app[contact_center_key] = ContactCenterRouter(
        settings.api,
        chat_api=app.get(chat_api_adapter_key),
        chat_gateway=app[chat_gateway_key].adapter if chat_gateway_key in app else None,
    )
    yield


def orphan_sweeps(
    app: web.Application, check: OrphanCheck, *, interval_s: float, window_s: float
) -> list[Coroutine[Any, Any, None]]:
    """One API's orphan sweep (``GATEWAY_<API>__RECONCILE_INTERVAL_S``; 0: none), for ``running``."""
    if interval_s <= 0:
        return []
    metrics = app[metrics_key]
    return [
        run_reconciler(
            app[store_key],
            check,
            interval_s=interval_s,
            window_s=window_s,
            clock=app[relay_key].clock,
            on_fixed=lambda: metrics.escalation("orphan_freed"),
        )
    ]
