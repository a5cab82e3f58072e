"""The hub on its own: stored entries reach a conversation's open sockets gap-free, never twice, and a
socket that cannot keep up is closed instead of holding anyone up (real sockets, a real SQLite store)."""

from __future__ import annotations

import asyncio
import socket as sockets_api
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import WSCloseCode, WSMsgType
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from gateway.channels.web.hub import Hub
from gateway.relay.model import AgentRef, Author, ConversationId, ReadUpTo, Typing
from gateway.store.sqlite import SqliteStore
from tests.support.customer import CustomerSocket
from tests.support.hub_sockets import hub_app, subscribed
from tests.support.records import append, conversation, create, message

C1 = ConversationId("c1")
C2 = ConversationId("c2")

Connect = Callable[..., Awaitable[tuple[CustomerSocket, str]]]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "hub.db", synchronous="NORMAL")
    yield opened
    await opened.close()


@pytest.fixture
def hub(store: SqliteStore) -> Hub:
    return Hub(store, queue_size=4, send_timeout_s=2.0)


@pytest.fixture
async def connect(
    aiohttp_server: AiohttpServer, hub: Hub, http: aiohttp.ClientSession
) -> AsyncIterator[Connect]:
    server: TestServer = await aiohttp_server(hub_app(hub))
    sessions: list[aiohttp.ClientSession] = []

    async def open_socket(
        conversation_id: str = C1, *, sent_seq: int = 0, small_buffers: bool = False
    ) -> tuple[CustomerSocket, str]:
        url = server.make_url("/ws").with_query(conversation=conversation_id, sent_seq=sent_seq)
        if not small_buffers:
            customer = CustomerSocket(await http.ws_connect(url))
        else:  # kernel buffers of 4 KB both ways: what the client does not read backs up in the transport
            url = url.update_query(send_buffer=4096)
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(socket_factory=small_buffer(4096)))
            sessions.append(session)
            customer = CustomerSocket(await session.ws_connect(url))
        return customer, await subscribed(customer)

    yield open_socket
    for session in sessions:
        await session.close()


def small_buffer(size: int) -> aiohttp.SocketFactoryType:
    def make(addr_info: aiohttp.AddrInfoType) -> sockets_api.socket:
        family, kind, proto, _, _ = addr_info
        sock = sockets_api.socket(family=family, type=kind, proto=proto)
        sock.setsockopt(sockets_api.SOL_SOCKET, sockets_api.SO_RCVBUF, size)
        return sock

    return make


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "not met in time"
        await asyncio.sleep(0.01)


def seqs(frames: list[dict[str, object]]) -> list[object]:
    return [f["seq"] for f in frames if "seq" in f]


async def test_an_entry_reaches_every_socket_of_its_conversation_and_no_other(
    hub: Hub, store: SqliteStore, connect: Connect
) -> None:
    conv = await create(store, conversation(C1))
    await create(store, conversation(C2))
    first, _ = await connect(C1)
    second, _ = await connect(C1)
    other, _ = await connect(C2)
    entry = message(1, "hello", author=Author.BOT)
    await append(store, conv, entry)

    await hub.publish(C1, [entry])

    for socket in (first, second):
        await socket.expect("message", seq=1, author="bot", text="hello")
    await other.silent()


async def test_an_entry_a_socket_already_has_is_not_sent_again(
    hub: Hub, store: SqliteStore, connect: Connect
) -> None:
    conv = await create(store, conversation(C1), message(1, "one"), message(2, "two"))
    socket, _ = await connect(C1, sent_seq=2)  # it was sent 1 and 2 before (a resume)
    third = message(3, "three")
    await append(store, conv, third)

    await hub.publish(C1, [message(1, "one"), message(2, "two")])  # late publishes of older entries
    await hub.publish(C1, [third])
    await hub.publish(C1, [third])  # a second publisher of the same entry

    await socket.expect("message", seq=3, text="three")
    await socket.silent()


async def test_a_gap_is_filled_from_the_store_in_order_before_the_entry_that_revealed_it(
    hub: Hub, store: SqliteStore, connect: Connect
) -> None:
    socket, _ = await connect(C1)
    await create(store, conversation(C1), message(1, "one"), message(2, "two"), message(3, "three"))

    await hub.publish(C1, [message(3, "three")])  # the publishes of 1 and 2 were missed

    assert [(await socket.expect("message"))["text"] for _ in range(3)] == ["one", "two", "three"]
    await socket.silent()


async def test_the_socket_that_sent_a_line_gets_an_ack_and_the_others_the_line(
    hub: Hub, store: SqliteStore, connect: Connect
) -> None:
    conv = await create(store, conversation(C1))
    sender, sender_id = await connect(C1)
    other, _ = await connect(C1)
    line = message(1, "my order?", client_id="client-1")
    await append(store, conv, line)

    await hub.publish(C1, [line], origin=sender_id)

    await sender.expect("ack", client_id="client-1", seq=1)
    await other.expect("message", seq=1, text="my order?", client_id="client-1")
    await sender.silent()


async def test_typing_and_read_receipts_reach_the_conversations_sockets_only(
    hub: Hub, store: SqliteStore, connect: Connect
) -> None:
    socket, _ = await connect(C1)
    other, _ = await connect(C2)

    await hub.signal(C1, Typing(author=Author.AGENT, active=True, agent=AgentRef("a1", "Bob")))
    await hub.signal(C1, ReadUpTo(author=Author.AGENT, seq=4))

    await socket.expect("typing", author="agent", active=True, agent={"id": "a1", "name": "Bob"})
    await socket.expect("read", author="agent", upto_seq=4)
    await other.silent()


async def test_resync_brings_every_socket_up_to_date_from_the_store(
    hub: Hub, store: SqliteStore, connect: Connect
) -> None:
    behind, _ = await connect(C1)
    ahead, _ = await connect(C1, sent_seq=1)
    await create(store, conversation(C1), message(1, "one"), message(2, "two"))  # stored, never published

    await hub.resync()

    assert seqs([await behind.expect("message"), await behind.expect("message")]) == [1, 2]
    await ahead.expect("message", seq=2)
    await behind.silent()
    await ahead.silent()


async def test_a_closed_socket_is_forgotten(hub: Hub, store: SqliteStore, connect: Connect) -> None:
    conv = await create(store, conversation(C1))
    leaving, _ = await connect(C1)
    staying, _ = await connect(C1)
    assert hub.subscriber_count() == 2

    await leaving.ws.close()
    await until(lambda: hub.subscriber_count() == 1)

    assert hub.has_subscribers(C1)
    entry = message(1, "still here")
    await append(store, conv, entry)
    await hub.publish(C1, [entry])
    await staying.expect("message", seq=1)

    await staying.ws.close()
    await until(lambda: not hub.has_subscribers(C1))
    assert hub.subscriber_count() == 0


async def test_a_socket_whose_queue_is_full_is_closed_with_try_again_later_and_holds_nobody_up(
    hub: Hub, store: SqliteStore, connect: Connect
) -> None:
    stalled, _ = await connect(C1, small_buffers=True)
    conv = await create(store, conversation(C1))
    # Lines of 200 KB through small kernel buffers: the first leaves most of itself waiting in the
    # transport, so the socket is behind and what follows queues (to a socket that keeps up, frames are
    # written at once and nothing queues).
    entries = [message(seq, f"line {seq} " + "x" * 200_000) for seq in range(1, 7)]
    await append(store, conv, *entries)

    # Six publishes in one go, no await in between: more than the socket's queue of four holds.
    for entry in entries:
        await hub.publish(C1, [entry])
    fresh, _ = await connect(C1)  # a socket that connects afterwards is served as usual
    await hub.resync()

    frames = []
    while (msg := await stalled.ws.receive(timeout=5)).type is WSMsgType.TEXT:
        frames.append(msg.json())
    assert (msg.type, msg.data) == (WSMsgType.CLOSE, WSCloseCode.TRY_AGAIN_LATER)
    assert len(frames) < len(entries)  # it is told to resume, not sent everything
    assert seqs([await fresh.expect("message") for _ in entries]) == [1, 2, 3, 4, 5, 6]


async def test_an_idle_socket_holds_no_writer_task_and_the_next_entry_still_reaches_it(
    hub: Hub, store: SqliteStore, connect: Connect
) -> None:
    """Most sockets are idle most of the time: each one's writer runs only while it has frames to send
    (a task per idle socket was about 3 KB of the 10,000-idle-sessions figure in docs/benchmark.md)."""
    conv = await create(store, conversation(C1))
    writers_before = sum(1 for t in asyncio.all_tasks() if t.get_name().startswith("socket-writer-"))
    sockets = [(await connect(C1))[0] for _ in range(5)]
    entry = message(1, "hello", author=Author.BOT)
    conv = await append(store, conv, entry)
    await hub.publish(C1, [entry])
    for socket in sockets:
        await socket.expect("message", seq=1, text="hello")

    await until(
        lambda: (
            sum(1 for t in asyncio.all_tasks() if t.get_name().startswith("socket-writer-")) == writers_before
        )
    )

    second = message(2, "still there?", author=Author.BOT)
    await append(store, conv, second)
    await hub.publish(C1, [second])
    for socket in sockets:
        await socket.expect("message", seq=2, text="still there?")


def writer_tasks() -> int:
    return sum(1 for t in asyncio.all_tasks() if t.get_name().startswith("socket-writer-"))


async def test_a_socket_that_keeps_up_gets_its_frames_at_once_in_order_with_no_writer_task(
    hub: Hub, store: SqliteStore, connect: Connect
) -> None:
    """Nothing queued and a short outgoing buffer: what is offered is written there and then (one write
    for the frames of one offer), so a round trip's ack and message frames cost no task each."""
    conv = await create(store, conversation(C1))
    sender, sender_id = await connect(C1)
    line = message(1, "my order?", client_id="client-1")
    answers = [message(2, "looking", author=Author.BOT), message(3, "found it", author=Author.BOT)]
    await append(store, conv, line, *answers)
    writers_before = writer_tasks()

    await hub.publish(C1, [line], origin=sender_id)
    await hub.signal(C1, Typing(author=Author.BOT, active=True))
    await hub.publish(C1, answers)
    assert writer_tasks() == writers_before  # written, not left to a task

    await sender.expect("ack", client_id="client-1", seq=1)
    await sender.expect("typing", author="bot", active=True)
    assert seqs([await sender.expect("message"), await sender.expect("message")]) == [2, 3]
    await sender.silent()


async def test_a_long_replay_arrives_whole_and_in_order(
    hub: Hub, store: SqliteStore, connect: Connect
) -> None:
    """More entries than one read of the store returns (500): each read's frames go out together."""
    lines = [message(seq, f"line {seq}", author=Author.BOT) for seq in range(1, 1203)]
    await create(store, conversation(C1), *lines)
    socket, _ = await connect(C1, sent_seq=100)

    await hub.resync()

    assert seqs([await socket.expect("message") for _ in range(101, 1203)]) == list(range(101, 1203))
    await socket.silent()


async def test_a_frame_that_cannot_be_written_closes_its_socket_and_never_reaches_the_publisher(
    hub: Hub, connect: Connect
) -> None:
    """Written at once or by the writer task, a failure is the socket's: the publisher carries on."""
    broken, _ = await connect(C1)
    other, _ = await connect(C2)

    await hub.publish(C1, [message(1, "half a surrogate \ud800")])  # no UTF-8 for it: the write fails
    await hub.publish(C2, [message(1, "fine")])

    msg = await broken.ws.receive(timeout=5)
    assert (msg.type, msg.data) == (WSMsgType.CLOSE, WSCloseCode.TRY_AGAIN_LATER)
    await other.expect("message", seq=1, text="fine")


async def test_frames_of_every_header_size_arrive_intact(
    hub: Hub, store: SqliteStore, connect: Connect
) -> None:
    """Frames written straight to the transport: lengths either side of 126 and 65,536 bytes (the three
    header sizes), several in one write, as a strict client reads them."""
    sizes = [*range(40, 140, 7), *range(65_400, 65_600, 31), 200_000]
    lines = [message(seq, "é" * (size // 2), author=Author.BOT) for seq, size in enumerate(sizes, start=1)]
    conv = await create(store, conversation(C1))
    socket, _ = await connect(C1)
    await append(store, conv, *lines)

    await hub.publish(C1, lines[:5])  # a few in one write
    for line in lines[5:]:
        await hub.publish(C1, [line])

    for line in lines:
        await socket.expect("message", seq=line.seq, text=line.text)
