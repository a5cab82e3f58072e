"""The two 8x8 API groups of the settings: Chat Gateway v1 (the default) and Chat API v2 (legacy)."""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr

from gateway.settings_types import CommaList, Group, Region


class ChatApiSettings(Group):
    """8x8 Contact Center Chat API v2, kept for tenants that still have it (8x8 points everyone else to Chat
    Gateway). Optional as a whole; once any field is set, the required ones must be."""

    base_url: AnyHttpUrl
    region: Region
    tenant_id: str = Field(min_length=1)
    api_key: SecretStr = Field(min_length=1)
    api_secret: SecretStr = Field(min_length=1)
    queue_id: str = Field(min_length=1)
    channel_id: str | None = None
    queues: CommaList = Field(default_factory=list)
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    client_max_attempts: int = Field(default=3, ge=1, le=10)
    """Quick retries of one call inside the client; the outbox retries further with its own backoff."""
    webhook_name: str = Field(default="chat-gateway", min_length=1, max_length=255)
    """The Chat API's own webhook (version "v2.0"); set-up never touches Chat Gateway's."""
    channel_name: str = Field(default="chat-gateway", min_length=1, max_length=200)
    """Channels are named "<channel_name> queue <queue id>" and found again by that name."""
    reconcile_interval_s: float = Field(default=300, ge=0)
    """How often to check 8x8 for chats we consider finished that still hold an agent (0: never)."""
    reconcile_window_s: float = Field(default=86400, gt=0)
    """How far back (last activity) the reconciler looks."""
    agent_name: Literal["first", "full", "as_sent"] = "first"
    """How customers see the agent's name, which 8x8 sends as "First,Last": "First", "First Last" or as sent."""
    max_clock_skew_s: float = Field(default=60, gt=0)
    """Webhooks whose x-8x8-transmission-time is further than this from our clock are refused (replays);
    8x8 sets a new transmission time on every retry, so a live delivery is seconds old."""


class ChatGatewaySettings(Group):
    """8x8 Chat Gateway v1, the Chat API's successor. Optional as a whole; once any field is set, the
    required ones must be. Used for new escalations when it is selected (``GATEWAY_CONTACT_CENTER``, or by
    default when configured), and for finishing the conversations it opened whichever API is selected."""

    base_url: AnyHttpUrl
    api_key: SecretStr = Field(min_length=1)
    tenant: str = Field(min_length=1)
    """Sent as ``X-8x8-Tenant``; webhooks for any other tenant are refused."""
    queue_id: str = Field(min_length=1)
    channel_id: str | None = None
    """Pin the channel; without it, set-up finds or creates the webhook and the channel by name at start."""
    queues: CommaList = Field(default_factory=list)
    """More queue ids a handoff may name; they are assigned on the one channel (no channel per queue)."""
    agent_names: dict[str, str] = Field(default_factory=dict)
    """Agent id -> name shown to customers (a JSON object): Chat Gateway's events carry no agent names."""
    agent_display_name: str = Field(default="Agent", min_length=1, max_length=100)
    """The name shown for an agent the directory does not know."""
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    client_max_attempts: int = Field(default=3, ge=1, le=10)
    """Quick retries of one call inside the client; the outbox retries further with its own backoff."""
    webhook_name: str = Field(default="chat-gateway-cgw", min_length=1, max_length=256)
    """Chat Gateway's own webhook (version "Chat Gateway v1.0"); set-up never touches the Chat API's."""
    channel_name: str = Field(default="chat-gateway", min_length=1, max_length=255)
    max_clock_skew_s: float = Field(default=60, gt=0)
    """Webhooks whose x-8x8-transmission-time is further than this from our clock are refused (replays);
    8x8 sets a new transmission time on every retry, so a live delivery is seconds old."""
    reconcile_interval_s: float = Field(default=300, ge=0)
    """How often to check Chat Gateway for chats we consider finished that still hold an agent (0: never)."""
    reconcile_window_s: float = Field(default=86400, gt=0)
    handback: Literal["gateway", "post_agent_assignment"] = "gateway"
    """After the agent: the gateway's own hand-back to its bot (default), or 8x8's post-agent assignment, in
    which the bot goes on inside the same 8x8 conversation (its lines posted as ``bot``) until 8x8's timers."""
    handback_max_total_minutes: int = Field(default=60, ge=20, le=600)
    """Post-agent assignment ``maxTotalMinutes``: 8x8 ends the conversation this long after the agent."""
    handback_user_timeout_minutes: int = Field(default=30, ge=10, le=300)
    """Post-agent assignment ``userTimeoutInMinutes``: 8x8 ends it when the customer is silent this long."""
