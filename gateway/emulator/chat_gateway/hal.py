"""HAL lists (spec chat-gateway-v1 §1): ``{"_embedded":{name:[…]},"_links":{"self"},"page":{…}}`` with
``size`` (default 20), ``page`` (0-based) and ``sort`` (``field:asc|desc``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

from .errors import invalid_json


def _int_param(request: web.Request, name: str, default: int, minimum: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_json(f"{name}: must be an integer") from None
    if value < minimum:
        raise invalid_json(f"{name}: must be greater than or equal to {minimum}")
    return value


def sort_order(
    request: web.Request, keys: dict[str, Callable[[Any], Any]], default: str
) -> tuple[Callable[[Any], Any], bool]:
    """The ``sort`` parameter as ``(key function, reverse)``; only the fields in ``keys`` are allowed."""
    raw = request.query.get("sort") or default
    field, _, direction = raw.partition(":")
    if field not in keys or direction not in {"", "asc", "desc"}:
        allowed = ", ".join(sorted(keys))
        raise invalid_json(f"sort: must be one of [{allowed}], optionally :asc or :desc")
    return keys[field], direction == "desc"


def hal_page(request: web.Request, name: str, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    size = _int_param(request, "size", 20, 1)
    page = _int_param(request, "page", 0, 0)
    return {
        "_embedded": {name: list(items[page * size : (page + 1) * size])},
        "_links": {"self": {"href": str(request.url.relative())}},
        "page": {
            "size": size,
            "number": page,
            "totalElements": len(items),
            "totalPages": math.ceil(len(items) / size),
        },
    }
