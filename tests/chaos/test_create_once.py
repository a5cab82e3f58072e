"""A gateway killed while 8x8 creates the conversation: the next process finds it, and creates no second one.

The chaos test saw this once (``CHAOS_SEED=1355126876``): one customer never reached an agent. The gateway
process was SIGKILLed after 8x8 had created the conversation and before the gateway had recorded its id.
8x8 honours no Idempotency-Key, and the memory of an uncertain attempt (``core/uncertain.py``) dies with the
process, so the next process created a second conversation. The first stayed queued at 8x8 with the bot
transcript, unknown to the gateway, and the agent who took it talked to nobody.

Here the emulator carries the create out and holds its answer (``fail_next(..., after=True)``), the test
kills the real gateway process at that moment and starts it again on the same store. Both 8x8 APIs.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import unused_port

from gateway.emulator.config import AgentConfig, EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from tests.chaos.customer import ChaosCustomer, Line
from tests.chaos.gateway_process import GatewayProcess, chaos_env
from tests.support.emulator_settings import operation
from tests.support.escalation import conversations_of
from tests.support.matrix import both_apis

STEP_S = 30.0


def _env(cc: Emulator, api: str, *, port: int, db: Path) -> dict[str, str]:
    """The chaos settings, with a client timeout long enough that the test kills the gateway first."""
    env = chaos_env(cc, port=port, db=db) | {"GATEWAY_CHAT_API__TIMEOUT_S": "20"}
    if api == "chat_gateway":
        env = {k: v for k, v in env.items() if not k.startswith("GATEWAY_CHAT_API__")} | {
            "GATEWAY_CONTACT_CENTER": "chat_gateway",
            "GATEWAY_CHAT_GATEWAY__BASE_URL": cc.base_url,
            "GATEWAY_CHAT_GATEWAY__API_KEY": cc.config.chat_gateway_api_key,
            "GATEWAY_CHAT_GATEWAY__TENANT": cc.tenant_id,
            "GATEWAY_CHAT_GATEWAY__QUEUE_ID": "101",
            "GATEWAY_CHAT_GATEWAY__TIMEOUT_S": "20",
        }
    return env


@asynccontextmanager
async def _running(cc: Emulator, api: str, tmp_path: Path) -> AsyncIterator[GatewayProcess]:
    port = unused_port()
    gateway = GatewayProcess(
        _env(cc, api, port=port, db=tmp_path / "gateway.db"), cwd=tmp_path, port=port, log=tmp_path / "gw.log"
    )
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


@pytest.mark.timeout(120)
@both_apis
async def test_a_create_8x8_carried_out_for_a_killed_gateway_is_the_one_the_next_process_uses(
    cc_api: str, tmp_path: Path
) -> None:
    config = EmulatorConfig(
        mode="manual",
        retry_delays=[0.1, 0.3, 0.6, 1.0, 2.0, 3.0, 5.0],
        hang_seconds=60.0,
        agents=[AgentConfig(id="alice", name="Alice,A", queues=["101"])],
    )
    async with (
        running_emulator(config) as cc,
        aiohttp.ClientSession() as http,
        _running(cc, cc_api, tmp_path) as gateway,
    ):
        customer = ChaosCustomer("c0", gateway.url, http, random.Random(1))
        try:
            await customer.open(timeout=STEP_S)
            mine = customer.conversation_id
            assert mine is not None
            # 8x8 creates the conversation; its answer never reaches the gateway, which is killed meanwhile.
            cc.fail_next(operation(cc_api, "create_conversation"), hang=True, after=True)
            await customer.say(Line("I want to talk to an agent"), timeout=STEP_S)
            first = (await cc.wait_for(lambda: conversations_of(cc, mine), timeout=STEP_S))[0]
            await gateway.kill()
            cc.clear_faults()
            await gateway.start()

            await customer.wait_until(lambda: customer.state == "queued", STEP_S, "queued state")
            assert conversations_of(cc, mine) == [first], "the next process created a second conversation"
            await cc.agent_join(first, "alice")
            await customer.wait_until(lambda: customer.state == "agent", STEP_S, "agent state")
            await customer.say(Line("hello from the customer"), timeout=STEP_S)
            await cc.wait_for_message(first, "hello from the customer", author_type="user", timeout=STEP_S)
            assert conversations_of(cc, mine) == [first]
        finally:
            await customer.close()
