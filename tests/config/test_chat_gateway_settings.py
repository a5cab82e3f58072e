"""The Chat Gateway group: chosen by GATEWAY_CONTACT_CENTER, all-or-nothing, its directory, its secret masked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gateway.cli import effective_settings, load_settings, main

CHAT_GATEWAY = {
    "GATEWAY_CHAT_GATEWAY__BASE_URL": "https://api.8x8.com",
    "GATEWAY_CHAT_GATEWAY__API_KEY": "cgw-very-secret",
    "GATEWAY_CHAT_GATEWAY__TENANT": "Acme",
    "GATEWAY_CHAT_GATEWAY__QUEUE_ID": "101",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def _set(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_choosing_chat_gateway_without_its_settings_stops_start_up_naming_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEWAY_CONTACT_CENTER", "chat_gateway")
    with pytest.raises(SystemExit, match=r"GATEWAY_CHAT_GATEWAY: .*required when GATEWAY_CONTACT_CENTER"):
        load_settings()
    monkeypatch.setenv("GATEWAY_CONTACT_CENTER", "chat_gw")
    with pytest.raises(SystemExit, match=r"GATEWAY_CONTACT_CENTER: .*'chat_api' or 'chat_gateway'"):
        load_settings()


def test_the_group_is_all_or_nothing_and_reads_the_directory_and_queues(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEWAY_CHAT_GATEWAY__BASE_URL", "https://api.8x8.com")
    with pytest.raises(SystemExit, match="GATEWAY_CHAT_GATEWAY__API_KEY: Field required"):
        load_settings()
    _set(monkeypatch, CHAT_GATEWAY)
    monkeypatch.setenv("GATEWAY_CONTACT_CENTER", "chat_gateway")
    monkeypatch.setenv("GATEWAY_CHAT_GATEWAY__QUEUES", "102, 103")
    monkeypatch.setenv("GATEWAY_CHAT_GATEWAY__AGENT_NAMES", '{"agent-1": "Alex"}')
    settings = load_settings()
    assert settings.chat_gateway is not None
    assert settings.chat_gateway.queues == ["102", "103"]
    assert settings.chat_gateway.agent_names == {"agent-1": "Alex"}
    assert settings.chat_api is None  # Chat Gateway alone is a complete configuration


def test_the_api_key_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, CHAT_GATEWAY)
    shown = str(effective_settings(load_settings()))
    assert "cgw-very-secret" not in shown
    assert "Acme" in shown


CHAT_API = {
    "GATEWAY_CHAT_API__BASE_URL": "https://api.8x8.com",
    "GATEWAY_CHAT_API__REGION": "us",
    "GATEWAY_CHAT_API__TENANT_ID": "Acme",
    "GATEWAY_CHAT_API__API_KEY": "v2-key",
    "GATEWAY_CHAT_API__API_SECRET": "v2-secret",
    "GATEWAY_CHAT_API__QUEUE_ID": "101",
}


@pytest.mark.parametrize(
    ("groups", "api", "why"),
    [
        ([CHAT_GATEWAY], "chat_gateway", "only GATEWAY_CHAT_GATEWAY__"),
        ([CHAT_API], "chat_api", "only GATEWAY_CHAT_API__"),  # a v2-only deployment keeps working unchanged
        ([CHAT_API, CHAT_GATEWAY], "chat_gateway", "both groups are configured"),
        ([], "chat_gateway", "no 8x8 API is configured"),
    ],
)
def test_without_contact_center_the_configured_group_decides_and_chat_gateway_wins_a_tie(
    monkeypatch: pytest.MonkeyPatch, groups: list[dict[str, str]], api: str, why: str
) -> None:
    for group in groups:
        _set(monkeypatch, group)
    settings = load_settings()
    assert settings.contact_center is None
    assert settings.api == api
    assert why in settings.api_reason


def test_contact_center_given_wins_and_check_config_says_which_api_and_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _set(monkeypatch, CHAT_API | CHAT_GATEWAY)
    monkeypatch.setenv("GATEWAY_CONTACT_CENTER", "chat_api")
    assert load_settings().api == "chat_api"
    assert main(["check-config"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["contact_center_in_use"] == {"api": "chat_api", "why": "GATEWAY_CONTACT_CENTER says so"}
    monkeypatch.delenv("GATEWAY_CONTACT_CENTER")
    assert main(["check-config"]) == 0
    in_use = json.loads(capsys.readouterr().out)["contact_center_in_use"]
    assert in_use["api"] == "chat_gateway"
    assert "both groups are configured" in in_use["why"]
