"""Running the gateway as a real process (``python -m gateway serve``) for tests that kill or signal it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp


def gateway_env(**settings: str) -> dict[str, str]:
    """This process's environment without any GATEWAY_* variable, plus ``settings`` (GATEWAY_ names)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")} | settings


async def start_gateway_process(
    env: dict[str, str], cwd: Path, *, quiet: bool = False
) -> asyncio.subprocess.Process:
    out = asyncio.subprocess.DEVNULL if quiet else asyncio.subprocess.PIPE
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "serve", env=env, cwd=cwd, stdout=out, stderr=out
    )


async def wait_until(url: str, *, attempts: int = 150) -> None:
    """Poll ``url`` until it answers 200."""
    async with aiohttp.ClientSession() as http:
        for _ in range(attempts):
            try:
                async with http.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never answered 200")


async def failed_start_up(env: dict[str, str], cwd: Path) -> list[str]:
    """Run ``python -m gateway serve`` expecting it to refuse to start: the lines it printed on stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "serve",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode != 0, "the gateway started"
    return err.decode().strip().splitlines()
