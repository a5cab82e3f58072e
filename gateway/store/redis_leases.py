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
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog
from redis.exceptions import RedisError

from gateway.relay.errors import GatewayError, StoreUnavailable
from gateway.store import redis_scripts
from gateway.store.redis import RedisStore

logger = structlog.get_logger(__name__)


class LeaseLost(GatewayError):
    """The work's lease ran out or was taken while it ran; it was stopped."""


@dataclass(eq=False)
class _Held:
    """A lease this instance holds: its token, the task working under it, and when it runs out."""

    token: str
    holder: asyncio.Task[object]
    name: str
    deadline: float
    lost: bool = False


class RedisLeases:
    """One renewal task per instance keeps every lease it holds alive (a claim costs no task of its own);
    it stops when nothing is held and starts again with the next claim."""

    def __init__(self, store: RedisStore, *, lease_s: float, instance_id: str) -> None:
        self._store = store
        self._redis = store.redis
        self.lease_s = lease_s
        self.instance_id = instance_id
        self._renew = self._redis.register_script(redis_scripts.RENEW_LEASE)
        self._release = self._redis.register_script(redis_scripts.RELEASE_LEASE)
        self._held: dict[str, _Held] = {}
        self._renewer: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def claim(self, name: str) -> AsyncIterator[bool]:
        key = self._store.key("lease", name)
        token = f"{self.instance_id}:{os.urandom(16).hex()}"
        try:
            mine = await self._store.batch.call("SET", key, token, "NX", "PX", int(self.lease_s * 1000))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
        if not mine:
            yield False
            return
        holder = asyncio.current_task()
        assert holder is not None
        held = _Held(token, holder, name, time.monotonic() + self.lease_s)
        self._held[key] = held
        if self._renewer is None:
            self._renewer = asyncio.create_task(self._keep())
        try:
            yield True
        except asyncio.CancelledError:
            if held.lost and holder.uncancel() == 0:
                raise LeaseLost(name) from None
            raise
        finally:
            if self._held.get(key) is held:
                del self._held[key]
            if not held.lost:
                with contextlib.suppress(RedisError, OSError):
                    await self._store.batch.evalsha(self._release, token, keys=(key,))  # else it expires

    async def _keep(self) -> None:
        """Every third of the lease, renew what is held, in one pipeline; cancel the work whose lease is
        gone or taken, or could not be renewed before it would have run out."""
        lease_ms = int(self.lease_s * 1000)
        try:
            while self._held:
                await asyncio.sleep(self.lease_s / 3)
                held = list(self._held.items())
                if not held:
                    break
                try:
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for key, h in held:
                            await self._renew(keys=[key], args=[h.token, lease_ms], client=pipe)
                        renewed = await pipe.execute()
                except (RedisError, OSError):
                    renewed = [None] * len(held)
                now = time.monotonic()
                for (_key, h), ok in zip(held, renewed, strict=True):
                    if ok:
                        h.deadline = now + self.lease_s
                    elif ok is None and now < h.deadline - self.lease_s / 6:
                        continue  # Redis may be back before the lease runs out
                    elif not h.lost:
                        logger.warning("lease_lost", lease=h.name)
                        h.lost = True
                        h.holder.cancel()
        finally:
            self._renewer = None
