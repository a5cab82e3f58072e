"""build_handoff on arbitrary slot and metadata values: 8x8 and the gateway take only strings, so no value in
``customer`` or ``context`` may be anything else, whatever the channel or a slot holds."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from rasa_sdk import Tracker

from bot_actions import BotActionsConfig, build_handoff

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)
CONFIG = BotActionsConfig(context_slots=("a", "b", "c"))


@given(
    customer=st.dictionaries(st.text(max_size=6), json_values, max_size=5) | json_values,
    slots=st.fixed_dictionaries(
        {},
        optional={
            k: json_values
            for k in ("a", "b", "c", "customer_name", "customer_email", "customer_language", "handoff_queue")
        },
    ),
    queue_id=json_values,
    intent=st.fixed_dictionaries({}, optional={"name": json_values, "confidence": json_values}),
)
def test_customer_and_context_hold_only_non_empty_strings(
    customer: Any, slots: dict[str, Any], queue_id: Any, intent: dict[str, Any]
) -> None:
    tracker = Tracker.from_dict(
        {
            "sender_id": "c1",
            "slots": slots,
            "latest_message": {"intent": intent, "metadata": {"customer": customer, "queue_id": queue_id}},
        }
    )

    handoff = build_handoff(tracker, CONFIG)

    assert set(handoff) == {"reason", "queue_id", "customer", "context"}
    for part in (handoff["customer"], handoff["context"]):
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in part.items())
    assert handoff["queue_id"] is None or (isinstance(handoff["queue_id"], str) and handoff["queue_id"])
    assert isinstance(handoff["reason"], str)
    assert handoff["reason"]
