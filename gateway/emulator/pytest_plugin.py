"""pytest plugin shipped with the package (entry point ``pytest11``): a local 8x8 Chat API v2 and Chat
Gateway v1 for your tests.

Fixtures:
- ``emulator_config``: the ``EmulatorConfig`` to start with (override it in your conftest.py).
- ``emulator``: a running emulator on a free port (an ``Emulator`` handle: ``base_url``,
  ``chat_gateway_url``, credentials, ``agent_join/agent_send/agent_leave/agent_transfer`` for both APIs,
  ``agent_typing/agent_read/agent_send_attachment`` for Chat Gateway, fault injection, request and delivery
  logs, ``wait_for_*`` helpers).

Example::

    async def test_agent_answers(emulator):
        ...  # point your client at emulator.base_url with emulator.api_key / emulator.api_secret
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Manual agents and fast webhook retries; override in your conftest.py for other settings."""
    return EmulatorConfig(mode="manual", retry_scale=0.01)


@pytest.fixture
async def emulator(emulator_config: EmulatorConfig) -> AsyncIterator[Emulator]:
    async with running_emulator(emulator_config) as running:
        yield running
