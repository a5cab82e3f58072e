"""The REST fallback: same conversation model, bearer session tokens, problem+json errors."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from tests.support.gateway import CustomerFactory


async def _start(http: aiohttp.ClientSession, gateway: TestServer, **body: Any) -> dict[str, Any]:
    resp = await http.post(gateway.make_url("/chat/sessions"), json=body)
    assert resp.status == 201
    data: dict[str, Any] = await resp.json()
    return data


def _auth(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['session']}"}


async def _problem(resp: aiohttp.ClientResponse, status: int, code: str) -> dict[str, Any]:
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/problem+json"
    body: dict[str, Any] = await resp.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"].endswith(code)
    return body


async def _entries(
    http: aiohttp.ClientSession, gateway: TestServer, s: dict[str, Any], after: int = 0
) -> Any:
    url = gateway.make_url(f"/chat/sessions/{s['conversation_id']}/messages")
    resp = await http.get(url, params={"after": after}, headers=_auth(s))
    assert resp.status == 200
    return await resp.json()


async def test_rest_session_message_poll_and_leave(http: aiohttp.ClientSession, gateway: TestServer) -> None:
    s = await _start(http, gateway, customer={"name": "Bo", "email": "bo@example.com", "plan": "gold"})
    assert s["state"] == "bot"
    base = f"/chat/sessions/{s['conversation_id']}"
    resp = await http.post(
        gateway.make_url(base + "/messages"), json={"text": "hello", "client_id": "k1"}, headers=_auth(s)
    )
    assert resp.status == 202
    assert await resp.json() == {"client_id": "k1", "seq": 1}
    again = await http.post(
        gateway.make_url(base + "/messages"), json={"text": "hello", "client_id": "k1"}, headers=_auth(s)
    )
    assert await again.json() == {"client_id": "k1", "seq": 1}
    for _ in range(100):
        data = await _entries(http, gateway, s)
        if len(data["entries"]) == 2:
            break
        await asyncio.sleep(0.02)
    assert data["state"] == "bot"
    assert [(e["type"], e["seq"], e.get("author")) for e in data["entries"]] == [
        ("message", 1, "customer"),
        ("message", 2, "bot"),
    ]
    assert (await _entries(http, gateway, s, after=1))["entries"][0]["seq"] == 2
    resp = await http.post(gateway.make_url(base + "/leave"), headers=_auth(s))
    assert await resp.json() == {"state": "closed"}
    await _problem(await http.post(gateway.make_url(base + "/leave"), headers=_auth(s)), 409, "wrong_state")
    await _problem(await http.post(gateway.make_url(base + "/cancel"), headers=_auth(s)), 409, "wrong_state")


async def test_one_session_cannot_read_or_write_another(
    http: aiohttp.ClientSession, gateway: TestServer, customer: CustomerFactory
) -> None:
    alice = await _start(http, gateway)
    bob = await _start(http, gateway)
    alice_url = f"/chat/sessions/{alice['conversation_id']}/messages"
    await _problem(await http.get(gateway.make_url(alice_url), headers=_auth(bob)), 404, "unknown_session")
    await _problem(
        await http.post(
            gateway.make_url(alice_url), json={"text": "hi", "client_id": "z"}, headers=_auth(bob)
        ),
        404,
        "unknown_session",
    )
    await _problem(await http.get(gateway.make_url(alice_url)), 401, "unauthorized")
    await _problem(
        await http.get(gateway.make_url(alice_url), headers={"Authorization": "Bearer nope"}),
        404,
        "unknown_session",
    )
    # Bob's token never reaches Alice's conversation over the socket either: it resumes Bob's own.
    c = await customer()
    c.session = bob["session"]
    session = await c.start(resume=True, last_seq=0)
    assert session["conversation_id"] == bob["conversation_id"]
    assert (await _entries(http, gateway, alice))["entries"] == []


async def test_rest_bad_input_gets_problem_json_and_changes_nothing(
    http: aiohttp.ClientSession, gateway: TestServer
) -> None:
    await _problem(await http.post(gateway.make_url("/chat/sessions"), data=b"{oops"), 400, "bad_json")
    await _problem(
        await http.post(gateway.make_url("/chat/sessions"), json={"customer": 5}), 422, "invalid_frame"
    )
    s = await _start(http, gateway)
    url = gateway.make_url(f"/chat/sessions/{s['conversation_id']}/messages")
    await _problem(
        await http.post(url, json={"text": "x" * 4001, "client_id": "a"}, headers=_auth(s)), 413, "too_long"
    )
    await _problem(await http.post(url, data=b"x" * 70_000, headers=_auth(s)), 413, "too_long")
    await _problem(
        await http.post(url, json={"text": "", "client_id": "a"}, headers=_auth(s)), 422, "invalid_frame"
    )
    await _problem(await http.post(url, json={"client_id": "a"}, headers=_auth(s)), 422, "invalid_frame")
    await _problem(await http.get(url, params={"after": "x"}, headers=_auth(s)), 422, "invalid_frame")
    assert (await _entries(http, gateway, s))["entries"] == []


async def test_health_and_readiness(http: aiohttp.ClientSession, gateway: TestServer) -> None:
    assert await (await http.get(gateway.make_url("/healthz"))).json() == {"status": "ok"}
    assert await (await http.get(gateway.make_url("/readyz"))).json() == {"status": "ready"}
