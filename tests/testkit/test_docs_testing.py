"""The test kit as a user meets it: docs/testing.md's test, copied out of the page as written, runs in a
fresh pytest process from a folder outside the project, with pytest-aiohttp switched off (the kit needs
only pytest and pytest-asyncio in auto mode). A second file there exercises the rest of the kit's API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "testing.md"

pytestmark = pytest.mark.timeout(180)


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def run_pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    """pytest in a fresh process, in ``folder``, as a user would run it (no GATEWAY_* variables either)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:aiohttp", "-p", "no:cacheprovider"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )


def test_the_six_line_test_runs_as_written_outside_the_project(tmp_path: Path) -> None:
    (ini,) = blocks("ini")
    test = next(b for b in blocks("python") if "async def test_" in b)
    assert len([line for line in test.strip().splitlines()[1:] if line.strip()]) == 6
    assert not tmp_path.is_relative_to(ROOT)
    (tmp_path / "pytest.ini").write_text(ini)
    (tmp_path / "test_escalation.py").write_text(test)

    done = run_pytest(tmp_path)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout


KIT_TESTS = """
import pytest


@pytest.fixture
def gateway_settings():
    return {"bot": {"agent_request_payload": "/person"}}


async def test_next_message_by_author_leaves_the_others_unread(customer, emulator):
    ann = await customer(name="Ann")
    assert ann.state == "bot"
    assert await ann.wait_for_state("bot") == "bot"  # already there: at once
    await ann.say("hello")
    greeting = await ann.next_message(author="bot")
    assert greeting["text"].startswith("Hi!")
    await ann.say("/person")  # the overridden setting: this line escalates directly
    await ann.wait_for_state("queued")
    cid = ann.contact_center_id
    assert cid is not None
    await emulator.agent_join(cid, "bob")
    await ann.wait_for_state("agent")
    await emulator.agent_send(cid, "Bob here.")
    answer = await ann.next_message(author="agent")
    assert answer["text"] == "Bob here."
    assert answer["agent"]["name"] == "Bob"
    skipped = await ann.next_message()  # passed over by author="agent", so still unread: the queue notice
    assert skipped["author"] == "system"
    assert skipped["text"].startswith("You are in the queue")


async def test_two_customers_on_one_gateway(customer):
    ann = await customer(name="Ann")
    bob = await customer(name="Bob")
    assert ann.conversation_id != bob.conversation_id
    await bob.say("hello")
    assert (await bob.next_message(author="bot"))["text"].startswith("Hi!")
    with pytest.raises(TimeoutError):
        await ann.next_message(author="bot", timeout=0.3)
"""


def test_the_kits_api_from_outside_the_project(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n")
    (tmp_path / "test_kit.py").write_text(KIT_TESTS)

    done = run_pytest(tmp_path)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2 passed" in done.stdout
