"""The OpenAPI 3.1 document of the gateway's HTTP API, served at ``/openapi.json``.

It is generated, not written: request bodies come from the pydantic models the handlers validate with
(``StartBody``, ``MessageBody``, ``CustomerIn``, ``WebhookEvent``), enums from the relay's model, error
codes and statuses from ``problems.STATUS``, and size limits from the settings the app runs with. The
answers' shapes are the typed dicts below; ``tests/openapi`` checks them against the running gateway
with schemathesis, and checks that every route of the app is documented here (or listed in
``NOT_DOCUMENTED`` with the reason).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Annotated, Any, Literal, NotRequired

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import ConfigDict, Field, TypeAdapter
from pydantic.json_schema import JsonSchemaMode
from typing_extensions import TypedDict

from config.settings import Settings
from gateway.channels.web.problems import PROBLEM_TYPE, STATUS, TITLES
from gateway.channels.web.rest import MAX_SEQ, MessageBody, StartBody
from gateway.contact_center.chat_api.signature import REQUIRED_HEADERS
from gateway.contact_center.chat_api.webhook import WebhookEvent
from gateway.relay.model import Author, Outcome, State

OPENAPI_VERSION = "3.1.1"
REF = "#/components/schemas/{model}"

NOT_DOCUMENTED: dict[str, str] = {
    "/chat/ws": "the customer WebSocket; its frames are the contract in design.md, not HTTP operations",
    "/": "the demo page",
    "/widget.js": "the widget's loader script",
    "/widget.css": "the widget's stylesheet",
    "/widget/{name}": "the widget's ES modules",
    "/static": "static files of the demo page and widget",
}
"""Routes of the app that are not part of the HTTP API, with the reason; every other route is documented."""

WEBHOOK_REFUSALS = ("unsigned", "wrong_tenant", "stale", "bad_signature", "malformed")
"""The webhook receiver's own problem codes (``webhook._refuse``), besides ``too_long`` and ``unavailable``."""

_FORBID = ConfigDict(extra="forbid")

# --- answers ---------------------------------------------------------------------------------------


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


class Health(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    status: Literal["ok"]


class Ready(TypedDict):
    __pydantic_config__ = _FORBID  # type: ignore[misc]
    status: Literal["ready"]


def _schemas(
    inputs: Iterable[tuple[Hashable, JsonSchemaMode, Any]],
) -> tuple[dict[Hashable, dict[str, Any]], dict[str, Any]]:
    listed = [(key, mode, TypeAdapter(kind)) for key, mode, kind in inputs]
    by_key, defs = TypeAdapter.json_schemas(listed, ref_template=REF)
    return {key: schema for (key, _mode), schema in by_key.items()}, defs.get("$defs", {})


# --- the document ----------------------------------------------------------------------------------


def _problem_schema() -> dict[str, Any]:
    codes = sorted({*STATUS, *WEBHOOK_REFUSALS})
    return {
        "type": "object",
        "description": "An RFC 9457 problem; `code` is the machine-readable reason.",
        "required": ["type", "title", "status", "detail", "code"],
        "additionalProperties": False,
        "properties": {
            "type": {"type": "string", "pattern": f"^{PROBLEM_TYPE}"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "code": {"type": "string", "enum": codes},
            "failed": {
                "type": "array",
                "items": {"type": "string"},
                "description": "readyz: the names of what is not usable",
            },
        },
    }


def _problem(description: str, *, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def _json(model: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}},
    }


def _body(model: str, *, required: bool = True) -> dict[str, Any]:
    return {
        "required": required,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}},
    }


_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}}}


def _errors(*codes: str) -> dict[str, Any]:
    """Problem answers by status for these codes (two codes may share a status)."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(STATUS[code], []).append(code)
    return {
        str(status): _problem(
            "; ".join(f"`{code}`: {TITLES.get(code, code)}" for code in listed),
            headers=_RETRY_AFTER if "rate_limited" in listed else None,
        )
        for status, listed in sorted(by_status.items())
    }


_SESSION_PATH_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "the conversation id the session token belongs to",
    "schema": {"type": "string", "minLength": 1},
}
_SESSION_ERRORS = ("unauthorized", "unknown_session", "unavailable")


def _session_operation(summary: str, answer: dict[str, Any], *errors: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": ["customer"],
        "security": [{"session": []}],
        "parameters": [_SESSION_PATH_ID],
        "responses": {**answer, **_errors(*_SESSION_ERRORS, *errors)},
    }


def _webhook_operation(max_body_bytes: int) -> dict[str, Any]:
    headers = {
        "x-8x8-signature": "detached compact JWS (RS256, b64 false) over the body's CRC-32 and these headers",
        "x-8x8-customer-id": "8x8 customer id",
        "x-8x8-tenant-id": "the tenant the event is for; must be this gateway's",
        "x-8x8-event-id": "unique id of the event; the same on every retry (events are applied once)",
        "x-8x8-transmission-time": "ms epoch of this attempt; must be within the accepted clock skew",
        "x-8x8-retry": "attempt number, 0 for the first delivery",
    }
    assert set(headers) == set(REQUIRED_HEADERS)
    integer = {"type": "string", "pattern": "^[0-9]{1,15}$"}
    parameters = [
        {
            "name": name,
            "in": "header",
            "required": True,
            "description": why,
            "schema": integer if name in ("x-8x8-transmission-time", "x-8x8-retry") else {"type": "string"},
        }
        for name, why in headers.items()
    ]
    refusals = {
        "400": "`malformed`: not a v2.0 event, or a known event without its fields; `stale`: "
        "x-8x8-transmission-time outside the accepted window",
        "401": "`unsigned`: a delivery header is missing; `bad_signature`: the signature does not verify",
        "403": "`wrong_tenant`: the event is for another tenant",
        "404": "`unknown_session`: no Chat API is configured on this gateway",
        "413": f"`too_long`: the body is over {max_body_bytes} bytes",
    }
    return {
        "summary": "8x8 Contact Center Chat API v2 webhook events (signed)",
        "description": "Each check refuses with a problem and changes nothing: size, delivery headers, "
        "tenant, transmission time, signature, JSON, event shape. An event is answered 200 only "
        "after it is stored; a duplicate `x-8x8-event-id` and unknown event types are answered "
        "200 too, and `WEB_HOOK_VERIFY` is answered 200, empty.",
        "tags": ["contact center"],
        "security": [],
        "parameters": parameters,
        "requestBody": _body("WebhookEvent"),
        "responses": {
            "200": {"description": "stored (or already stored, or ignored); empty body"},
            **{status: _problem(why) for status, why in refusals.items()},
            "503": _problem("`unavailable`: please retry"),
        },
    }


def build_document(settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3.1 document for a gateway running with ``settings``."""
    limits = settings.limits
    by_key, schemas = _schemas(
        [
            ("StartBody", "validation", StartBody),
            ("MessageBody", "validation", MessageBody),
            ("WebhookEvent", "validation", WebhookEvent),
            ("SessionCreated", "serialization", SessionCreated),
            ("MessageAccepted", "serialization", MessageAccepted),
            ("StateAnswer", "serialization", StateAnswer),
            ("Entries", "serialization", Entries),
            ("Health", "serialization", Health),
            ("Ready", "serialization", Ready),
        ]
    )
    assert all(s == {"$ref": REF.format(model=key)} for key, s in by_key.items()), by_key
    # The handler checks these limits itself (so an over-long text is ``too_long``, not ``invalid_frame``).
    text = schemas["MessageBody"]["properties"]["text"]
    text.update(minLength=1, maxLength=limits.max_text_chars)
    schemas["Problem"] = _problem_schema()
    paths: dict[str, Any] = {
        "/chat/sessions": {
            "post": {
                "summary": "Start a session (a new conversation with the bot)",
                "tags": ["customer"],
                "security": [],
                "requestBody": _body("StartBody", required=False),
                "responses": {
                    "201": _json("SessionCreated", "the session; keep its token"),
                    **_errors("bad_json", "too_long", "invalid_frame", "rate_limited", "unavailable"),
                },
            }
        },
        "/chat/sessions/{id}/messages": {
            "post": {
                **_session_operation(
                    "Say something (a repeated client_id is stored once and answered with its first seq)",
                    {"202": _json("MessageAccepted", "stored; the bot or agent answers in the transcript")},
                    "bad_json",
                    "too_long",
                    "invalid_frame",
                    "rate_limited",
                ),
                "requestBody": _body("MessageBody"),
            },
            "get": {
                **_session_operation(
                    "Read the transcript entries after a seq",
                    {"200": _json("Entries", "the conversation's state and the entries after `after`")},
                    "invalid_frame",
                ),
                "parameters": [
                    _SESSION_PATH_ID,
                    {
                        "name": "after",
                        "in": "query",
                        "description": "answer the entries with a seq above this one",
                        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ, "default": 0},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "description": "at most this many entries",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 500},
                    },
                ],
            },
        },
        "/chat/sessions/{id}/cancel": {
            "post": _session_operation(
                "Stop waiting for an agent and go back to the bot (while escalating or queued)",
                {"200": _json("StateAnswer", "the conversation's state afterwards")},
                "wrong_state",
            )
        },
        "/chat/sessions/{id}/leave": {
            "post": _session_operation(
                "End the chat (the agent, if any, is freed)",
                {"200": _json("StateAnswer", "the conversation's state afterwards")},
                "wrong_state",
            )
        },
        "/webhooks/8x8": {"post": _webhook_operation(limits.max_body_bytes)},
        "/healthz": {
            "get": {
                "summary": "The process is up",
                "tags": ["operations"],
                "security": [],
                "responses": {"200": _json("Health", "up")},
            }
        },
        "/readyz": {
            "get": {
                "summary": "The store and the configured upstreams are usable",
                "tags": ["operations"],
                "security": [],
                "responses": {
                    "200": _json("Ready", "ready"),
                    "503": _problem("`unavailable`: `failed` names what is not usable"),
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics (or on GATEWAY_METRICS__PORT, without a token)",
                "tags": ["operations"],
                "security": [{"metrics": []}],
                "responses": {
                    "200": {
                        "description": "the Prometheus text exposition format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "401": _problem("`unauthorized`: no or a wrong metrics token, or none is configured"),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "tags": ["operations"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "the OpenAPI 3.1 document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Chat escalation gateway",
            "version": _version(),
            "description": "The REST API for integrations that hold no socket (the WebSocket at "
            "`/chat/ws` is the main customer channel), the signed 8x8 webhook, and the operations "
            "endpoints. Every error is `application/problem+json`.",
        },
        "servers": [{"url": str(settings.base_url).rstrip("/") or "/"}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "session": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the session token from `POST /chat/sessions`; it must belong to `{id}`",
                },
                "metrics": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "GATEWAY_METRICS__TOKEN",
                },
            },
        },
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chat-escalation-gateway")
    except PackageNotFoundError:
        return "0"


def openapi_handler(document: dict[str, Any]) -> Handler:
    """Serve ``document`` (built once, at start) as JSON."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return web.json_response(document)

    return handle
