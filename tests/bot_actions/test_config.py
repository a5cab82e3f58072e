"""BOT_ACTIONS_* parsing: the action server is configured only through its environment, so a list in one
variable must parse both ways and a bad value must name the variable without echoing it."""

from __future__ import annotations

import pytest

from bot_actions import (
    ActionHandBack,
    ActionHandoffToAgent,
    ActionOfferAgent,
    BotActionsConfigError,
    load_config,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("order_id", ("order_id",)),
        (" order_id , tier,,", ("order_id", "tier")),
        ('["order_id", "tier"]', ("order_id", "tier")),
        ("", ()),
        ("[]", ()),
    ],
)
def test_context_slots_comma_separated_or_json(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: tuple[str, ...]
) -> None:
    monkeypatch.setenv("BOT_ACTIONS_CONTEXT_SLOTS", raw)

    assert load_config().context_slots == expected


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("BOT_ACTIONS_CONTEXT_SLOTS", "[oops"),
        ("BOT_ACTIONS_CONTEXT_SLOTS", '["ok", ""]'),
        ("BOT_ACTIONS_CONTEXT_SLOTS", "[1, 2]"),
        ("BOT_ACTIONS_QUEUE_SLOT", ""),
        ("BOT_ACTIONS_HANDOFF_INTENT", "/human_handoff"),
        ("BOT_ACTIONS_HANDOFF_CHANNELS", " , "),
        ("BOT_ACTIONS_GATEWAY_URL", "gateway.example.com"),
        ("BOT_ACTIONS_AVAILABILITY_TIMEOUT_S", "soon"),
        ("BOT_ACTIONS_AVAILABILITY_TIMEOUT_S", "-1"),
        ("BOT_ACTIONS_AVAILABLE_SLOT", ""),
    ],
)
def test_bad_value_names_the_variable_only(monkeypatch: pytest.MonkeyPatch, name: str, raw: str) -> None:
    monkeypatch.setenv(name, raw)

    with pytest.raises(BotActionsConfigError) as info:
        load_config()

    message = str(info.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message
    if raw:
        assert raw not in message


def test_env_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_ACTIONS_CONNECTING_TEXT", "")
    monkeypatch.setenv("bot_actions_queue_slot", "team")  # names are case-insensitive
    monkeypatch.setenv("BOT_ACTIONS_HANDBACK_FAILED_TEXT", "No one is free.")

    config = load_config()

    assert (config.connecting_text, config.queue_slot, config.handback_failed_text) == (
        "",
        "team",
        "No one is free.",
    )
    assert config.default_reason == "customer_asked"
    assert config.requested_slot == "handoff_requested"


def test_actions_build_without_arguments_even_with_a_bad_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_ACTIONS_QUEUE_SLOT", "")

    names = [cls().name() for cls in (ActionHandoffToAgent, ActionHandBack, ActionOfferAgent)]

    assert names == ["action_handoff_to_agent", "action_hand_back", "action_offer_agent"]


def test_availability_and_channel_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_ACTIONS_HANDOFF_CHANNELS", "web, facebook")
    monkeypatch.setenv("BOT_ACTIONS_GATEWAY_URL", " https://gw.example.com/ ")
    monkeypatch.setenv("BOT_ACTIONS_GATEWAY_TOKEN", "s3cret")
    monkeypatch.setenv("BOT_ACTIONS_AVAILABILITY_TIMEOUT_S", "2.5")

    config = load_config()

    assert config.handoff_channels == ("web", "facebook")
    assert (config.gateway_url, config.gateway_token, config.availability_timeout_s) == (
        "https://gw.example.com/",
        "s3cret",
        2.5,
    )
    assert "s3cret" not in repr(config)
    assert config.handoff_allowed_on("facebook")
    assert not config.handoff_allowed_on(None)
