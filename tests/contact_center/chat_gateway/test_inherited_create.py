"""A create that a process that died may have made (``OpenRequest.maybe_created_since``), against the emulator.

The next process has no memory of the attempt: it looks at 8x8 for a conversation of this chat begun since
the handoff was queued and takes it; it takes no older one of the same chat; and a lookup 8x8 refuses (the
``user.userId`` selector is not documented) never turns the escalation into a permanent failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from gateway.contact_center.chat_gateway.adapter import ChatGatewayContactCenter, Routing
from gateway.contact_center.chat_gateway.client import ChatGatewayClient
from gateway.contact_center.chat_gateway.setup import ensure_setup
from gateway.contact_center.core.errors import Unavailable
from gateway.contact_center.core.uncertain import CLOCK_SLACK_S, Uncertain
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from gateway.relay.model import Author, ConversationId, Customer
from gateway.relay.ports import HistoryLine, OpenRequest
from tests.support.escalation import conversations_of

CHAT = ConversationId("gw-inherited")
KEY = "3f0c7e55-0d5e-4a57-9d3c-6b2d8f1c0a11"


@pytest.fixture
async def cc() -> AsyncIterator[Emulator]:
    async with running_emulator(EmulatorConfig(mode="manual", retry_scale=0.01)) as emulator:
        yield emulator


@dataclass(frozen=True)
class Api:
    client: ChatGatewayClient
    channel_id: str

    def process(self, *, settle_s: float = 0.3) -> ChatGatewayContactCenter:
        """One gateway process's adapter, with its own memory of uncertain attempts."""
        adapter = ChatGatewayContactCenter(
            self.client, uncertain=Uncertain(settle_s=settle_s, look_delays_s=(0.0,))
        )
        adapter.set_routing(Routing(self.channel_id, default_queue="101", queues=frozenset()))
        return adapter


async def _ok(_request: web.Request) -> web.Response:
    return web.Response()


@pytest.fixture
async def api(cc: Emulator, aiohttp_server: AiohttpServer) -> AsyncIterator[Api]:
    receiver = web.Application()
    receiver.router.add_post("/hook", _ok)
    server = await aiohttp_server(receiver)
    async with aiohttp.ClientSession(base_url=cc.base_url + "/", timeout=aiohttp.ClientTimeout(total=2)) as s:
        client = ChatGatewayClient(
            s, api_key=cc.chat_gateway_api_key, tenant=cc.tenant_id, backoff_base_s=0.01
        )
        setup = await ensure_setup(
            client,
            webhook_uri=str(server.make_url("/hook")),
            webhook_name="gw",
            channel_name="gw",
            queue_id="101",
            pinned_channel=None,
        )
        yield Api(client, setup.channel_id)


def _request(*, since: float | None) -> OpenRequest:
    return OpenRequest(
        conversation_id=CHAT,
        customer=Customer(name="Ann"),
        queue_id=None,
        reason="customer_asked",
        history=(HistoryLine(Author.CUSTOMER, "I want an agent"),),
        maybe_created_since=since,
    )


async def _open_settled(adapter: ChatGatewayContactCenter, request: OpenRequest) -> str:
    """Open as the outbox does: try again while it is too early to tell whether 8x8 acted."""
    for _ in range(50):
        try:
            return await adapter.open_conversation(request, idempotency_key=KEY)
        except Unavailable:
            await asyncio.sleep(0.05)
    raise AssertionError("never settled")


async def test_the_next_process_takes_the_conversation_the_dead_one_created(cc: Emulator, api: Api) -> None:
    queued_at = time.time()
    first = await api.process().open_conversation(_request(since=None), idempotency_key=KEY)
    # The process that made it died before it recorded the id; the next one knows only the handoff's time.
    again = await api.process().open_conversation(_request(since=queued_at), idempotency_key=KEY)
    assert again == first
    assert len(conversations_of(cc, CHAT)) == 1


async def test_an_older_conversation_of_the_same_chat_is_not_taken(cc: Emulator, api: Api) -> None:
    older = await api.process().open_conversation(_request(since=None), idempotency_key=KEY)
    queued_at = time.time() + CLOCK_SLACK_S + 1  # the handoff came well after that conversation began
    adapter = api.process()
    with pytest.raises(Unavailable):  # not before the settling time has passed since this process looked
        await adapter.open_conversation(_request(since=queued_at), idempotency_key=KEY)
    new = await _open_settled(adapter, _request(since=queued_at))
    assert new != older
    assert len(conversations_of(cc, CHAT)) == 2


async def test_a_refused_lookup_is_no_permanent_failure(cc: Emulator, api: Api) -> None:
    cc.fail_next("cgw_list_conversations", 100, status=400)
    created = await _open_settled(api.process(), _request(since=time.time()))
    assert conversations_of(cc, CHAT) == [created.removeprefix("cgw:")]


async def test_once_it_found_none_it_does_not_look_again() -> None:
    now = [100.0]
    looks: list[float] = []
    uncertain = Uncertain(settle_s=10, look_delays_s=(0.0,), clock=lambda: now[0])

    async def listed(since: float) -> str | None:
        looks.append(since)
        return None

    async def owner_of(_cid: str) -> str | None:
        return None

    uncertain.inherit(KEY, since=90.0)
    with pytest.raises(Unavailable):
        await uncertain.find_created(KEY, CHAT, listed=listed, owner_of=owner_of)
    now[0] = 110.0  # settle_s after this process first looked (not after the handoff, long before)
    assert await uncertain.find_created(KEY, CHAT, listed=listed, owner_of=owner_of) is None
    uncertain.inherit(KEY, since=90.0)
    assert await uncertain.find_created(KEY, CHAT, listed=listed, owner_of=owner_of) is None
    assert looks == [90.0, 90.0]
