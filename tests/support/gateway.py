"""Types of the gateway fixtures (``make_settings``, ``customer``, ``start_gateway``), for annotating tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestServer

from gateway.settings import Settings
from tests.support.customer import CustomerSocket

SettingsFactory = Callable[..., Settings]
"""``make_settings(**overrides)``: Settings read from no environment, on the test's store."""

CustomerFactory = Callable[..., Awaitable[CustomerSocket]]
"""``await customer()``: a new customer socket on the test gateway (not yet started)."""

GatewayFactory = Callable[..., Awaitable[TestServer]]
"""``await start_gateway(port=None, **overrides)``: a gateway wired to the emulator, on a real port."""
