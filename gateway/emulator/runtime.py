"""Everything one running emulator holds, built once by ``build_emulator_app`` and stored under
``runtime_key`` — handlers, the console and the :class:`~gateway.emulator.handle.Emulator` handle share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .agents import AutoAgents
from .auth import TokenStore
from .config import EmulatorConfig
from .delivery import Deliverer
from .faults import Faults
from .idempotency import IdempotencyCache
from .lifecycle import Lifecycle
from .signing import Signer
from .state import Store, now_ms


@dataclass
class RecordedRequest:
    """One request the emulator received (test support): what a test may assert a client sent."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    received_at_ms: int = field(default_factory=now_ms)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.text,
            "status": self.status,
            "receivedAt": self.received_at_ms,
        }


@dataclass
class Runtime:
    config: EmulatorConfig
    store: Store
    tokens: TokenStore
    signer: Signer
    faults: Faults
    deliverer: Deliverer
    lifecycle: Lifecycle
    idempotency: IdempotencyCache
    requests: list[RecordedRequest] = field(default_factory=list)

    @classmethod
    def create(cls, config: EmulatorConfig) -> Runtime:
        store = Store()
        if config.strict:
            store.shared_webhooks = True
            store.open_end = "null"
        store.list_lag_ms = int(config.list_lag * 1000)
        signer = Signer()
        faults = Faults()
        deliverer = Deliverer(config, signer, store, faults)
        lifecycle = Lifecycle(config, store, deliverer, faults)
        if config.mode == "auto":
            lifecycle.listeners.append(AutoAgents(config, lifecycle))
        return cls(
            config=config,
            store=store,
            tokens=TokenStore(config.token_ttl),
            signer=signer,
            faults=faults,
            deliverer=deliverer,
            lifecycle=lifecycle,
            idempotency=IdempotencyCache(config.idempotency_ttl),
        )


runtime_key = web.AppKey("runtime", Runtime)
