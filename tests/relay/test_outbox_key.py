"""Outbox keys are the Idempotency-Keys of 8x8 calls, stored with undelivered items: they must never change
between versions (an item queued by the previous version is retried with the key it was first sent with)."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from gateway.relay.decision import outbox_key
from gateway.relay.model import OutboxKind

NAMESPACE = uuid.UUID("3f0f9f56-2a53-4c1e-9d8a-6f1c7e0b2a11")


@given(st.text(max_size=80), st.sampled_from(OutboxKind), st.integers(min_value=0, max_value=2**62))
def test_an_outbox_key_is_the_uuid5_of_conversation_kind_and_seq(
    cid: str, kind: OutboxKind, seq: int
) -> None:
    assert outbox_key(cid, kind, seq) == str(uuid.uuid5(NAMESPACE, f"{cid}/{kind.value}/{seq}"))


def test_a_known_key_stays_the_same() -> None:
    assert outbox_key("conv-1", OutboxKind.POST, 7) == "c4089944-8fd4-509e-9b55-3b9e0ac4d519"
