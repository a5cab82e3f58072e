"""The store x 8x8-API matrix, said at each test.

A test that starts a gateway through ``start_gateway`` (or ``escalating_gateway``, ``new_customer``) needs
``cc_api``: it says which 8x8 API the gateway escalates to with one of these decorators, and runs once per
API named. A test that must hold on both stores says ``@both_stores`` (or ``pytestmark = both_stores``);
without it the store is SQLite. Parametrise ``cc_api`` before ``store_kind`` (decorator nearest the ``def``,
or the function's mark before the module's) and the ids read ``[chat_api-sqlite]``.
"""

from __future__ import annotations

import pytest

APIS = ("chat_api", "chat_gateway")
"""``chat_api``: 8x8 Chat API v2; ``chat_gateway``: its successor. One emulator serves both."""
STORES = ("sqlite", "redis")

both_apis = pytest.mark.parametrize("cc_api", APIS)
"""Run once against the Chat API v2 and once against the Chat Gateway."""
chat_api_only = pytest.mark.parametrize("cc_api", ["chat_api"])
"""A test about the Chat API v2's particulars (or one where the API makes no difference)."""
chat_gateway_only = pytest.mark.parametrize("cc_api", ["chat_gateway"])
"""A test about the Chat Gateway's particulars (or one where the API makes no difference)."""
both_stores = pytest.mark.parametrize("store_kind", STORES)
"""Run once on SQLite and once on a real redis-server of the test session's own."""
