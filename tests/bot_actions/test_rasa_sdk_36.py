"""``pip install ./bot_actions`` into a Rasa 3.6 action server's venv (rasa-sdk 3.6 on Python 3.10), then
``python -m rasa_sdk --actions bot_actions`` there: a Rasa 3.6 team runs exactly this, on pydantic 1 and
without the gateway, so the package must need nothing but rasa-sdk and the standard library.

The venv comes from ``scripts/rasa-sdk-venv`` (``./run test`` builds it; cached by the lock's hash). Without
Python 3.10 the test is skipped loudly, and fails instead under ``CI``.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot_actions.builders import action_call
from tests.bot_actions.test_action_server import post
from tests.support.action_server import (
    get_json,
    locate_rasa_sdk_36,
    pip_install_bot_actions,
    running_action_server,
)

NO_PYTHON310 = 3


def _not_ready(why: str) -> None:
    line = f"!!!!! rasa-sdk 3.6 action server NOT TESTED: {why} !!!!!"
    if os.environ.get("CI"):
        pytest.fail(f"{line} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(line)


@pytest.fixture(scope="module")
def python36(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rasa-sdk 3.6 venv's python, after a fresh ``pip install ./bot_actions`` into it."""
    python, why = locate_rasa_sdk_36()
    if python is None:
        _not_ready(f"{why} (run scripts/rasa-sdk-venv)")
    assert python is not None
    subprocess.run(
        [str(python), "-m", "pip", "uninstall", "--quiet", "--yes", "chat-escalation-bot-actions"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    install = pip_install_bot_actions(python, tmp_path_factory.mktemp("pip"))
    assert install.returncode == 0, install.stdout + install.stderr
    return python


def test_the_venv_is_a_rasa_36_one_without_pydantic_2(python36: Path) -> None:
    probe = subprocess.run(
        [
            str(python36),
            "-c",
            "import sys, rasa_sdk, bot_actions; print(sys.version_info[:2], rasa_sdk.__version__)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert probe.stdout.strip() == "(3, 10) 3.6.2"


@pytest.fixture(scope="module")
def server36(python36: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("server36")
    with running_action_server(work / "server.log", python=python36, cwd=work) as base:
        yield base


def test_serves_every_action(server36: str) -> None:
    status, body = get_json(f"{server36}/actions")

    assert status == 200
    assert sorted(a["name"] for a in body) == [
        "action_check_agent_availability",
        "action_hand_back",
        "action_handoff_to_agent",
        "action_offer_agent",
    ]


def test_serves_the_handoff(server36: str) -> None:
    call = action_call("action_handoff_to_agent", metadata={"queue_id": "vip", "customer": {"name": "Ann"}})

    status, body = post(f"{server36}/webhook", json_bytes(call))

    assert status == 200
    assert [e["event"] for e in body["events"]] == ["slot", "pause"]
    assert body["responses"][0]["text"] == "Connecting you to a human agent..."
    assert body["responses"][1]["custom"] == {
        "handoff": {
            "reason": "customer_asked",
            "queue_id": "vip",
            "customer": {"name": "Ann"},
            "context": {"intent": "human_handoff", "confidence": "0.9731"},
        }
    }


def test_serves_the_hand_back_and_the_not_available_answer(server36: str) -> None:
    _, handback = post(
        f"{server36}/webhook", json_bytes(action_call("action_hand_back", intent="agent_left"))
    )
    _, elsewhere = post(
        f"{server36}/webhook", json_bytes(action_call("action_handoff_to_agent", channel="rest"))
    )

    assert [e["name"] for e in handback["events"]] == ["handoff_requested", "handoff_reason", "handoff_queue"]
    assert elsewhere["events"] == []
    assert "can't connect you to a person" in elsewhere["responses"][0]["text"]


def json_bytes(value: object) -> bytes:
    return json.dumps(value).encode()
