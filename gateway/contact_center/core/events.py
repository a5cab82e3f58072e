"""What every 8x8 webhook event has, in both APIs: the envelope, and the v2-style agent fields (Chat API v2
events, and the ``AGENT_JOINED``/``AGENT_LEFT``/``TEXT`` events 8x8's Chat Gateway workflow page shows)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

LAST_MS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z: an event's time becomes a transcript entry's, which must be a date."""


class Envelope(BaseModel):
    """Unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")
    eventType: str = Field(max_length=64)
    conversationId: str | None = Field(default=None, min_length=1, max_length=256)
    timestamp: int | None = Field(default=None, ge=0, le=LAST_MS)
    agentId: str | None = Field(default=None, max_length=256)
    agentName: str | None = Field(default=None, max_length=512)
    """8x8 sends "First,Last" (e.g. "Cosmin,Malutan")."""
    message: str | None = None


def event_time(timestamp: int | None, received_at: float, *, window_s: float) -> float:
    """8x8's ``timestamp`` when it lies within ``window_s`` of our receipt, else the receipt time: a wild
    timestamp must not date an entry in year 36 million (unreadable) or in 1970 (closed at once)."""
    if timestamp is not None and abs(timestamp / 1000 - received_at) <= window_s:
        return timestamp / 1000
    return received_at
