"""Chat Gateway messages, attachments and indicators (spec chat-gateway-v1 §3, §3.2, §3.4).

Messages the integration posts (``authorType`` user or bot) are stored and come back as ``MESSAGE`` with
``isEcho: true``; a message to an idle conversation reopens it (new interaction, re-queued on its last
queue). Files are uploaded first (multipart ``attachment`` + ``authorType``), then named by id in a message;
each has an authenticated ``…/content`` URL and an unauthenticated pre-signed one (``/files/{token}/{name}``,
our choice of shape) that ``MESSAGE`` events carry. Typing, thinking and read receipts from the integration
are recorded for the agent console; they produce no webhook event.
"""

from __future__ import annotations

import email.parser
import email.policy
import mimetypes
from typing import Any

from aiohttp import web

from ..runtime import Runtime, runtime_key
from ..state import Attachment, Conversation, Message, iso, now_ms
from .conversations import conversation_of, participant_json
from .errors import (
    entity_not_found,
    general_error,
    hal_response,
    invalid_message,
    invalid_parameter,
    read_object,
    resource_not_found,
)
from .hal import hal_page, sort_order
from .validation import check_send_message

MAX_THINKING_S = 600


def message_json(conv: Conversation, message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "text": message.text,
        "createdAt": iso(message.timestamp_ms),
        "author": participant_json(conv, message.participant_id),
        "attachments": [{"id": a} for a in message.attachment_ids],
        "cards": [card_json(message, i) for i in range(len(message.cards))],
    }


def card_json(message: Message, index: int) -> dict[str, Any]:
    card = message.cards[index]
    return {
        "id": f"{message.id}-{index}",
        "contentType": card["contentType"],
        "content": card["content"],
        "actionSubmitted": False,
        "actionExecuted": False,
    }


def attachment_json(att: Attachment) -> dict[str, Any]:
    return {
        "id": att.id,
        "filename": att.filename,
        "sizeInBytes": len(att.data),
        "createdAt": iso(att.created_ms),
    }


def _message(conv: Conversation, request: web.Request) -> Message:
    message_id = request.match_info["message_id"]
    found = next((m for m in conv.messages if m.id == message_id), None)
    if found is None:
        raise resource_not_found("Message", message_id)
    return found


async def list_messages(request: web.Request) -> web.StreamResponse:
    conv = conversation_of(request)
    # (createdAt, position): messages of the same millisecond keep the order they were posted in
    by_created = {"createdAt": lambda im: (im[1].timestamp_ms, im[0])}
    key, reverse = sort_order(request, by_created, "createdAt:desc")
    ordered = sorted(enumerate(conv.messages), key=key, reverse=reverse)
    items = [message_json(conv, m) for _, m in ordered]
    return hal_response(hal_page(request, "messages", items))


async def get_message(request: web.Request) -> web.StreamResponse:
    conv = conversation_of(request)
    return hal_response(message_json(conv, _message(conv, request)))


async def list_cards(request: web.Request) -> web.StreamResponse:
    conv = conversation_of(request)
    message = _message(conv, request)
    items = [card_json(message, i) for i in range(len(message.cards))]
    return hal_response(hal_page(request, "cards", items))


async def send_message(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = conversation_of(request)
    body = await read_object(request)
    errors: list[str] = []
    message = check_send_message(body, "", conv, errors)
    if errors or message is None:
        raise invalid_message(errors[0], *errors)
    rt.lifecycle.post_customer_message(
        conv, message.text, message.author_type, attachment_ids=message.attachment_ids, cards=message.cards
    )
    return web.Response(status=202)


# -- attachments -----------------------------------------------------------------------------------------


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


def file_response(att: Attachment) -> web.Response:
    return web.Response(
        body=att.data,
        content_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{att.filename}"'},
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


# -- indicators ------------------------------------------------------------------------------------------


def _indicator_conversation(request: web.Request) -> Conversation:
    return conversation_of(request, entity_not_found)


async def _indicator_body(
    request: web.Request, conv: Conversation, *, optional: bool = False
) -> dict[str, Any]:
    rt = request.app[runtime_key]
    raw = await request.read()
    if not raw and optional:
        return {}
    try:
        body = await read_object(request)
    except Exception:
        raise invalid_parameter(conv.id, rt.config.tenant_id, "body: must be a JSON object") from None
    return body


async def typing(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = _indicator_conversation(request)
    body = await _indicator_body(request, conv)
    author = body.get("authorType")
    if author not in ("user", "bot"):
        raise invalid_parameter(
            conv.id, rt.config.tenant_id, f"authorType: must be one of [user, bot] (got {author})"
        )
    conv.typing_ms[str(author)] = now_ms()
    rt.store.changed()
    return web.Response(status=204)


async def thinking(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = _indicator_conversation(request)
    body = await _indicator_body(request, conv, optional=True)
    errors: list[str] = []
    if body.get("authorType", "bot") != "bot":
        errors.append("authorType: must be bot")
    seconds = body.get("maxThinkingTimeSeconds", 60)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 1 <= seconds <= MAX_THINKING_S:
        errors.append(f"maxThinkingTimeSeconds: must be an integer between 1 and {MAX_THINKING_S}")
    if errors:
        raise invalid_parameter(conv.id, rt.config.tenant_id, *errors)
    conv.thinking_until_ms = now_ms() + int(seconds) * 1000
    rt.store.changed()
    return web.Response(status=204)


async def read_receipt(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    conv = _indicator_conversation(request)
    body = await _indicator_body(request, conv)
    errors: list[str] = []
    author, read_at = body.get("authorType"), body.get("readAt")
    if author not in ("user", "bot"):
        errors.append(f"authorType: must be one of [user, bot] (got {author})")
    if not isinstance(read_at, int) or isinstance(read_at, bool) or read_at <= 0:
        errors.append("readAt: must be a positive integer (milliseconds since the epoch)")
    if errors or not isinstance(read_at, int):
        raise invalid_parameter(conv.id, rt.config.tenant_id, *errors)
    conv.read_at_ms[str(author)] = max(read_at, conv.read_at_ms.get(str(author), 0))
    rt.store.changed()
    return web.Response(status=204)


async def post_agent_assignment(request: web.Request) -> web.StreamResponse:
    """Recorded only (our choice): the emulator does not hand conversations back to a bot webhook."""
    rt = request.app[runtime_key]
    conv = _indicator_conversation(request)
    body = await _indicator_body(request, conv)
    errors: list[str] = []
    if body.get("type") != "webhook":
        errors.append("type: must be webhook")
    webhook_id = body.get("id")
    if not isinstance(webhook_id, str) or rt.store.webhooks.get(webhook_id) is None:
        errors.append(f"id: no webhook {webhook_id}")
    config = body.get("configuration", {})
    if not isinstance(config, dict):
        errors.append("configuration: must be an object")
        config = {}
    notify = config.get("notifyChannelWebhookIfExists")
    if notify is not None and notify not in ("true", "false"):
        errors.append('configuration.notifyChannelWebhookIfExists: must be the string "true" or "false"')
    for name, low, high in (("maxTotalMinutes", 20, 600), ("userTimeoutInMinutes", 10, 300)):
        value = config.get(name)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high
        ):
            errors.append(f"configuration.{name}: must be an integer between {low} and {high}")
    if errors:
        raise invalid_parameter(conv.id, rt.config.tenant_id, *errors)
    conv.post_agent_assignment = body
    rt.store.changed()
    return web.Response(status=201)


ROUTES = [
    ("GET", "/conversations/{conversation_id}/messages", list_messages, "cgw_list_messages"),
    ("POST", "/conversations/{conversation_id}/messages", send_message, "cgw_send_message"),
    ("GET", "/conversations/{conversation_id}/messages/{message_id}", get_message, "cgw_get_message"),
    ("GET", "/conversations/{conversation_id}/messages/{message_id}/cards", list_cards, "cgw_list_cards"),
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
    ("POST", "/conversations/{conversation_id}/typing", typing, "cgw_typing"),
    ("POST", "/conversations/{conversation_id}/thinking", thinking, "cgw_thinking"),
    ("POST", "/conversations/{conversation_id}/read-receipt", read_receipt, "cgw_read_receipt"),
    (
        "POST",
        "/conversations/{conversation_id}/post-agent-assignment",
        post_agent_assignment,
        "cgw_post_agent_assignment",
    ),
]
