"""The real rasa-sdk action server (``python -m rasa_sdk --actions bot_actions``) as a test subprocess.

Used by tests/bot_actions (the server itself), tests/bots (behind the Rasa stand-in) and tests/real_rasa
(behind a real Rasa). Started in its own session so teardown can signal the whole process group.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get_json(url: str, timeout: float = 5) -> tuple[int, Any]:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.status, json.loads(resp.read())


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group (twice: one sent while Sanic starts is ignored), then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_until_ready(
    proc: subprocess.Popen[bytes], ready: Any, *, what: str, log_path: Path, timeout_s: float
) -> None:
    """Poll ``ready()`` (exceptions count as "not yet") until true; fail with the log's tail otherwise."""
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if ready():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not ready in {timeout_s} s:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)


@contextmanager
def running_action_server(
    log_path: Path,
    env: Mapping[str, str] | None = None,
    *,
    python: Path | None = None,
    cwd: Path = REPO_ROOT,
) -> Iterator[str]:
    """Start the action server on a free port; yield its base URL (``/webhook`` is the action endpoint).

    ``BOT_ACTIONS_*`` variables of the developer's shell are dropped; ``env`` adds variables. ``python`` is
    another venv's interpreter (default: this one), which must have bot_actions installed.
    """
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.upper().startswith("BOT_ACTIONS_")}
    full_env |= {"SANIC_HOST": "127.0.0.1", **(env or {})}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                str(python or sys.executable),
                "-m",
                "rasa_sdk",
                "--actions",
                "bot_actions",
                "--port",
                str(port),
            ],
            cwd=cwd,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(
            proc,
            lambda: get_json(f"{base}/health") == (200, {"status": "ok"}),
            what="action server",
            log_path=log_path,
            timeout_s=START_TIMEOUT_S,
        )
        yield base
    finally:
        stop(proc)


RASA_SDK_36_SCRIPT = REPO_ROOT / "scripts" / "rasa-sdk-venv"


def locate_rasa_sdk_36() -> tuple[Path | None, str]:
    """The python of the rasa-sdk 3.6 venv (``scripts/rasa-sdk-venv``), or ``None`` and why not."""
    found = subprocess.run(
        [str(RASA_SDK_36_SCRIPT), "--locate"], capture_output=True, text=True, timeout=60, check=False
    )
    paths = dict(line.split("=", 1) for line in found.stdout.splitlines() if "=" in line)
    if found.returncode != 0:
        return None, (found.stderr.strip().splitlines() or [f"rc {found.returncode}"])[-1]
    return Path(paths["python"]), ""


def pip_install_bot_actions(python: Path, work: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``pip install ./bot_actions`` with that venv's pip, from a copy in ``work`` (pip builds in the source
    tree, and the checkout must stay clean)."""
    shutil.copytree(REPO_ROOT / "bot_actions", work / "bot_actions", ignore=shutil.ignore_patterns("build"))
    return subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *extra, "./bot_actions"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
