"""``build_document(settings)`` and the handler that serves it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.bots.availability import AVAILABILITY_PATH, AvailabilityAnswer
from gateway.channels.web.files import ReadBody
from gateway.channels.web.rest import MAX_SEQ, MessageBody, StartBody
from gateway.contact_center.chat_api.webhook import WebhookEvent
from gateway.contact_center.chat_gateway.webhook import GatewayEvent
from gateway.contact_center.chat_gateway.wiring import WEBHOOK_PATH as CHAT_GATEWAY_WEBHOOK
from gateway.openapi.answers import (
    REF,
    Entries,
    FileAccepted,
    Health,
    MessageAccepted,
    Ready,
    SessionCreated,
    StateAnswer,
    json_schemas,
)
from gateway.openapi.files import file_operation, read_operation, typing_operation, upload_operation
from gateway.openapi.parts import (
    SESSION_PATH_ID,
    errors,
    json_answer,
    json_body,
    problem,
    problem_schema,
    session_operation,
    webhook_operation,
)
from gateway.openapi.transcript import transcript_operation
from gateway.settings import Settings

OPENAPI_VERSION = "3.1.1"

NOT_DOCUMENTED: dict[str, str] = {
    "/chat/ws": "the customer WebSocket; its frames are the contract in design.md, not HTTP operations",
    "/static/index.html": "always 404 here: the demo shop page is served (at /) by `chat-gateway demo` only",
    "/widget.js": "the widget's loader script",
    "/widget.css": "the widget's stylesheet",
    "/widget/{name}": "the widget's ES modules",
    "/static": "static files of the demo page and widget",
    "/chat/sessions{tail}": "OPTIONS only: the CORS preflight a browser sends before a cross-site call "
    "(204 with the allowed methods and headers for an allowed Origin, else 403); not an API operation",
}
"""Routes of the app that are not part of the HTTP API, with the reason; every other route is documented."""


def build_document(settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3.1 document for a gateway running with ``settings``."""
    limits = settings.limits
    by_key, schemas = json_schemas(
        [
            ("StartBody", "validation", StartBody),
            ("MessageBody", "validation", MessageBody),
            ("ReadBody", "validation", ReadBody),
            ("WebhookEvent", "validation", WebhookEvent),
            ("GatewayEvent", "validation", GatewayEvent),
            ("FileAccepted", "serialization", FileAccepted),
            ("SessionCreated", "serialization", SessionCreated),
            ("MessageAccepted", "serialization", MessageAccepted),
            ("StateAnswer", "serialization", StateAnswer),
            ("Entries", "serialization", Entries),
            ("Health", "serialization", Health),
            ("Ready", "serialization", Ready),
            ("AvailabilityAnswer", "serialization", AvailabilityAnswer),
        ]
    )
    assert all(s == {"$ref": REF.format(model=key)} for key, s in by_key.items()), by_key
    # The handler checks these limits itself (so an over-long text is ``too_long``, not ``invalid_frame``).
    text = schemas["MessageBody"]["properties"]["text"]
    text.update(minLength=1, maxLength=limits.max_text_chars)
    schemas["Problem"] = problem_schema()
    paths: dict[str, Any] = {
        "/chat/sessions": {
            "post": {
                "summary": "Start a session (a new conversation with the bot)",
                "tags": ["customer"],
                "security": [],
                "requestBody": json_body("StartBody", required=False),
                "responses": {
                    "201": json_answer("SessionCreated", "the session; keep its token"),
                    **errors("bad_json", "too_long", "invalid_frame", "rate_limited", "unavailable"),
                },
            }
        },
        "/chat/sessions/{id}/messages": {
            "post": {
                **session_operation(
                    "Say something (a repeated client_id is stored once and answered with its first seq)",
                    {
                        "202": json_answer(
                            "MessageAccepted", "stored; the bot or agent answers in the transcript"
                        )
                    },
                    "bad_json",
                    "too_long",
                    "invalid_frame",
                    "rate_limited",
                ),
                "requestBody": json_body("MessageBody"),
            },
            "get": {
                **session_operation(
                    "Read the transcript entries after a seq",
                    {"200": json_answer("Entries", "the conversation's state and the entries after `after`")},
                    "invalid_frame",
                ),
                "parameters": [
                    SESSION_PATH_ID,
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
            "post": session_operation(
                "Stop waiting for an agent and go back to the bot (while escalating or queued)",
                {"200": json_answer("StateAnswer", "the conversation's state afterwards")},
                "wrong_state",
                "rate_limited",
            )
        },
        "/chat/sessions/{id}/leave": {
            "post": session_operation(
                "End the chat (the agent, if any, is freed)",
                {"200": json_answer("StateAnswer", "the conversation's state afterwards")},
                "wrong_state",
                "rate_limited",
            )
        },
        "/chat/sessions/{id}/attachments": {"post": upload_operation(settings)},
        "/chat/sessions/{id}/typing": {"post": typing_operation()},
        "/chat/sessions/{id}/read": {"post": read_operation()},
        "/chat/sessions/{id}/transcript": {"get": transcript_operation()},
        "/chat/files/{key}/{name}": {"get": file_operation()},
        "/webhooks/8x8": {"post": webhook_operation(limits.max_body_bytes)},
        CHAT_GATEWAY_WEBHOOK: {
            "post": webhook_operation(
                limits.max_body_bytes,
                summary="8x8 Chat Gateway v1 webhook events (signed like the Chat API v2's)",
                event="GatewayEvent",
                malformed="not a Chat Gateway v1.0 event, an event other than `WEB_HOOK_VERIFY` "
                "without `conversationId`, or a known event without its fields",
                not_configured="no Chat Gateway is configured on this gateway",
                applied=" An agent's `MESSAGE` (not an echo), `MEMBERS_CHANGED` of an agent, `QUEUED`, "
                "`TRANSFER` and `ACTIVITY` `read-receipts` are applied; `ACTIVITY` `typing` is shown, "
                "never stored; everything else is answered 200 and changes nothing.",
            )
        },
        "/healthz": {
            "get": {
                "summary": "The process is up",
                "tags": ["operations"],
                "security": [],
                "responses": {"200": json_answer("Health", "up")},
            }
        },
        "/readyz": {
            "get": {
                "summary": "The store and the configured upstreams are usable",
                "tags": ["operations"],
                "security": [],
                "responses": {
                    "200": json_answer("Ready", "ready"),
                    "503": problem(
                        "`unavailable`: `failed` names what is not usable; the reasons only with the metrics "
                        "token as a Bearer token, or on the metrics port"
                    ),
                },
            }
        },
        AVAILABILITY_PATH: {
            "get": {
                "summary": "For the bot: may it promise a person now (business hours, contact center)?",
                "tags": ["bot"],
                "security": [{"bot": []}],
                "parameters": [
                    {
                        "name": "queue_id",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "a configured queue; the default queue when left out or unknown",
                    }
                ],
                "responses": {
                    "200": json_answer(
                        "Availability", "whether agents can take a chat now, and when they open"
                    ),
                    "401": problem(
                        "`unauthorized`: no or a wrong bot token, or GATEWAY_BOT__TOKEN is not set"
                    ),
                    "422": problem("`invalid_frame`: a query parameter other than `queue_id`"),
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
                    "401": problem("`unauthorized`: no or a wrong metrics token, or none is configured"),
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
                "bot": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "GATEWAY_BOT__TOKEN (the token of Rasa's HTTP API)",
                },
            },
        },
    }


def _version() -> str:
    try:
        return version("chat-escalation-gateway")
    except PackageNotFoundError:
        return "0"


def openapi_handler(document: dict[str, Any]) -> Handler:
    """Serve ``document`` (built once, at start) as JSON."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return web.json_response(document)

    return handle
