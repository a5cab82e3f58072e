"""Verifying ``x-8x8-signature`` (both APIs; chat-api-v2 spec §5.4): RS256 detached JWS over an unencoded payload (RFC 7797).

The signed payload is not the body but a compact JSON object of the body's CRC-32 and the delivery
headers, keys in this exact order: checksum, cid, eid, retry, tid, tt.
"""

from __future__ import annotations

import asyncio
import binascii
import json
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers
from cryptography.hazmat.primitives.hashes import SHA256

REQUIRED_HEADERS = (
    "x-8x8-signature",
    "x-8x8-customer-id",
    "x-8x8-tenant-id",
    "x-8x8-event-id",
    "x-8x8-transmission-time",
    "x-8x8-retry",
)


class SignatureInvalid(Exception):
    """The request is not provably from 8x8; the message says why (never echoing secrets)."""


_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_PADDING = ("", "=", "==", "===")
_PKCS1V15 = PKCS1v15()
_SHA256 = SHA256()


def b64url_decode(data: str) -> bytes:
    """``base64.urlsafe_b64decode`` of ``data`` padded, without its three layers of Python calls."""
    try:
        return binascii.a2b_base64((data + _PADDING[-len(data) % 4]).encode("ascii").translate(_FROM_URLSAFE))
    except (binascii.Error, ValueError) as exc:
        raise SignatureInvalid("signature: not base64url") from exc


_json_str: Callable[[str], str] = json.encoder.encode_basestring
"""A str as JSON exactly as ``json.dumps(..., ensure_ascii=False)`` writes it."""


def signed_payload(raw_body: bytes, headers: Mapping[str, str]) -> bytes:
    """``json.dumps`` of {checksum, cid, eid, retry, tid, tt} with ``separators=(",", ":")`` and
    ``ensure_ascii=False``, written out: the same bytes, without building and walking a dict."""
    retry, tt = int(headers["x-8x8-retry"]), int(headers["x-8x8-transmission-time"])
    return (
        f'{{"checksum":{zlib.crc32(raw_body)},"cid":{_json_str(headers["x-8x8-customer-id"])},'
        f'"eid":{_json_str(headers["x-8x8-event-id"])},"retry":{retry},'
        f'"tid":{_json_str(headers["x-8x8-tenant-id"])},"tt":{tt}}}'
    ).encode()


def split_signature(value: str) -> tuple[str, str]:
    """-> (protected header as sent, the signature part)."""
    parts = value.split(".")
    if len(parts) != 3 or parts[1] != "":
        raise SignatureInvalid("signature: not a detached compact JWS")
    return parts[0], parts[2]


def kid_of(protected: str) -> str:
    """The kid of a protected header that asks for RS256 over an unencoded payload."""
    try:
        header: Any = json.loads(b64url_decode(protected))
    except ValueError as exc:
        raise SignatureInvalid("signature: header is not JSON") from exc
    if not isinstance(header, dict):
        raise SignatureInvalid("signature: header is not an object")
    crit = header.get("crit")
    if (
        header.get("alg") != "RS256"
        or header.get("b64") is not False
        or not isinstance(crit, list)
        or "b64" not in crit
    ):
        raise SignatureInvalid("signature: header must be alg RS256 with b64 false and crit b64")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 128:
        raise SignatureInvalid("signature: no kid")
    return kid


def public_key_from_jwk(jwk: Mapping[str, Any]) -> RSAPublicKey:
    if jwk.get("kty") != "RSA" or not isinstance(jwk.get("n"), str) or not isinstance(jwk.get("e"), str):
        raise SignatureInvalid("jwk: not an RSA public key")
    numbers = RSAPublicNumbers(
        int.from_bytes(b64url_decode(jwk["e"]), "big"), int.from_bytes(b64url_decode(jwk["n"]), "big")
    )
    return numbers.public_key()


class JwkCache:
    """Public keys by kid, fetched from 8x8 when a signature names a kid we do not hold.

    - A kid 8x8 does not know is remembered as unknown for ``negative_ttl_s``.
    - Fetches for kids we do not hold are rate-limited: at most ``fetches_per_window`` per ``fetch_window_s``
      (forged kids cannot make us hammer 8x8's JWK endpoint); beyond that the event is refused and 8x8
      delivers it again later.
    - A cached key expires after ``key_ttl_s`` and is fetched again, so a key 8x8 revokes stops working.
    """

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[Mapping[str, Any] | None]],
        *,
        negative_ttl_s: float = 60.0,
        key_ttl_s: float = 3600.0,
        fetches_per_window: int = 10,
        fetch_window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._keys: dict[str, tuple[RSAPublicKey, float]] = {}
        self._unknown: dict[str, float] = {}
        self._negative_ttl_s = negative_ttl_s
        self._key_ttl_s = key_ttl_s
        self._fetches: deque[float] = deque()
        self._fetches_per_window = fetches_per_window
        self._fetch_window_s = fetch_window_s
        self._clock = clock
        self._lock = asyncio.Lock()
        self._kids: dict[str, str] = {}  # protected headers that checked out, as sent -> kid

    def kid_of(self, protected: str) -> str:
        """``kid_of(protected)``, remembered: 8x8 sends the same header with every event of a key."""
        kid = self._kids.get(protected)
        if kid is None:
            kid = kid_of(protected)
            if len(self._kids) > 100:
                self._kids.clear()
            self._kids[protected] = kid
        return kid

    def cached(self, kid: str) -> RSAPublicKey | None:
        """The key held for ``kid`` and not yet expired, or None (then ``key`` fetches it)."""
        entry = self._keys.get(kid)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            del self._keys[kid]
            return None
        return entry[0]

    def _may_fetch(self) -> bool:
        now = self._clock()
        while self._fetches and self._fetches[0] <= now - self._fetch_window_s:
            self._fetches.popleft()
        if len(self._fetches) >= self._fetches_per_window:
            return False
        self._fetches.append(now)
        return True

    async def key(self, kid: str) -> RSAPublicKey:
        if (cached := self.cached(kid)) is not None:
            return cached
        async with self._lock:
            if (cached := self.cached(kid)) is not None:
                return cached
            if self._unknown.get(kid, 0.0) > self._clock():
                raise SignatureInvalid("signature: unknown kid")
            if not self._may_fetch():
                raise SignatureInvalid("signature: unknown kid (key fetches are rate-limited; try later)")
            jwk = await self._fetch(kid)
            if jwk is None:
                if len(self._unknown) > 1000:
                    self._unknown.clear()
                self._unknown[kid] = self._clock() + self._negative_ttl_s
                raise SignatureInvalid("signature: unknown kid")
            key = public_key_from_jwk(jwk)
            if len(self._keys) > 100:
                self._keys.clear()
            self._keys[kid] = (key, self._clock() + self._key_ttl_s)
            return key


async def verify(raw_body: bytes, headers: Mapping[str, str], keys: JwkCache) -> None:
    """Raise ``SignatureInvalid`` unless the request carries a valid 8x8 signature over this body."""
    protected, sig = split_signature(headers["x-8x8-signature"])
    kid = keys.kid_of(protected)
    signature = b64url_decode(sig)
    try:
        payload = signed_payload(raw_body, headers)
    except ValueError as exc:
        raise SignatureInvalid("x-8x8-retry and x-8x8-transmission-time must be integers") from exc
    key = keys.cached(kid) or await keys.key(kid)
    try:
        key.verify(signature, protected.encode() + b"." + payload, _PKCS1V15, _SHA256)
    except InvalidSignature:
        raise SignatureInvalid("signature: does not verify") from None
