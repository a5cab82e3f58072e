"""Webhook signatures: 8x8's test vector, every malformed signature refused, keys fetched once by kid."""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256
from hypothesis import given
from hypothesis import strategies as st

from gateway.contact_center.core.signature import (
    JwkCache,
    SignatureInvalid,
    b64url_decode,
    signed_payload,
    verify,
)

VECTOR_BODY = (
    b'{"eventType":"AGENT_JOINED","messageType":"SYSTEM","conversationId":"Aka5NMHU8MtIG7lUQOxI0DTOvM4",'
    b'"agentId":"cmalutan","agentName":"Cosmin,Malutan","timestamp":1629804577002}'
)
VECTOR_HEADERS = {
    "x-8x8-customer-id": "vccC8ProdChecksUS",
    "x-8x8-tenant-id": "vccC8ProdChecksUS",
    "x-8x8-event-id": "g4nqGuj8TpCa6tiZ3DeeNw",
    "x-8x8-retry": "0",
    "x-8x8-transmission-time": "1629804577296",
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_the_signed_payload_matches_8x8s_test_vector() -> None:
    assert signed_payload(VECTOR_BODY, VECTOR_HEADERS) == (
        b'{"checksum":1564621066,"cid":"vccC8ProdChecksUS","eid":"g4nqGuj8TpCa6tiZ3DeeNw",'
        b'"retry":0,"tid":"vccC8ProdChecksUS","tt":1629804577296}'
    )
    assert zlib.crc32(VECTOR_BODY) == 1564621066  # not the 1411811814 of 8x8's other page


@pytest.mark.parametrize("odd", ['q"uote', "back\\slash", "line\nbreak\t\x00\x1f", "é 😀 \u2028 </"])
def test_the_signed_payload_is_the_compact_json_of_the_headers_whatever_they_hold(odd: str) -> None:
    """The payload is written out by hand: it must stay byte for byte what ``json.dumps`` makes of it."""
    headers = {**VECTOR_HEADERS, "x-8x8-customer-id": odd, "x-8x8-event-id": odd + "e", "x-8x8-retry": "+2"}
    expected = {
        "checksum": zlib.crc32(VECTOR_BODY),
        "cid": odd,
        "eid": odd + "e",
        "retry": 2,
        "tid": headers["x-8x8-tenant-id"],
        "tt": int(headers["x-8x8-transmission-time"]),
    }
    assert (
        signed_payload(VECTOR_BODY, headers)
        == json.dumps(expected, separators=(",", ":"), ensure_ascii=False).encode()
    )


class _Keys:
    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.private.public_key().public_numbers()
        self.jwk = {
            "kty": "RSA",
            "kid": "k1",
            "e": _b64(numbers.e.to_bytes(3, "big")),
            "n": _b64(numbers.n.to_bytes(256, "big")),
        }
        self.fetches: list[str] = []

    async def fetch(self, kid: str) -> dict[str, Any] | None:
        self.fetches.append(kid)
        return self.jwk if kid == "k1" else None

    def sign(self, body: bytes, headers: dict[str, str], header: dict[str, Any] | None = None) -> str:
        protected = _b64(
            json.dumps(header or {"b64": False, "crit": ["b64"], "kid": "k1", "alg": "RS256"}).encode()
        )
        signature = self.private.sign(
            protected.encode() + b"." + signed_payload(body, headers), padding.PKCS1v15(), SHA256()
        )
        return f"{protected}..{_b64(signature)}"


async def test_a_valid_signature_verifies_and_the_key_is_fetched_once() -> None:
    keys = _Keys()
    cache = JwkCache(keys.fetch)
    for _ in range(3):
        headers = {**VECTOR_HEADERS, "x-8x8-signature": keys.sign(VECTOR_BODY, VECTOR_HEADERS)}
        await verify(VECTOR_BODY, headers, cache)
    assert keys.fetches == ["k1"]


async def test_one_changed_byte_of_the_body_fails() -> None:
    keys = _Keys()
    headers = {**VECTOR_HEADERS, "x-8x8-signature": keys.sign(VECTOR_BODY, VECTOR_HEADERS)}
    with pytest.raises(SignatureInvalid, match="does not verify"):
        await verify(VECTOR_BODY.replace(b"Cosmin", b"Cosmim"), headers, JwkCache(keys.fetch))


async def test_a_changed_header_fails() -> None:
    keys = _Keys()
    signature = keys.sign(VECTOR_BODY, VECTOR_HEADERS)
    headers = {**VECTOR_HEADERS, "x-8x8-retry": "1", "x-8x8-signature": signature}
    with pytest.raises(SignatureInvalid):
        await verify(VECTOR_BODY, headers, JwkCache(keys.fetch))


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"b64": False, "crit": ["b64"], "kid": "k1", "alg": "HS256"}, "RS256"),
        ({"b64": True, "crit": ["b64"], "kid": "k1", "alg": "RS256"}, "b64"),
        ({"b64": False, "kid": "k1", "alg": "RS256"}, "crit"),
        ({"b64": False, "crit": ["b64"], "alg": "RS256"}, "kid"),
    ],
)
async def test_headers_other_than_8x8s_are_refused(header: dict[str, Any], reason: str) -> None:
    keys = _Keys()
    headers = {**VECTOR_HEADERS, "x-8x8-signature": keys.sign(VECTOR_BODY, VECTOR_HEADERS, header)}
    with pytest.raises(SignatureInvalid):
        await verify(VECTOR_BODY, headers, JwkCache(keys.fetch))


@pytest.mark.parametrize("value", ["", "abc", "a.b.c", "a..", "!!!..sig", "e30..AAAA"])
async def test_malformed_signatures_are_refused(value: str) -> None:
    keys = _Keys()
    with pytest.raises(SignatureInvalid):
        await verify(VECTOR_BODY, {**VECTOR_HEADERS, "x-8x8-signature": value}, JwkCache(keys.fetch))


async def test_an_unknown_kid_is_fetched_once_then_remembered_as_unknown() -> None:
    keys = _Keys()
    cache = JwkCache(keys.fetch, negative_ttl_s=60)
    header = {"b64": False, "crit": ["b64"], "kid": "rotated-away", "alg": "RS256"}
    headers = {**VECTOR_HEADERS, "x-8x8-signature": keys.sign(VECTOR_BODY, VECTOR_HEADERS, header)}
    for _ in range(3):
        with pytest.raises(SignatureInvalid, match="unknown kid"):
            await verify(VECTOR_BODY, headers, cache)
    assert keys.fetches == ["rotated-away"]


_B64URL = st.text(alphabet="ABCXYZabcxyz0189-_+/=.!é \n", max_size=40)


@given(data=st.one_of(_B64URL, st.binary(max_size=30).map(_b64)))
def test_base64url_is_decoded_as_the_standard_library_does(data: str) -> None:
    """``b64url_decode`` calls binascii directly: the same bytes, and refused where the library refuses."""
    try:
        expected: bytes | None = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        expected = None
    if expected is None:
        with pytest.raises(SignatureInvalid, match="not base64url"):
            b64url_decode(data)
    else:
        assert b64url_decode(data) == expected
