"""The store: SQLite (one instance) or Redis (several instances), from ``GATEWAY_STORE__URL``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from gateway.keys import settings_key, store_key
from gateway.relay.errors import StoreUnavailable
from gateway.relay.ports import Store
from gateway.settings import Settings
from gateway.store.redis import RedisStore
from gateway.store.sqlite import SqliteStore, path_from_url
from gateway.wiring.errors import StartupError


async def open_store(settings: Settings) -> Store:
    url = settings.store.url
    if url.startswith("sqlite:"):
        return await SqliteStore.open(path_from_url(url), synchronous=settings.store.synchronous.upper())
    try:
        return await RedisStore.open(
            url, prefix=settings.store.prefix, processed_ttl_s=settings.store.processed_ttl_s
        )
    except ValueError as exc:  # redis-py's words for a malformed URL
        raise StartupError(f"GATEWAY_STORE__URL: {exc}") from exc
    except StoreUnavailable as exc:
        raise StartupError(f"GATEWAY_STORE__URL: cannot reach Redis: {exc}") from exc


@asynccontextmanager
async def store_context(app: web.Application) -> AsyncIterator[None]:
    store = await open_store(app[settings_key])
    app[store_key] = store
    yield
    await store.close()
