"""Forging a body with a given CRC-32, as an attacker holding one captured 8x8 delivery could.

8x8's signature covers only the CRC-32 of the body (with the delivery headers). CRC-32 is affine over
GF(2): for bodies of one length, ``crc(a ^ b) = crc(a) ^ crc(b) ^ crc(0…0)``. So choosing, in a run of
JSON whitespace, between a space and a tab at 64 positions gives enough freedom to hit any CRC, and the
body stays the same JSON.
"""

from __future__ import annotations

import zlib

_SPACE, _TAB = 0x20, 0x09


def with_crc(body: bytes, target: int, *, width: int = 64) -> bytes:
    """``body`` (a JSON object) with a run of ``width`` spaces/tabs after ``{`` whose CRC-32 is ``target``."""
    assert body.startswith(b"{")
    base = bytearray(b"{" + bytes([_SPACE]) * width + body[1:])
    zero = bytes(len(base))
    crc_zero = zlib.crc32(zero)
    # Column i: the CRC change from turning position i+1 from a space into a tab.
    columns = []
    for i in range(width):
        delta = bytearray(len(base))
        delta[1 + i] = _SPACE ^ _TAB
        columns.append(zlib.crc32(bytes(delta)) ^ crc_zero)
    need = zlib.crc32(bytes(base)) ^ target
    # Gaussian elimination over GF(2): which columns XOR to ``need``.
    rows: list[tuple[int, int]] = []  # (vector, mask of columns)
    for i, col in enumerate(columns):
        vector, mask = col, 1 << i
        for pivot_vector, pivot_mask in rows:
            if vector ^ pivot_vector < vector:
                vector, mask = vector ^ pivot_vector, mask ^ pivot_mask
        if vector:
            rows.append((vector, mask))
            rows.sort(reverse=True)
    chosen = 0
    for pivot_vector, pivot_mask in rows:
        if need ^ pivot_vector < need:
            need, chosen = need ^ pivot_vector, chosen ^ pivot_mask
    if need:
        raise ValueError("no solution; widen the run")
    for i in range(width):
        if chosen >> i & 1:
            base[1 + i] = _TAB
    forged = bytes(base)
    assert zlib.crc32(forged) == target
    return forged
