"""The agent console: ``/console`` (HTML, ES module, CSS; no build step) and its live feed
``/_emulator/stream`` (Server-Sent Events: one ``change`` event per state change, the console re-reads the
control API). Open streams end at shutdown so the server never waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Literal

from aiohttp import web

from .runtime import runtime_key
from .state import Notifier

STATIC = Path(__file__).parent / "static"
HEARTBEAT_SECONDS = 15.0
COALESCE_SECONDS = 0.05  # a burst of changes becomes one re-read
streams_closing_key = web.AppKey("streams_closing", asyncio.Event)


def _static(name: str, content_type: str) -> web.Response:
    return web.Response(
        body=(STATIC / name).read_bytes(),
        content_type=content_type,
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


async def console_page(request: web.Request) -> web.StreamResponse:
    return _static("console.html", "text/html")


async def console_js(request: web.Request) -> web.StreamResponse:
    return _static("console.js", "text/javascript")


async def console_css(request: web.Request) -> web.StreamResponse:
    return _static("console.css", "text/css")


async def stream(request: web.Request) -> web.StreamResponse:
    """``change`` events carrying the state's version: one at once, then one whenever it moved on.

    A burst of changes is announced once (after a short pause), and a change that lands while an
    announcement is being written or during that pause is announced right after it: the loop compares
    versions instead of waiting for the next change, so the console never stays behind.
    """
    notifier = request.app[runtime_key].store.notifier
    closing = request.app[streams_closing_key]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"},
    )
    await response.prepare(request)
    announced: int | None = None
    while not closing.is_set():
        chunk: str | None = None
        if notifier.version == announced:
            outcome = await _next_change(notifier, closing)
            if outcome == "closing":
                break
            if outcome == "quiet":
                chunk = ": heartbeat\n\n"
            else:
                await asyncio.sleep(COALESCE_SECONDS)
        if chunk is None:
            announced = notifier.version
            chunk = f"event: change\ndata: {json.dumps({'version': announced})}\n\n"
        try:
            await response.write(chunk.encode())
        except (ConnectionResetError, RuntimeError):
            break
    return response


async def _next_change(notifier: Notifier, closing: asyncio.Event) -> Literal["change", "closing", "quiet"]:
    """Wait for a change or for shutdown; ``quiet`` if neither came within the heartbeat interval."""
    closing_wait = asyncio.ensure_future(closing.wait())
    change_wait = asyncio.ensure_future(notifier.wait(HEARTBEAT_SECONDS))
    _done, pending = await asyncio.wait({closing_wait, change_wait}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if closing.is_set():
        return "closing"
    return "quiet" if change_wait.exception() is not None else "change"


async def close_streams(app: web.Application) -> None:
    app[streams_closing_key].set()


ROUTES = [
    ("GET", "/console", console_page, "console"),
    ("GET", "/console/console.js", console_js, "console_js"),
    ("GET", "/console/console.css", console_css, "console_css"),
    ("GET", "/_emulator/stream", stream, "emulator_stream"),
]
