"""How the gateway serves the widget: one script tag on any site must be enough.

A site on another origin loads ``/widget.js``, which imports ES modules from the gateway: browsers
refuse module scripts without CORS or with a non-JavaScript content type, so both are checked here,
along with the refusal of anything outside the widget's folder.
"""

from __future__ import annotations

import gzip
import re

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.channels.web.widget_files import MODULES
from tests.conftest import SettingsFactory


async def test_the_loader_is_javascript_with_cors(gateway: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.get(gateway.make_url("/widget.js"), headers={"Origin": "https://shop.example"}) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert 'import(new URL("widget/main.js", src)' in await resp.text()


async def test_every_module_the_widget_imports_is_served(
    gateway: TestServer, http: aiohttp.ClientSession
) -> None:
    imported = {"main.js"}
    for module in MODULES.glob("*.js"):
        imported |= set(re.findall(r'from "\./([\w-]+\.js)"', module.read_text()))
    assert imported <= {p.name for p in MODULES.glob("*.js")}
    for name in sorted(imported):
        async with http.get(gateway.make_url(f"/widget/{name}")) as resp:
            assert resp.status == 200, name
            assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
            assert resp.headers["Access-Control-Allow-Origin"] == "*"
    async with http.get(gateway.make_url("/widget.css")) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/css; charset=utf-8"


@pytest.mark.parametrize(
    "path", ["/widget/missing.js", "/widget/..%2Fapp.py", "/widget/..%2F..%2Fapp.py", "/widget/Main.JS"]
)
async def test_nothing_else_is_served_under_widget(
    gateway: TestServer, http: aiohttp.ClientSession, path: str
) -> None:
    async with http.get(gateway.make_url(path)) as resp:
        assert resp.status == 404


async def test_the_demo_page_loads_the_widget_with_one_tag(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    gateway = await aiohttp_server(build_app(make_settings(), demo_page=True))
    async with http.get(gateway.make_url("/")) as resp:
        page = await resp.text()
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/widget.js" data-title="Help" async>']


def test_the_widget_stays_small() -> None:
    """Every shop page pays for the widget: its JS and CSS, each gzipped as served, stay under 25 KB.

    docs/widget.md's accessibility section states the measured size; this keeps the promise.
    """
    files = [MODULES.parent / "widget.js", MODULES.parent / "widget.css", *sorted(MODULES.glob("*.js"))]
    gzipped = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
    assert gzipped < 25_000, f"{gzipped} bytes gzipped"
