"""The garbage collector set for a long-running server (``chat-gateway serve``).

CPython's cyclic collector runs a young collection each time the tracked objects outnumber the freed ones by
700 (``gc.get_threshold()[0]``). A gateway under load holds thousands of objects per message in flight
(requests, futures, frames), so that count is crossed every few round trips, and each collection also walks
what has survived into the older generations, startup objects included (modules, schemas, routes). Profiled
with ``python -m bench`` on one gateway with 200 sessions, the collector took a quarter of the process's CPU.

So, once the app has started: whatever startup left behind is collected, the rest is frozen (``gc.freeze``:
never walked again; it lives as long as the process anyway), and a young collection waits for 20,000 more
objects than were freed. Garbage held in reference cycles still goes, by then: at most that many objects wait.
"""

from __future__ import annotations

import gc

from aiohttp import web

YOUNG_THRESHOLD = 20_000
"""Tracked objects allocated beyond those freed before a young collection (CPython's default: 700)."""


async def settle_heap(app: web.Application) -> None:
    """``on_startup``, appended after the app's own start-up: collect, freeze, raise the young threshold."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
