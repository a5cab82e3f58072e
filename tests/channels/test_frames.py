"""Server frames built by hand are the same bytes ``dumps`` writes."""

from __future__ import annotations

import pytest

from gateway.channels.web.frames import ack_frame, dumps


@pytest.mark.parametrize(
    "client_id",
    ["c-42-17", 'quote " and \\ backslash', "tab\tnew\nline\x00\x1f", "ünïcödé ✓ 🙂", "</script>", "x" * 128],
)
@pytest.mark.parametrize("seq", [1, 17, 2**53])
def test_an_ack_is_the_json_dumps_writes(client_id: str, seq: int) -> None:
    assert ack_frame(client_id, seq) == dumps({"type": "ack", "client_id": client_id, "seq": seq})
