"""Business hours windows in a time zone."""

from __future__ import annotations

from datetime import UTC, datetime
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


# --- in words, and when agents are back (the bot's availability answer and the default closed text) ------

FRI_1900_UTC = datetime(2026, 12, 4, 19, 0, tzinfo=UTC).timestamp()  # a Friday evening


def test_describe_joins_consecutive_days_with_the_same_hours() -> None:
    hours = BusinessHours.parse("mon-fri 08:00-18:00, sat 10:00-14:00, sun 10:00-12:00", "Europe/London")

    assert hours.describe() == (
        "Monday to Friday 08:00-18:00, Saturday 10:00-14:00, Sunday 10:00-12:00 (Europe/London)"
    )


def test_default_closed_text_follows_the_weekly_hours() -> None:
    hours = BusinessHours.parse("tue 09:00-12:00, thu 09:00-12:00", "UTC")

    assert hours.closed_text() == (
        "Our agents are available Tuesday 09:00-12:00, Thursday 09:00-12:00 (UTC). "
        "The assistant is here to help meanwhile."
    )


@pytest.mark.parametrize(
    ("weekly", "expected", "text"),
    [
        ("mon-fri 08:00-18:00", datetime(2026, 12, 7, 8, 0, tzinfo=UTC), "on Monday at 08:00 (UTC)"),
        ("fri 20:00-22:00", datetime(2026, 12, 4, 20, 0, tzinfo=UTC), "today at 20:00 (UTC)"),
        ("sat 10:00-14:00", datetime(2026, 12, 5, 10, 0, tzinfo=UTC), "tomorrow at 10:00 (UTC)"),
        ("fri 08:00-18:00", datetime(2026, 12, 11, 8, 0, tzinfo=UTC), "on Friday at 08:00 (UTC)"),
    ],
)
def test_next_open(weekly: str, expected: datetime, text: str) -> None:
    hours = BusinessHours.parse(weekly, "UTC")

    assert hours.next_open(FRI_1900_UTC) == expected
    assert hours.next_open_text(FRI_1900_UTC) == text


def test_next_open_is_none_while_open_and_in_the_hours_zone() -> None:
    hours = BusinessHours.parse("fri 18:00-23:00", "Europe/Berlin")  # 19:00 UTC is 20:00 in Berlin

    assert hours.next_open(FRI_1900_UTC) is None
    later = BusinessHours.parse("sat 09:00-10:00", "Europe/Berlin").next_open(FRI_1900_UTC)
    assert later is not None
    assert later.isoformat() == "2026-12-05T09:00:00+01:00"
