"""``KeyedLocks``: one holder per key at a time, first come first served, nothing left behind, and a
waiter cancelled at any point neither gets the lock nor keeps it from the next one."""

from __future__ import annotations

import asyncio

import pytest

from gateway.relay.tasks import KeyedLocks


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_one_holder_per_key_in_the_order_they_came_and_other_keys_go_on() -> None:
    locks = KeyedLocks()
    order: list[str] = []
    gate = asyncio.Event()

    async def hold(name: str, key: str, *, wait: bool = False) -> None:
        async with locks.hold(key):
            order.append(f"{name}+")
            if wait:
                await gate.wait()
            await asyncio.sleep(0)
            order.append(f"{name}-")

    first = asyncio.create_task(hold("a", "k", wait=True))
    await _settle()
    waiters = [asyncio.create_task(hold(name, "k")) for name in "bcd"]
    other = asyncio.create_task(hold("x", "other"))
    await _settle()
    assert order == ["a+", "x+", "x-"]  # the other key is not held up
    assert len(locks) == 1
    gate.set()
    await asyncio.wait_for(asyncio.gather(first, *waiters, other), 5)
    assert order[3:] == ["a-", "b+", "b-", "c+", "c-", "d+", "d-"]
    assert len(locks) == 0


async def test_an_error_inside_releases_the_lock() -> None:
    locks = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold("k"):
            raise RuntimeError("boom")
    assert len(locks) == 0
    async with locks.hold("k"):
        pass


async def test_a_waiter_cancelled_while_waiting_is_skipped() -> None:
    locks = KeyedLocks()
    got: list[str] = []

    async def hold(name: str) -> None:
        async with locks.hold("k"):
            got.append(name)
            await asyncio.sleep(0)

    async with locks.hold("k"):
        b, c = asyncio.create_task(hold("b")), asyncio.create_task(hold("c"))
        await _settle()
        b.cancel()
        await _settle()
    await asyncio.wait_for(c, 5)
    assert b.cancelled()
    assert got == ["c"]
    assert len(locks) == 0


async def test_a_waiter_cancelled_just_after_it_was_handed_the_lock_hands_it_on() -> None:
    locks = KeyedLocks()
    got: list[str] = []

    async def hold(name: str) -> None:
        async with locks.hold("k"):
            got.append(name)

    async with locks.hold("k"):
        b, c = asyncio.create_task(hold("b")), asyncio.create_task(hold("c"))
        await _settle()
    b.cancel()  # b has been handed the lock but has not run yet
    await asyncio.wait_for(asyncio.gather(b, c, return_exceptions=True), 5)
    assert b.cancelled()
    assert got == ["c"]
    assert len(locks) == 0


async def test_a_waiter_cancelled_and_then_passed_over_by_a_release_leaves_nothing_behind() -> None:
    locks = KeyedLocks()

    async def hold() -> None:
        async with locks.hold("k"):
            pass

    async with locks.hold("k"):
        b = asyncio.create_task(hold())
        await _settle()
        b.cancel()  # cancelled, but it has not run its cancellation yet when the lock is released
    await asyncio.wait_for(asyncio.gather(b, return_exceptions=True), 5)
    assert b.cancelled()
    assert len(locks) == 0
    async with locks.hold("k"):
        pass
