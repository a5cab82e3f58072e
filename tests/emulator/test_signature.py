"""Webhook signatures (spec §5.4) checked through an independent implementation: joserfc verifies the
detached, unencoded-payload JWS with the JWK the emulator serves. If the emulator and the gateway shared a
misreading of the spec, only a third implementation would notice.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import pytest
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import RSAKey

from gateway.emulator.handle import Emulator
from tests.support.emulator_api import Api
from tests.support.webhook_receiver import Delivery, Receiver


def signed_payload(body: bytes, headers: dict[str, str]) -> str:
    payload = {
        "checksum": zlib.crc32(body),
        "cid": headers["x-8x8-customer-id"],
        "eid": headers["x-8x8-event-id"],
        "retry": int(headers["x-8x8-retry"]),
        "tid": headers["x-8x8-tenant-id"],
        "tt": int(headers["x-8x8-transmission-time"]),
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def verify(body: bytes, headers: dict[str, str], jwk: dict[str, Any]) -> None:
    """Raises ``BadSignatureError`` unless the signature is valid for ``body``."""
    protected, middle, signature = headers["x-8x8-signature"].split(".")
    assert middle == ""  # detached
    jws.deserialize_compact(
        f"{protected}.{signed_payload(body, headers)}.{signature}",
        RSAKey.import_key(jwk),
        algorithms=["RS256"],
    )


async def fetch_jwk(api: Api, emulator: Emulator, kid: str) -> dict[str, Any]:
    """The JWK as a receiver gets it: by the signature's kid, over HTTP, without a token."""
    reply = await api.request("GET", f"{emulator.base_url}/vcc/{emulator.region}/chat/v2/jwk/{kid}/public")
    assert reply.status == 200, reply.body
    jwk: dict[str, Any] = reply.body
    return jwk


def protected_header(delivery: Delivery) -> dict[str, Any]:
    encoded = delivery.headers["x-8x8-signature"].split(".")[0]
    header: dict[str, Any] = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return header


async def first_event(api: Api, receiver: Receiver) -> Delivery:
    channel = await api.channel(receiver)
    await api.create_conversation(channel, name="Zoë Ünicode")  # non-ASCII body bytes
    deliveries: list[Delivery] = await receiver.wait_for(receiver.events)
    return deliveries[0]


async def test_signature_verifies_with_joserfc_and_the_served_jwk(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    event = await first_event(api, receiver)
    header = protected_header(event)
    assert header == {"b64": False, "crit": ["b64"], "kid": emulator.kid, "alg": "RS256"}
    jwk = await fetch_jwk(api, emulator, header["kid"])
    verify(event.body, event.headers, jwk)
    # the WEB_HOOK_VERIFY that preceded it comes unsigned (strict profile: 8x8 documents only "answer 2xx")
    assert receiver.deliveries[0].json["eventType"] == "WEB_HOOK_VERIFY"
    assert "x-8x8-signature" not in receiver.deliveries[0].headers


async def test_signature_fails_when_one_body_byte_changes(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    event = await first_event(api, receiver)
    jwk = await fetch_jwk(api, emulator, protected_header(event)["kid"])
    verify(event.body, event.headers, jwk)  # intact: valid
    tampered = bytearray(event.body)
    index = event.body.index(b"QUEUED")
    tampered[index] = ord("X")
    with pytest.raises(BadSignatureError):
        verify(bytes(tampered), event.headers, jwk)


async def test_corrupt_signature_fault_spoils_exactly_the_next_attempt(
    api: Api, receiver: Receiver, emulator: Emulator
) -> None:
    channel = await api.channel(receiver)
    assert (await api.control("POST", "/delivery/bad-signature", {"count": 1})).status == 204
    cid = await api.create_conversation(channel)
    await emulator.wait_for_state(cid, "queued")
    await emulator.agent_join(cid, "alice")
    deliveries: list[Delivery] = await receiver.wait_for(
        lambda: len(receiver.events(cid)) == 2 and receiver.events(cid)
    )
    jwk = await fetch_jwk(api, emulator, emulator.kid)
    with pytest.raises(BadSignatureError):
        verify(deliveries[0].body, deliveries[0].headers, jwk)
    verify(deliveries[1].body, deliveries[1].headers, jwk)
