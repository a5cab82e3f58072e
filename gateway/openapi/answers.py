"""The shapes of the gateway's JSON answers, as typed dicts pydantic turns into JSON Schema."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Field, TypeAdapter
from pydantic.json_schema import JsonSchemaMode
from typing_extensions import TypedDict

from gateway.relay.model import Author, Outcome, State

REF = "#/components/schemas/{model}"
_FORBID = ConfigDict(extra="forbid")


class SessionCreated(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    session: Annotated[str, Field(description="the session token: send it as `Authorization: Bearer`")]
    conversation_id: str
    state: State


class MessageAccepted(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    client_id: str
    seq: Annotated[int, Field(ge=1, description="the seq of the customer's own transcript entry")]


class StateAnswer(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    state: State


class QueueOut(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    id: str
    name: str | None


class AgentOut(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    id: str
    name: str


class ButtonOut(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    title: str
    payload: str


Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class AttachmentOut(TypedDict):
    """A file in the transcript; ``url`` is its unguessable link (``GET /chat/files/{key}/{name}``)."""

    __pydantic_config__ = _FORBID  # type: ignore[misc]
    id: str
    name: str
    content_type: str
    url: str
    size: NotRequired[Annotated[int, Field(ge=0)]]


class FileAccepted(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    client_id: str
    seq: Annotated[int, Field(ge=1, description="the seq of the customer's own transcript entry")]
    attachment: Annotated[
        AttachmentOut | None,
        Field(description="the stored file; null when `client_id` was used before for a line without one"),
    ]


class CardFactOut(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    title: str
    value: str


class CardActionOut(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    title: str
    url: NotRequired[
        Annotated[str, Field(description="an http(s) link; absent for an action on the agent's side")]
    ]


class CardOut(TypedDict):
    """An agent's Adaptive Card as plain strings; the entry's ``text`` holds the same as a readable fallback."""

    __pydantic_config__ = _FORBID  # type: ignore[misc]
    kind: Literal["adaptive"]
    title: NotRequired[str]
    body: list[str]
    facts: list[CardFactOut]
    actions: list[CardActionOut]


class MessageEntry(TypedDict):
    """A transcript line, shaped like the WebSocket's ``message`` frame."""

    __pydantic_config__ = _FORBID  # type: ignore[misc]
    type: Literal["message"]
    seq: Annotated[int, Field(ge=1)]
    author: Author
    text: str
    ts: Timestamp
    client_id: NotRequired[str]
    buttons: NotRequired[list[ButtonOut]]
    image: NotRequired[str]
    custom: NotRequired[dict[str, Any]]
    attachments: NotRequired[list[AttachmentOut]]
    card: NotRequired[CardOut]
    queue: NotRequired[QueueOut]
    agent: NotRequired[AgentOut]


class StateEntry(TypedDict):
    """A state change, shaped like the WebSocket's ``state`` frame."""

    __pydantic_config__ = _FORBID  # type: ignore[misc]
    type: Literal["state"]
    seq: Annotated[int, Field(ge=1)]
    state: State
    ts: Timestamp
    outcome: NotRequired[Outcome]
    queue: NotRequired[QueueOut]
    agent: NotRequired[AgentOut]


class Entries(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    state: State
    entries: list[Annotated[MessageEntry | StateEntry, Field(discriminator="type")]]
    read_upto_seq: NotRequired[
        Annotated[
            int, Field(ge=1, description="the agent has read up to here (where the contact center says)")
        ]
    ]


class Health(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    status: Literal["ok"]


class Ready(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    status: Literal["ready"]


def json_schemas(
    inputs: Iterable[tuple[Hashable, JsonSchemaMode, Any]],
) -> tuple[dict[Hashable, dict[str, Any]], dict[str, Any]]:
    listed = [(key, mode, TypeAdapter(kind)) for key, mode, kind in inputs]
    by_key, defs = TypeAdapter.json_schemas(listed, ref_template=REF)
    return {key: schema for (key, _mode), schema in by_key.items()}, defs.get("$defs", {})
