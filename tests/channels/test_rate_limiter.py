"""The token buckets behind the customer channel's message and per-address limits, on a clock the test holds."""

from __future__ import annotations

from collections.abc import Hashable

from gateway.channels.web.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1024.0

    def __call__(self) -> float:
        return self.now


def allowed(limiter: RateLimiter, key: Hashable, times: int) -> int:
    return sum(limiter.allow(key) for _ in range(times))


def test_a_burst_is_allowed_at_once_and_the_next_call_refused() -> None:
    limiter = RateLimiter(rate=1, burst=5, clock=Clock())
    assert allowed(limiter, "s1", 5) == 5
    assert not limiter.allow("s1")


def test_tokens_come_back_at_the_rate_and_not_sooner() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=2, clock=clock)
    assert allowed(limiter, "s1", 2) == 2

    clock.now += 0.4375  # 7/8 of a token at two per second (steps exact in binary floating point)
    assert not limiter.allow("s1")
    clock.now += 0.0625
    assert limiter.allow("s1")
    assert not limiter.allow("s1")
    clock.now += 1.0
    assert allowed(limiter, "s1", 3) == 2


def test_a_refused_call_costs_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1, burst=1, clock=clock)
    assert limiter.allow("s1")
    for _ in range(5):
        clock.now += 0.125
        assert not limiter.allow("s1")
    clock.now += 0.375  # one second after the allowed call, whatever was refused in between
    assert limiter.allow("s1")


def test_a_long_quiet_spell_refills_to_the_burst_and_no_further() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=10, burst=3, clock=clock)
    assert allowed(limiter, "s1", 3) == 3
    clock.now += 3600
    assert allowed(limiter, "s1", 10) == 3


def test_each_key_has_its_own_bucket() -> None:
    limiter = RateLimiter(rate=1, burst=2, clock=Clock())
    assert allowed(limiter, "s1", 3) == 2
    assert allowed(limiter, "s2", 3) == 2
    assert allowed(limiter, ("198.51.100.7", "ws"), 1) == 1  # any hashable key: an address, say


def test_past_max_keys_a_key_still_draining_stays_limited() -> None:
    """Full buckets are forgotten to bound memory; a bucket still refilling is not, or a flood of new keys
    would reset the limit of the key being limited."""
    clock = Clock()
    limiter = RateLimiter(rate=1, burst=1, clock=clock, max_keys=3)
    assert limiter.allow("flooder")
    clock.now += 0.5
    for n in range(10):  # new keys past max_keys: each one triggers forgetting
        assert limiter.allow(f"new-{n}")
    assert not limiter.allow("flooder")
    clock.now += 0.5
    assert limiter.allow("flooder")
