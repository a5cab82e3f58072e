"""Chat Gateway files (spec chat-gateway-v1 §3 Attachments): multipart upload (``attachment`` file +
``authorType``), list, metadata, the authenticated ``…/content`` download, and the unauthenticated pre-signed
URL ``/files/{token}/{name}`` (our choice of shape) that ``MESSAGE`` events carry.
"""

from __future__ import annotations

import email.parser
import email.policy
import mimetypes
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ..runtime import Runtime, runtime_key
from ..state import Attachment, Conversation, iso
from .conversations import conversation_of
from .errors import general_error, hal_response, resource_not_found
from .hal import hal_page


def attachment_json(att: Attachment) -> dict[str, Any]:
    return {
        "id": att.id,
        "filename": att.filename,
        "sizeInBytes": len(att.data),
        "createdAt": iso(att.created_ms),
    }


def _form_parts(content_type: str, body: bytes) -> dict[str, tuple[str | None, str | None, bytes]]:
    """``name -> (filename, declared content type, bytes)`` of a multipart/form-data body (first per name)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts: dict[str, tuple[str | None, str | None, bytes]] = {}
    if not parsed.is_multipart():
        return parts
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or name in parts:
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        declared = part.get_content_type() if part.get("Content-Type") else None
        parts[name] = (part.get_filename(), declared, data)
    return parts


async def upload_attachment(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = conversation_of(request)
    if request.content_type != "multipart/form-data":
        raise general_error(("invalid_attachment", "body: must be multipart/form-data"))
    parts = _form_parts(request.headers["Content-Type"], await request.read())
    errors: list[tuple[str, str]] = []
    file_part = parts.get("attachment")
    author = parts.get("authorType")
    author_type = author[2].decode("utf-8", "replace").strip() if author else None
    if author_type not in ("user", "bot"):
        errors.append(("invalid_attachment", f"authorType: must be one of [user, bot] (got {author_type})"))
    if file_part is None or not file_part[0]:
        errors.append(("invalid_attachment", "attachment: a file part named attachment is required"))
    elif len(file_part[2]) > rt.config.attachment_max_bytes:
        errors.append(
            ("attachment_too_large", f"attachment: larger than {rt.config.attachment_max_bytes} bytes")
        )
    if errors or file_part is None or author_type is None:
        raise general_error(*errors)
    filename, declared, data = file_part
    assert filename is not None
    content_type = declared or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    att = rt.lifecycle.add_attachment(conv, filename, content_type, data, author_type)
    return hal_response(attachment_json(att))


def _attachment(conv: Conversation, request: web.Request) -> Attachment:
    attachment_id = request.match_info["attachment_id"]
    att = conv.attachments.get(attachment_id)
    if att is None:
        raise resource_not_found("Attachment", attachment_id)
    return att


async def list_attachments(request: web.Request) -> web.StreamResponse:
    conv = conversation_of(request)
    items = [attachment_json(a) for a in sorted(conv.attachments.values(), key=lambda a: a.created_ms)]
    return hal_response(hal_page(request, "attachments", items))


async def get_attachment(request: web.Request) -> web.StreamResponse:
    conv = conversation_of(request)
    return hal_response(attachment_json(_attachment(conv, request)))


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: a plain ``filename`` for ASCII names, else an ASCII stand-in plus ``filename*`` in UTF-8."""
    if filename.isascii() and filename.isprintable() and '"' not in filename and "\\" not in filename:
        return f'{kind}; filename="{filename}"'
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_response(att: Attachment) -> web.Response:
    return web.Response(
        body=att.data,
        content_type="application/octet-stream",
        headers={"Content-Disposition": content_disposition("attachment", att.filename)},
    )


async def attachment_content(request: web.Request) -> web.StreamResponse:
    conv = conversation_of(request)
    return file_response(_attachment(conv, request))


def find_by_token(rt: Runtime, token: str) -> Attachment | None:
    for conv in rt.store.conversations.values():
        for att in conv.attachments.values():
            if att.token == token:
                return att
    return None


async def presigned_download(request: web.Request) -> web.StreamResponse:
    """``GET /files/{token}/{name}``: the pre-signed URL of a ``MESSAGE`` event (no key needed)."""
    att = find_by_token(request.app[runtime_key], request.match_info["token"])
    if att is None:
        raise web.HTTPForbidden(text="The pre-signed URL is not valid.")
    response = file_response(att)
    response.content_type = att.content_type
    return response


ROUTES = [
    ("GET", "/conversations/{conversation_id}/attachments", list_attachments, "cgw_list_attachments"),
    ("POST", "/conversations/{conversation_id}/attachments", upload_attachment, "cgw_upload_attachment"),
    (
        "GET",
        "/conversations/{conversation_id}/attachments/{attachment_id}",
        get_attachment,
        "cgw_get_attachment",
    ),
    (
        "GET",
        "/conversations/{conversation_id}/attachments/{attachment_id}/content",
        attachment_content,
        "cgw_attachment_content",
    ),
]
