"""The agent console: ``/console`` (HTML, ES module, CSS; no build step) and its live feed
``/_emulator/stream`` (Server-Sent Events: one ``change`` event per state change, the console re-reads the
control API). Open streams end at shutdown so the server never waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

from aiohttp import web

from .runtime import runtime_key

STATIC = Path(__file__).parent / "static"
HEARTBEAT_SECONDS = 15.0
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
    notifier = request.app[runtime_key].store.notifier
    closing = request.app[streams_closing_key]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"},
    )
    await response.prepare(request)
    sent = notifier.version
    await response.write(f"event: change\ndata: {json.dumps({'version': sent})}\n\n".encode())
    while not closing.is_set():
        if notifier.version != sent:  # changed while we wrote or paused: tell at once, never lose one
            sent = notifier.version
            try:
                await response.write(f"event: change\ndata: {json.dumps({'version': sent})}\n\n".encode())
                await asyncio.sleep(0.05)  # coalesce bursts of changes into one re-read
            except (ConnectionResetError, RuntimeError):
                break
            continue
        closing_wait = asyncio.ensure_future(closing.wait())
        change_wait = asyncio.ensure_future(notifier.wait_change(sent, HEARTBEAT_SECONDS))
        _done, pending = await asyncio.wait({closing_wait, change_wait}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if closing.is_set():
            break
        try:
            change_wait.result()
        except TimeoutError:
            try:
                await response.write(b": heartbeat\n\n")
            except (ConnectionResetError, RuntimeError):
                break
    return response


async def close_streams(app: web.Application) -> None:
    app[streams_closing_key].set()


ROUTES = [
    ("GET", "/console", console_page, "console"),
    ("GET", "/console/console.js", console_js, "console_js"),
    ("GET", "/console/console.css", console_css, "console_css"),
    ("GET", "/_emulator/stream", stream, "emulator_stream"),
]
