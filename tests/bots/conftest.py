"""Fixtures for the Rasa adapter: the real action server, the Rasa stand-in in front of it, and a RasaBot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from pytest_aiohttp import AiohttpServer

from gateway.bots.rasa import RasaBot
from tests.support.action_server import running_action_server
from tests.support.rasa_standin import RasaStandIn
from tests.support.standin import TOKEN, StandIn


@pytest.fixture(scope="session")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the real rasa-sdk action server running ``bot_actions`` (default configuration)."""
    with running_action_server(tmp_path_factory.mktemp("action_server") / "server.log") as url:
        yield url


@pytest.fixture
async def standin(aiohttp_server: AiohttpServer, action_server: str) -> StandIn:
    rasa = RasaStandIn(action_server, token=TOKEN)
    server = await aiohttp_server(rasa.app())
    return StandIn(rasa, str(server.make_url("/")))


@pytest.fixture
async def bot(standin: StandIn) -> AsyncIterator[RasaBot]:
    async with aiohttp.ClientSession() as session:
        yield RasaBot(session, url=standin.url, timeout_s=5, token=TOKEN)
