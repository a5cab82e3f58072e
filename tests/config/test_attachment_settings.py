"""The file and typing settings: read from GATEWAY_ATTACHMENTS__* / GATEWAY_LIMITS__*, and a bad value stops
start-up with one line naming the variable (an operator's typo must not silently allow every file type)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.cli import load_settings
from gateway.settings import DEFAULT_FILE_TYPES, Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    s = Settings()
    assert s.attachments.max_bytes == 10 * 1024 * 1024
    assert s.attachments.allowed_types == DEFAULT_FILE_TYPES
    assert "text/html" not in s.attachments.allowed_types  # nothing that runs script when served
    assert s.limits.typing_interval_s == 2.0


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_ATTACHMENTS__MAX_BYTES", "2048")
    monkeypatch.setenv("GATEWAY_ATTACHMENTS__ALLOWED_TYPES", "image/png, application/pdf")
    monkeypatch.setenv("GATEWAY_LIMITS__TYPING_INTERVAL_S", "5")
    s = Settings()
    assert (s.attachments.max_bytes, s.attachments.allowed_types) == (2048, ["image/png", "application/pdf"])
    assert s.limits.typing_interval_s == 5.0


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("GATEWAY_ATTACHMENTS__ALLOWED_TYPES", "image/png,pdf", "'pdf' is not a media type like image/png"),
        ("GATEWAY_ATTACHMENTS__ALLOWED_TYPES", "Image/PNG", "is not a media type"),
        ("GATEWAY_ATTACHMENTS__MAX_BYTES", "0", "greater than or equal to 1"),
        ("GATEWAY_LIMITS__TYPING_INTERVAL_S", "-1", "greater than or equal to 0"),
    ],
)
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        load_settings()
    line = str(stopped.value)
    assert line.startswith(f"configuration error: {name}: "), line
    assert says in line
