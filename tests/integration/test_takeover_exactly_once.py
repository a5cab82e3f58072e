"""A line 8x8 took just before the gateway went away is not sent again by the next process (both APIs).

No Idempotency-Key is honoured (the strict emulator, like 8x8), and the memory of the uncertain attempt goes
with the process. The next process counts the lines like it that 8x8 holds against those it sent before,
and sends only when 8x8 has not got it: never twice, never lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from gateway.emulator.handle import Emulator
from tests.support.customer import CustomerSocket
from tests.support.emulator_settings import api_settings
from tests.support.escalation import escalate
from tests.support.gateway import GatewayFactory
from tests.support.lossy_proxy import running_lossy_proxy
from tests.support.matrix import both_apis

Connect = Callable[..., Awaitable[CustomerSocket]]


def _user_lines(cc: Emulator, cid: str) -> list[str]:
    return [str(m["text"]) for m in cc.conversation(cid)["messages"] if m["authorType"] == "user"]


@pytest.mark.parametrize("fate", ["taken_answer_lost", "never_reached_8x8"])
@both_apis
async def test_the_next_process_sends_a_line_only_if_8x8_has_not_got_it(
    start_gateway: GatewayFactory, connect: Connect, cc: Emulator, cc_api: str, fate: str
) -> None:
    async with running_lossy_proxy(cc.base_url) as proxy:
        settings = api_settings(cc, cc_api)
        settings[cc_api] = {**settings[cc_api], "base_url": proxy.url, "timeout_s": 2}
        # The first process waits long before it tries again: it is gone before it could.
        first = await start_gateway(relay={"retry_base_s": 60, "retry_cap_s": 60}, **settings)
        c = await connect(first)
        await c.start()
        cid = await escalate(c, cc)
        await cc.agent_join(cid, "alice")
        await c.until("state", state="agent")
        await c.say("ok")  # the same text earlier: a count of "ok" alone must not mislead
        await cc.wait_for_message(cid, "ok", author_type="user")

        if fate == "taken_answer_lost":
            # 8x8 takes the line and its answer is lost (this may still catch the first line's answer on
            # its way back: then that one was taken and the second never sent; the outcome is the same).
            proxy.lose_next_answer("POST", f"/conversations/{cid}/messages")
            await c.say("ok")
            await cc.wait_for(lambda: len(proxy.lost) == 1)
        else:
            proxy.drop_next_request("POST", f"/conversations/{cid}/messages")
            await c.say("ok")
            await cc.wait_for(lambda: len(proxy.lost) == 1)
            assert _user_lines(cc, cid).count("ok") == 1
        await first.close()

        second = await start_gateway(port=first.port, **settings)
        again = await connect(second)
        again.session = c.session
        await again.start(resume=True, last_seq=c.last_seq)
        await again.say("after")
        await cc.wait_for_message(cid, "after", author_type="user")
        assert _user_lines(cc, cid)[-3:] == ["ok", "ok", "after"]
        assert _user_lines(cc, cid).count("ok") == 2
