"""``/openapi.json``: a valid OpenAPI 3.1 document that covers every route of the app.

A route added without documentation (or documentation left behind for a route that is gone) fails
here, so the document cannot silently drift from the router.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import schemathesis
from aiohttp import web
from aiohttp.test_utils import TestServer
from schemathesis.core.result import Ok

from gateway.app import build_app
from gateway.openapi import NOT_DOCUMENTED, build_document
from tests.support.gateway import SettingsFactory
from tests.support.openapi_gateway import api_settings

METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def routed(app: web.Application) -> set[tuple[str, str]]:
    """(method, path template) of every route; HEAD is implied by GET, as aiohttp adds it."""
    found = set()
    for route in app.router.routes():
        method = route.method.lower()
        if method == "head":
            continue
        found.add((method, route.resource.canonical if route.resource else ""))
    return found


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path) for path, item in document["paths"].items() for method in item if method in METHODS
    }


def test_every_route_is_documented_and_every_documented_route_exists(make_settings: SettingsFactory) -> None:
    settings = api_settings(make_settings, 8080)
    app = build_app(settings)
    routes = routed(app)
    skipped = {(m, p) for m, p in routes if p in NOT_DOCUMENTED}
    assert {p for _m, p in skipped} == set(NOT_DOCUMENTED), "NOT_DOCUMENTED names a route that is gone"
    assert routes - skipped == documented(build_document(settings))


def test_metrics_is_documented_in_each_of_its_configurations(make_settings: SettingsFactory) -> None:
    """Without a token /metrics still exists (answering 401 problem); on its own port it leaves the app."""
    assert ("get", "/metrics") in routed(build_app(make_settings()))
    assert ("get", "/metrics") not in routed(build_app(make_settings(metrics={"port": 9999})))


async def test_the_document_is_served_and_is_valid_openapi_3_1(
    http: aiohttp.ClientSession, api_gateway: TestServer
) -> None:
    resp = await http.get(api_gateway.make_url("/openapi.json"))
    assert resp.status == 200
    assert resp.content_type == "application/json"
    document = await resp.json()
    assert document["openapi"].startswith("3.1.")
    assert document["servers"] == [{"url": str(api_gateway.make_url("/")).rstrip("/")}]
    schema = schemathesis.openapi.from_dict(document)
    schema.validate()  # against the OpenAPI 3.1 meta-schema
    operations = [op for op in schema.get_all_operations()]
    assert all(isinstance(op, Ok) for op in operations), [op for op in operations if not isinstance(op, Ok)]
    assert len(operations) == len(documented(document))


def test_limits_in_the_document_follow_the_settings(make_settings: SettingsFactory) -> None:
    document = build_document(make_settings(limits={"max_text_chars": 300, "max_body_bytes": 2048}))
    text = document["components"]["schemas"]["MessageBody"]["properties"]["text"]
    assert (text["minLength"], text["maxLength"]) == (1, 300)
    assert "2048 bytes" in document["paths"]["/webhooks/8x8"]["post"]["responses"]["413"]["description"]
