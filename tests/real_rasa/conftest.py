"""A real Rasa Open Source 3.6.21 server (trained on examples/rasa) and the real action server, for tests.

Rasa needs Python 3.10 and its own 2.7 GB venv: ``scripts/rasa-venv`` builds it and trains the model into a
cache once (``./run test`` calls it first). Here it is only located, never built:

- no Python 3.10 on the machine: the suite is skipped with one loud line (also in the terminal summary);
- Python 3.10 there but the venv or the model missing: skipped with a loud line, but FAILED when ``CI`` is
  set (a skipped suite must not pass for a green one).

Fixtures for other suites (e.g. the gateway + 8x8 emulator with real Rasa): ``rasa_server`` (``.url``,
``.token``) and ``action_server`` (base URL; Rasa calls its ``/webhook``). Both live for the session.
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from tests.support.action_server import (
    REPO_ROOT,
    free_port,
    running_action_server,
    stop,
    wait_until_ready,
)

RASA_VENV_SCRIPT = REPO_ROOT / "scripts" / "rasa-venv"
EXAMPLE = REPO_ROOT / "examples" / "rasa"
RASA_START_TIMEOUT_S = 90.0
NO_PYTHON310 = 3
_loud: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "real_rasa: needs a real Rasa 3.6.21 (scripts/rasa-venv); select with -m"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _loud:
        terminalreporter.write_line(line, red=True, bold=True)


@dataclass(frozen=True)
class RasaInstall:
    rasa: Path
    model: Path


@dataclass(frozen=True)
class RasaServer:
    url: str  # base URL, no trailing slash
    token: str  # --auth-token (query parameter ``token`` of the HTTP API)
    log_path: Path


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
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the real rasa-sdk action server with ``bot_actions`` (default configuration)."""
    with running_action_server(tmp_path_factory.mktemp("action_server") / "server.log") as url:
        yield url


def _hello(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as resp:
        body: bytes = resp.read()
        return resp.status == 200 and body.startswith(b"Hello from Rasa")


@pytest.fixture(scope="session")
def rasa_server(
    rasa_install: RasaInstall, action_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RasaServer]:
    """``rasa run`` with the REST channel and the HTTP API, calling ``action_server`` for custom actions."""
    work = tmp_path_factory.mktemp("rasa")
    endpoints = work / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{action_server}/webhook"\n')
    port, token = free_port(), "real-rasa-test-token"
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
            lambda: _hello(url + "/"),
            what="rasa run",
            log_path=log_path,
            timeout_s=RASA_START_TIMEOUT_S,
        )
        yield RasaServer(url=url, token=token, log_path=log_path)
    finally:
        stop(proc)
