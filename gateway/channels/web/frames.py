"""The customer protocol's wire formats (design.md, "Customer channel"): client frames in, server frames out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from gateway.relay.codec import plain_line_tail
from gateway.relay.errors import CustomerError
from gateway.relay.model import (
    AttachedFile,
    Card,
    Customer,
    Entry,
    MessageEntry,
    ReadUpTo,
    Signal,
    StateEntry,
    Typing,
)
from gateway.relay.relay import MAX_CLIENT_ID_CHARS

ClientId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CLIENT_ID_CHARS)]
ShortText = Annotated[str, StringConstraints(max_length=256)]


class FrameError(CustomerError):
    """A frame the server refuses; ``code`` is one of the protocol's error codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class CustomerIn(BaseModel):
    """Customer details a client may give; unknown keys are kept as custom properties (strings)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)
    name: ShortText | None = None
    email: ShortText | None = None
    language: Annotated[str, StringConstraints(max_length=16)] | None = None

    def to_customer(self) -> Customer:
        extra = self.model_extra or {}
        if len(extra) > 20:
            raise FrameError("invalid_frame", "customer: at most 20 custom properties")
        clean: dict[str, str] = {}
        for key, value in extra.items():
            if not isinstance(value, str | int | float | bool) or len(str(value)) > 256 or len(key) > 64:
                raise FrameError("invalid_frame", f"customer.{key[:64]}: must be a short string")
            clean[key] = str(value)
        return Customer(
            name=self.name or None, email=self.email or None, language=self.language or None, extra=clean
        )


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StartFrame(_Frame):
    type: Literal["start"]
    session: Annotated[str, StringConstraints(max_length=256)] | None = None
    last_seq: Annotated[int, Field(ge=0, le=2**53, strict=True)] | None = None
    customer: CustomerIn | None = None


class MessageFrame(_Frame):
    type: Literal["message"]
    text: Annotated[str, StringConstraints(min_length=1)]
    client_id: ClientId


class CancelFrame(_Frame):
    type: Literal["cancel"]


class LeaveFrame(_Frame):
    type: Literal["leave"]


class TypingFrame(_Frame):
    type: Literal["typing"]


class ReadFrame(_Frame):
    """The customer has seen the transcript up to ``upto_seq`` (forwarded where the contact center shows it)."""

    type: Literal["read"]
    upto_seq: Annotated[int, Field(ge=1, le=2**53, strict=True)]


ClientFrame = StartFrame | MessageFrame | CancelFrame | LeaveFrame | TypingFrame | ReadFrame
_FRAME_TYPES: dict[str, TypeAdapter[Any]] = {
    "start": TypeAdapter(StartFrame),
    "message": TypeAdapter(MessageFrame),
    "cancel": TypeAdapter(CancelFrame),
    "leave": TypeAdapter(LeaveFrame),
    "typing": TypeAdapter(TypingFrame),
    "read": TypeAdapter(ReadFrame),
}


_MESSAGE: TypeAdapter[MessageFrame] = TypeAdapter(MessageFrame)


def describe(exc: ValidationError) -> str:
    err = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in err["loc"]) or "frame"
    return f"{where}: {err['msg']}"


def parse_client_frame(data: str, *, max_frame_bytes: int, max_text_chars: int) -> ClientFrame:
    """Read one text frame; raise ``FrameError`` with the protocol's code for anything wrong."""
    if len(data) > max_frame_bytes or (
        len(data) * 4 > max_frame_bytes and len(data.encode()) > max_frame_bytes
    ):
        raise FrameError("too_long", f"frames are limited to {max_frame_bytes} bytes")
    if '"message"' in data:  # most frames: read and checked in one pass; anything amiss, the long way
        try:
            message: MessageFrame = _MESSAGE.validate_json(data)
        except ValidationError:
            pass
        else:
            if len(message.text) > max_text_chars:
                raise FrameError("too_long", f"text is limited to {max_text_chars} characters")
            return message
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):
        raise FrameError("bad_json", "the frame is not valid JSON") from None
    if not isinstance(raw, dict):
        raise FrameError("invalid_frame", "a frame is a JSON object with a 'type'")
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise FrameError("invalid_frame", "type: a string is required")
    adapter = _FRAME_TYPES.get(kind)
    if adapter is None:
        raise FrameError("unknown_type", f"unknown frame type {kind[:40]!r}")
    text = raw.get("text")
    if kind == "message" and isinstance(text, str) and len(text) > max_text_chars:
        raise FrameError("too_long", f"text is limited to {max_text_chars} characters")
    try:
        frame: ClientFrame = adapter.validate_python(raw)
    except ValidationError as exc:
        raise FrameError("invalid_frame", describe(exc)) from None
    return frame


# --- server frames -------------------------------------------------------------------------------


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entry_frame(entry: Entry) -> dict[str, Any]:
    """A transcript entry as the customer sees it: a ``message`` or a ``state`` frame."""
    if isinstance(entry, StateEntry):
        frame: dict[str, Any] = {
            "type": "state",
            "seq": entry.seq,
            "state": entry.state.value,
            "ts": iso(entry.ts),
        }
        if entry.outcome is not None:
            frame["outcome"] = entry.outcome.value
    else:
        frame = {
            "type": "message",
            "seq": entry.seq,
            "author": entry.author.value,
            "text": entry.text,
            "ts": iso(entry.ts),
        }
        if entry.client_id is not None:
            frame["client_id"] = entry.client_id
        if entry.buttons:
            frame["buttons"] = [{"title": b.title, "payload": b.payload} for b in entry.buttons]
        if entry.image is not None:
            frame["image"] = entry.image
        if entry.custom is not None:
            frame["custom"] = json.loads(entry.custom)
        if entry.attachments:
            frame["attachments"] = [attachment_json(a) for a in entry.attachments]
        if entry.card is not None:
            frame["card"] = card_json(entry.card)
    if entry.queue is not None:
        frame["queue"] = {"id": entry.queue.id, "name": entry.queue.name}
    if entry.agent is not None:
        frame["agent"] = {"id": entry.agent.id, "name": entry.agent.name}
    return frame


def entry_text(entry: Entry) -> str:
    """``dumps(entry_frame(entry))``; a plain line (text, maybe a client_id and an agent, as most agent
    and customer lines are) written out by hand, the same bytes without the dict (a test holds them equal)."""
    if not isinstance(entry, MessageEntry) or not entry.plain_text() or entry.text is None:
        return dumps(entry_frame(entry))
    return (
        f'{{"type":"message","seq":{entry.seq},"author":{encode_basestring(entry.author.value)},'
        f'"text":{encode_basestring(entry.text)},"ts":"{iso(entry.ts)}"{plain_line_tail(entry)}}}'
    )


def file_path(file: AttachedFile) -> str:
    """Where the gateway serves a file: the key is the secret, the name only makes the link readable."""
    return f"/chat/files/{file.key}/{quote(file.name, safe='')}"


def attachment_json(file: AttachedFile) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": file.key,
        "name": file.name,
        "content_type": file.content_type,
        "url": file_path(file),
    }
    if file.size is not None:
        out["size"] = file.size
    return out


def card_json(card: Card) -> dict[str, Any]:
    """A message's ``card`` field (design.md extension): plain strings only; the message's ``text`` has the
    same content as a readable fallback."""
    out: dict[str, Any] = {"kind": card.kind, "body": list(card.body)}
    if card.title is not None:
        out["title"] = card.title
    out["facts"] = [{"title": f.title, "value": f.value} for f in card.facts]
    out["actions"] = [{"title": a.title, **({"url": a.url} if a.url else {})} for a in card.actions]
    return out


def signal_frame(signal: Signal) -> dict[str, Any]:
    """Not a transcript entry (no seq): someone typing, or the agent's read receipt."""
    match signal:
        case Typing(author=author, active=active, agent=agent):
            frame: dict[str, Any] = {"type": "typing", "author": author.value, "active": active}
            if agent is not None:
                frame["agent"] = {"id": agent.id, "name": agent.name}
            return frame
        case ReadUpTo(author=author, seq=seq, at=at):
            frame = {"type": "read", "author": author.value, "upto_seq": seq}
            if at is not None:
                frame["ts"] = iso(at)
            return frame


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
"""Compact JSON of server frames (trees: nothing to check for cycles), made once, not per frame."""


def dumps(frame: dict[str, Any]) -> str:
    return _ENCODER.encode(frame)


def ack_frame(client_id: str, seq: int) -> str:
    """``{"type":"ack","client_id":...,"seq":...}`` as ``dumps`` writes it, without building a dict (one per
    customer line; a test holds them equal)."""
    return f'{{"type":"ack","client_id":{encode_basestring(client_id)},"seq":{seq}}}'


def error_frame(code: str, message: str) -> str:
    return dumps({"type": "error", "code": code, "message": message})
