"""``chat-gateway demo``: the gateway, the embedded bot and the local 8x8 emulator in one process.

A person plays the customer on the gateway's page and the agent on the emulator's console.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
from pathlib import Path

from aiohttp import web

from gateway.app import build_app
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import running_emulator
from gateway.settings import Settings


async def run_demo(*, host: str, port: int, emulator_port: int, mode: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with tempfile.TemporaryDirectory(prefix="chat-gateway-demo-") as tmp:
        async with running_emulator(EmulatorConfig(mode=mode), host=host, port=emulator_port) as emulator:
            settings = Settings(
                _env_file=None,
                host=host,
                port=port,
                chat_api={
                    "base_url": emulator.base_url,
                    "region": emulator.region,
                    "tenant_id": emulator.tenant_id,
                    "api_key": emulator.api_key,
                    "api_secret": emulator.api_secret,
                    "queue_id": "102",
                    "queues": ["101", "103"],
                },
                store={"url": f"sqlite:///{Path(tmp) / 'demo.db'}", "synchronous": "normal"},
                log={"format": "console", "level": "info"},
            )
            runner = web.AppRunner(build_app(settings, demo_page=True), access_log=None, shutdown_timeout=2.0)
            await runner.setup()
            try:
                await web.TCPSite(runner, host, port).start()
                shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
                print(
                    "\n  Chat escalation gateway demo\n"
                    f"  customer page:  http://{shown}:{port}/\n"
                    f"  agent console:  {emulator.console_url}   (8x8 emulator, {mode} mode)\n\n"
                    "  Say hello to the bot, ask for an agent, then accept the chat in the console.\n"
                    "  Ctrl-C stops the demo (its data lives in a temporary folder).\n",
                    flush=True,
                )
                await stop.wait()
            finally:
                await runner.cleanup()
