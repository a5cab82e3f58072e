"""Behind a proxy, a client cannot escape the per-address limits by writing its own X-Forwarded-For.

The attack (issue 19, finding 1): nginx's ``$proxy_add_x_forwarded_for`` appends the address it saw to
whatever the client sent, so the first entry is the client's to choose. Taking it gave every request a
fresh budget: 300 session creations with a random first hop, 300 accepted. The gateway now takes the
entry ``GATEWAY_WEB__TRUSTED_PROXIES`` from the right, which the proxy wrote.
"""

from __future__ import annotations

import asyncio
import random
import time

import aiohttp
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from tests.support.gateway import SettingsFactory

RATE = 1.0
BURST = 20


async def _statuses(http: aiohttp.ClientSession, url: str, headers: list[dict[str, str]]) -> list[int]:
    async def one(h: dict[str, str]) -> int:
        async with http.post(url, headers=h) as resp:
            await resp.read()
            return resp.status

    statuses: list[int] = []
    for i in range(0, len(headers), 20):
        statuses += await asyncio.gather(*(one(h) for h in headers[i : i + 20]))
    return statuses


def _spoofed(real: str, n: int) -> list[dict[str, str]]:
    """What the proxy forwards: the client's forged hop, then the address the proxy saw."""
    rng = random.Random(19)
    return [
        {"X-Forwarded-For": f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.7, {real}"}
        for _ in range(n)
    ]


async def test_a_forged_first_hop_does_not_escape_the_address_limit(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    settings = make_settings(
        limits={"address_rate": RATE, "address_burst": BURST}, web={"trust_forwarded_for": True}
    )
    server = await aiohttp_server(build_app(settings))
    url = str(server.make_url("/chat/sessions"))
    started = time.monotonic()
    statuses = await _statuses(http, url, _spoofed("198.51.100.9", 300))
    elapsed = time.monotonic() - started
    accepted = statuses.count(201)
    # One address's budget: the burst plus what refilled while the attack ran, nothing per forged hop.
    assert accepted <= BURST + RATE * elapsed + 1, (accepted, elapsed)
    assert statuses.count(429) >= 300 - (BURST + RATE * elapsed + 1)
    # Another real client (another address the proxy saw) still gets in.
    assert await _statuses(http, url, [{"X-Forwarded-For": "10.9.9.9, 198.51.100.10"}]) == [201]


async def test_two_proxies_take_the_second_entry_from_the_right(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    settings = make_settings(
        limits={"address_rate": 0.01, "address_burst": 1},
        web={"trust_forwarded_for": True, "trusted_proxies": 2},
    )
    server = await aiohttp_server(build_app(settings))
    url = str(server.make_url("/chat/sessions"))
    # forged, client as seen by the outer proxy, outer proxy as seen by the inner one
    assert await _statuses(http, url, [{"X-Forwarded-For": "1.1.1.1, 198.51.100.9, 10.0.0.2"}]) == [201]
    assert await _statuses(http, url, [{"X-Forwarded-For": "2.2.2.2, 198.51.100.9, 10.0.0.3"}]) == [429]
    # Too few entries for the configured proxies: counted as the connecting peer's, not a fresh address.
    assert await _statuses(http, url, [{"X-Forwarded-For": "3.3.3.3"}]) == [201]
    assert await _statuses(http, url, [{"X-Forwarded-For": "4.4.4.4"}]) == [429]
