"""Webhook signatures (spec §5.4): a detached, unencoded-payload (RFC 7797) compact JWS, RS256.

The key pair is generated when the emulator starts; its public half is served as a JWK under its ``kid``.
"""

from __future__ import annotations

import base64
import json
import secrets
import zlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def random_id() -> str:
    """22 base64url characters from 16 random bytes (conversation ids, event ids, kids)."""
    return b64url(secrets.token_bytes(16))


def _int_b64url(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def signature_payload(body: bytes, *, cid: str, eid: str, retry: int, tid: str, tt: int) -> bytes:
    """The signed payload: compact JSON, keys in this exact order, checksum = unsigned CRC-32 of the body."""
    payload: dict[str, Any] = {
        "checksum": zlib.crc32(body),
        "cid": cid,
        "eid": eid,
        "retry": retry,
        "tid": tid,
        "tt": tt,
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class Signer:
    """One RSA-2048 key pair, its ``kid`` and the JWS it makes."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = random_id()
        header = {"b64": False, "crit": ["b64"], "kid": self.kid, "alg": "RS256"}
        self._protected = b64url(json.dumps(header, separators=(",", ":")).encode())

    def public_jwk(self) -> dict[str, str]:
        numbers = self._key.public_key().public_numbers()
        return {"kty": "RSA", "e": _int_b64url(numbers.e), "kid": self.kid, "n": _int_b64url(numbers.n)}

    def sign(self, payload: bytes) -> str:
        """``BASE64URL(header) + ".." + BASE64URL(RS256(header_b64 + "." + payload))``."""
        signing_input = self._protected.encode("ascii") + b"." + payload
        signature = self._key.sign(signing_input, padding.PKCS1v15(), SHA256())
        return f"{self._protected}..{b64url(signature)}"
