"""Everything the application holds, under typed keys (no module-level state anywhere).

The 8x8 APIs' own keys are in ``gateway.contact_center.keys``, so that a customer channel that reads a key
here never imports a contact center."""

from __future__ import annotations

from aiohttp import web

from gateway.channels.web.addresses import SocketCounter
from gateway.channels.web.hub import Hub, OpenSockets
from gateway.channels.web.ratelimit import RateLimiter
from gateway.channels.web.uploads import UploadSlots
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
