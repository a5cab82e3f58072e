"""Chat Gateway ``/webhooks``, ``/channels`` (spec chat-gateway-v1 §3) and the unauthenticated JWK.

Webhooks and channels live in the emulator's one store, tagged with their API: the Chat Gateway sees only
its own (version ``Chat Gateway v1.0``; channels of type ``ChatAPI``). Create, update and verify send a
``WEB_HOOK_VERIFY`` first and store nothing unless it is answered 2xx. No ``If-Match`` in this API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ..channels import Predicate, parse_filter
from ..errors import dumps, json_response, jwk_not_found
from ..runtime import Runtime, runtime_key
from ..state import Api, Channel, Webhook
from .errors import filter_error, general_error, hal_response, invalid_json, read_object, resource_not_found
from .events import VERSION
from .hal import hal_page, sort_order

VERIFY_BODY = dumps({"notificationVersion": VERSION, "eventType": "WEB_HOOK_VERIFY"})


def _check_uri(uri: Any, errors: list[str]) -> None:
    if not isinstance(uri, str) or not uri:
        errors.append("uri: May not be empty.")
        return
    parts = urlsplit(uri)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        errors.append("uri: must be a valid URL")


def _check_version(version: Any, errors: list[str]) -> None:
    if version is None:
        errors.append("version: May not be empty.")
    elif version != VERSION:
        errors.append(f"version: must be {VERSION}")


def _webhook_write(body: dict[str, Any]) -> tuple[str, str]:
    errors: list[str] = []
    name = body.get("name")
    if not isinstance(name, str) or not name:
        errors.append("name: May not be empty.")
    elif len(name) > 256:
        errors.append("name: size must be between 1 and 256")
    _check_uri(body.get("uri"), errors)
    _check_version(body.get("version"), errors)
    if errors:
        raise invalid_json(*errors)
    return str(name), str(body["uri"])


async def _verify_or_400(rt: Runtime, uri: str) -> None:
    problem = await rt.deliverer.verify(uri, VERIFY_BODY)
    if problem is not None:
        raise general_error(
            ("invalid_webhook", f"uri: webhook did not answer WEB_HOOK_VERIFY with 2xx (got {problem})")
        )


def _webhook(rt: Runtime, request: web.Request) -> Webhook:
    webhook_id = request.match_info["webhook_id"]
    webhook = rt.store.webhook(Api.CHAT_GATEWAY, webhook_id)
    if webhook is None:
        raise resource_not_found("WebHook", webhook_id)
    return webhook


def _id_key(item: Any) -> Any:
    return (len(item.id), item.id)  # ids are increasing decimal strings


async def list_webhooks(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    key, reverse = sort_order(request, {"id": _id_key, "name": lambda w: w.name}, "id:asc")
    hooks = sorted(rt.store.webhooks_of(Api.CHAT_GATEWAY), key=key, reverse=reverse)
    return hal_response(hal_page(request, "webhooks", [w.to_json() for w in hooks]))


async def create_webhook(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    name, uri = _webhook_write(await read_object(request))
    await _verify_or_400(rt, uri)
    webhook = Webhook(rt.store.next_id(), name, uri, VERSION, api=Api.CHAT_GATEWAY)
    rt.store.webhooks[webhook.id] = webhook
    rt.store.changed()
    return hal_response(webhook.to_json())


async def get_webhook(request: web.Request) -> web.StreamResponse:
    return hal_response(_webhook(request.app[runtime_key], request).to_json())


async def update_webhook(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    webhook = _webhook(rt, request)
    name, uri = _webhook_write(await read_object(request))
    await _verify_or_400(rt, uri)
    webhook.name, webhook.uri = name, uri
    rt.store.changed()
    return hal_response(webhook.to_json())


async def delete_webhook(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    webhook = _webhook(rt, request)
    user = next((c for c in rt.store.channels.values() if c.webhook_id == webhook.id), None)
    if user is not None:
        raise general_error(("invalid_webhook", f"webHookId: webhook is used by channel {user.id}"))
    del rt.store.webhooks[webhook.id]
    rt.store.changed()
    return web.Response(status=204)


async def verify_webhook(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    body = await read_object(request)
    errors: list[str] = []
    _check_version(body.get("version"), errors)
    _check_uri(body.get("uri"), errors)
    if errors:
        raise invalid_json(*errors)
    await _verify_or_400(rt, str(body["uri"]))
    return web.Response(status=204)


def _channel_write(rt: Runtime, body: dict[str, Any]) -> Channel:
    errors: list[tuple[str, str]] = []
    name, webhook_id, routing = body.get("name"), body.get("webHookId"), body.get("routingOptions")
    if not isinstance(name, str) or not name:
        errors.append(("invalid_json_object", "name: May not be empty."))
    elif len(name) > 255:
        errors.append(("invalid_json_object", "name: size must be between 1 and 255"))
    if not isinstance(webhook_id, str) or not webhook_id:
        errors.append(("invalid_json_object", "webHookId: May not be empty."))
    elif rt.store.webhook(Api.CHAT_GATEWAY, webhook_id) is None:
        errors.append(("invalid_webhook", f"Webhook ID {webhook_id} is invalid."))
    channel_type = body.get("type", "ChatAPI")
    if channel_type != "ChatAPI":
        errors.append(("invalid_json_object", "type: only ChatAPI channels can be created through the API"))
    queue_id: Any = None
    if not isinstance(routing, dict):
        errors.append(("invalid_json_object", "routingOptions: May not be empty."))
    else:
        queue_id = routing.get("id")
        if routing.get("type") != "queue":
            errors.append(("invalid_json_object", "routingOptions.type: must be queue"))
        if not isinstance(queue_id, str) or not queue_id:
            errors.append(("invalid_json_object", "routingOptions.id: May not be empty."))
        elif rt.config.queue(queue_id) is None:
            errors.append(("invalid_queue", f"Queue ID {queue_id} is invalid."))
    if errors:
        raise general_error(*errors)
    return Channel("", str(name), str(webhook_id), str(queue_id), api=Api.CHAT_GATEWAY)


def _channel(rt: Runtime, request: web.Request) -> Channel:
    channel_id = request.match_info["channel_id"]
    channel = rt.store.channel(Api.CHAT_GATEWAY, channel_id)
    if channel is None:
        raise resource_not_found("Channel", channel_id)
    return channel


def channel_json(channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "name": channel.name,
        "type": channel.type,
        "webHookId": channel.webhook_id,
        "routingOptions": {"type": "queue", "id": channel.queue_id},
    }


async def list_channels(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    channels = [c for c in rt.store.channels.values() if c.api is Api.CHAT_GATEWAY]
    if flt := request.query.get("filter"):
        predicate: Predicate[Channel] = parse_filter(flt, error=filter_error)
        channels = [c for c in channels if predicate(c)]
    key, reverse = sort_order(request, {"id": _id_key, "name": lambda c: c.name}, "id:asc")
    channels.sort(key=key, reverse=reverse)
    return hal_response(hal_page(request, "channels", [channel_json(c) for c in channels]))


async def create_channel(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    channel = _channel_write(rt, await read_object(request))
    channel.id = rt.store.next_id()
    rt.store.channels[channel.id] = channel
    rt.store.changed()
    return hal_response(channel_json(channel))


async def get_channel(request: web.Request) -> web.StreamResponse:
    return hal_response(channel_json(_channel(request.app[runtime_key], request)))


async def update_channel(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    channel = _channel(rt, request)
    new = _channel_write(rt, await read_object(request))
    channel.name, channel.webhook_id, channel.queue_id = new.name, new.webhook_id, new.queue_id
    rt.store.changed()
    return hal_response(channel_json(channel))


async def delete_channel(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    del rt.store.channels[_channel(rt, request).id]
    rt.store.changed()
    return web.Response(status=204)


async def get_jwk(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    kid = request.match_info["kid"]
    if kid != rt.signer.kid:
        raise jwk_not_found(kid)
    return json_response(rt.signer.public_jwk())


ROUTES = [
    ("GET", "/webhooks", list_webhooks, "cgw_list_webhooks"),
    ("POST", "/webhooks", create_webhook, "cgw_create_webhook"),
    ("POST", "/webhooks/verify", verify_webhook, "cgw_verify_webhook"),
    ("GET", "/webhooks/{webhook_id}", get_webhook, "cgw_get_webhook"),
    ("PUT", "/webhooks/{webhook_id}", update_webhook, "cgw_update_webhook"),
    ("DELETE", "/webhooks/{webhook_id}", delete_webhook, "cgw_delete_webhook"),
    ("GET", "/jwk/{kid}/public", get_jwk, "cgw_get_jwk"),
    ("GET", "/channels", list_channels, "cgw_list_channels"),
    ("POST", "/channels", create_channel, "cgw_create_channel"),
    ("GET", "/channels/{channel_id}", get_channel, "cgw_get_channel"),
    ("PUT", "/channels/{channel_id}", update_channel, "cgw_update_channel"),
    ("DELETE", "/channels/{channel_id}", delete_channel, "cgw_delete_channel"),
]
