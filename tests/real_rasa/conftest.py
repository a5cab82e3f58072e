"""A real Rasa Open Source 3.6.21 server (trained on examples/rasa) and the real action server, for tests.

Rasa needs Python 3.10 and its own 2.7 GB venv: ``scripts/rasa-venv`` builds it and trains the model into a
cache once (``./run test`` calls it first). Here it is only located, never built:

- no Python 3.10 on the machine: the suite is skipped with one loud line (also in the terminal summary);
- Python 3.10 there but the venv or the model missing: skipped with a loud line, but FAILED when ``CI`` is
  set (a skipped suite must not pass for a green one).

Fixtures for other suites (e.g. the gateway + 8x8 emulator with real Rasa): ``rasa_server`` (``.url``,
``.token``) and ``action_server`` (base URL; Rasa calls its ``/webhook``). Both live for the session.

The action server asks a gateway for agent availability (``action_check_agent_availability``) at
``gateway_port``, with the Rasa token as the gateway's bot token: a test that hands off starts its gateway on
that port (``start_gateway_for`` builds one wired to the emulator), or uses ``open_gateway``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from gateway.settings import Settings
from tests.support.action_server import (
    free_port,
    locate_rasa_sdk_36,
    pip_install_bot_actions,
    running_action_server,
    stop,
    wait_until_ready,
)
from tests.support.real_rasa import (
    EXAMPLE,
    NO_PYTHON310,
    RASA_START_TIMEOUT_S,
    RASA_VENV_SCRIPT,
    TOKEN,
    GatewayStarter,
    RasaInstall,
    RasaServer,
    rasa_says_hello,
    until_ready,
)

_loud: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "real_rasa: needs a real Rasa 3.6.21 (scripts/rasa-venv); select with -m"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _loud:
        terminalreporter.write_line(line, red=True, bold=True)


def _not_ready(reason: str) -> NoReturn:
    line = f"!!!!! tests/real_rasa NOT RUN: {reason} !!!!!"
    if os.environ.get("CI"):
        pytest.fail(f"{line} (CI is set, so this fails instead of skipping)", pytrace=False)
    if line not in _loud:
        _loud.append(line)
    pytest.skip(line)


@pytest.fixture(scope="session")
def rasa_install() -> RasaInstall:
    result = subprocess.run(
        [str(RASA_VENV_SCRIPT), "--locate"], capture_output=True, text=True, timeout=60, check=False
    )
    paths = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    if result.returncode == 0:
        return RasaInstall(rasa=Path(paths["rasa"]), model=Path(paths["model"]))
    last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"rc {result.returncode}"
    why = last.removeprefix("rasa-venv: ").strip("! ")
    if result.returncode == NO_PYTHON310:
        _not_ready(f"no Python 3.10 on this machine ({why})")
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and Python 3.10 exists, but real Rasa is not ready: {why}")
    _not_ready(f"{why} (then run pytest again)")


@pytest.fixture(scope="session")
def gateway_port() -> int:
    """Where the action server looks for the gateway (BOT_ACTIONS_GATEWAY_URL)."""
    return free_port()


@pytest.fixture(scope="session")
def action_server(tmp_path_factory: pytest.TempPathFactory, gateway_port: int) -> Iterator[str]:
    """Base URL of the real action server with ``bot_actions``, asking the gateway at ``gateway_port``.

    It runs what a Rasa 3.6 team runs: rasa-sdk 3.6 on Python 3.10 (``scripts/rasa-sdk-venv``) with
    ``pip install ./bot_actions``. Without that venv (CI set: a failure) the project's rasa-sdk runs it.
    """
    work = tmp_path_factory.mktemp("action_server")
    python, why = locate_rasa_sdk_36()
    if python is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the rasa-sdk 3.6 venv is missing: {why}")
        _loud.append(f"!!!!! tests/real_rasa: action server on the project's rasa-sdk, not 3.6 ({why}) !!!!!")
    else:
        install = pip_install_bot_actions(python, work, "--force-reinstall", "--no-deps")
        assert install.returncode == 0, install.stdout + install.stderr
    env = {"BOT_ACTIONS_GATEWAY_URL": f"http://127.0.0.1:{gateway_port}", "BOT_ACTIONS_GATEWAY_TOKEN": TOKEN}
    with running_action_server(work / "server.log", env, python=python, cwd=work) as url:
        yield url


@pytest.fixture(scope="session")
def rasa_server(
    rasa_install: RasaInstall, action_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RasaServer]:
    """``rasa run`` with the REST channel and the HTTP API, calling ``action_server`` for custom actions."""
    work = tmp_path_factory.mktemp("rasa")
    endpoints = work / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{action_server}/webhook"\n')
    port, token = free_port(), TOKEN
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    log_path = work / "rasa.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                str(rasa_install.rasa),
                "run",
                "-i",
                "127.0.0.1",
                "-p",
                str(port),
                "--enable-api",
                "--auth-token",
                token,
                "--credentials",
                str(EXAMPLE / "credentials.yml"),
                "--endpoints",
                str(endpoints),
                "-m",
                str(rasa_install.model),
            ],
            cwd=work,  # Rasa may write files into its working directory
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(
            proc,
            lambda: rasa_says_hello(url + "/"),
            what="rasa run",
            log_path=log_path,
            timeout_s=RASA_START_TIMEOUT_S,
        )
        yield RasaServer(url=url, token=token, log_path=log_path)
    finally:
        stop(proc)


@pytest.fixture
async def cc() -> AsyncIterator[Emulator]:
    """The 8x8 emulator (Chat Gateway v1 and Chat API v2), agents driven by the test."""
    async with running_emulator(EmulatorConfig(mode="manual", retry_scale=0.01)) as emulator:
        yield emulator


@pytest.fixture
def start_gateway_for(
    aiohttp_server: AiohttpServer, cc: Emulator, gateway_port: int, rasa_server: RasaServer, tmp_path: Path
) -> GatewayStarter:
    """Start a gateway on ``gateway_port`` (where the action server asks for availability), with the real Rasa
    as its bot and the emulator's Chat API as its contact center; keywords override settings. It returns once
    the gateway says agents are available (or at once, when ``wait_ready=False``)."""

    async def start(*, wait_ready: bool = True, **overrides: Any) -> TestServer:
        bot = {
            "url": rasa_server.url,
            "token": rasa_server.token,
            "timeout_s": 30,
            **overrides.pop("bot", {}),
        }
        settings = Settings(
            _env_file=None,
            public_url=f"http://127.0.0.1:{gateway_port}",
            bot=bot,
            chat_api={
                "base_url": cc.base_url,
                "region": cc.region,
                "tenant_id": cc.tenant_id,
                "api_key": cc.api_key,
                "api_secret": cc.api_secret,
                "queue_id": "101",
            },
            store={"url": f"sqlite:///{tmp_path / 'gw.db'}", "synchronous": "normal"},
            **overrides,
        )
        gateway = await aiohttp_server(build_app(settings), port=gateway_port)
        if wait_ready:
            await until_ready(gateway)
        return gateway

    return start


@pytest.fixture
async def open_gateway(start_gateway_for: GatewayStarter) -> TestServer:
    """A gateway that tells the action server agents are available now (no business hours)."""
    return await start_gateway_for()
