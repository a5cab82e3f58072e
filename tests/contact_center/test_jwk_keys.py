"""Public keys from the real emulator's JWK endpoints: a revoked key stops working once its cached copy
expires, and fetches for kids we do not hold are rate-limited."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from gateway.contact_center.chat_gateway.client import ChatGatewayClient
from gateway.contact_center.core.signature import JwkCache, SignatureInvalid
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator


@pytest.fixture
async def client() -> AsyncIterator[tuple[Emulator, ChatGatewayClient]]:
    async with (
        running_emulator(EmulatorConfig(mode="manual")) as cc,
        aiohttp.ClientSession(base_url=cc.base_url + "/") as session,
    ):
        yield cc, ChatGatewayClient(session, api_key=cc.chat_gateway_api_key, tenant=cc.tenant_id)


def _jwk_calls(cc: Emulator) -> int:
    return sum(1 for r in cc.requests if "/jwk/" in r.path)


async def test_a_key_8x8_revokes_stops_working_once_the_cached_copy_expires(
    client: tuple[Emulator, ChatGatewayClient],
) -> None:
    cc, cgw = client
    now = [0.0]
    keys = JwkCache(cgw.public_jwk, key_ttl_s=600, clock=lambda: now[0])
    old = cc.kid
    await keys.key(old)
    cc.rotate_signing_key()  # 8x8 rotates: the old kid is unknown from now on
    now[0] = 599.0
    await keys.key(old)  # still cached
    now[0] = 601.0
    with pytest.raises(SignatureInvalid, match="unknown kid"):
        await keys.key(old)
    await keys.key(cc.kid)  # the new key is fetched by its kid


async def test_fetches_for_unknown_kids_are_rate_limited(client: tuple[Emulator, ChatGatewayClient]) -> None:
    cc, cgw = client
    now = [0.0]
    keys = JwkCache(cgw.public_jwk, fetches_per_window=3, fetch_window_s=60, clock=lambda: now[0])
    for i in range(10):
        with pytest.raises(SignatureInvalid):
            await keys.key(f"forged-{i}")
    # Each unknown kid costs two GETs (the OpenAPI's path, then the v2 path); only three kids were fetched.
    assert _jwk_calls(cc) == 3 * 2
    with pytest.raises(SignatureInvalid, match="rate-limited"):
        await keys.key(cc.kid)  # even the real kid waits for the window
    now[0] = 61.0
    await keys.key(cc.kid)
    assert _jwk_calls(cc) == 3 * 2 + 1
