"""Gateway settings that point at the 8x8 emulator: the Chat API v2 group, the Chat Gateway group, or either."""

from __future__ import annotations

from typing import Any

from gateway.emulator.handle import Emulator


def chat_api_settings(cc: Emulator, **overrides: Any) -> dict[str, Any]:
    return {
        "base_url": cc.base_url,
        "region": cc.region,
        "tenant_id": cc.tenant_id,
        "api_key": cc.api_key,
        "api_secret": cc.api_secret,
        "queue_id": "101",
        "queues": ["102"],
        **overrides,
    }


def chat_gateway_settings(cc: Emulator, **overrides: Any) -> dict[str, Any]:
    """Chat Gateway on the emulator. Its events carry no agent names: the directory is the emulator's agents."""
    return {
        "base_url": cc.base_url,
        "api_key": cc.config.chat_gateway_api_key,
        "tenant": cc.tenant_id,
        "queue_id": "101",
        "queues": ["102"],
        # The operator names agents as customers should see them (8x8 sends "First,Last" on the Chat API).
        "agent_names": {agent.id: agent.name.split(",")[0] for agent in cc.config.agents},
        **overrides,
    }


def api_settings(cc: Emulator, api: str) -> dict[str, Any]:
    """The settings that point a gateway at ``api`` (and only at it) on the emulator."""
    if api == "chat_gateway":
        return {"contact_center": "chat_gateway", "chat_gateway": chat_gateway_settings(cc)}
    return {"contact_center": "chat_api", "chat_api": chat_api_settings(cc)}


def operation(api: str, name: str) -> str:
    """The emulator's name of an operation (for ``fail_next``) on ``api``."""
    return f"cgw_{name}" if api == "chat_gateway" else name
