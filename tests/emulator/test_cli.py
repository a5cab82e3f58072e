"""The real process: ``chat-gateway emulator --config FILE`` serves the file's queues and agents, prints the
settings that point a gateway at it, and ends cleanly on SIGTERM; a bad file stops it with one line."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

CONFIG = """\
[emulator]
mode = "auto"
tenant_id = "Shop"
api_key = "shopKey"
api_secret = "shopSecret"
queues = [{ id = "7", name = "VIP" }]
agents = [{ id = "zoe", name = "Zoe,Zimmer", queues = ["7"], capacity = 2, languages = ["de"] }]
"""


async def emulator_process(*args: str, cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "emulator",
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_the_config_file_is_served_and_sigterm_ends_it(tmp_path: Path) -> None:
    (tmp_path / "emulator.toml").write_text(CONFIG)
    proc = await emulator_process(
        "--port", "0", "--config", "emulator.toml", "--mode", "manual", cwd=tmp_path
    )
    try:
        assert proc.stdout is not None
        printed: dict[str, str] = {}
        async with asyncio.timeout(20):
            while "console" not in printed:
                line = (await proc.stdout.readline()).decode()
                assert line, "the emulator exited before printing its settings"
                if "=" in line:
                    key, _, value = line.strip().partition("=")
                    printed[key] = value
                elif line.strip().startswith("agent console:"):
                    printed["console"] = line.split(": ", 1)[1].strip()
        base = printed["GATEWAY_CHAT_API__BASE_URL"]
        assert printed["GATEWAY_CHAT_API__TENANT_ID"] == "Shop"
        assert printed["GATEWAY_CHAT_API__REGION"] == "us"
        assert (printed["GATEWAY_CHAT_API__API_KEY"], printed["GATEWAY_CHAT_API__API_SECRET"]) == (
            "shopKey",
            "shopSecret",
        )
        assert printed["console"] == f"{base}/console"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/_emulator/config") as resp:
                config = await resp.json()
            assert config["mode"] == "manual"  # --mode wins over the file
            assert config["queues"] == [{"id": "7", "name": "VIP"}]
            assert config["agents"] == [
                {"id": "zoe", "name": "Zoe,Zimmer", "queues": ["7"], "capacity": 2, "languages": ["de"]}
            ]
            async with http.post(
                f"{base}/oauth/v2/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": aiohttp.encode_basic_auth("shopKey", "shopSecret")},
            ) as resp:
                assert resp.status == 200
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'agents = [{ id = "zoe", name = "Zoe", queues = ["9"] }]',
            "emulator configuration: config: Value error, agent zoe serves unknown queue 9",
        ),
        (
            "auto_join_delay = -1",
            "emulator configuration: auto_join_delay: Input should be greater than or equal to 0",
        ),
        ("bogus = 1", "emulator configuration: bogus: Extra inputs are not permitted"),
        ("mode = ", "emulator configuration: Invalid value (at line 1, column 8)"),
    ],
)
async def test_a_bad_config_file_stops_it_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "emulator.toml").write_text(text + "\n")
    proc = await emulator_process("--port", "0", "--config", "emulator.toml", cwd=tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 2
    assert out == b""
    assert err.decode().strip().splitlines() == [message]
