"""The fault injector: at random (seeded) times, one of the ways the world breaks around the gateway."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

from gateway.emulator.handle import Emulator
from tests.chaos.customer import ChaosCustomer
from tests.chaos.gateway_process import GatewayProcess

FAULTS: dict[str, int] = {
    # name: weight
    "kill_gateway": 2,
    "send_503": 3,
    "send_hang": 1,
    "create_503": 2,
    "create_hang": 1,
    "expire_tokens": 2,
    "duplicate_webhooks": 3,
    "late_webhooks": 2,
    "reorder_webhooks": 2,
    "drop_socket": 4,
}


class ChaosMonkey:
    def __init__(
        self,
        rng: random.Random,
        cc: Emulator,
        gateway: GatewayProcess,
        customers: Sequence[ChaosCustomer],
        *,
        mean_interval_s: float,
        min_kill_gap_s: float,
    ) -> None:
        self._rng = rng
        self._cc = cc
        self._gateway = gateway
        self._customers = customers
        self._mean_interval_s = mean_interval_s
        self._min_kill_gap_s = min_kill_gap_s
        self._last_kill = -1e9
        self._reordering = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.counts: Counter[str] = Counter()
        self.downtime_s = 0.0

    async def run(self, stop: asyncio.Event, *, busy: Callable[[], bool] = lambda: True) -> None:
        """Inject faults until ``stop``, but only while ``busy()``: a storm that outlasts the traffic would
        fall on the last conversation alone (every one of its sends failing for minutes), which measures
        the storm, not the gateway."""
        names = list(FAULTS)
        weights = [FAULTS[n] for n in names]
        # At least one kill in every run, mid-conversation: the rest is left to chance.
        first_kill = asyncio.get_running_loop().time() + self._rng.uniform(3.0, 10.0)
        while True:
            due = not self.counts["kill_gateway"] and asyncio.get_running_loop().time() >= first_kill
            if due and await self._kill_gateway():
                self.counts["kill_gateway"] += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._rng.expovariate(1 / self._mean_interval_s))
            if stop.is_set():
                return
            if not busy():
                continue
            fault = self._rng.choices(names, weights)[0]
            action: Callable[[], Awaitable[bool]] = getattr(self, f"_{fault}")
            if await action():
                self.counts[fault] += 1

    def reordering(self) -> bool:
        """True while a reorder window may still hold events (then agents keep one line in flight).

        The emulator's window holds whichever events come next, two of one conversation included; 8x8 itself
        delivers one conversation's events in order (spec §5.5), so only reordering across conversations is a
        fault the gateway must survive.
        """
        return self._reordering

    async def heal(self) -> None:
        """Whatever the last fault left behind: the gateway up, delivery flowing, no pending faults."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._cc.clear_faults()
        self._cc.resume_delivery()
        if not self._gateway.running:
            await self._gateway.start()

    # --- the faults ----------------------------------------------------------------------------

    async def _kill_gateway(self) -> bool:
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_kill < self._min_kill_gap_s:
            return False
        self._last_kill = loop.time()
        await self._gateway.kill()
        await asyncio.sleep(self._rng.uniform(0.1, 1.0))
        await self._gateway.start()
        self.downtime_s += loop.time() - self._last_kill
        return True

    async def _send_503(self) -> bool:
        self._cc.fail_next("send_message", self._rng.randint(2, 12), status=self._rng.choice([503, 502, 429]))
        return True

    async def _send_hang(self) -> bool:
        self._cc.fail_next("send_message", self._rng.randint(1, 3), hang=True)
        return True

    async def _create_503(self) -> bool:
        self._cc.fail_next("create_conversation", self._rng.randint(1, 4), status=503)
        return True

    async def _create_hang(self) -> bool:
        self._cc.fail_next("create_conversation", 1, hang=True)
        return True

    async def _expire_tokens(self) -> bool:
        self._cc.expire_tokens()
        return True

    async def _duplicate_webhooks(self) -> bool:
        self._cc.duplicate_next_event(self._rng.randint(1, 5))
        return True

    async def _late_webhooks(self) -> bool:
        self._cc.pause_delivery()
        try:
            await asyncio.sleep(self._rng.uniform(0.3, 2.0))
        finally:
            self._cc.resume_delivery()
        return True

    async def _reorder_webhooks(self) -> bool:
        if self._reordering:
            return False
        self._reordering = True
        window, max_wait, first = self._rng.randint(2, 4), 0.5, len(self._cc.events)
        self._cc.reorder_next(window=window, max_wait=max_wait)
        task = asyncio.create_task(self._until_released(first, window, max_wait))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _until_released(self, first: int, window: int, max_wait: float) -> None:
        """The window is released when it is full, or ``max_wait`` after the first event it held."""
        try:
            await self._cc.wait_for(lambda: len(self._cc.events) > first, timeout=3600)
            with contextlib.suppress(TimeoutError):
                await self._cc.wait_for(lambda: len(self._cc.events) >= first + window, timeout=max_wait)
            await asyncio.sleep(0.1)
        finally:
            self._reordering = False

    async def _drop_socket(self) -> bool:
        connected = [c for c in self._customers if c.connected]
        if not connected:
            return False
        return await self._rng.choice(connected).drop()
