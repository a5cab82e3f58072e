"""Emulator settings: tenant, credentials, queues, agents, timings.

A built-in default lets ``chat-gateway emulator`` run with no file; a JSON or TOML file (same field names)
overrides any subset of it. Durations are seconds (floats, so tests can use fractions).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

REGIONS = ("us", "eu", "ca", "ap")
LANGUAGES = [
    "en",
    "ru",
    "de",
    "ja",
    "es",
    "fr",
    "pt",
    "it",
    "pl",
    "hr",
    "nl",
    "ar",
    "da",
    "ko",
    "no",
    "sv",
    "vi",
    "cy",
    "th",
    "zh-CN",
    "zh-TW",
]  # spec §4.3


class QueueConfig(BaseModel):
    """A Contact Center queue a channel can route to."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)


class AgentConfig(BaseModel):
    """An agent: serves ``queues``; busy once ``capacity`` conversations are open; empty ``languages`` = all."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    queues: list[str]
    capacity: int = Field(default=1, ge=1)
    languages: list[str] = Field(default_factory=list)


DEFAULT_QUEUES = [
    QueueConfig(id="101", name="Billing"),
    QueueConfig(id="102", name="Support"),
    QueueConfig(id="103", name="Sales"),
]
DEFAULT_AGENTS = [
    AgentConfig(id="alice", name="Alice,Anders", queues=["101", "102"]),
    AgentConfig(id="bob", name="Bob,Brown", queues=["101", "102", "103"]),
    AgentConfig(id="carol", name="Carol,Chen", queues=["102", "103"]),
]


class EmulatorConfig(BaseModel):
    """Everything the emulator needs; ``build_emulator_app(config)`` reads nothing else."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: str = "TheTenant"
    customer_id: str = "vccEmulatorCustomer"
    regions: list[str] = Field(default_factory=lambda: list(REGIONS))
    api_key: str = "emulatorKey"
    api_secret: SecretStr = SecretStr("emulatorSecret")
    token_ttl: float = Field(default=1799.0, gt=0)
    chat_gateway_api_key: str = Field(default="emulatorChatGatewayKey", min_length=1)
    chat_gateway_tenant_required: bool = False  # spec: "mandatory if customer has more than one CC tenant"
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)

    queues: list[QueueConfig] = Field(default_factory=lambda: list(DEFAULT_QUEUES))
    agents: list[AgentConfig] = Field(default_factory=lambda: list(DEFAULT_AGENTS))

    profile: Literal["strict", "lenient"] = "strict"
    """strict (the default): only what 8x8 documents. It honours no Idempotency-Key, sends WEB_HOOK_VERIFY
    unsigned, reports ``"endTime": null`` for open interactions, and keeps one webhook list that both APIs
    see. lenient: the older emulator (Idempotency-Key replays, signed verify, ``endTime`` left out, a
    webhook list per API)."""
    list_lag: float = Field(default=0.0, ge=0)
    """Conversation lists leave out conversations younger than this (8x8's lists may lag)."""

    mode: Literal["auto", "manual"] = "auto"
    auto_join_delay: float = Field(default=1.0, ge=0)
    auto_reply_delay: float = Field(default=0.0, ge=0)
    auto_replies: list[str] = Field(default_factory=lambda: ["Agent echo: {text}"], min_length=1)
    auto_greeting: str | None = None
    queued_delay: float = Field(default=0.0, ge=0)

    retry_delays: list[float] = Field(default_factory=lambda: [1.0, 10.0, 30.0, 90.0])
    retry_scale: float = Field(default=1.0, ge=0)
    delivery_timeout: float = Field(default=10.0, gt=0)
    verify_timeout: float = Field(default=5.0, gt=0)
    idempotency_ttl: float = Field(default=86400.0, gt=0)
    hang_seconds: float = Field(default=300.0, gt=0)

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, value: list[str]) -> list[str]:
        unknown = [r for r in value if r not in REGIONS]
        if unknown or not value:
            raise ValueError(f"regions must be a non-empty subset of {list(REGIONS)}")
        return value

    @model_validator(mode="after")
    def _agents_serve_known_queues(self) -> EmulatorConfig:
        queue_ids = [q.id for q in self.queues]
        if len(set(queue_ids)) != len(queue_ids):
            raise ValueError("queue ids must be unique")
        agent_ids = [a.id for a in self.agents]
        if len(set(agent_ids)) != len(agent_ids):
            raise ValueError("agent ids must be unique")
        for agent in self.agents:
            for qid in agent.queues:
                if qid not in queue_ids:
                    raise ValueError(f"agent {agent.id} serves unknown queue {qid}")
        return self

    @property
    def strict(self) -> bool:
        return self.profile == "strict"

    @property
    def region(self) -> str:
        """The primary region (the first configured one)."""
        return self.regions[0]

    def queue(self, queue_id: str) -> QueueConfig | None:
        return next((q for q in self.queues if q.id == queue_id), None)


def load_config(path: str | Path, **overrides: Any) -> EmulatorConfig:
    """Read a JSON (``.json``) or TOML (anything else) file over the defaults; ``overrides`` win."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    if "emulator" in data and isinstance(data["emulator"], dict):
        data = data["emulator"]
    data.update({k: v for k, v in overrides.items() if v is not None})
    return EmulatorConfig.model_validate(data)
