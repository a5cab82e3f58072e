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
from dataclasses import dataclass
from types import TracebackType

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
    key: str
    lost: bool = False


class _Claim:
    """One ``RedisLeases.claim(name)`` block (a plain async context manager: cheaper than a generator's)."""

    __slots__ = ("_held", "_leases", "_name")

    def __init__(self, leases: RedisLeases, name: str) -> None:
        self._leases = leases
        self._name = name
        self._held: _Held | None = None

    async def __aenter__(self) -> bool:
        self._held = await self._leases._take(self._name)
        return self._held is not None

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._held is not None:
            await self._leases._let_go(self._held, exc)


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

    def claim(self, name: str) -> _Claim:
        return _Claim(self, name)

    async def _take(self, name: str) -> _Held | None:
        """``SET NX PX``: the lease, held by the current task, or None when another instance has it."""
        key = self._store.key("lease", name)
        token = f"{self.instance_id}:{os.urandom(16).hex()}"
        try:
            mine = await self._store.batch.call("SET", key, token, "NX", "PX", int(self.lease_s * 1000))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
        if not mine:
            return None
        holder = asyncio.current_task()
        assert holder is not None
        held = _Held(token, holder, name, time.monotonic() + self.lease_s, key)
        self._held[key] = held
        if self._renewer is None:
            self._renewer = asyncio.create_task(self._keep())
        return held

    async def _let_go(self, held: _Held, exc: BaseException | None) -> None:
        """Release a lease when its block ends (unless it was lost: then nothing is ours to delete). Work
        cancelled because its lease was lost ends in ``LeaseLost`` (unless cancelled for another reason too).
        """
        if self._held.get(held.key) is held:
            del self._held[held.key]
        if not held.lost:
            with contextlib.suppress(RedisError, OSError):
                await self._store.batch.evalsha(
                    self._release, held.token, keys=(held.key,)
                )  # else it expires
        elif isinstance(exc, asyncio.CancelledError) and held.holder.uncancel() == 0:
            raise LeaseLost(held.name) from None

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
