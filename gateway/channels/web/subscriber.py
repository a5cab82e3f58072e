"""One customer socket's outgoing side: a bounded queue of frames and the one task that writes them.

The writer task exists only while there is something to send: an idle socket (most of them, most of the
time) holds a short deque and no task, which is most of what 10,000 idle sessions cost. A socket that is
keeping up (nothing queued, its outgoing buffer short) needs no task at all: what is offered to it is
written at once, all the frames of one offer in one write (``wire.py``).

Whatever publishes (the relay, a webhook, the Redis fan-out listener, a resync) only puts work on the
queue (or writes it without a wait) and never waits for the socket. The socket's writer sends the work in
order, and is the only task that waits on the socket's buffer. A socket that cannot keep up, because its
queue is full or one send takes longer than ``send_timeout_s`` (a client that stopped reading), is closed
with 1013 (try again later): the client resumes from its ``last_seq`` and misses nothing, since every
entry is stored.

Each socket remembers the highest seq it has been sent. An entry at or below it is skipped; an entry
beyond the next one first pulls the missing ones from the store. So a resume that races a live publish,
or publishes that arrive out of order, still give the socket each entry exactly once and in order. The
socket that sent a customer line gets an ``ack`` instead of an echo.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog
from aiohttp import WSCloseCode, web

from gateway.channels.web import wire
from gateway.channels.web.frames import ack_frame, entry_text
from gateway.relay.model import Author, ConversationId, Entry, MessageEntry
from gateway.relay.ports import Store

logger = structlog.get_logger(__name__)

CLOSE_GRACE_S = 2.0


class Rendered:
    """A stored entry and its frame, serialised on first use and then shared by every socket: the socket
    that sent a customer's line gets an ack instead, and is often the only one."""

    __slots__ = ("_frame", "entry")

    def __init__(self, entry: Entry) -> None:
        self.entry = entry
        self._frame: str | None = None

    @property
    def frame(self) -> str:
        if self._frame is None:
            self._frame = entry_text(self.entry)
        return self._frame


@dataclass(frozen=True, slots=True)
class _Entries:
    rendered: Sequence[Rendered]
    origin: str | None


@dataclass(frozen=True, slots=True)
class _Frame:
    data: str


@dataclass(frozen=True, slots=True)
class _Replay:
    pass


_Job = _Entries | _Frame | _Replay


@dataclass(eq=False)
class Subscriber:
    ws: web.WebSocketResponse
    conversation_id: ConversationId
    sent_seq: int
    store: Store
    queue_size: int = 256
    send_timeout_s: float = 10.0
    abort: Callable[[], None] = lambda: None
    """Drops the connection at once (the transport's ``abort``), for a socket that will not take a close."""
    transport: asyncio.Transport | None = None
    """The socket's transport, to write frames straight to while it keeps up (None: always through ``ws``)."""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    sending: set[str] = field(default_factory=set)
    """client_ids of this socket's lines not yet acked: acked, not echoed, whichever way they arrive."""
    _jobs: deque[_Job] = field(default_factory=deque, init=False)
    _stopped: bool = field(default=False, init=False)
    _writer: asyncio.Task[None] | None = field(default=None, init=False)
    """The writer, while there are jobs to send (it ends when the queue is empty)."""
    _closing: asyncio.Task[None] | None = field(default=None, init=False)
    _send_started: float | None = field(default=None, init=False)
    """When the send under way began (None between sends), for the watchdog."""
    _watchdog: asyncio.TimerHandle | None = field(default=None, init=False)
    _send_timed_out: bool = field(default=False, init=False)

    def start(self) -> None:
        """Write what was queued so far; from now on the writer runs whenever there is something to send."""
        self._wake()

    def stop(self) -> None:
        """The socket is done with (its handler ended): the writer stops, what it had queued is dropped."""
        self._stopped = True
        self._jobs.clear()
        if self._writer is not None:
            self._writer.cancel()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    @property
    def overflowed(self) -> bool:
        return self._closing is not None

    def deliver(self, rendered: Sequence[Rendered], *, origin: str | None) -> None:
        self._offer(_Entries(rendered, origin))

    def notify(self, frame: str) -> None:
        """A frame outside the transcript, sent in order with everything else queued for this socket."""
        self._offer(_Frame(frame))

    def replay(self) -> None:
        """Send everything stored after ``sent_seq`` (a resume, a resync)."""
        self._offer(_Replay())

    def _offer(self, job: _Job) -> None:
        if self._closing is not None or self._stopped:
            return
        if not self._jobs and self._writer is None and self._write_now(job):
            return
        if len(self._jobs) >= self.queue_size:  # never waits: a full queue means the socket is too slow
            self._give_up("queue_full")
            return
        self._jobs.append(job)
        self._wake()

    def _wake(self) -> None:
        if self._jobs and self._writer is None and not self._stopped:
            self._writer = asyncio.create_task(self._write(), name=f"socket-writer-{self.id[:8]}")

    def _give_up(self, reason: str) -> None:
        logger.info("slow_socket_closed", conversation_id=self.conversation_id, reason=reason)
        self.stop()
        self._closing = asyncio.create_task(self._close())

    async def _close(self) -> None:
        try:
            async with asyncio.timeout(CLOSE_GRACE_S):
                await self.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too slow, resume")
        except (TimeoutError, ConnectionError, RuntimeError):
            pass
        finally:
            self.abort()  # a client that stopped reading never takes the close frame

    async def _write(self) -> None:
        try:
            while self._jobs:
                job = self._jobs.popleft()
                if self._write_now(job):
                    continue
                match job:
                    case _Entries(rendered=rendered, origin=origin):
                        await self._entries(rendered, origin)
                    case _Frame(data=data):
                        await self._send(data)
                    case _Replay():
                        await self._catch_up(upto=None)
        except asyncio.CancelledError:
            if not self._send_timed_out:
                raise
            if (task := asyncio.current_task()) is not None:
                task.uncancel()  # the watchdog's own cancel, handled here
            self._give_up("send_timeout")
        except (ConnectionError, RuntimeError) as exc:
            # The socket went away mid-send; its handler unsubscribes it. Entries are stored, so the
            # client gets them on resume.
            logger.info("socket_send_failed", conversation_id=self.conversation_id, error=type(exc).__name__)
        except Exception:
            logger.exception("socket_writer_crashed", conversation_id=self.conversation_id)
            with contextlib.suppress(Exception):
                self._give_up("crashed")
        finally:
            if self._writer is asyncio.current_task():
                self._writer = None  # the queue is empty (or the socket done with): the next job starts one

    def _write_now(self, job: _Job) -> bool:
        """Write ``job``'s frames straight to the transport if they can go without a wait (no gap to fill
        from the store, a socket keeping up); False, with nothing changed, if they cannot."""
        transport = self.transport
        if transport is None or isinstance(job, _Replay) or not wire.writable(self.ws, transport):
            return False
        sent = self.sent_seq
        due: list[Rendered] = []
        if isinstance(job, _Entries):
            for item in job.rendered:
                seq = item.entry.seq
                if seq <= sent:
                    continue
                if seq > sent + 1:
                    return False  # a gap: the writer fills it from the store first
                due.append(item)
                sent = seq
            if not due:
                return True
        # What goes wrong here is handled as the writer would, and never reaches whoever offered the job.
        try:
            frames = (
                [job.data] if isinstance(job, _Frame) else [self._frame(item, job.origin) for item in due]
            )
            wire.write_text(transport, frames)
        except (ConnectionError, RuntimeError) as exc:
            logger.info("socket_send_failed", conversation_id=self.conversation_id, error=type(exc).__name__)
            return True
        except Exception:
            logger.exception("socket_writer_crashed", conversation_id=self.conversation_id)
            with contextlib.suppress(Exception):
                self._give_up("crashed")
            return True
        self.sent_seq = sent
        return True

    async def _send(self, data: str) -> None:
        # One watchdog timer per socket instead of a timeout per send: a send almost never waits, and a
        # timer armed and cancelled for each frame costs more than the frame's own write.
        loop = asyncio.get_running_loop()
        self._send_started = loop.time()
        if self._watchdog is None:
            self._watchdog = loop.call_at(self._send_started + self.send_timeout_s, self._check_send)
        try:
            await self.ws.send_str(data)
        finally:
            self._send_started = None

    def _check_send(self) -> None:
        """A send that has taken ``send_timeout_s`` ends the writer (which closes the socket); one still
        within its time is looked at again when it would be due; between sends the watchdog sleeps."""
        self._watchdog = None
        started = self._send_started
        if started is None or self._writer is None:
            return
        due = started + self.send_timeout_s
        loop = asyncio.get_running_loop()
        if loop.time() < due:
            self._watchdog = loop.call_at(due, self._check_send)
            return
        self._send_timed_out = True
        self._writer.cancel()

    def _frame(self, rendered: Rendered, origin: str | None) -> str:
        entry = rendered.entry
        if not isinstance(entry, MessageEntry) or entry.client_id is None:
            return rendered.frame
        own = origin == self.id or entry.client_id in self.sending
        if own and entry.author is Author.CUSTOMER:
            self.sending.discard(entry.client_id)
            return ack_frame(entry.client_id, entry.seq)
        return rendered.frame

    async def _entries(self, rendered: Sequence[Rendered], origin: str | None) -> None:
        for item in rendered:
            seq = item.entry.seq
            if seq <= self.sent_seq:
                continue
            if seq > self.sent_seq + 1:
                await self._catch_up(upto=seq - 1)
            await self._send(self._frame(item, origin))
            self.sent_seq = seq

    async def _catch_up(self, *, upto: int | None) -> None:
        while True:
            entries = await self.store.entries(
                self.conversation_id, after=self.sent_seq, upto=upto, limit=500
            )
            if not entries:
                return
            # A line of this socket's may come this way first (a gap filled, a resync): ack it here.
            if self._write_now(_Entries([Rendered(e) for e in entries], None)):
                if self.sent_seq != entries[-1].seq:
                    return  # the write failed (and was logged): the socket is going away
            else:
                for entry in entries:
                    await self._send(self._frame(Rendered(entry), None))
                    self.sent_seq = entry.seq
            if len(entries) < 500:
                return
