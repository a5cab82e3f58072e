"""``/channels`` (spec §4.2): CRUD bound to a webhook and a queue, FIQL ``filter`` subset, ``sort``, paging.

Filter grammar (our choice): ``expr := term ((';' | ',') term)*`` with ``;`` = and (binds tighter), ``,`` = or,
``term := '(' expr ')' | selector ('==' | '!=') value``; selectors ``name``, ``routingOptions.id`` (also
``routingOption.id`` as in 8x8's example), ``webHookId``, ``id``; ``*`` in a value matches any run of characters.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from aiohttp import web

from .errors import (
    Problem,
    constraint_violation,
    json_response,
    not_found,
    read_json_object,
    validation_failed,
)
from .paging import paged
from .runtime import Runtime, runtime_key
from .state import Api, Channel
from .webhooks import check_if_match

T = TypeVar("T")
Predicate = Callable[[T], bool]
SELECTORS: dict[str, Callable[[Channel], str]] = {
    "name": lambda c: c.name,
    "routingOptions.id": lambda c: c.queue_id,
    "routingOption.id": lambda c: c.queue_id,
    "webHookId": lambda c: c.webhook_id,
    "id": lambda c: c.id,
}
_TOKEN = re.compile(r"\s*(\(|\)|;|,|[^();,]+)")


def _filter_error(reason: str) -> Problem:
    return constraint_violation(f"filter: {reason}")


def parse_filter(
    text: str,
    selectors: Mapping[str, Callable[[T], str]] = SELECTORS,  # type: ignore[assignment]
    error: Callable[[str], Problem] = _filter_error,
) -> Predicate[T]:
    """Compile the filter over ``selectors`` (Chat Gateway passes its own); values may be quoted."""
    tokens = [m.group(1).strip() for m in _TOKEN.finditer(text) if m.group(1).strip()]
    pos = 0

    def bad(reason: str) -> Problem:
        return error(reason)

    def expr() -> Predicate[T]:
        nonlocal pos
        ors = [conjunction()]
        while pos < len(tokens) and tokens[pos] == ",":
            pos += 1
            ors.append(conjunction())
        return lambda c: any(p(c) for p in ors)

    def conjunction() -> Predicate[T]:
        nonlocal pos
        ands = [term()]
        while pos < len(tokens) and tokens[pos] == ";":
            pos += 1
            ands.append(term())
        return lambda c: all(p(c) for p in ands)

    def term() -> Predicate[T]:
        nonlocal pos
        if pos >= len(tokens):
            raise bad("unexpected end")
        token = tokens[pos]
        pos += 1
        if token == "(":
            inner = expr()
            if pos >= len(tokens) or tokens[pos] != ")":
                raise bad("missing )")
            pos += 1
            return inner
        match = re.fullmatch(r"([A-Za-z.]+)\s*(==|!=)\s*(.*)", token)
        if match is None or match.group(1) not in selectors:
            raise bad(f"unsupported comparison {token!r}")
        getter, negate, pattern = selectors[match.group(1)], match.group(2) == "!=", match.group(3)
        if len(pattern) >= 2 and pattern[0] == pattern[-1] and pattern[0] in "\"'":
            pattern = pattern[1:-1]
        return lambda c: fnmatch.fnmatchcase(getter(c), pattern) != negate

    predicate = expr()
    if pos != len(tokens):
        raise bad(f"unexpected {tokens[pos]!r}")
    return predicate


def _sort_key(field: str) -> Callable[[Channel], Any]:
    if field == "name":
        return lambda c: c.name
    return lambda c: (len(c.id), c.id)  # ids are increasing decimal strings


def _validated(rt: Runtime, body: dict[str, Any], *, on_create: bool) -> Channel:
    """Check a ChannelWrite; POST answers ValidationExceptionPayload, PUT ConstraintViolationProblem."""
    items: list[tuple[str, str | None, str, str]] = []
    name, webhook_id, routing = body.get("name"), body.get("webHookId"), body.get("routingOptions")

    def add(field: str, value: Any, code: str, message: str) -> None:
        items.append((field, None if value is None else str(value), code, message))

    if not isinstance(name, str) or not name:
        add("name", name, "required", "name: May not be empty.")
    elif len(name) > 255:
        add("name", name, "size", "name: size must be between 1 and 255")
    if not isinstance(webhook_id, str) or not webhook_id:
        add("webHookId", webhook_id, "required", "webHookId: May not be empty.")
    elif rt.store.webhook(Api.CHAT_API, webhook_id) is None:
        add("webHookId", webhook_id, "invalid_webhook", f"Webhook ID {webhook_id} is invalid.")
    queue_id: Any = None
    if not isinstance(routing, dict):
        add("routingOptions", routing, "required", "routingOptions: May not be empty.")
    else:
        queue_id = routing.get("id")
        if routing.get("type") != "queue":
            add(
                "routingOptions.type",
                routing.get("type"),
                "invalid_type",
                "routingOptions.type: must be queue",
            )
        if not isinstance(queue_id, str) or not queue_id:
            add("routingOptions.id", queue_id, "required", "routingOptions.id: May not be empty.")
        elif rt.config.queue(queue_id) is None:
            add("routingOptions.id", queue_id, "invalid_queue", f"Queue ID {queue_id} is invalid.")
    if items:
        if on_create:
            raise validation_failed(*items)
        raise constraint_violation(*(m if m.startswith(f) else f"{f}: {m}" for f, _, _, m in items))
    return Channel(id="", name=str(name), webhook_id=str(webhook_id), queue_id=str(queue_id))


def _channel(rt: Runtime, request: web.Request) -> Channel:
    channel_id = request.match_info["channel_id"]
    channel = rt.store.channel(Api.CHAT_API, channel_id)
    if channel is None:
        raise not_found("Channel", channel_id)
    return channel


async def list_channels(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    channels = [c for c in rt.store.channels.values() if c.api is Api.CHAT_API]
    if flt := request.query.get("filter"):
        predicate: Predicate[Channel] = parse_filter(flt)
        channels = [c for c in channels if predicate(c)]
    field, _, direction = request.query.get("sort", "id").partition(":")
    if field not in {"id", "name"} or direction not in {"", "asc", "desc"}:
        raise constraint_violation("sort: must be id or name, optionally :asc or :desc")
    channels.sort(key=_sort_key(field), reverse=direction == "desc")
    return json_response(paged(request, [c.to_json() for c in channels]))


async def create_channel(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    channel = _validated(rt, await read_json_object(request), on_create=True)
    channel.id = rt.store.next_id()
    rt.store.channels[channel.id] = channel
    rt.store.changed()
    return json_response(channel.to_json())


async def get_channel(request: web.Request) -> web.StreamResponse:
    return json_response(_channel(request.app[runtime_key], request).to_json())


async def update_channel(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    channel = _channel(rt, request)
    check_if_match(request, channel.revision)
    new = _validated(rt, await read_json_object(request), on_create=False)
    channel.name, channel.webhook_id, channel.queue_id = new.name, new.webhook_id, new.queue_id
    channel.revision += 1
    rt.store.changed()
    return json_response(channel.to_json())


async def delete_channel(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    del rt.store.channels[_channel(rt, request).id]
    rt.store.changed()
    return web.Response(status=204)


ROUTES = [
    ("GET", "/channels", list_channels, "list_channels"),
    ("POST", "/channels", create_channel, "create_channel"),
    ("GET", "/channels/{channel_id}", get_channel, "get_channel"),
    ("PUT", "/channels/{channel_id}", update_channel, "update_channel"),
    ("DELETE", "/channels/{channel_id}", delete_channel, "delete_channel"),
]
