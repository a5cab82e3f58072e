"""The WebSocket Origin allowlist (``GATEWAY_WEB__ALLOWED_ORIGINS``)."""

from __future__ import annotations

from collections.abc import Sequence


def origin_allowed(origin: str | None, allowed: Sequence[str]) -> bool:
    """``*`` allows every origin (and none); otherwise the Origin header must be listed exactly."""
    if "*" in allowed:
        return True
    return origin is not None and origin.rstrip("/") in allowed
