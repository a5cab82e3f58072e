"""``chat-gateway``: run the gateway, the demo or the local 8x8 emulator, and inspect configuration.

Configuration comes from ``GATEWAY_*`` environment variables and ``.env`` (see docs/deploying.md). A wrong or
missing setting stops the command with one line naming the variable; nothing else is printed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from gateway.masking import effective_settings, masked, masked_url
from gateway.settings import Settings

__all__ = ["effective_settings", "load_settings", "main", "masked", "masked_url"]

EXIT_CONFIG = 2
PUBLIC_HELP = (
    "allow a --host other than loopback: the agent console has no login and the request log shows "
    "the credentials sent to it"
)


def setting_name(loc: Sequence[int | str]) -> str:
    """The variable to fix, following the settings' own fields: list positions and union-member tags
    that pydantic adds to an error's location are not part of it (``REDACT``, not ``REDACT__1``)."""
    parts: list[str] = []
    model: type[BaseModel] | None = Settings
    for part in loc:
        fields = model.model_fields if model is not None else {}
        if not isinstance(part, str) or part not in fields:
            if isinstance(part, int):
                continue
            break
        parts.append(part)
        model = next(
            (
                arg
                for arg in (fields[part].annotation, *typing.get_args(fields[part].annotation))
                if isinstance(arg, type) and issubclass(arg, BaseModel)
            ),
            None,
        )
    return "GATEWAY_" + "__".join(parts).upper()


def load_settings(**overrides: Any) -> Settings:
    """``Settings()`` from the environment, or ``SystemExit`` with one line naming the bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        name = setting_name(errors[0]["loc"])
        # A union (e.g. "embedded" or a URL) fails once per member: say all of them for this one setting.
        messages = list(dict.fromkeys(e["msg"] for e in errors if setting_name(e["loc"]) == name))
        others = len({setting_name(e["loc"]) for e in errors}) - 1
        more = f" (and {others} more)" if others else ""
        raise SystemExit(f"configuration error: {name}: {' or '.join(messages)}{more}") from None


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = load_settings()
    shown = effective_settings(settings)
    api, why = settings.api_choice()
    shown["contact_center_in_use"] = {"api": api, "why": why}
    print(json.dumps(shown, indent=2, sort_keys=True))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from gateway.app import StartupError, build_app
    from gateway.heap import settle_heap
    from gateway.logs import ACCESS_LOG_FORMAT, configure_logging

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = load_settings(**overrides)
    configure_logging(format=settings.log.format, level=settings.log.level)

    def listening(_msg: str) -> None:
        # Said once the gateway is up: a setting that stops start-up stays the one line printed.
        print(f"chat-gateway listening on http://{settings.host}:{settings.port}", flush=True)
        warn_about_open_defaults(settings)

    try:
        app = build_app(settings)
        app.on_startup.append(settle_heap)  # last: what start-up made is frozen
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            print=listening,
            access_log=logging.getLogger("aiohttp.access") if settings.log.access else None,
            access_log_format=ACCESS_LOG_FORMAT,
            shutdown_timeout=settings.shutdown_timeout_s,
        )
    except StartupError as exc:
        raise SystemExit(f"configuration error: {exc}") from None
    return 0


def warn_about_open_defaults(settings: Settings) -> None:
    """Defaults kept for the demo that a production site must set; said once at start."""
    import structlog

    if "*" in settings.web.allowed_origins:
        structlog.get_logger(__name__).warning(
            "allowed_origins_any",
            setting="GATEWAY_WEB__ALLOWED_ORIGINS",
            hint="any website may open chat sessions with this gateway; list your own sites",
        )


def refuse_public_host(host: str, public: bool, command: str) -> None:
    """``demo`` and ``emulator`` have an unauthenticated agent console and a request log with the
    credentials it was sent: they listen on loopback unless ``--public`` says otherwise."""
    if public or host in ("127.0.0.1", "::1", "localhost") or host.startswith("127."):
        return
    raise SystemExit(
        f"{command}: --host {host} would expose the agent console and the request log (which records "
        "the credentials it receives) to the network without a login; pass --public to do it anyway"
    )


def cmd_setup(args: argparse.Namespace) -> int:
    import asyncio

    from gateway.contact_center.chat_api.wiring import open_chat_api, run_setup
    from gateway.relay.errors import ContactCenterError

    settings = load_settings()
    if settings.api == "chat_gateway":
        return setup_chat_gateway(settings)
    cfg = settings.chat_api
    if cfg is None:
        raise SystemExit("configuration error: GATEWAY_CHAT_API__BASE_URL: the Chat API is not configured")

    async def setup() -> int:
        api = open_chat_api(cfg)
        try:
            result = await run_setup(api, cfg, public_base_url=settings.base_url)
        except ContactCenterError as exc:
            raise SystemExit(f"set-up failed: {exc}") from None
        finally:
            await api.session.close()
        for line in result.changed or ("nothing to change: everything exists",):
            print(line)
        if result.webhook_id:
            print(f"web-hook {result.webhook_id} -> {settings.base_url}/webhooks/8x8")
        print("To pin the default queue's channel in your configuration:")
        print(f"GATEWAY_CHAT_API__CHANNEL_ID={result.channels[cfg.queue_id]}")
        for queue, channel in result.channels.items():
            print(f"  queue {queue}: channel {channel}")
        return 0

    return asyncio.run(setup())


def setup_chat_gateway(settings: Settings) -> int:
    """``setup`` for Chat Gateway: the webhook and the one channel (queues are assigned per conversation)."""
    import asyncio

    from gateway.contact_center.chat_gateway.wiring import WEBHOOK_PATH, open_chat_gateway, run_setup
    from gateway.relay.errors import ContactCenterError

    cfg = settings.chat_gateway
    assert cfg is not None  # the settings require it when it is selected

    async def setup() -> int:
        cgw = open_chat_gateway(cfg)
        try:
            result = await run_setup(cgw.client, cfg, public_base_url=settings.base_url)
        except ContactCenterError as exc:
            raise SystemExit(f"set-up failed: {exc}") from None
        finally:
            await cgw.session.close()
        for line in result.changed or ("nothing to change: everything exists",):
            print(line)
        if result.webhook_id:
            print(f"webhook {result.webhook_id} -> {settings.base_url}{WEBHOOK_PATH}")
        print("To pin the channel in your configuration:")
        print(f"GATEWAY_CHAT_GATEWAY__CHANNEL_ID={result.channel_id}")
        return 0

    return asyncio.run(setup())


def cmd_demo(args: argparse.Namespace) -> int:
    import asyncio

    from gateway.demo import run_demo
    from gateway.logs import configure_logging

    refuse_public_host(args.host, args.public, "demo")
    configure_logging(format="console", level="info")
    asyncio.run(
        run_demo(
            host=args.host, port=args.port, emulator_port=args.emulator_port, mode=args.mode, api=args.api
        )
    )
    return 0


def cmd_transcript(args: argparse.Namespace) -> int:
    import asyncio

    from gateway.app import StartupError, open_store
    from gateway.channels.web.frames import iso
    from gateway.relay.model import ConversationId, StateEntry

    settings = load_settings()

    async def show() -> int:
        try:
            store = await open_store(settings)
        except StartupError as exc:
            raise SystemExit(f"configuration error: {exc}") from None
        try:
            conv = await store.conversation(ConversationId(args.conversation_id))
            if conv is None:
                print(f"no conversation {args.conversation_id} in {settings.store.url}", file=sys.stderr)
                return 1
            print(f"conversation {conv.id}  state={conv.state.value}  8x8={conv.cc_conversation_id or '-'}")
            after = 0
            while entries := await store.entries(conv.id, after=after, limit=500):
                for e in entries:
                    if isinstance(e, StateEntry):
                        detail = e.queue.name or e.queue.id if e.queue else e.agent.name if e.agent else ""
                        line = f"[{e.state.value}] {detail}".rstrip()
                    else:
                        who = e.agent.name if e.agent else e.author.value
                        line = f"{who}: {e.text or e.image or ''}"
                    print(f"{e.seq:>5}  {iso(e.ts)}  {line}")
                after = entries[-1].seq
            return 0
        finally:
            await store.close()

    return asyncio.run(show())


def cmd_purge(args: argparse.Namespace) -> int:
    from gateway.purge_command import run_purge

    return run_purge(args)


def cmd_emulator(args: argparse.Namespace) -> int:
    from gateway.emulator.cli import run

    refuse_public_host(args.host, args.public, "emulator")
    return run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chat-gateway",
        description=(
            "Chatbot-first escalation gateway: a bot answers website chat first and hands over to "
            "8x8 Contact Center agents when a person is needed."
        ),
        epilog="Settings: GATEWAY_* environment variables or a .env file; see `chat-gateway check-config`.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve", help="run the gateway", description="Run the gateway until SIGINT/SIGTERM."
    )
    serve.add_argument("--host", help="address to listen on (default: GATEWAY_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: GATEWAY_PORT, 8080)")
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser(
        "demo",
        help="gateway + embedded bot + local 8x8 emulator with its agent console",
        description=(
            "Run the gateway with the embedded bot against a local 8x8 emulator (Chat Gateway v1; "
            "--api chat_api for the legacy Chat API v2), and print the customer page and the agent console URLs. Open them in two browser tabs: play the customer in "
            "one and the agent in the other. Ignores GATEWAY_* settings; data lives in a temporary folder."
        ),
    )
    demo.add_argument("--host", default="127.0.0.1", help="address for both servers (default 127.0.0.1)")
    demo.add_argument("--port", type=int, default=8080, help="gateway port (default 8080)")
    demo.add_argument("--emulator-port", type=int, default=8081, help="emulator port (default 8081)")
    demo.add_argument(
        "--mode",
        choices=("manual", "auto"),
        default="manual",
        help="manual: you are the agent (default); auto: an echo agent",
    )
    demo.add_argument(
        "--api",
        choices=("chat_gateway", "chat_api"),
        default="chat_gateway",
        help="the 8x8 API the gateway uses: chat_gateway (default) or chat_api (v2, for tenants that still have it)",
    )
    demo.add_argument("--public", action="store_true", help=PUBLIC_HELP)
    demo.set_defaults(func=cmd_demo)

    emulator = sub.add_parser(
        "emulator",
        help="a local 8x8 (Chat Gateway v1 and Chat API v2) with its agent console, for development and tests",
        description=(
            "Run the local 8x8 emulator (Chat Gateway v1 and the legacy Chat API v2): webhooks, channels, "
            "conversations, signed webhook delivery with retries, queues and agents, and an agent console page. "
            "Prints the GATEWAY_CHAT_GATEWAY__* (and GATEWAY_CHAT_API__*) values that point a gateway at it."
        ),
    )
    from gateway.emulator.cli import add_arguments as add_emulator_arguments

    add_emulator_arguments(emulator)
    emulator.add_argument("--public", action="store_true", help=PUBLIC_HELP)
    emulator.set_defaults(func=cmd_emulator)

    check = sub.add_parser(
        "check-config",
        help="print the effective settings, secrets masked, and which 8x8 API is in use and why",
        description=(
            "Validate the settings and print them as JSON with every secret masked; "
            "`contact_center_in_use` names the 8x8 API new escalations use and why."
        ),
    )
    check.set_defaults(func=cmd_check_config)

    setup = sub.add_parser(
        "setup",
        help="find or create the 8x8 webhook and channels of the API in use, print their ids",
        description=(
            "For the API in use (see check-config): find or create its webhook and channel (Chat Gateway: "
            "GATEWAY_PUBLIC_URL/webhooks/8x8/chat-gateway and one channel; Chat API v2: "
            "GATEWAY_PUBLIC_URL/webhooks/8x8 and one channel per queue), reusing existing ones by name and "
            "version, and print the ids to pin in configuration. `serve` does the same at start when no "
            "channel id is set."
        ),
    )
    setup.set_defaults(func=cmd_setup)

    transcript = sub.add_parser(
        "transcript",
        help="print a conversation's transcript from the store",
        description="Print every transcript entry of one conversation (GATEWAY_STORE__URL), oldest first.",
    )
    transcript.add_argument("conversation_id", help="the gateway's conversation id (8x8's customerId)")
    transcript.set_defaults(func=cmd_transcript)

    purge = sub.add_parser(
        "purge",
        help="delete conversations and everything of theirs (erasure on request, or retention)",
        description=(
            "Delete the named conversations (the gateway's conversation ids, 8x8's customerId/userId) with "
            "their transcripts, files, session tokens and pending work; or, with --expired, every closed "
            "conversation past GATEWAY_RETENTION__CLOSED_DAYS. Works on SQLite and Redis stores. "
            "The contact center keeps its own copy: erase it there too."
        ),
    )
    purge.add_argument("conversation_ids", nargs="*", metavar="ID", help="conversation ids to delete")
    purge.add_argument("--expired", action="store_true", help="delete what retention would delete now")
    purge.set_defaults(func=cmd_purge)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
