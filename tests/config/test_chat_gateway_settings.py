"""The Chat Gateway group: chosen by GATEWAY_CONTACT_CENTER, all-or-nothing, its directory, its secret masked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.cli import effective_settings, load_settings

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
