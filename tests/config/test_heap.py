"""``chat-gateway serve`` sets the garbage collector for a server once the app has started: what start-up
made is frozen out of every later collection, and a young collection waits for 20,000 objects, not 700."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import asyncio, gc, json
from aiohttp import web
from gateway.heap import YOUNG_THRESHOLD, settle_heap

app = web.Application()
app.on_startup.append(settle_heap)
before = gc.get_threshold()
app.freeze()
asyncio.run(app.startup())
garbage = []
garbage.append(garbage)  # a reference cycle, made after start-up
del garbage
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count(),
                  "young": YOUNG_THRESHOLD, "collected": gc.collect()}))
"""


def test_start_up_freezes_the_heap_and_raises_the_young_threshold() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    seen = json.loads(out.stdout)
    assert seen["before"][0] == 700
    assert seen["after"] == [seen["young"], *seen["before"][1:]]
    assert seen["frozen"] > 1000  # modules, classes, the app: no longer walked by any collection
    assert seen["collected"] >= 1  # cycles made later are still collected
