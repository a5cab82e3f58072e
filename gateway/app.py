"""``build_app(settings)``: the only place that knows every adapter and wires them to the relay core."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from aiohttp import WSCloseCode, web

from gateway.bots.availability import AVAILABILITY_PATH, availability_handler, business_hours
from gateway.bots.embedded import EmbeddedBot
from gateway.bots.rasa import RasaBot
from gateway.bots.rules import RuleSet
from gateway.channels.web.addresses import SocketCounter
from gateway.channels.web.files import routes as file_routes
from gateway.channels.web.frames import file_path
from gateway.channels.web.hub import Hub, OpenSockets
from gateway.channels.web.problems import problem
from gateway.channels.web.ratelimit import RateLimiter
from gateway.channels.web.rest import problem_middleware
from gateway.channels.web.rest import routes as rest_routes
from gateway.channels.web.transcript import routes as transcript_routes
from gateway.channels.web.uploads import UploadSlots
from gateway.channels.web.widget_files import routes as widget_routes
from gateway.channels.web.ws import chat_socket
from gateway.contact_center.chat_api.adapter import ChatApiContactCenter
from gateway.contact_center.chat_api.reconciler import ChatApiOrphanCheck
from gateway.contact_center.chat_api.webhook import ChatApiWebhook
from gateway.contact_center.chat_api.wiring import keep_setting_up, open_chat_api
from gateway.contact_center.chat_gateway import wiring as chat_gateway_wiring
from gateway.contact_center.chat_gateway.reconciler import ChatGatewayOrphanCheck
from gateway.contact_center.chat_gateway.webhook import AgentNames, ChatGatewayWebhook
from gateway.contact_center.keys import (
    chat_api_key,
    chat_api_webhook_key,
    chat_gateway_key,
    chat_gateway_webhook_key,
)
from gateway.contact_center.reconciler import run_reconciler
from gateway.contact_center.routing import ContactCenterRouter
from gateway.health import contact_center_configured, contact_center_problem, healthz, readyz_handler
from gateway.keys import (
    address_limiter_key,
    bot_key,
    contact_center_key,
    hub_key,
    message_limiter_key,
    metrics_key,
    outbox_key,
    relay_key,
    settings_key,
    socket_counter_key,
    sockets_key,
    store_key,
    upload_slots_key,
)
from gateway.metrics import Metrics, metrics_handler
from gateway.openapi import build_document, openapi_handler
from gateway.relay.errors import StoreUnavailable
from gateway.relay.model import Button
from gateway.relay.outbox import DeliveryPolicy, OutboxDelivery, pick_up_abandoned_work
from gateway.relay.policy import BotPolicy, ConversationPolicy, ExtrasPolicy
from gateway.relay.ports import Bot, Fanout, Leases, SoleInstance, Store
from gateway.relay.redaction import redactor
from gateway.relay.relay import Relay
from gateway.relay.timers import TimerPolicy, Timers, run_timers
from gateway.retention import retention_context
from gateway.settings import Settings
from gateway.store.redis import RedisStore
from gateway.store.redis_fanout import RedisFanout
from gateway.store.redis_leases import RedisLeases
from gateway.store.sqlite import SqliteStore, path_from_url

logger = structlog.get_logger(__name__)

STATIC = Path(__file__).parent / "channels" / "web" / "static"


class StartupError(Exception):
    """A setting that passed validation but cannot be used; the message names it."""


async def open_store(settings: Settings) -> Store:
    url = settings.store.url
    if url.startswith("sqlite:"):
        return await SqliteStore.open(path_from_url(url), synchronous=settings.store.synchronous.upper())
    try:
        return await RedisStore.open(
            url, prefix=settings.store.prefix, processed_ttl_s=settings.store.processed_ttl_s
        )
    except ValueError as exc:  # redis-py's words for a malformed URL
        raise StartupError(f"GATEWAY_STORE__URL: {exc}") from exc
    except StoreUnavailable as exc:
        raise StartupError(f"GATEWAY_STORE__URL: cannot reach Redis: {exc}") from exc


def load_embedded_bot(settings: Settings) -> Bot:
    try:
        return EmbeddedBot(
            RuleSet.load(settings.bot.rules_file), handback_intent=settings.bot.handback_intent
        )
    except (OSError, ValueError) as exc:
        raise StartupError(f"GATEWAY_BOT__RULES_FILE: cannot use {settings.bot.rules_file}: {exc}") from exc


@asynccontextmanager
async def bot_context(app: web.Application) -> AsyncIterator[None]:
    """The embedded rule bot, or Rasa's REST channel when ``GATEWAY_BOT__URL`` is a URL."""
    settings = app[settings_key]
    if settings.bot.url == "embedded":
        app[bot_key] = load_embedded_bot(settings)
        yield
        return
    rasa = await RasaBot.open(settings.bot, observe_resume=app[metrics_key].bot_resume)
    if (refused := await rasa.check_token()) is not None:
        await rasa.close()
        raise StartupError(refused)
    app[bot_key] = rasa
    yield
    await rasa.close()


@asynccontextmanager
async def store_context(app: web.Application) -> AsyncIterator[None]:
    store = await open_store(app[settings_key])
    app[store_key] = store
    yield
    await store.close()


@asynccontextmanager
async def contact_center_context(app: web.Application) -> AsyncIterator[None]:
    """Both 8x8 APIs that are configured, behind one router: new escalations go to the selected one
    (``GATEWAY_CONTACT_CENTER``), a stored conversation stays on the API that opened it. Each API is set
    up at start when no channel id is pinned; without any, escalation says no agent is available."""
    settings = app[settings_key]
    metrics = app[metrics_key]
    setups: list[asyncio.Task[None]] = []
    chat_api_adapter = None
    if (cfg := settings.chat_api) is not None:
        api = open_chat_api(cfg, observe=metrics.chat_api_call)
        chat_api_adapter = ChatApiContactCenter(
            api.client, default_queue=cfg.queue_id, uncertain=api.uncertain
        )
        app[chat_api_key] = api
        # Set-up runs once the gateway listens: creating a web-hook makes 8x8 call it to verify.
        setups.append(
            asyncio.create_task(
                keep_setting_up(api, cfg, chat_api_adapter, public_base_url=settings.base_url)
            )
        )
    if (cgw_cfg := settings.chat_gateway) is not None:
        cgw = chat_gateway_wiring.open_chat_gateway(
            cgw_cfg, observe=lambda op, status, s: metrics.chat_api_call(f"cgw_{op}", status, s)
        )
        app[chat_gateway_key] = cgw
        setups.append(
            asyncio.create_task(
                chat_gateway_wiring.keep_setting_up(cgw, cgw_cfg, public_base_url=settings.base_url)
            )
        )
    if settings.relay.overflow_queue_id and settings.api == "chat_api":
        logger.warning(
            "overflow_not_supported",
            setting="GATEWAY_RELAY__OVERFLOW_QUEUE_ID",
            api="chat_api",
            detail="Chat API v2 cannot move a waiting conversation to another queue: chats stay in their queue",
        )
    app[contact_center_key] = ContactCenterRouter(
        settings.api,
        chat_api=chat_api_adapter,
        chat_gateway=app[chat_gateway_key].adapter if chat_gateway_key in app else None,
    )
    yield
    for setup in setups:
        setup.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await setup
    if chat_api_key in app:
        await app[chat_api_key].session.close()
    if chat_gateway_key in app:
        await app[chat_gateway_key].adapter.close()
        await app[chat_gateway_key].session.close()


def timer_policy(settings: Settings) -> TimerPolicy:
    r = settings.relay
    return TimerPolicy(
        inactivity_timeout_s=r.inactivity_timeout_s,
        inactivity_warning_s=r.inactivity_warning_s,
        inactivity_warning_text=r.inactivity_warning_text,
        queue_offer_after_s=r.queue_offer_after_s,
        queue_offer_text=r.queue_offer_text,
        offer_buttons=(
            Button(r.keep_waiting_title, r.keep_waiting_payload),
            Button(r.back_to_bot_title, r.back_to_bot_payload),
        ),
        max_queue_wait_s=r.max_queue_wait_s,
        queue_timeout_text=r.queue_timeout_text,
        overflow_queue_id=r.overflow_queue_id,
        overflow_after_s=r.overflow_after_s,
        overflow_text=r.overflow_text,
    )


async def recover_bot_turns(relay: Relay, *, settle_s: float, window_s: float) -> None:
    """Once at start: answer customer lines whose bot turn died with an earlier process."""
    started = relay.clock()
    await asyncio.sleep(settle_s)
    try:
        await relay.recover_bot_turns(settled_before=started, since=started - window_s)
    except Exception:
        structlog.get_logger(__name__).exception("bot_turn_recovery_failed")


@asynccontextmanager
async def relay_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    store = app[store_key]
    hub = Hub(
        store,
        queue_size=settings.limits.socket_queue_size,
        send_timeout_s=settings.limits.socket_send_timeout_s,
    )
    bot = app[bot_key]
    contact_center = app[contact_center_key]
    fanout: Fanout = hub
    leases: Leases = SoleInstance()
    shared: RedisFanout | None = None
    if isinstance(store, RedisStore):
        # Several instances share this store: entries fan out through Redis, work is claimed by lease.
        shared = RedisFanout(store, hub)
        await shared.start()
        fanout = shared
        leases = RedisLeases(store, lease_s=settings.store.lease_s, instance_id=shared.instance_id)
    hours = business_hours(settings.hours)
    relay = Relay(
        store=store,
        bot=bot,
        fanout=fanout,
        leases=leases,
        telemetry=app[metrics_key],
        on_outbox=lambda conversation_id: outbox.wake(conversation_id),  # built next: they call each other
        conversation_policy=ConversationPolicy(
            hours=hours,
            closed_text=settings.hours.closed_text or (hours.closed_text() if hours else ""),
            queue_notice_text=settings.relay.queue_notice_text,
            keep_waiting_payload=settings.relay.keep_waiting_payload,
            back_to_bot_payload=settings.relay.back_to_bot_payload,
        ),
        bot_policy=BotPolicy(
            agent_request_payload=settings.bot.agent_request_payload,
            unavailable_text=settings.bot.unavailable_text,
            offer_agent_title=settings.bot.offer_agent_title,
            empty_replies_before_offer=settings.bot.empty_replies_before_offer,
        ),
        contact_center=contact_center,
        extras_policy=ExtrasPolicy(
            typing_interval_s=settings.limits.typing_interval_s,
            call_timeout_s=settings.attachments.fetch_timeout_s,
        ),
    )
    outbox = OutboxDelivery(
        relay,
        contact_center,
        DeliveryPolicy(
            open_max_attempts=settings.relay.open_max_attempts,
            retry_base_s=settings.relay.retry_base_s,
            retry_cap_s=settings.relay.retry_cap_s,
            no_agent_text=settings.relay.no_agent_text,
            undeliverable_text=settings.relay.undeliverable_text,
        ),
        store=store,
        telemetry=app[metrics_key],
        redact=redactor(settings.relay.redact, settings.relay.redact_patterns),
        leases=leases,
        file_url=lambda file: settings.base_url + file_path(file),
    )
    app[hub_key] = hub
    app[relay_key] = relay
    if chat_api_key in app and settings.chat_api is not None:
        app[chat_api_webhook_key] = ChatApiWebhook(
            relay,
            app[chat_api_key].keys,
            tenant_id=settings.chat_api.tenant_id,
            max_body_bytes=settings.limits.max_body_bytes,
            max_clock_skew_s=settings.chat_api.max_clock_skew_s,
            observe=app[metrics_key].webhook,
            agent_name=settings.chat_api.agent_name,
            sighted=app[chat_api_key].uncertain.sightings.saw,
        )
    if chat_gateway_key in app and settings.chat_gateway is not None:
        cgw_cfg = settings.chat_gateway
        app[chat_gateway_webhook_key] = ChatGatewayWebhook(
            relay,
            app[chat_gateway_key].keys,
            tenant=cgw_cfg.tenant,
            names=AgentNames(cgw_cfg.agent_names, fallback=cgw_cfg.agent_display_name),
            max_body_bytes=settings.limits.max_body_bytes,
            max_clock_skew_s=cgw_cfg.max_clock_skew_s,
            observe=lambda event_type, result: app[metrics_key].webhook(f"cgw_{event_type}", result),
            ours=app[chat_gateway_key].adapter.posted,
            sighted=app[chat_gateway_key].adapter.uncertain.sightings.saw,
            quick_replies=app[chat_gateway_key].adapter.quick_replies,
            agent_joined=app[chat_gateway_key].adapter.agent_joined,
            bot_continues=(
                (cgw_cfg.handback_max_total_minutes * 60.0, cgw_cfg.handback_user_timeout_minutes * 60.0)
                if cgw_cfg.handback == "post_agent_assignment"
                else None
            ),
        )
    app[outbox_key] = outbox
    await relay.start()
    await outbox.start()
    background = [
        asyncio.create_task(run_timers(Timers(relay, store, contact_center, leases, timer_policy(settings)))),
        asyncio.create_task(
            recover_bot_turns(
                relay,
                # Alone on the store, nothing else can be answering; beside other instances, let a turn
                # they are running for a line stored before we started finish (or time out) first.
                settle_s=0.0 if shared is None else settings.bot.timeout_s + 1,
                window_s=settings.relay.inactivity_timeout_s,
            )
        ),
    ]
    if shared is not None:
        background.append(
            asyncio.create_task(pick_up_abandoned_work(relay, outbox, interval_s=settings.store.lease_s))
        )
    cfg = settings.chat_api
    if chat_api_key in app and cfg is not None and cfg.reconcile_interval_s > 0:
        background.append(
            asyncio.create_task(
                run_reconciler(
                    store,
                    ChatApiOrphanCheck(app[chat_api_key].client),
                    interval_s=cfg.reconcile_interval_s,
                    window_s=cfg.reconcile_window_s,
                    clock=relay.clock,
                    on_fixed=lambda: app[metrics_key].escalation("orphan_freed"),
                )
            )
        )
    cgw_settings = settings.chat_gateway
    if chat_gateway_key in app and cgw_settings is not None and cgw_settings.reconcile_interval_s > 0:
        background.append(
            asyncio.create_task(
                run_reconciler(
                    store,
                    ChatGatewayOrphanCheck(app[chat_gateway_key].client),
                    interval_s=cgw_settings.reconcile_interval_s,
                    window_s=cgw_settings.reconcile_window_s,
                    clock=relay.clock,
                    on_fixed=lambda: app[metrics_key].escalation("orphan_freed"),
                )
            )
        )
    yield
    for task in background:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # Graceful: contact-center deliveries under way may finish (they are stored either way).
    await outbox.stop(grace_s=settings.shutdown_timeout_s / 2)
    await relay.stop()
    if shared is not None:
        await shared.stop()


@asynccontextmanager
async def metrics_listener(app: web.Application) -> AsyncIterator[None]:
    """``/metrics`` without a token on its own port (GATEWAY_METRICS__PORT), for operators only."""
    settings = app[settings_key]
    assert settings.metrics.port is not None
    private = web.Application()
    private.router.add_get("/metrics", metrics_handler(app[metrics_key], lambda: app[store_key], token=None))
    private.router.add_get("/readyz", readyz_handler(detail_token=None, app=app))
    runner = web.AppRunner(private, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.metrics.port).start()
    yield
    await runner.cleanup()


async def metrics_not_configured(request: web.Request) -> web.Response:
    return problem("unauthorized", "set GATEWAY_METRICS__TOKEN (or GATEWAY_METRICS__PORT) to read metrics")


async def close_sockets(app: web.Application) -> None:
    """Tell every customer socket we are going away, so widgets reconnect (to us or another instance)."""
    for ws in app[sockets_key].snapshot():
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


async def chat_api_webhook(request: web.Request) -> web.Response:
    receiver = request.app.get(chat_api_webhook_key)
    if receiver is None:
        return problem("unknown_session", "no Chat API is configured on this gateway")
    return await receiver.handle(request)


async def chat_gateway_webhook(request: web.Request) -> web.Response:
    receiver = request.app.get(chat_gateway_webhook_key)
    if receiver is None:
        return problem("unknown_session", "no Chat Gateway is configured on this gateway")
    return await receiver.handle(request)


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def not_found(request: web.Request) -> web.Response:
    return problem("not_found", "no such page")


async def plain_server_header(request: web.Request, response: web.StreamResponse) -> None:
    """``Server: chat-gateway``: no Python or aiohttp version for anyone to match against advisories."""
    response.headers["Server"] = "chat-gateway"


def build_app(settings: Settings, *, demo_page: bool = False) -> web.Application:
    """The gateway. ``demo_page``: also serve the demo shop page at ``/`` (``chat-gateway demo`` only)."""
    app = web.Application(middlewares=[problem_middleware])
    app.on_response_prepare.append(plain_server_header)
    app[settings_key] = settings
    app[metrics_key] = Metrics()
    app[sockets_key] = OpenSockets()
    app[address_limiter_key] = RateLimiter(
        rate=settings.limits.address_rate, burst=settings.limits.address_burst
    )
    app[socket_counter_key] = SocketCounter(settings.limits.max_sockets_per_address)
    app[upload_slots_key] = UploadSlots(
        total=settings.attachments.uploads_in_flight,
        per_address=settings.attachments.uploads_per_address,
        per_session=settings.attachments.uploads_per_session,
    )
    app[message_limiter_key] = RateLimiter(
        rate=settings.limits.messages_per_second, burst=settings.limits.burst
    )
    app.cleanup_ctx.append(store_context)
    app.cleanup_ctx.append(bot_context)
    app.cleanup_ctx.append(contact_center_context)
    app.cleanup_ctx.append(relay_context)
    app.cleanup_ctx.append(retention_context)
    app.on_shutdown.append(close_sockets)
    app.router.add_get("/chat/ws", chat_socket)
    app.router.add_routes(rest_routes)
    app.router.add_routes(file_routes)
    app.router.add_routes(transcript_routes)
    app.router.add_post("/webhooks/8x8", chat_api_webhook)
    app.router.add_post(chat_gateway_wiring.WEBHOOK_PATH, chat_gateway_webhook)
    app.router.add_get("/healthz", healthz)
    if settings.metrics.port is not None:
        app.cleanup_ctx.append(metrics_listener)
    elif settings.metrics.token is not None and settings.metrics.token.get_secret_value():
        token = settings.metrics.token.get_secret_value()
        app.router.add_get("/metrics", metrics_handler(app[metrics_key], lambda: app[store_key], token=token))
    else:
        app.router.add_get("/metrics", metrics_not_configured)
    metrics_token = settings.metrics.token.get_secret_value() if settings.metrics.token else None
    app.router.add_get("/readyz", readyz_handler(detail_token=metrics_token or None))
    app.router.add_get(
        AVAILABILITY_PATH,
        availability_handler(
            settings, configured=contact_center_configured, problem_of=contact_center_problem, clock=time.time
        ),
    )
    app.router.add_get("/openapi.json", openapi_handler(build_document(settings)))
    if demo_page:
        app.router.add_get("/", index)
    else:
        app.router.add_get("/static/index.html", not_found)  # the demo page, not part of a real site
    app.router.add_routes(widget_routes)
    app.router.add_static("/static/", STATIC)
    return app
