"""The document's file and indicator operations: uploads, file links, typing and read receipts."""

from __future__ import annotations

from typing import Any

from gateway.channels.web.files import INLINE_TYPES
from gateway.openapi.parts import errors, json_answer, json_body, session_operation
from gateway.settings import Settings

_CLIENT_ID = {"type": "string", "minLength": 1, "maxLength": 128}


def upload_operation(settings: Settings) -> dict[str, Any]:
    allowed = settings.attachments.allowed_types
    limit = settings.attachments.max_bytes
    binary = {"type": "string", "contentMediaType": "application/octet-stream"}
    raw = {media: {"schema": {"type": "string", "contentMediaType": media}} for media in allowed}
    multipart = {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {**binary, "description": "the file; its part's Content-Type is its type"},
                "client_id": {**_CLIENT_ID, "description": "as for messages; a new one if left out"},
                "text": {
                    "type": "string",
                    "maxLength": settings.limits.max_text_chars,
                    "description": "a line sent with the file",
                },
            },
        },
        "encoding": {"file": {"contentType": ", ".join(allowed)}},
    }
    operation = session_operation(
        "Send a file to the agent (while escalating, queued or with an agent)",
        {"202": json_answer("FileAccepted", "stored, then appended to the transcript")},
        "too_long",
        "invalid_frame",
        "unsupported_type",
        "wrong_state",
        "rate_limited",
        "timeout",
    )
    operation["description"] = (
        "One file, either as the raw body (`Content-Type` is the file's type; `filename` and `client_id` "
        "in the query) or as `multipart/form-data` (part `file`, optional fields `client_id` and `text`). "
        f"Files are limited to {limit} bytes; the type must be one of {', '.join(allowed)} and the "
        "content must look like it. A repeated `client_id` is stored once and answered with its first seq."
    )
    operation["parameters"] = [
        *operation["parameters"],
        {
            "name": "filename",
            "in": "query",
            "description": "raw body: the file's name (a path is cut off, control characters dropped)",
            "schema": {"type": "string"},
        },
        {
            "name": "client_id",
            "in": "query",
            "description": "raw body: as for messages; a new one if left out",
            "schema": _CLIENT_ID,
        },
    ]
    operation["requestBody"] = {"required": True, "content": {"multipart/form-data": multipart, **raw}}
    return operation


def file_operation() -> dict[str, Any]:
    inline = ", ".join(sorted(INLINE_TYPES))
    header = {"schema": {"type": "string"}}
    return {
        "summary": "A file of the transcript, at its unguessable link (no token needed)",
        "description": f"Served inline for {inline}; every other type downloads. An agent's file is "
        "fetched from the contact center on first use and kept.",
        "tags": ["customer"],
        "security": [],
        "parameters": [
            {
                "name": "key",
                "in": "path",
                "required": True,
                "description": "the file's secret key, from its `url`",
                "schema": {"type": "string"},
            },
            {
                "name": "name",
                "in": "path",
                "required": True,
                "description": "the file's name; only makes the link readable",
                "schema": {"type": "string"},
            },
        ],
        "responses": {
            "200": {
                "description": "the file, with its own type",
                "headers": {
                    "Content-Disposition": {**header, "description": "inline or attachment, with the name"},
                    "X-Content-Type-Options": header,
                    "Cache-Control": header,
                },
                "content": {"*/*": {"schema": {"type": "string"}}},
            },
            **errors("not_found", "unavailable"),
        },
    }


def typing_operation() -> dict[str, Any]:
    return session_operation(
        "The customer is typing: shown to the agent where the contact center can (else dropped)",
        {"204": {"description": "noted"}},
        "rate_limited",
    )


def read_operation() -> dict[str, Any]:
    return {
        **session_operation(
            "The customer has seen the transcript up to `upto_seq`: a read receipt where the contact "
            "center shows one (else dropped)",
            {"204": {"description": "noted"}},
            "bad_json",
            "too_long",
            "invalid_frame",
            "rate_limited",
        ),
        "requestBody": json_body("ReadBody"),
    }
