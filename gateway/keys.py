"""Everything the application holds, under typed keys (no module-level state anywhere)."""

from __future__ import annotations

from aiohttp import web

from gateway.channels.web.addresses import SocketCounter
from gateway.channels.web.hub import Hub, OpenSockets
from gateway.channels.web.ratelimit import RateLimiter
from gateway.channels.web.uploads import UploadSlots
from gateway.contact_center.chat_api.webhook import ChatApiWebhook
from gateway.contact_center.chat_api.wiring import ChatApi
from gateway.contact_center.chat_gateway.webhook import ChatGatewayWebhook
from gateway.contact_center.chat_gateway.wiring import ChatGateway
from gateway.metrics import Metrics
from gateway.relay.outbox import OutboxDelivery
from gateway.relay.ports import Bot, ContactCenter, Store
from gateway.relay.relay import Relay
from gateway.settings import Settings

settings_key = web.AppKey("settings", Settings)
metrics_key = web.AppKey("metrics", Metrics)
store_key = web.AppKey[Store]("store")
bot_key = web.AppKey[Bot]("bot")
contact_center_key = web.AppKey[ContactCenter]("contact_center")
relay_key = web.AppKey("relay", Relay)
outbox_key = web.AppKey("outbox", OutboxDelivery)
hub_key = web.AppKey("hub", Hub)
message_limiter_key = web.AppKey("message_limiter", RateLimiter)
address_limiter_key = web.AppKey("address_limiter", RateLimiter)
socket_counter_key = web.AppKey("socket_counter", SocketCounter)
upload_slots_key = web.AppKey("upload_slots", UploadSlots)
sockets_key = web.AppKey("sockets", OpenSockets)
chat_api_key = web.AppKey("chat_api", ChatApi)
chat_api_webhook_key = web.AppKey("chat_api_webhook", ChatApiWebhook)
chat_gateway_key = web.AppKey("chat_gateway", ChatGateway)
chat_gateway_webhook_key = web.AppKey("chat_gateway_webhook", ChatGatewayWebhook)
