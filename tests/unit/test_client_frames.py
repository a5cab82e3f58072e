"""A customer line's frame is read without pydantic when it has the one valid shape; every other shape must
still get exactly what the model says (the same frame, or ``invalid_frame``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.channels.web.frames import FrameError, MessageFrame, parse_client_frame

SHAPES: list[dict[str, Any]] = [
    {"type": "message", "text": "hello", "client_id": "c1"},
    {"client_id": "c1", "text": "é 😀", "type": "message"},
    {"type": "message", "text": " ", "client_id": "x" * 128},
    {"type": "message", "text": "hi", "client_id": "x" * 129},
    {"type": "message", "text": "hi", "client_id": ""},
    {"type": "message", "text": "", "client_id": "c1"},
    {"type": "message", "text": "hi", "client_id": 7},
    {"type": "message", "text": 7, "client_id": "c1"},
    {"type": "message", "text": ["hi"], "client_id": "c1"},
    {"type": "message", "text": "hi", "client_id": None},
    {"type": "message", "text": "hi"},
    {"type": "message", "text": "hi", "client": "c1"},
    {"type": "message", "text": "hi", "client_id": "c1", "extra": 1},
]


def _by_the_model(raw: dict[str, Any]) -> MessageFrame | str:
    try:
        return MessageFrame.model_validate(raw)
    except ValidationError:
        return "invalid_frame"


def _parsed(raw: dict[str, Any]) -> MessageFrame | str:
    try:
        frame = parse_client_frame(json.dumps(raw), max_frame_bytes=65536, max_text_chars=4000)
    except FrameError as exc:
        return exc.code
    assert isinstance(frame, MessageFrame)
    return frame


@pytest.mark.parametrize("raw", SHAPES)
def test_a_message_frame_is_what_the_model_makes_of_it(raw: dict[str, Any]) -> None:
    parsed, expected = _parsed(raw), _by_the_model(raw)
    assert parsed == expected
    if isinstance(parsed, MessageFrame):
        assert (parsed.type, parsed.text, parsed.client_id) == ("message", raw["text"], raw["client_id"])
        with pytest.raises(ValidationError):  # frozen, as a validated frame is
            parsed.text = "changed"  # type: ignore[misc]
