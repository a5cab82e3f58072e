"""The REST fallback for integrations that hold no socket (design.md, "Customer channel").

``{id}`` is the conversation id; the session token travels as ``Authorization: Bearer TOKEN`` and must
belong to that conversation. Every error is ``application/problem+json``.
"""

from __future__ import annotations

import hmac
import json
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from gateway.channels.web.addresses import client_address
from gateway.channels.web.frames import ClientId, CustomerIn, FrameError, describe, entry_frame
from gateway.channels.web.origin import origin_allowed
from gateway.channels.web.problems import error_problem, problem
from gateway.keys import address_limiter_key, message_limiter_key, relay_key, settings_key
from gateway.relay.errors import CustomerError, GatewayError, RateLimited, UnknownSession
from gateway.relay.model import Conversation, Customer, State
from gateway.settings import RetentionSettings

routes = web.RouteTableDef()
MAX_SEQ = 2**53
M = TypeVar("M", bound=BaseModel)


class StartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: CustomerIn | None = None


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    client_id: ClientId


async def read_json(request: web.Request, *, optional: bool = False) -> Any:
    limit = request.app[settings_key].limits.max_body_bytes
    body = await request.content.read(limit + 1)
    if len(body) > limit:
        raise FrameError("too_long", f"request bodies are limited to {limit} bytes")
    if not body and optional:  # no body at all; whitespace alone is not JSON
        return {}
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise FrameError("bad_json", "the body is not valid JSON") from None


def validated(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FrameError("invalid_frame", describe(exc)) from None


async def authorised(request: web.Request) -> Conversation:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _Unauthorized()
    relay = request.app[relay_key]
    conv = await relay.resume_session(token.strip())
    # Constant-time: the session found must be the one in the path.
    if not hmac.compare_digest(conv.id.encode(), request.match_info["id"].encode()):
        raise UnknownSession("unknown session")
    check_token_alive(conv, now=relay.clock(), settings=request.app[settings_key].retention)
    return conv


def check_token_alive(conv: Conversation, *, now: float, settings: RetentionSettings) -> None:
    """A closed chat's token works for ``TOKEN_HOURS_AFTER_CLOSE`` after its last activity, no longer:
    a leaked token cannot reopen (and read) the conversation forever."""
    if conv.state is State.CLOSED and now - conv.active_at >= settings.token_hours_after_close * 3600:
        raise UnknownSession("this chat has ended: start a new one")


class _Unauthorized(CustomerError):
    code = "unauthorized"


@web.middleware
async def problem_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except GatewayError as exc:
        response = error_problem(exc)
    _allow_origin(request, response)
    return response


def _allow_origin(request: web.Request, response: web.StreamResponse) -> None:
    """CORS for the REST endpoints, so the widget on another site can upload files (and read errors)."""
    origin = request.headers.get("Origin")
    if origin is None or not request.path.startswith("/chat/") or response.prepared:
        return
    if origin_allowed(origin, request.app[settings_key].web.allowed_origins):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"


@routes.route("OPTIONS", "/chat/sessions{tail:(/.*)?}")
async def preflight(request: web.Request) -> web.Response:
    """A browser asks before a cross-site request with a token or a file: allowed sites may."""
    origin = request.headers.get("Origin")
    if not origin_allowed(origin, request.app[settings_key].web.allowed_origins):
        return problem("forbidden_origin", "this site may not open chat sessions")
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
            "Access-Control-Max-Age": "600",
        },
    )


def check_control(request: web.Request, conv: Conversation) -> None:
    """``cancel``, ``leave``, ``typing`` and ``read`` each call the relay (and may reach 8x8): they get
    their own bucket per conversation, at the message rate, so they cannot be sent without limit."""
    if not request.app[message_limiter_key].allow((conv.id, "control")):
        raise RateLimited("too many requests, slow down")


def check_address(request: web.Request) -> None:
    settings = request.app[settings_key]
    address = client_address(request, settings.web)
    if not request.app[address_limiter_key].allow(address):
        raise RateLimited("too many requests from your address, slow down")


@routes.post("/chat/sessions")
async def start_session(request: web.Request) -> web.Response:
    check_address(request)
    body = validated(StartBody, await read_json(request, optional=True))
    customer = body.customer.to_customer() if body.customer else Customer()
    token, conv = await request.app[relay_key].start_session(customer)
    return web.json_response(
        {"session": token, "conversation_id": conv.id, "state": conv.state.value}, status=201
    )


@routes.post("/chat/sessions/{id}/messages")
async def post_message(request: web.Request) -> web.Response:
    conv = await authorised(request)
    raw = await read_json(request)
    limits = request.app[settings_key].limits
    if (
        isinstance(raw, dict)
        and isinstance(raw.get("text"), str)
        and len(raw["text"]) > limits.max_text_chars
    ):
        raise FrameError("too_long", f"text is limited to {limits.max_text_chars} characters")
    body = validated(MessageBody, raw)
    if not body.text:
        raise FrameError("invalid_frame", "text: must not be empty")
    relay = request.app[relay_key]
    seq = await relay.line_seq(conv.id, body.client_id)
    if seq is None:
        check_address(request)
        if not request.app[message_limiter_key].allow(conv.id):
            return problem("rate_limited", "too many messages, slow down")
        seq, _ = await relay.customer_says(conv.id, body.text, body.client_id)
    return web.json_response({"client_id": body.client_id, "seq": seq}, status=202)


@routes.get("/chat/sessions/{id}/messages")
async def list_messages(request: web.Request) -> web.Response:
    conv = await authorised(request)
    try:
        after = int(request.query.get("after", "0"))
        limit = int(request.query.get("limit", "500"))
    except ValueError:
        raise FrameError("invalid_frame", "after and limit must be integers") from None
    # after is bounded like the WebSocket's last_seq (a seq is a JSON-safe integer; SQLite's are 64-bit).
    if not 0 <= after <= MAX_SEQ or not 1 <= limit <= 1000:
        raise FrameError("invalid_frame", f"after must be within 0..{MAX_SEQ} and limit within 1..1000")
    entries = await request.app[relay_key].entries(conv.id, after=after, limit=limit)
    body: dict[str, Any] = {"state": conv.state.value, "entries": [entry_frame(e) for e in entries]}
    if conv.agent_read_seq:  # the agent's read receipt, where the contact center gives one
        body["read_upto_seq"] = conv.agent_read_seq
    return web.json_response(body)


@routes.post("/chat/sessions/{id}/cancel")
async def cancel(request: web.Request) -> web.Response:
    conv = await authorised(request)
    check_control(request, conv)
    relay = request.app[relay_key]
    await relay.cancel(conv.id)
    return web.json_response({"state": (await relay.conversation(conv.id)).state.value})


@routes.post("/chat/sessions/{id}/leave")
async def leave(request: web.Request) -> web.Response:
    conv = await authorised(request)
    check_control(request, conv)
    relay = request.app[relay_key]
    await relay.leave(conv.id)
    return web.json_response({"state": (await relay.conversation(conv.id)).state.value})
