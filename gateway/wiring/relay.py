"""The relay core and what runs around it: the customers' hub and fan-out, the relay with its outbox, the
timers, and the recovery of work an earlier process (or another instance) left."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiohttp import web

from gateway.channels.web.frames import file_path
from gateway.channels.web.hub import Hub
from gateway.keys import (
    bot_key,
    contact_center_key,
    hub_key,
    metrics_key,
    outbox_key,
    relay_key,
    settings_key,
    store_key,
)
from gateway.relay.outbox import OutboxDelivery, pick_up_abandoned_work
from gateway.relay.ports import SoleInstance
from gateway.relay.redaction import redactor
from gateway.relay.relay import Relay
from gateway.relay.timers import Timers, run_timers
from gateway.store.redis import RedisStore
from gateway.store.redis_fanout import RedisFanout
from gateway.store.redis_leases import RedisLeases
from gateway.wiring.keys import Peers, peers_key, policies_key
from gateway.wiring.tasks import running

logger = structlog.get_logger(__name__)


@asynccontextmanager
async def peers_context(app: web.Application) -> AsyncIterator[None]:
    """This process's hub of customer sockets; beside other instances (a Redis store), the fan-out through
    Redis that feeds every instance's hub, and leases on work."""
    settings, store = app[settings_key], app[store_key]
    hub = Hub(
        store,
        queue_size=settings.limits.socket_queue_size,
        send_timeout_s=settings.limits.socket_send_timeout_s,
    )
    app[hub_key] = hub
    if not isinstance(store, RedisStore):
        app[peers_key] = Peers(fanout=hub, leases=SoleInstance(), shared=False)
        yield
        return
    shared = RedisFanout(store, hub)
    await shared.start()
    leases = RedisLeases(store, lease_s=settings.store.lease_s, instance_id=shared.instance_id)
    app[peers_key] = Peers(fanout=shared, leases=leases, shared=True)
    yield
    await shared.stop()


@asynccontextmanager
async def relay_context(app: web.Application) -> AsyncIterator[None]:
    """The relay and its delivery to the contact center (the outbox)."""
    settings, peers, policies = app[settings_key], app[peers_key], app[policies_key]
    store, contact_center, telemetry = app[store_key], app[contact_center_key], app[metrics_key]
    relay = Relay(
        store=store,
        bot=app[bot_key],
        fanout=peers.fanout,
        contact_center=contact_center,
        on_outbox=lambda conversation_id: outbox.wake(conversation_id),  # built next: they call each other
        leases=peers.leases,
        telemetry=telemetry,
        bot_policy=policies.bot,
        conversation_policy=policies.conversation,
        extras_policy=policies.extras,
    )
    outbox = OutboxDelivery(
        relay,
        contact_center,
        policies.delivery,
        store=store,
        telemetry=telemetry,
        redact=redactor(settings.relay.redact, settings.relay.redact_patterns),
        leases=peers.leases,
        file_url=lambda file: settings.base_url + file_path(file),
    )
    app[relay_key] = relay
    app[outbox_key] = outbox
    await relay.start()
    await outbox.start()
    yield
    # Graceful: contact-center deliveries under way may finish (they are stored either way).
    await outbox.stop(grace_s=settings.shutdown_timeout_s / 2)
    await relay.stop()


@asynccontextmanager
async def timers_context(app: web.Application) -> AsyncIterator[None]:
    """Inactivity warnings and timeouts, the queue offer, the queue's time limit and the overflow queue."""
    timers = Timers(
        app[relay_key],
        app[store_key],
        app[contact_center_key],
        app[peers_key].leases,
        app[policies_key].timers,
    )
    async with running(run_timers(timers)):
        yield


async def recover_bot_turns(relay: Relay, *, settle_s: float, window_s: float) -> None:
    """Once at start: answer customer lines whose bot turn died with an earlier process."""
    started = relay.clock()
    await asyncio.sleep(settle_s)
    try:
        await relay.recover_bot_turns(settled_before=started, since=started - window_s)
    except Exception:
        logger.exception("bot_turn_recovery_failed")


@asynccontextmanager
async def recovery_context(app: web.Application) -> AsyncIterator[None]:
    """Bot turns that died with an earlier process; beside other instances, also the outbox work of one
    that died (found once its lease expires)."""
    settings, relay, peers = app[settings_key], app[relay_key], app[peers_key]
    work: list[Coroutine[Any, Any, None]] = [
        recover_bot_turns(
            relay,
            # Alone on the store, nothing else can be answering; beside other instances, let a turn they are
            # running for a line stored before we started finish (or time out) first.
            settle_s=settings.bot.timeout_s + 1 if peers.shared else 0.0,
            window_s=settings.relay.inactivity_timeout_s,
        )
    ]
    if peers.shared:
        work.append(pick_up_abandoned_work(relay, app[outbox_key], interval_s=settings.store.lease_s))
    async with running(*work):
        yield
