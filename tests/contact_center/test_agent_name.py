"""How customers see an agent's name: 8x8 sends "First,Last"."""

from __future__ import annotations

import pytest

from gateway.contact_center.chat_api.webhook import AgentNameStyle, display_name


@pytest.mark.parametrize(
    ("sent", "style", "shown"),
    [
        ("Cosmin,Malutan", "first", "Cosmin"),
        ("Cosmin,Malutan", "full", "Cosmin Malutan"),
        ("Cosmin,Malutan", "as_sent", "Cosmin,Malutan"),
        ("Cosmin", "first", "Cosmin"),
        ("Mary Ann,van Dijk", "full", "Mary Ann van Dijk"),
        (" Cosmin , Malutan ", "first", "Cosmin"),
        (",", "first", ","),  # nothing usable: shown as sent rather than blank
        ("cmalutan", "full", "cmalutan"),  # no name sent: 8x8's agent id stands in
    ],
)
def test_display_name(sent: str, style: AgentNameStyle, shown: str) -> None:
    assert display_name(sent, style) == shown
