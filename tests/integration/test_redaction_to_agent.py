"""With GATEWAY_RELAY__REDACT, the agent never sees a card number; the customer's transcript is untouched."""

from __future__ import annotations

import functools
import http.client
import threading
import time
from collections.abc import Awaitable, Callable

from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.escalation import escalate
from tests.support.gateway import GatewayFactory
from tests.support.matrix import both_apis, chat_gateway_only


@both_apis
async def test_card_numbers_and_emails_are_removed_before_the_agent_sees_them(
    start_gateway: GatewayFactory, connect: Callable[..., Awaitable[CustomerSocket]], cc: Emulator
) -> None:
    gateway = await start_gateway(relay={"redact": "card,email", "retry_base_s": 0.05})
    c = await connect(gateway)
    await c.start()
    await c.say("my card 4111 1111 1111 1111 was charged twice")
    await c.expect("message", author="bot")
    cid = await escalate(c, cc)
    await cc.agent_join(cid, "alice")
    await c.until("state", state="agent")
    await c.say("write to ann@example.com please")
    await cc.wait_for_message(cid, "write to [email removed] please", author_type="user")
    texts = [m["text"] for m in cc.conversation(cid)["messages"]]
    assert "my card [card number removed] was charged twice" in texts
    assert not any("4111" in t or "ann@example.com" in t for t in texts)
    replay = await connect(gateway)
    replay.session = c.session
    await replay.start(resume=True, last_seq=0)
    assert (await replay.expect("message", seq=1))["text"] == "my card 4111 1111 1111 1111 was charged twice"


def _has_line(cc: Emulator, cid: str, text: str) -> bool:
    return text in [m["text"] for m in cc.conversation(cid)["messages"]]


class HealthProbe(threading.Thread):
    """Asks ``/healthz`` over and over from its own thread (not the gateway's event loop), keeping the
    slowest answer: what a load balancer's health check would have seen."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self._port = port
        self._done = threading.Event()
        self.worst = 0.0
        self.answers = 0

    def run(self) -> None:
        while not self._done.is_set():
            started = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=30)
            try:
                conn.request("GET", "/healthz")
                assert conn.getresponse().status == 200
            finally:
                conn.close()
            self.worst = max(self.worst, time.monotonic() - started)
            self.answers += 1
            time.sleep(0.01)

    def stop(self) -> None:
        self._done.set()
        self.join(30)


@chat_gateway_only
async def test_redacting_a_long_history_keeps_the_gateway_responsive(
    start_gateway: GatewayFactory,
    connect: Callable[..., Awaitable[CustomerSocket]],
    cc: Emulator,
) -> None:
    """Issue 19, finding 4: 100 long lines crafted against the e-mail pattern, then a handoff, froze
    ``/healthz`` for 11 s while the history was redacted. It must keep answering within 250 ms."""
    fast = {"messages_per_second": 1000, "burst": 1000, "address_rate": 1000, "address_burst": 1000}
    gateway = await start_gateway(relay={"redact": "card,email", "retry_base_s": 0.05}, limits=fast)
    assert gateway.port is not None
    crafted = "1" * 3999 + "!"  # a run the old e-mail pattern re-read from every position
    worst: list[float] = []
    # Two customers in turn: the freeze showed in every escalation, while a slow answer because the
    # machine is busy with other work rarely hits twice. One clean escalation is the proof.
    for _ in range(2):
        c = await connect(gateway)
        await c.start()
        for _ in range(100):
            await c.say(crafted)
        probe = HealthProbe(gateway.port)
        probe.start()
        try:
            cid = await escalate(c, cc, text="I want to talk to an agent")
            await cc.wait_for(functools.partial(_has_line, cc, cid, crafted))
        finally:
            probe.stop()
            await c.ws.close()
        assert probe.answers > 0
        worst.append(probe.worst)
        if probe.worst < 0.25:
            break
    assert min(worst) < 0.25, f"/healthz took {[round(w * 1000) for w in worst]} ms during the escalations"
