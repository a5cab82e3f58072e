"""The whole escalation against a REAL Rasa 3.6.21: keeps the stand-in honest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import unused_port
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from gateway.settings import Settings
from tests.real_rasa.conftest import RasaServer
from tests.support.customer import CustomerSocket
from tests.support.rasa_flow import rasa_escalation_round_trip

pytestmark = [pytest.mark.real_rasa, pytest.mark.timeout(180)]


@pytest.fixture
async def cc() -> AsyncIterator[Emulator]:
    async with running_emulator(EmulatorConfig(mode="manual", retry_scale=0.01)) as emulator:
        yield emulator


async def test_escalation_with_real_rasa(
    rasa_server: RasaServer, cc: Emulator, aiohttp_server: AiohttpServer, tmp_path: Path
) -> None:
    port = unused_port()
    settings = Settings(
        _env_file=None,
        public_url=f"http://127.0.0.1:{port}",
        bot={"url": rasa_server.url, "token": rasa_server.token, "timeout_s": 30},
        chat_api={
            "base_url": cc.base_url,
            "region": cc.region,
            "tenant_id": cc.tenant_id,
            "api_key": cc.api_key,
            "api_secret": cc.api_secret,
            "queue_id": "101",
        },
        store={"url": f"sqlite:///{tmp_path / 'gw.db'}", "synchronous": "normal"},
    )
    gateway = await aiohttp_server(build_app(settings), port=port)
    async with aiohttp.ClientSession() as http:
        c = CustomerSocket(await http.ws_connect(gateway.make_url("/chat/ws")))
        await rasa_escalation_round_trip(c, cc)
