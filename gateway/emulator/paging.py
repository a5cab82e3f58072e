"""``size``/``page`` query parameters and the ``{"data":[…],"page":{…}}`` list envelope."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from .errors import constraint_violation


def _int_param(request: web.Request, name: str, default: int, minimum: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise constraint_violation(f"{name}: must be an integer") from None
    if value < minimum:
        raise constraint_violation(f"{name}: must be greater than or equal to {minimum}")
    return value


def paged(request: web.Request, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    size = _int_param(request, "size", 20, 1)
    page = _int_param(request, "page", 0, 0)
    return {
        "data": list(items[page * size : (page + 1) * size]),
        "page": {
            "pageSize": size,
            "pageIndex": page,
            "elementCount": len(items),
            "pageCount": math.ceil(len(items) / size),
        },
    }
