"""The application keys of the 8x8 APIs (the rest are in ``gateway.keys``)."""

from __future__ import annotations

from aiohttp import web

from gateway.contact_center.chat_api.adapter import ChatApiContactCenter
from gateway.contact_center.chat_api.webhook import ChatApiWebhook
from gateway.contact_center.chat_api.wiring import ChatApi
from gateway.contact_center.chat_gateway.webhook import ChatGatewayWebhook
from gateway.contact_center.chat_gateway.wiring import ChatGateway

chat_api_key = web.AppKey("chat_api", ChatApi)
chat_api_adapter_key = web.AppKey("chat_api_adapter", ChatApiContactCenter)
chat_api_webhook_key = web.AppKey("chat_api_webhook", ChatApiWebhook)
chat_gateway_key = web.AppKey("chat_gateway", ChatGateway)
chat_gateway_webhook_key = web.AppKey("chat_gateway_webhook", ChatGatewayWebhook)
