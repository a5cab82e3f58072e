"""``/web-hooks`` (spec §4.1): CRUD, paging, verify; create/update/verify each send a WEB_HOOK_VERIFY first
and store nothing unless it is answered 2xx."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from .errors import constraint_violation, json_response, not_found, precondition_failed, read_json_object
from .paging import paged
from .runtime import Runtime, runtime_key
from .state import Api, Webhook


def _valid_uri(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def _validate_uri(uri: Any, errors: list[str]) -> None:
    if not isinstance(uri, str) or not uri:
        errors.append("uri: May not be empty.")
    elif not _valid_uri(uri):
        errors.append("uri: must be a valid URL")


def _validate_version(body: dict[str, Any], errors: list[str], *, required: bool) -> str:
    version = body.get("version", body.get("notificationVersion"))
    if version is None and not required:
        return "v2.0"
    if version is None:
        errors.append("version: May not be empty.")
    elif version == "v1.0":
        errors.append("version: v1.0 webhooks can no longer be created, use v2.0")
    elif version != "v2.0":
        errors.append("version: must be one of [v1.0, v2.0]")
    return "v2.0"


def _validate_write(body: dict[str, Any]) -> tuple[str, str, str]:
    errors: list[str] = []
    name = body.get("name")
    if not isinstance(name, str) or not name:
        errors.append("name: May not be empty.")
    elif len(name) > 256:
        errors.append("name: size must be between 1 and 256")
    _validate_uri(body.get("uri"), errors)
    version = _validate_version(body, errors, required=False)
    if errors:
        raise constraint_violation(*errors)
    return str(name), str(body["uri"]), version


async def _verify_or_400(rt: Runtime, uri: str) -> None:
    problem = await rt.deliverer.verify(uri)
    if problem is not None:
        raise constraint_violation(f"uri: webhook did not answer WEB_HOOK_VERIFY with 2xx (got {problem})")


def _webhook(rt: Runtime, request: web.Request) -> Webhook:
    webhook_id = request.match_info["web_hook_id"]
    webhook = rt.store.webhook(Api.CHAT_API, webhook_id)
    if webhook is None:
        raise not_found("WebHook", webhook_id)
    return webhook


async def list_webhooks(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    return json_response(paged(request, [w.to_json() for w in rt.store.webhooks_of(Api.CHAT_API)]))


async def create_webhook(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    name, uri, version = _validate_write(await read_json_object(request))
    await _verify_or_400(rt, uri)
    webhook = Webhook(rt.store.next_id(), name, uri, version)
    rt.store.webhooks[webhook.id] = webhook
    rt.store.changed()
    return json_response(webhook.to_json())


async def get_webhook(request: web.Request) -> web.StreamResponse:
    return json_response(_webhook(request.app[runtime_key], request).to_json())


async def update_webhook(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    webhook = _webhook(rt, request)
    check_if_match(request, webhook.revision)
    name, uri, version = _validate_write(await read_json_object(request))
    await _verify_or_400(rt, uri)
    webhook.name, webhook.uri, webhook.version = name, uri, version
    webhook.revision += 1
    rt.store.changed()
    return json_response(webhook.to_json())


async def delete_webhook(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    webhook = _webhook(rt, request)
    user = next((c for c in rt.store.channels.values() if c.webhook_id == webhook.id), None)
    if user is not None:
        raise constraint_violation(f"webHookId: webhook is used by channel {user.id}")
    del rt.store.webhooks[webhook.id]
    rt.store.changed()
    return web.Response(status=204)


async def verify_webhook(request: web.Request) -> web.StreamResponse:
    rt = request.app[runtime_key]
    body = await read_json_object(request)
    errors: list[str] = []
    _validate_version(body, errors, required=True)
    _validate_uri(body.get("uri"), errors)
    if errors:
        raise constraint_violation(*errors)
    await _verify_or_400(rt, str(body["uri"]))
    return web.Response(status=204)


def check_if_match(request: web.Request, revision: int) -> None:
    """``If-Match`` (int version tag) must equal the current version if sent; else 412."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return
    try:
        expected = int(raw.strip().strip('"'))
    except ValueError:
        raise precondition_failed() from None
    if expected != revision:
        raise precondition_failed()


ROUTES = [
    ("GET", "/web-hooks", list_webhooks, "list_webhooks"),
    ("POST", "/web-hooks", create_webhook, "create_webhook"),
    ("POST", "/web-hooks/verify", verify_webhook, "verify_webhook"),
    ("GET", "/web-hooks/{web_hook_id}", get_webhook, "get_webhook"),
    ("PUT", "/web-hooks/{web_hook_id}", update_webhook, "update_webhook"),
    ("DELETE", "/web-hooks/{web_hook_id}", delete_webhook, "delete_webhook"),
]
