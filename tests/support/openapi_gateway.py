"""Settings for the OpenAPI tests' gateway: limits high enough that generated traffic is not all answered 429,
small text and body limits that generated requests cross often, and a metrics token (``/metrics`` guarded)."""

from __future__ import annotations

from typing import Any

from tests.support.gateway import SettingsFactory

METRICS_TOKEN = "metrics-token-for-tests"


def api_settings(make_settings: SettingsFactory, port: int, **overrides: Any) -> Any:
    return make_settings(
        public_url=f"http://127.0.0.1:{port}",
        limits={
            "address_rate": 10_000,
            "address_burst": 10_000,
            "messages_per_second": 10_000,
            "burst": 10_000,
            # Small limits make generated requests cross them often (and keep generation fast).
            "max_text_chars": 200,
            "max_body_bytes": 2048,
        },
        metrics={"token": METRICS_TOKEN},
        relay={"retry_base_s": 0.05, "retry_cap_s": 0.3},
        **overrides,
    )
