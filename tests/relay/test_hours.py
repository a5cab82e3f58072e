"""Business hours windows in a time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gateway.relay.hours import BusinessHours


def _at(text: str, zone: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def test_weekday_windows_in_their_time_zone() -> None:
    hours = BusinessHours.parse("mon-fri 08:00-18:00, sat 10:00-14:00", "Europe/London")
    assert hours.open_at(_at("2026-11-25T08:00", "Europe/London"))  # Wednesday
    assert not hours.open_at(_at("2026-11-25T18:00", "Europe/London"))
    assert hours.open_at(_at("2026-11-28T11:30", "Europe/London"))  # Saturday
    assert not hours.open_at(_at("2026-11-29T11:30", "Europe/London"))  # Sunday
    assert not hours.open_at(_at("2026-11-25T07:30", "Europe/London"))


def test_empty_means_always_open() -> None:
    assert BusinessHours.parse("", "UTC").open_at(0)


@pytest.mark.parametrize("spec", ["monday 08:00-18:00", "mon-fri 18:00-08:00", "mon 8-18", "xyz 08:00-09:00"])
def test_malformed_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="'"):
        BusinessHours.parse(spec, "UTC")
