"""The document's transcript download (``gateway.channels.web.transcript``)."""

from __future__ import annotations

from typing import Any

from gateway.openapi.parts import session_operation


def transcript_operation() -> dict[str, Any]:
    header = {"schema": {"type": "string"}}
    operation = session_operation(
        "The chat so far as a plain-text file, for the customer to keep",
        {
            "200": {
                "description": "one line per transcript entry, oldest first, each with its time in UTC: "
                "the customer's, the bot's, the agent's and system lines, state changes, files with links",
                "headers": {
                    "Content-Disposition": {**header, "description": "attachment, with a file name"},
                    "Cache-Control": {**header, "description": "no-store"},
                    "X-Content-Type-Options": header,
                },
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
    operation["description"] = (
        "The widget offers it once the chat has ended; it can be fetched at any time. "
        "Authenticated like the other session operations."
    )
    return operation
