"""Settings: GATEWAY_* names with __ nesting, .env, the all-or-nothing Chat API group, masked secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import effective_settings, load_settings
from gateway.settings import Settings

CHAT_API = {
    "GATEWAY_CHAT_API__BASE_URL": "https://api.8x8.com",
    "GATEWAY_CHAT_API__REGION": "eu",
    "GATEWAY_CHAT_API__TENANT_ID": "Acme",
    "GATEWAY_CHAT_API__API_KEY": "key-123",
    "GATEWAY_CHAT_API__API_SECRET": "very-secret-value",
    "GATEWAY_CHAT_API__QUEUE_ID": "101",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_need_nothing() -> None:
    s = Settings()
    assert (s.host, s.port, s.store.url, s.bot.url, s.chat_api) == (
        "127.0.0.1",
        8080,
        "sqlite:///gateway.db",
        "embedded",
        None,
    )
    assert s.limits.max_text_chars == 4000
    assert s.web.allowed_origins == ["*"]


def test_nested_names_and_comma_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {**CHAT_API, "GATEWAY_CHAT_API__QUEUES": "102, 103", "GATEWAY_LIMITS__BURST": "5"}.items():
        monkeypatch.setenv(k, v)
    s = Settings()
    assert s.chat_api is not None
    assert (s.chat_api.region, s.chat_api.tenant_id, s.chat_api.queues) == ("eu", "Acme", ["102", "103"])
    assert s.chat_api.api_secret.get_secret_value() == "very-secret-value"
    assert s.limits.burst == 5


def test_the_chat_api_group_is_all_or_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_CHAT_API__BASE_URL", "https://api.8x8.com")
    with pytest.raises(SystemExit) as stopped:
        load_settings()
    assert str(stopped.value).startswith(
        "configuration error: GATEWAY_CHAT_API__REGION: Field required (and 4 more)"
    )


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("GATEWAY_PORT", "http", "GATEWAY_PORT:"),
        ("GATEWAY_STORE__URL", "mysql://x", "GATEWAY_STORE__URL:"),
        ("GATEWAY_BOT__URL", "not a url", "GATEWAY_BOT__URL:"),
        ("GATEWAY_LIMITS__MAX_FRAME_BYTES", "9999999", "GATEWAY_LIMITS:"),
        ("GATEWAY_RELAY__REDACT", "card,ssn", "GATEWAY_RELAY__REDACT:"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        load_settings()
    message = str(stopped.value)
    assert message.startswith(f"configuration error: {says}")
    assert "\n" not in message
    assert value not in message or value.isalpha()  # the offending input is not echoed back


def test_dot_env_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("GATEWAY_PORT=9123\nGATEWAY_RELAY__INACTIVITY_TIMEOUT_S=60\n")
    s = Settings()
    assert (s.port, s.relay.inactivity_timeout_s) == (9123, 60)


def test_check_config_masks_every_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = (
        {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        | CHAT_API
        | {
            "GATEWAY_METRICS__TOKEN": "metrics-secret",
            "GATEWAY_BOT__TOKEN": "rasa-secret",
        }
    )
    out = subprocess.run(
        [sys.executable, "-m", "gateway", "check-config"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["chat_api"]["api_secret"] == "**********"
    assert shown["chat_api"]["api_key"] == "**********"
    for secret in ("very-secret-value", "metrics-secret", "rasa-secret", "key-123"):
        assert secret not in out.stdout
    assert shown["chat_api"]["tenant_id"] == "Acme"


def test_effective_settings_is_plain_json() -> None:
    assert json.dumps(effective_settings(Settings()))
