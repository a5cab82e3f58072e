"""``chat-gateway emulator``: serve the local 8x8 Chat API v2 and Chat Gateway v1 emulator until SIGINT/SIGTERM.

Mount into another parser with :func:`add_arguments` (options) and :func:`run` (the command), or run
standalone with :func:`main` (``python -m gateway.emulator.cli``). Prints the base URL, tenant, region,
credentials and console URL as the ``GATEWAY_CHAT_API__*`` (or ``GATEWAY_CHAT_GATEWAY__*``) settings that point
a gateway at it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .config import EmulatorConfig, load_config

if TYPE_CHECKING:  # the server is imported when it runs, so `chat-gateway --help` stays quick
    from .handle import Emulator

DEFAULT_MODE = "manual"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``chat-gateway emulator``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port, 0 = any free port (default 8081)")
    parser.add_argument(
        "--mode",
        choices=("auto", "manual"),
        help=f"manual: you are the agent on the console; auto: scripted echo agents "
        f"(default: the config file's mode, else {DEFAULT_MODE})",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="JSON (.json) or TOML file overriding EmulatorConfig fields (queues, agents, timings, …)",
    )
    parser.add_argument("--token-ttl", type=float, metavar="S", help="OAuth token lifetime in seconds")


def build_config(args: argparse.Namespace) -> EmulatorConfig:
    """Defaults, then the ``--config`` file, then the command-line options.

    Raises:
        ValueError: the file is not valid JSON/TOML or a field is invalid (``ValidationError`` is one).
        OSError: the file cannot be read.
    """
    overrides: dict[str, Any] = {"token_ttl": args.token_ttl, "mode": args.mode}
    if args.config:
        config = load_config(args.config, **overrides)
    else:
        config = EmulatorConfig.model_validate({k: v for k, v in overrides.items() if v is not None})
    if "mode" not in config.model_fields_set:  # neither --mode nor the file chose one
        config = EmulatorConfig.model_validate(
            {**config.model_dump(exclude_unset=True), "mode": DEFAULT_MODE}
        )
    return config


def describe(emulator: Emulator) -> str:
    """What to print once the emulator listens."""
    agent_names = json.dumps({a.id: a.name for a in emulator.config.agents}, ensure_ascii=False)
    return (
        f"8x8 emulator: Chat Gateway v1 and Chat API v2 ({emulator.config.mode} mode, "
        f"{emulator.config.profile} profile)\n"
        f"  GATEWAY_CHAT_GATEWAY__BASE_URL={emulator.base_url}\n"
        f"  GATEWAY_CHAT_GATEWAY__API_KEY={emulator.chat_gateway_api_key}\n"
        f"  GATEWAY_CHAT_GATEWAY__TENANT={emulator.tenant_id}\n"
        f"  GATEWAY_CHAT_GATEWAY__QUEUE_ID={emulator.config.queues[0].id}\n"
        f"  GATEWAY_CHAT_GATEWAY__AGENT_NAMES='{agent_names}'\n"
        f"  or, for the legacy Chat API v2 (alone, or with GATEWAY_CONTACT_CENTER=chat_api):\n"
        f"  GATEWAY_CHAT_API__BASE_URL={emulator.base_url}\n"
        f"  GATEWAY_CHAT_API__REGION={emulator.region}\n"
        f"  GATEWAY_CHAT_API__TENANT_ID={emulator.tenant_id}\n"
        f"  GATEWAY_CHAT_API__API_KEY={emulator.api_key}\n"
        f"  GATEWAY_CHAT_API__API_SECRET={emulator.api_secret}\n"
        f"  agent console: {emulator.console_url}"
    )


async def serve(config: EmulatorConfig, *, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM."""
    from .handle import running_emulator

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with running_emulator(config, host=host, port=port) as emulator:
            print(describe(emulator), flush=True)
            await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def run(args: argparse.Namespace) -> int:
    """The command: parsed options in, exit status out (2 = bad configuration, 1 = cannot listen)."""
    try:
        config = build_config(args)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, err["loc"])) or "config"
        print(f"emulator configuration: {where}: {err['msg']}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"emulator configuration: {exc}", file=sys.stderr)
        return 2
    from gateway.logs import configure_logging

    configure_logging(format="console", level="info")
    try:
        asyncio.run(serve(config, host=args.host, port=args.port))
    except OSError as exc:
        print(f"emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="chat-gateway emulator",
        description=(
            "Run the local 8x8 Chat API v2 and Chat Gateway v1 emulator (OAuth or API key, web-hooks, "
            "channels, conversations, signed webhook delivery with retries, queues and agents, agent "
            "console) until SIGINT/SIGTERM."
        ),
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
