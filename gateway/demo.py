"""``chat-gateway demo``: the gateway, the embedded bot and the local 8x8 emulator in one process.

A person plays the customer on the gateway's page and the agent on the emulator's console. The gateway
talks to the emulator's Chat Gateway v1 (8x8's current API); ``--api chat_api`` uses its Chat API v2.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.app import build_app
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from gateway.settings import Api, Settings

API_LABELS = {"chat_gateway": "Chat Gateway v1", "chat_api": "Chat API v2"}


def demo_api_settings(emulator: Emulator, api: Api) -> dict[str, Any]:
    """The settings that point the gateway at ``api`` on the emulator, and only at it."""
    if api == "chat_api":
        return {
            "contact_center": "chat_api",
            "chat_api": {
                "base_url": emulator.base_url,
                "region": emulator.region,
                "tenant_id": emulator.tenant_id,
                "api_key": emulator.api_key,
                "api_secret": emulator.api_secret,
                "queue_id": "102",
                "queues": ["101", "103"],
            },
        }
    return {
        "contact_center": "chat_gateway",
        "chat_gateway": {
            "base_url": emulator.base_url,
            "api_key": emulator.chat_gateway_api_key,
            "tenant": emulator.tenant_id,
            "queue_id": "102",
            "queues": ["101", "103"],
            # Chat Gateway's events carry no agent names: the operator's directory supplies them.
            "agent_names": {agent.id: agent.name.split(",")[0] for agent in emulator.config.agents},
        },
    }


async def run_demo(*, host: str, port: int, emulator_port: int, mode: str, api: Api = "chat_gateway") -> None:
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
                **demo_api_settings(emulator, api),
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
                    f"  agent console:  {emulator.console_url}   (8x8 emulator, {API_LABELS[api]}, {mode} mode)\n\n"
                    "  Say hello to the bot, ask for an agent, then accept the chat in the console.\n"
                    "  Ctrl-C stops the demo (its data lives in a temporary folder).\n",
                    flush=True,
                )
                await stop.wait()
            finally:
                await runner.cleanup()
