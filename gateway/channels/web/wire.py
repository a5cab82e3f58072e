"""Server text frames written straight to a customer socket's transport, as many as are ready in one write.

aiohttp's ``send_str`` is a coroutine (so a socket's writer needs a task to call it) and writes each frame
on its own (a ``send`` system call each). A server's uncompressed text frame is only a header and the
UTF-8 text (RFC 6455, section 5.2: never masked), so a socket that keeps up can take its frames at once,
several in one write, each still a frame of its own. Whatever could not go this way (a socket that
negotiated compression, one closing, one whose outgoing buffer is backing up) is left to aiohttp's
writer, which waits for the buffer to drain.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Sequence

from aiohttp import web

BACKLOG_BYTES = 64 * 1024
"""Written but not yet sent at which frames stop going straight out (the transport's default high-water
mark): from there, aiohttp's writer waits for the client, and the subscriber's watchdog times that wait."""

_FIN_TEXT = 0x81  # FIN bit and opcode 1 (text)
_HEADER_16 = struct.Struct("!BBH").pack
_HEADER_64 = struct.Struct("!BBQ").pack


def writable(ws: web.WebSocketResponse, transport: asyncio.Transport) -> bool:
    """Whether frames may be written straight to ``transport`` now, with no wait and in order."""
    return (
        not ws.compress
        and not ws.closed
        and not transport.is_closing()
        and transport.get_write_buffer_size() < BACKLOG_BYTES
    )


def write_text(transport: asyncio.Transport, texts: Sequence[str]) -> None:
    """Each text as a text frame of its own, in order, in one write to the transport."""
    parts: list[bytes] = []
    for text in texts:
        data = text.encode()
        size = len(data)
        if size < 126:
            parts.append(bytes((_FIN_TEXT, size)))
        elif size < 65536:
            parts.append(_HEADER_16(_FIN_TEXT, 126, size))
        else:
            parts.append(_HEADER_64(_FIN_TEXT, 127, size))
        parts.append(data)
    transport.write(b"".join(parts))
