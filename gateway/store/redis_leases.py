"""``Leases`` on Redis: ``P lease:<name>`` holds a random token of the holder, with a TTL.

Claim is ``SET NX PX``; the holder renews every third of the lease while it works and deletes the key
when done, both only while the key still holds its token (a Lua compare-and-set). If renewal finds the
lease gone or taken (this instance stalled, or Redis lost it), or cannot reach Redis until the lease
would have run out, the work under the lease is cancelled (it sees ``LeaseLost``): another instance may
have it by then.
A dead instance's leases simply expire after ``lease_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator

import structlog
from redis.exceptions import RedisError

from gateway.relay.errors import GatewayError, StoreUnavailable
from gateway.store import redis_scripts
from gateway.store.redis import RedisStore

logger = structlog.get_logger(__name__)


class LeaseLost(GatewayError):
    """The work's lease ran out or was taken while it ran; it was stopped."""


class RedisLeases:
    def __init__(self, store: RedisStore, *, lease_s: float, instance_id: str) -> None:
        self._store = store
        self._redis = store.redis
        self.lease_s = lease_s
        self.instance_id = instance_id
        self._renew = self._redis.register_script(redis_scripts.RENEW_LEASE)
        self._release = self._redis.register_script(redis_scripts.RELEASE_LEASE)

    @contextlib.asynccontextmanager
    async def claim(self, name: str) -> AsyncIterator[bool]:
        key = self._store.key("lease", name)
        token = f"{self.instance_id}:{uuid.uuid4().hex}"
        lease_ms = int(self.lease_s * 1000)
        try:
            mine = await self._redis.set(key, token, nx=True, px=lease_ms)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
        if not mine:
            yield False
            return
        holder = asyncio.current_task()
        assert holder is not None
        lost = asyncio.Event()
        renewal = asyncio.create_task(self._keep(key, token, lease_ms, holder, name, lost))
        try:
            yield True
        except asyncio.CancelledError:
            if lost.is_set() and holder.uncancel() == 0:
                raise LeaseLost(name) from None
            raise
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            with contextlib.suppress(RedisError, OSError):
                await self._release(keys=[key], args=[token])  # else it expires

    async def _keep(
        self,
        key: str,
        token: str,
        lease_ms: int,
        holder: asyncio.Task[object],
        name: str,
        lost: asyncio.Event,
    ) -> None:
        deadline = time.monotonic() + self.lease_s
        while True:
            await asyncio.sleep(self.lease_s / 3)
            try:
                renewed = await self._renew(keys=[key], args=[token, lease_ms])
            except (RedisError, OSError):
                if time.monotonic() < deadline - self.lease_s / 6:
                    continue  # Redis may be back before the lease runs out
                renewed = 0
            if not renewed:
                logger.warning("lease_lost", lease=name)
                lost.set()
                holder.cancel()
                return
            deadline = time.monotonic() + self.lease_s
