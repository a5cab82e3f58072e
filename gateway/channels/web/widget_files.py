"""The embeddable widget's files: ``/widget.js``, ``/widget.css`` and its ES modules ``/widget/*.js``.

A site embeds the widget from another origin, and module scripts fetched cross-origin need CORS, so
these public, credential-free files carry ``Access-Control-Allow-Origin: *``. The content type is set
explicitly: browsers refuse a module served as anything but JavaScript, and ``mimetypes`` varies by
machine. ``no-cache`` makes browsers revalidate (ETag / Last-Modified), so a deploy is seen at once.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static"
MODULES = STATIC / "widget"
_CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_MODULE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}\.js$")

routes = web.RouteTableDef()


def _serve(path: Path) -> web.FileResponse:
    return web.FileResponse(
        path,
        headers={
            "Content-Type": _CONTENT_TYPES[path.suffix],
            "Access-Control-Allow-Origin": "*",
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


@routes.get("/widget.js")
async def widget_loader(request: web.Request) -> web.FileResponse:
    return _serve(STATIC / "widget.js")


@routes.get("/widget.css")
async def widget_css(request: web.Request) -> web.FileResponse:
    return _serve(STATIC / "widget.css")


@routes.get("/widget/{name}")
async def widget_module(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    path = MODULES / name
    if not _MODULE_NAME.fullmatch(name) or not path.is_file():
        raise web.HTTPNotFound()
    return _serve(path)
