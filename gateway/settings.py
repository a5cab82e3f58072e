"""The gateway's settings: one typed tree, read from ``GATEWAY_*`` environment variables and ``.env``.

Nested groups use ``__``: ``GATEWAY_CHAT_API__TENANT_ID`` is ``settings.chat_api.tenant_id``.
``build_app(settings)`` never reads the environment itself; only ``Settings()`` does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gateway.settings_8x8 import ChatApiSettings, ChatGatewaySettings
from gateway.settings_types import Api, CommaList, HandbackMode, Region, split_commas
from gateway.settings_types import Group as _Group

DEFAULT_RULES = Path(__file__).parent / "bots" / "default_rules.toml"


__all__ = ["Api", "ChatApiSettings", "ChatGatewaySettings", "CommaList", "HandbackMode", "Region", "Settings"]


class BotSettings(_Group):
    url: Literal["embedded"] | AnyHttpUrl = "embedded"
    """Rasa's base URL, or ``embedded`` for the built-in rule bot."""
    rules_file: Path = DEFAULT_RULES
    timeout_s: float = Field(default=15.0, gt=0, le=300)
    empty_replies_before_offer: int = Field(default=2, ge=0)
    agent_request_payload: str = Field(default="/agent", min_length=1)
    """A customer line equal to this escalates directly, even when the bot is down."""
    unavailable_text: str = "Sorry, the assistant is unavailable right now."
    offer_agent_title: str = "Talk to a person"
    thinking_after_s: float = Field(default=0.3, ge=0)
    """An answer slower than this shows the customer the assistant typing meanwhile."""
    token: SecretStr | None = None
    """Token of Rasa's HTTP API (``rasa run --enable-api --auth-token``), used to resume after a handoff."""
    handback_intent: str = Field(default="agent_left", min_length=1, pattern=r"^[\w-]+$")
    """Intent triggered after an escalation so the bot speaks first again (carries outcome, agent, duration)."""
    handback_mode: HandbackMode = "trigger_intent"
    """How the bot hears of the hand-back: ``trigger_intent`` (Rasa Open Source rules) or ``message``, a REST
    message ``/<handback_intent>{"outcome": ...}`` that a Rasa Pro (CALM) flow's ``nlu_trigger`` matches."""
    resume_retry_base_s: float = Field(default=1.0, gt=0)
    resume_retry_cap_s: float = Field(default=60.0, gt=0)
    """A failed resume of a Rasa conversation is retried after base, 2 x base, ... up to cap seconds."""


class StoreSettings(_Group):
    url: str = "sqlite:///gateway.db"
    synchronous: Literal["full", "normal"] = "full"
    """SQLite fsync level: ``full`` survives power loss, ``normal`` survives a killed process."""
    prefix: str = Field(default="gw:", min_length=1, max_length=64, pattern=r"^[\w:.-]+$")
    """Redis: every key starts with this, so several deployments can share one Redis."""
    lease_s: float = Field(default=15.0, ge=0.2, le=600)
    """Redis: how long an instance's claim on a conversation's work (contact-center delivery, webhook
    events) and on the timers lasts unrenewed; a dead instance's work moves to another after this."""
    processed_ttl_s: float = Field(default=7 * 86400, ge=60)
    """Redis: how long the ids of applied contact-center events are kept to refuse a repeated delivery."""

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value.startswith("sqlite:///") and len(value) > len("sqlite:///"):
            return value
        if value.startswith(("redis://", "rediss://")):
            return value
        raise ValueError("must be sqlite:///relative.db, sqlite:////absolute.db or redis://host:port/db")


class RelaySettings(_Group):
    inactivity_timeout_s: float = Field(default=900, gt=0)
    open_max_attempts: int = Field(default=6, ge=1)
    """How often creating the contact-center conversation is tried before the customer is told it failed."""
    retry_base_s: float = Field(default=0.5, gt=0)
    retry_cap_s: float = Field(default=30.0, gt=0)
    redact: Annotated[list[Literal["card", "email"]], NoDecode, BeforeValidator(split_commas)] = Field(
        default_factory=list
    )
    """Remove these from everything handed to the agent (comma-separated: card, email)."""
    redact_patterns: list[str] = Field(default_factory=list)
    """More regular expressions to remove (a JSON list), e.g. ["\\bACC-\\d{8}\\b"]."""
    inactivity_warning_s: float = Field(default=60, ge=0)
    """Warn this long before the inactivity timeout closes a chat (0: no warning)."""
    inactivity_warning_text: str = "Are you still there? This chat will close soon if there is no reply."
    queue_notice_text: str = (
        "You are in the queue for {queue}. An agent will be with you as soon as possible."
    )
    """Said when 8x8 queues the chat ({queue} is the queue's name); empty: say nothing."""
    queue_offer_after_s: float = Field(default=120, ge=0)
    """After this long in a queue, offer to keep waiting or go back to the assistant (0: never)."""
    queue_offer_text: str = "All our agents are still busy. Would you like to keep waiting?"
    keep_waiting_title: str = "Keep waiting"
    back_to_bot_title: str = "Back to the assistant"
    keep_waiting_payload: str = "/wait"
    back_to_bot_payload: str = "/bot"
    max_queue_wait_s: float = Field(default=900, ge=0)
    """Give up waiting after this long: leave the queue and hand back to the bot (0: never)."""
    queue_timeout_text: str = (
        "Sorry, no agent could take your chat. Leave your e-mail address and we will get back to you."
    )
    overflow_queue_id: str = ""
    """After ``overflow_after_s`` in its queue, move the chat to this queue (Chat Gateway only); empty: never."""
    overflow_after_s: float = Field(default=300, gt=0)
    """How long a chat waits in its first queue before it is moved to the overflow queue."""
    overflow_text: str = "All our agents there are still busy, so more colleagues can now take your chat."
    no_agent_text: str = "Sorry, no agent is available right now. The assistant is here to help meanwhile."
    undeliverable_text: str = "Sorry, your last message could not be delivered to the agent."

    @field_validator("redact_patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value


class HoursSettings(_Group):
    weekly: str = ""
    """When agents are there, e.g. "mon-fri 08:00-18:00, sat 10:00-14:00"; empty means always."""
    timezone: str = "UTC"
    closed_text: str = ""
    """Said when a handoff comes outside the hours; empty: the weekly hours in words, e.g. "Our agents are
    available Monday to Friday 08:00-18:00 (UTC). The assistant is here to help meanwhile." """

    @field_validator("weekly")
    @classmethod
    def _weekly_parses(cls, value: str) -> str:
        from gateway.relay.hours import BusinessHours

        BusinessHours.parse(value, "UTC")  # ValueError names the part that is wrong
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use a name like Europe/London)") from None
        return value


class LimitsSettings(_Group):
    max_text_chars: int = Field(default=4000, ge=1)
    max_frame_bytes: int = Field(default=64 * 1024, ge=256)
    ws_max_msg_size: int = Field(default=1024 * 1024, ge=1024)
    messages_per_second: float = Field(default=10, gt=0)
    burst: int = Field(default=20, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    address_rate: float = Field(default=30, gt=0)
    """Customer writes (session starts and messages) per second from one address, bursts up to address_burst."""
    address_burst: int = Field(default=100, ge=1)
    max_sockets_per_address: int = Field(default=50, ge=1)
    max_sockets: int = Field(default=10_000, ge=1)
    """Open customer sockets on one instance; more are refused with 503 (a balancer tries another)."""
    socket_queue_size: int = Field(default=256, ge=1)
    """Batches of frames waiting for one customer socket; a socket that falls further behind is closed
    with 1013 (try again later) and resumes from its last seq."""
    socket_send_timeout_s: float = Field(default=10.0, gt=0)
    """A socket that takes longer than this to accept one frame (it stopped reading) is closed."""
    typing_interval_s: float = Field(default=2.0, ge=0)
    """The customer's typing reaches the agent at most this often per chat (where the contact center shows it)."""

    @model_validator(mode="after")
    def _frame_below_socket_limit(self) -> LimitsSettings:
        if self.max_frame_bytes >= self.ws_max_msg_size:
            raise ValueError(
                "max_frame_bytes must be below ws_max_msg_size, so an oversize frame gets an error"
            )
        return self


DEFAULT_FILE_TYPES = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
]


class AttachmentSettings(_Group):
    """Files the customer sends to an agent (``POST /chat/sessions/{id}/attachments``)."""

    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=100 * 1024 * 1024)
    allowed_types: CommaList = Field(default_factory=lambda: list(DEFAULT_FILE_TYPES))
    """Media types accepted (exact, lower case); the content must look like the type it claims."""
    fetch_timeout_s: float = Field(default=20.0, gt=0, le=300)
    """How long fetching an agent's file from the contact center may take."""
    uploads_in_flight: int = Field(default=4, ge=1)
    """Uploads read at once by one instance (each is held in memory up to max_bytes while it is read)."""
    uploads_per_address: int = Field(default=2, ge=1)
    uploads_per_session: int = Field(default=1, ge=1)
    upload_timeout_s: float = Field(default=120.0, gt=0)
    """An upload whose body takes longer than this is cut off with 408."""
    upload_idle_timeout_s: float = Field(default=10.0, gt=0)
    """An upload whose body stops arriving for this long is cut off with 408."""

    @field_validator("allowed_types")
    @classmethod
    def _media_types(cls, value: list[str]) -> list[str]:
        for item in value:
            if not re.fullmatch(r"[a-z0-9][\w.+-]*/[a-z0-9][\w.+-]*", item):
                raise ValueError(f"{item!r} is not a media type like image/png")
        return value


class WebSettings(_Group):
    allowed_origins: CommaList = Field(default_factory=lambda: ["*"])
    trust_forwarded_for: bool = False
    """Take the client address from X-Forwarded-For — only behind proxies that set or append to it."""
    trusted_proxies: int = Field(default=1, ge=1, le=10)
    """How many proxies in front of the gateway append to X-Forwarded-For: the client's address is that
    many entries from the right (the entries further left are written by the client and never trusted)."""

    @field_validator("allowed_origins")
    @classmethod
    def _no_trailing_slash(cls, value: list[str]) -> list[str]:
        return [origin.rstrip("/") for origin in value]


class RetentionSettings(_Group):
    """How long customer data is kept (``chat-gateway purge`` deletes one customer's on request)."""

    closed_days: float = Field(default=30, ge=0)
    """Closed conversations, with their transcripts, files and session tokens, are deleted this many
    days after their last activity (0: never)."""
    token_hours_after_close: float = Field(default=24, ge=0)
    """A closed chat's session token is refused this many hours after its last activity, so a leaked
    token does not reopen it forever (0: always refused once closed)."""
    file_link_days: float = Field(default=30, gt=0)
    """A file's link stops working this many days after the file was stored."""
    max_file_bytes_per_conversation: int = Field(default=50 * 1024 * 1024, ge=0)
    """The customer's files in one conversation may add up to this many bytes; more are refused."""
    purge_interval_s: float = Field(default=3600, gt=0)
    """How often each instance deletes what is past ``closed_days``."""


class MetricsSettings(_Group):
    token: SecretStr | None = None
    """``/metrics`` answers only to ``Authorization: Bearer <token>``."""
    port: int | None = Field(default=None, ge=1, le=65535)
    """Serve ``/metrics`` on this separate port instead, without a token (keep it private)."""


class LogSettings(_Group):
    format: Literal["json", "console"] = "json"
    level: Literal["debug", "info", "warning", "error"] = "info"
    access: bool = False
    """aiohttp's access log (one line per HTTP request, through the same JSON formatter)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
        frozen=True,
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: AnyHttpUrl | None = None
    """Base URL at which 8x8 reaches this gateway (the webhook is ``{public_url}/webhooks/8x8``)."""
    contact_center: Api | None = None
    """Which 8x8 API new escalations use; conversations keep the API that opened them. Unset: the API whose
    group is given, Chat Gateway when both are (``api`` and ``api_reason`` hold the outcome)."""
    shutdown_timeout_s: float = Field(default=10.0, gt=0, le=300)
    """On SIGTERM: how long in-flight requests and contact-center deliveries may take before exit."""
    bot: BotSettings = BotSettings()
    chat_api: ChatApiSettings | None = None
    chat_gateway: ChatGatewaySettings | None = Field(default=None, validate_default=True)
    store: StoreSettings = StoreSettings()
    relay: RelaySettings = RelaySettings()
    limits: LimitsSettings = LimitsSettings()
    attachments: AttachmentSettings = AttachmentSettings()
    web: WebSettings = WebSettings()
    log: LogSettings = LogSettings()
    hours: HoursSettings = HoursSettings()
    metrics: MetricsSettings = MetricsSettings()
    retention: RetentionSettings = RetentionSettings()

    @field_validator("chat_gateway")
    @classmethod
    def _selected_api_configured(
        cls, value: ChatGatewaySettings | None, info: ValidationInfo
    ) -> ChatGatewaySettings | None:
        if value is None and info.data.get("contact_center") == "chat_gateway":
            raise ValueError("required when GATEWAY_CONTACT_CENTER is chat_gateway (BASE_URL, API_KEY, ...)")
        return value

    @property
    def api(self) -> Api:
        """The API new escalations use: ``contact_center`` when set, else the one configured, else Chat Gateway."""
        return self.api_choice()[0]

    @property
    def api_reason(self) -> str:
        """Why ``api`` is that API, in one sentence for ``check-config``."""
        return self.api_choice()[1]

    def api_choice(self) -> tuple[Api, str]:
        if self.contact_center is not None:
            return self.contact_center, "GATEWAY_CONTACT_CENTER says so"
        if self.chat_gateway is not None and self.chat_api is not None:
            return "chat_gateway", (
                "GATEWAY_CONTACT_CENTER is unset and both groups are configured: Chat Gateway is preferred "
                "(Chat API v2 keeps serving the conversations it opened)"
            )
        if self.chat_api is not None:
            return "chat_api", "GATEWAY_CONTACT_CENTER is unset and only GATEWAY_CHAT_API__* is configured"
        if self.chat_gateway is not None:
            return "chat_gateway", (
                "GATEWAY_CONTACT_CENTER is unset and only GATEWAY_CHAT_GATEWAY__* is configured"
            )
        return "chat_gateway", (
            "no 8x8 API is configured (GATEWAY_CHAT_GATEWAY__* or GATEWAY_CHAT_API__*): escalations tell the "
            "customer no agent is available"
        )

    @property
    def base_url(self) -> str:
        if self.public_url is not None:
            return str(self.public_url).rstrip("/")
        return f"http://{self.host}:{self.port}"
