"""``chat-gateway purge``: erasure on request (a customer's conversations, by id), or the retention
sweep once (``--expired``), on whichever store ``GATEWAY_STORE__URL`` names."""

from __future__ import annotations

import argparse
import sys


def run_purge(args: argparse.Namespace) -> int:
    """Erasure on request (one customer's conversations, by id), or the retention sweep once."""
    import asyncio

    from gateway.app import StartupError, open_store
    from gateway.cli import load_settings, masked_url
    from gateway.relay.model import ConversationId
    from gateway.retention import Purgeable, purge_expired

    settings = load_settings()
    if not args.conversation_ids and not args.expired:
        raise SystemExit(
            "purge: name conversation ids, or --expired for what is past GATEWAY_RETENTION__CLOSED_DAYS"
        )

    async def purge() -> int:
        try:
            store = await open_store(settings)
        except StartupError as exc:
            raise SystemExit(f"configuration error: {exc}") from None
        try:
            assert isinstance(store, Purgeable)
            if args.expired:
                count = await purge_expired(store, closed_days=settings.retention.closed_days)
            else:
                ids = [ConversationId(i) for i in args.conversation_ids]
                count = await store.purge(ids)
                if count < len(ids):
                    print(f"{len(ids) - count} of the ids named no stored conversation", file=sys.stderr)
            print(f"purged {count} conversation(s) from {masked_url(settings.store.url)}")
            return 0
        finally:
            await store.close()

    return asyncio.run(purge())
