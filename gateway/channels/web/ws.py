"""The customer WebSocket at ``/chat/ws`` (design.md, "Customer channel").

One reader per socket: this handler. A bad frame gets an ``error`` frame and changes nothing; the
socket stays open. Frames that change a conversation go through the relay, which stores first and
then publishes, so the ``ack`` a client sees means its line is stored.
"""

from __future__ import annotations

import asyncio

import structlog
from aiohttp import WSMsgType, web

from gateway.channels.web.addresses import client_address
from gateway.channels.web.frames import (
    CancelFrame,
    ClientFrame,
    FrameError,
    LeaveFrame,
    MessageFrame,
    ReadFrame,
    StartFrame,
    TypingFrame,
    ack_frame,
    dumps,
    error_frame,
    parse_client_frame,
    signal_frame,
)
from gateway.channels.web.origin import origin_allowed
from gateway.channels.web.problems import RETRY_LATER, error_answer, problem
from gateway.channels.web.rest import check_token_alive
from gateway.channels.web.subscriber import Subscriber
from gateway.keys import (
    address_limiter_key,
    hub_key,
    message_limiter_key,
    relay_key,
    settings_key,
    socket_counter_key,
    sockets_key,
)
from gateway.relay.errors import CustomerError, GatewayError, RateLimited
from gateway.relay.events import CustomerUpdated
from gateway.relay.model import Author, Customer, ReadUpTo

logger = structlog.get_logger(__name__)


class CustomerSocket:
    """The state of one open socket: which session it speaks for, if any."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        app: web.Application,
        address: str,
        transport: asyncio.Transport | None = None,
    ) -> None:
        self._ws = ws
        self._transport = transport
        self._app = app
        self._address = address
        self._limits = app[settings_key].limits
        self.subscriber: Subscriber | None = None

    async def handle(self, data: str) -> None:
        try:
            frame = parse_client_frame(
                data, max_frame_bytes=self._limits.max_frame_bytes, max_text_chars=self._limits.max_text_chars
            )
            await self._dispatch(frame)
        except GatewayError as exc:
            if not isinstance(exc, CustomerError):
                logger.warning("frame_failed", error=type(exc).__name__)
            await self.send(error_frame(*error_answer(exc)))
        except Exception:
            # A bug must not cost the customer the socket: say so, keep it open, and log loudly.
            logger.exception("frame_crashed")
            await self.send(error_frame("unavailable", RETRY_LATER))

    async def send(self, frame: str) -> None:
        """Once started, through the socket's writer, in order after what it has queued; before, directly."""
        if self.subscriber is not None:
            self.subscriber.notify(frame)
        else:
            await self._ws.send_str(frame)

    async def _dispatch(self, frame: ClientFrame) -> None:
        if isinstance(frame, StartFrame | MessageFrame) and not self._app[address_limiter_key].allow(
            self._address
        ):
            raise RateLimited("too many requests from your address, slow down")
        if isinstance(frame, StartFrame):
            await self._start(frame)
            return
        sub = self.subscriber
        if sub is None:
            raise FrameError("not_started", "send a start frame first")
        relay = self._app[relay_key]
        if not isinstance(frame, MessageFrame) and not self._app[message_limiter_key].allow(
            (sub.conversation_id, "control")
        ):
            raise RateLimited("too many frames, slow down")
        match frame:
            case MessageFrame(text=text, client_id=client_id):
                if not self._app[message_limiter_key].allow(sub.conversation_id):
                    raise RateLimited("too many messages, slow down")
                sub.sending.add(client_id)  # the writer drops it once it has sent the ack
                try:
                    seq, new = await relay.customer_says(sub.conversation_id, text, client_id, origin=sub.id)
                except BaseException:
                    sub.sending.discard(client_id)
                    raise
                if not new:  # a retry of a stored line: ack again with the first seq
                    sub.sending.discard(client_id)
                    sub.notify(ack_frame(client_id, seq))
            case CancelFrame():
                await relay.cancel(sub.conversation_id)
            case LeaveFrame():
                await relay.leave(sub.conversation_id)
            case TypingFrame():
                await relay.customer_typing(sub.conversation_id)  # where the contact center shows it
            case ReadFrame(upto_seq=upto_seq):
                await relay.customer_read(sub.conversation_id, upto_seq)

    async def _start(self, frame: StartFrame) -> None:
        relay = self._app[relay_key]
        customer = frame.customer.to_customer() if frame.customer is not None else None
        if frame.session is not None:
            conv = await relay.resume_session(frame.session)
            check_token_alive(conv, now=relay.clock(), settings=self._app[settings_key].retention)
            token = frame.session
            if customer is not None and conv.customer.merged(customer) != conv.customer:
                await relay.apply(conv.id, CustomerUpdated(customer, relay.clock()))
            last_seq = min(frame.last_seq or 0, conv.last_seq)
        else:
            token, conv = await relay.start_session(customer or Customer())
            last_seq = 0
        self.close()
        # Subscribed, then the session frame and the replay queued with no await in between: whatever
        # is published from now on reaches this socket after them, and nothing twice.
        sub = self._app[hub_key].subscribe(
            self._ws,
            conv.id,
            sent_seq=last_seq,
            abort=self._transport.abort if self._transport is not None else lambda: None,
            transport=self._transport,
        )
        self.subscriber = sub
        sub.notify(
            dumps(
                {"type": "session", "session": token, "conversation_id": conv.id, "state": conv.state.value}
            )
        )
        sub.replay()
        read = (await relay.conversation(conv.id)).agent_read_seq
        if read:  # receipts are not entries: a resumed client learns the latest one after the replay
            sub.notify(dumps(signal_frame(ReadUpTo(Author.AGENT, read))))

    def close(self) -> None:
        if self.subscriber is not None:
            self._app[hub_key].unsubscribe(self.subscriber)
            self.subscriber = None


async def chat_socket(request: web.Request) -> web.StreamResponse:
    settings = request.app[settings_key]
    if not origin_allowed(request.headers.get("Origin"), settings.web.allowed_origins):
        return problem("forbidden_origin", "this site may not open chat sessions")
    address = client_address(request, settings.web)
    counter = request.app[socket_counter_key]
    if counter.total >= settings.limits.max_sockets:
        return problem("unavailable", "this instance holds as many chats as it may; retry in a moment")
    if not counter.try_open(address):
        return problem("rate_limited", "too many open chats from your address")
    try:
        return await _serve_socket(request, address)
    finally:
        counter.close(address)


async def _serve_socket(request: web.Request, address: str) -> web.WebSocketResponse:
    settings = request.app[settings_key]
    ws = web.WebSocketResponse(max_msg_size=settings.limits.ws_max_msg_size, heartbeat=30)
    await ws.prepare(request)
    request.app[sockets_key].add(ws)
    socket = CustomerSocket(ws, request.app, address, transport=request.transport)
    try:
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                await socket.handle(msg.data)
            elif msg.type is WSMsgType.BINARY:
                await socket.send(error_frame("bad_json", "frames are JSON text, not binary"))
            elif msg.type is WSMsgType.ERROR:
                break
    finally:
        socket.close()
    return ws
