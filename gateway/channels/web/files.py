"""Files and indicators in the customer channel: uploads, files served at their own links, typing, read.

``POST /chat/sessions/{id}/attachments`` (Bearer session token) takes one file, either as the raw body
(``Content-Type`` = the file's type, ``?filename=&client_id=``) or as ``multipart/form-data`` (part ``file``,
optional fields ``client_id`` and ``text``). The file is checked (size, declared type in
``GATEWAY_ATTACHMENTS__ALLOWED_TYPES``, content that looks like that type), stored, and only then appended
to the transcript and acked ``202 {"client_id","seq","attachment"}``, like a message. A repeated
``client_id`` is stored once and re-acked with the first seq.

``GET /chat/files/{key}/{name}`` serves a file: ``key`` is a 192-bit random secret (an unguessable link, so
an ``<a href>`` works without a token and the agent on the Chat API can open it too). An agent's file is
fetched from the contact center on first use and kept.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Annotated
from urllib.parse import quote

import filetype  # type: ignore[import-untyped]
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import BaseModel, ConfigDict, Field

from gateway.channels.web.addresses import client_address
from gateway.channels.web.frames import FrameError, attachment_json
from gateway.channels.web.problems import problem
from gateway.channels.web.rest import authorised, check_address, check_control, read_json, validated
from gateway.channels.web.uploads import UploadTimeout, within
from gateway.keys import message_limiter_key, relay_key, settings_key, upload_slots_key
from gateway.relay.errors import CustomerError
from gateway.relay.files import Upload

routes = web.RouteTableDef()

# Served inline (shown in the browser); everything else downloads. None of these can run script.
# PDFs download: Chromium's PDF viewer runs outside the sandbox CSP, on the widget's origin.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"})
_MULTIPART_OVERHEAD = 64 * 1024
_MAX_PARTS = 16


class UnsupportedType(CustomerError):
    code = "unsupported_type"


class FileNotFound(CustomerError):
    code = "not_found"


@dataclass(frozen=True, slots=True)
class _Upload:
    name: str
    content_type: str
    data: bytes
    client_id: str
    text: str


def clean_name(raw: str | None) -> str:
    """A file name safe to show and to put in a header: no path, no control characters, not too long."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".") or "file"
    return name[:200]


def _media_type(raw: str | None) -> str:
    return (raw or "").split(";", 1)[0].strip().lower()


async def _read_limited(
    part: BodyPartReader | web.Request, limit: int, idle_s: float, what: str = "files"
) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        read = part.read_chunk() if isinstance(part, BodyPartReader) else part.content.read(65536)
        chunk = await within(read, idle_s=idle_s)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise FrameError("too_long", f"{what} are limited to {limit} bytes")
        chunks.append(chunk)


async def _read_upload(request: web.Request) -> _Upload:
    settings = request.app[settings_key]
    limit = settings.attachments.max_bytes
    idle_s = settings.attachments.upload_idle_timeout_s
    if request.content_type != "multipart/form-data":
        client_id = request.query.get("client_id") or uuid.uuid4().hex
        data = await _read_limited(request, limit, idle_s)
        return _Upload(clean_name(request.query.get("filename")), request.content_type, data, client_id, "")
    try:
        return await _read_multipart(request, limit, 4 * settings.limits.max_text_chars, idle_s)
    except (ValueError, HttpProcessingError):  # no boundary, a malformed part header ...
        raise FrameError("invalid_frame", "the multipart/form-data body is malformed") from None


async def _read_multipart(request: web.Request, limit: int, field_limit: int, idle_s: float) -> _Upload:
    reader = await request.multipart()
    fields: dict[str, str] = {}
    upload: tuple[str, str, bytes] | None = None
    parts = 0
    while (part := await within(reader.next(), idle_s=idle_s)) is not None:
        parts += 1
        if parts > _MAX_PARTS:
            raise FrameError("invalid_frame", f"at most {_MAX_PARTS} parts are accepted")
        if not isinstance(part, BodyPartReader):
            raise FrameError("invalid_frame", "nested multipart bodies are not accepted")
        if part.name == "file" and upload is None:
            content_type = _media_type(part.headers.get("Content-Type")) or "application/octet-stream"
            upload = (clean_name(part.filename), content_type, await _read_limited(part, limit, idle_s))
        elif part.name in ("client_id", "text"):
            raw = await _read_limited(part, field_limit, idle_s, f"{part.name} fields")
            value = raw.decode("utf-8", "replace")
            fields[part.name] = value
        else:  # read and dropped, within the same bounds as a field
            await _read_limited(part, field_limit, idle_s, "other parts")
    if upload is None:
        raise FrameError("invalid_frame", "file: a part named 'file' is required")
    client_id = fields.get("client_id") or request.query.get("client_id") or uuid.uuid4().hex
    return _Upload(*upload, client_id=client_id, text=fields.get("text", ""))


def checked_type(declared: str, data: bytes, allowed: list[str]) -> str:
    """The file's media type, if allowed and its content looks like it; else ``UnsupportedType``.

    A type ``filetype`` knows (images, PDF, office files ...) must match the content's magic bytes; text
    must be UTF-8 without NULs. An undeclared type (``application/octet-stream``) is taken from the content.
    """
    guessed = filetype.guess(data)
    if declared in ("", "application/octet-stream") and guessed is not None:
        declared = str(guessed.mime)
    if declared not in allowed:
        raise UnsupportedType(
            f"{declared or 'files without a type'} not accepted; allowed: {', '.join(allowed)}"
        )
    if filetype.get_type(mime=declared) is not None:
        if guessed is None or guessed.mime != declared:
            raise UnsupportedType(f"the content is not {declared}")
    elif declared.startswith("text/"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsupportedType(f"the content is not UTF-8 {declared}") from None
        if "\x00" in text:
            raise UnsupportedType(f"the content is not {declared}")
    return declared


@routes.post("/chat/sessions/{id}/attachments")
async def upload_file(request: web.Request) -> web.Response:
    conv = await authorised(request)
    relay = request.app[relay_key]
    settings = request.app[settings_key]
    check_address(request)
    if not request.app[message_limiter_key].allow(conv.id):
        return problem("rate_limited", "too many messages, slow down")
    # Cheap checks before a byte of the body is read: its declared size, the chat's quota and the state.
    limit = settings.attachments.max_bytes
    if request.content_length is not None and request.content_length > limit + _MULTIPART_OVERHEAD:
        raise FrameError("too_long", f"files are limited to {limit} bytes")
    quota = settings.retention.max_file_bytes_per_conversation
    await relay.check_upload(
        conv,
        client_id=request.query.get("client_id"),
        upto_bytes=(request.content_length or 0) - _MULTIPART_OVERHEAD,
        quota_bytes=quota,
    )
    slots = request.app[upload_slots_key]
    try:
        with slots.hold(address=client_address(request, settings.web), session=conv.id):
            async with asyncio.timeout(settings.attachments.upload_timeout_s):
                up = await _read_upload(request)
    except ConnectionResetError:
        raise FrameError("invalid_frame", "the upload was cut off before its end") from None
    except (TimeoutError, UploadTimeout) as exc:
        detail = str(exc) or f"the upload took longer than {settings.attachments.upload_timeout_s:g} s"
        response = problem("timeout", detail)
        response.force_close()  # the rest of a slow body is not worth waiting for
        return response
    # The upload is read and checked before the relay looks for a repeated client_id, so a malformed retry
    # is refused like any malformed request; a well-formed repeat is acked with its first seq.
    if len(up.text) > settings.limits.max_text_chars:
        raise FrameError("too_long", f"text is limited to {settings.limits.max_text_chars} characters")
    if not up.data:
        raise FrameError("invalid_frame", "file: must not be empty")
    upload = Upload(
        name=up.name,
        data=up.data,
        content_type=partial(
            checked_type, _media_type(up.content_type), up.data, settings.attachments.allowed_types
        ),
    )
    seq, file = await relay.customer_sends_file(
        conv.id, upload, text=up.text, client_id=up.client_id, quota_bytes=quota
    )
    body = {"client_id": up.client_id, "seq": seq, "attachment": attachment_json(file) if file else None}
    return web.json_response(body, status=202)


@routes.post("/chat/sessions/{id}/typing")
async def customer_typing(request: web.Request) -> web.Response:
    """The REST form of the ``typing`` frame: forwarded where the contact center shows it, else dropped."""
    conv = await authorised(request)
    check_control(request, conv)
    await request.app[relay_key].customer_typing(conv.id)
    return web.Response(status=204)


class ReadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    upto_seq: Annotated[int, Field(ge=1, le=2**53, strict=True)]


@routes.post("/chat/sessions/{id}/read")
async def customer_read(request: web.Request) -> web.Response:
    """The REST form of the ``read`` frame: the customer has seen the transcript up to ``upto_seq``."""
    conv = await authorised(request)
    check_control(request, conv)
    body = validated(ReadBody, await read_json(request))
    await request.app[relay_key].customer_read(conv.id, body.upto_seq)
    return web.Response(status=204)


@routes.get("/chat/files/{key}/{name}")
async def serve_file(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    if not re.fullmatch(r"[\w-]{16,64}", key):
        raise FileNotFound("no such file")
    file = await request.app[relay_key].open_file(key)  # ContactCenterError: answered by the middleware
    if file is None or file.data is None:
        raise FileNotFound("no such file")
    ttl_s = request.app[settings_key].retention.file_link_days * 86400
    if request.app[relay_key].clock() - file.created_at >= ttl_s:
        raise FileNotFound("this link has expired")
    meta = file.attachment
    disposition = "inline" if meta.content_type in INLINE_TYPES else "attachment"
    content_type = meta.content_type + ("; charset=utf-8" if meta.content_type.startswith("text/") else "")
    headers = {
        "Content-Type": content_type,
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(meta.name, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=86400, immutable",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    return web.Response(body=file.data, headers=headers)
