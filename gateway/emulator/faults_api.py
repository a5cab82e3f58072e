"""Test support under ``/_emulator/``: fault switches and the request and delivery logs.

``POST /_emulator/faults {"operation","count"?,"status"?,"hang"?,"after"?}`` · ``DELETE /_emulator/faults`` ·
``POST /_emulator/tokens/expire`` · ``POST /_emulator/faults/chat-gateway-key {"revoked"?}`` (Chat Gateway key
refused with 401 while revoked) · ``POST /_emulator/delivery/pause|resume`` ·
``POST /_emulator/delivery/duplicate {"count"?}`` · ``POST /_emulator/delivery/bad-signature {"count"?}`` ·
``POST /_emulator/delivery/reorder {"window","maxWait"?}`` · ``POST /_emulator/faults/queued-before-response
{"enabled"}`` · ``GET|DELETE /_emulator/requests`` · ``GET /_emulator/deliveries`` · ``GET /_emulator/events``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .errors import constraint_violation, json_response, read_json_object
from .runtime import runtime_key
from .views import attempt_view, event_view


async def _body(request: web.Request) -> dict[str, Any]:
    return await read_json_object(request) if await request.read() else {}


def _int(body: dict[str, Any], name: str, default: int, minimum: int = 1) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise constraint_violation(f"{name}: must be an integer >= {minimum}")
    return value


async def add_fault(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    operation = body.get("operation")
    if not isinstance(operation, str) or not operation:
        raise constraint_violation("operation: May not be empty.")
    status = _int(body, "status", 503, 100)
    try:
        request.app[runtime_key].faults.fail_next(
            operation,
            _int(body, "count", 1),
            status=status,
            hang=bool(body.get("hang", False)),
            after=bool(body.get("after", False)),
        )
    except ValueError as exc:
        raise constraint_violation(f"operation: {exc}") from None
    return web.Response(status=204)


async def clear_faults(request: web.Request) -> web.StreamResponse:
    request.app[runtime_key].faults.clear()
    return web.Response(status=204)


async def expire_tokens(request: web.Request) -> web.StreamResponse:
    request.app[runtime_key].tokens.expire_all()
    return web.Response(status=204)


async def chat_gateway_key(request: web.Request) -> web.StreamResponse:
    revoked = (await _body(request)).get("revoked", True)
    if not isinstance(revoked, bool):
        raise constraint_violation("revoked: must be true or false")
    request.app[runtime_key].faults.chat_gateway_key_revoked = revoked
    return web.Response(status=204)


async def pause(request: web.Request) -> web.StreamResponse:
    request.app[runtime_key].deliverer.pause()
    return web.Response(status=204)


async def resume(request: web.Request) -> web.StreamResponse:
    request.app[runtime_key].deliverer.resume()
    return web.Response(status=204)


async def duplicate(request: web.Request) -> web.StreamResponse:
    request.app[runtime_key].faults.delivery.duplicate_next += _int(await _body(request), "count", 1)
    return web.Response(status=204)


async def bad_signature(request: web.Request) -> web.StreamResponse:
    request.app[runtime_key].faults.delivery.bad_signature_next += _int(await _body(request), "count", 1)
    return web.Response(status=204)


async def reorder(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    delivery = request.app[runtime_key].faults.delivery
    delivery.reorder_window = _int(body, "window", 2, 2)
    max_wait = body.get("maxWait", 1.0)
    if not isinstance(max_wait, int | float) or max_wait <= 0:
        raise constraint_violation("maxWait: must be a positive number")
    delivery.reorder_max_wait = float(max_wait)
    return web.Response(status=204)


async def queued_before_response(request: web.Request) -> web.StreamResponse:
    request.app[runtime_key].faults.queued_before_response = bool((await _body(request)).get("enabled", True))
    return web.Response(status=204)


async def requests_log(request: web.Request) -> web.StreamResponse:
    return json_response({"requests": [r.to_json() for r in request.app[runtime_key].requests]})


async def clear_requests(request: web.Request) -> web.StreamResponse:
    request.app[runtime_key].requests.clear()
    return web.Response(status=204)


async def deliveries(request: web.Request) -> web.StreamResponse:
    return json_response({"attempts": [attempt_view(a) for a in request.app[runtime_key].deliverer.log]})


async def events(request: web.Request) -> web.StreamResponse:
    return json_response({"events": [event_view(e) for e in request.app[runtime_key].deliverer.events]})


ROUTES = [
    ("POST", "/_emulator/faults", add_fault, "fault_add"),
    ("DELETE", "/_emulator/faults", clear_faults, "fault_clear"),
    ("POST", "/_emulator/faults/queued-before-response", queued_before_response, "fault_queued_first"),
    ("POST", "/_emulator/tokens/expire", expire_tokens, "fault_expire_tokens"),
    ("POST", "/_emulator/faults/chat-gateway-key", chat_gateway_key, "fault_chat_gateway_key"),
    ("POST", "/_emulator/delivery/pause", pause, "delivery_pause"),
    ("POST", "/_emulator/delivery/resume", resume, "delivery_resume"),
    ("POST", "/_emulator/delivery/duplicate", duplicate, "delivery_duplicate"),
    ("POST", "/_emulator/delivery/bad-signature", bad_signature, "delivery_bad_signature"),
    ("POST", "/_emulator/delivery/reorder", reorder, "delivery_reorder"),
    ("GET", "/_emulator/requests", requests_log, "requests_log"),
    ("DELETE", "/_emulator/requests", clear_requests, "requests_clear"),
    ("GET", "/_emulator/deliveries", deliveries, "deliveries_log"),
    ("GET", "/_emulator/events", events, "events_log"),
]
