"""The private metrics port (``GATEWAY_METRICS__PORT``): ``/metrics`` and a detailed ``/readyz``, no token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from gateway.health import readyz_handler
from gateway.keys import metrics_key, settings_key, store_key
from gateway.metrics import metrics_handler


@asynccontextmanager
async def metrics_listener(app: web.Application) -> AsyncIterator[None]:
    """For operators only: keep the port private."""
    settings = app[settings_key]
    assert settings.metrics.port is not None
    private = web.Application()
    private.router.add_get("/metrics", metrics_handler(app[metrics_key], lambda: app[store_key], token=None))
    private.router.add_get("/readyz", readyz_handler(detail_token=None, app=app))
    runner = web.AppRunner(private, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.metrics.port).start()
    yield
    await runner.cleanup()
