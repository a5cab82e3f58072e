"""Business hours: when escalating to a person makes sense at all (``GATEWAY_HOURS__*``).

A weekly spec reads like ``mon-fri 08:00-18:00, sat 10:00-14:00`` in one time zone. An empty spec
means always open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_PART = re.compile(r"^(?P<d1>[a-z]{3})(?:-(?P<d2>[a-z]{3}))?\s+(?P<t1>\d{1,2}:\d{2})-(?P<t2>\d{1,2}:\d{2})$")


@dataclass(frozen=True, slots=True)
class Window:
    day: int  # 0 = Monday
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class BusinessHours:
    windows: tuple[Window, ...]
    zone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, timezone: str) -> BusinessHours:
        """Raise ValueError naming what is wrong with ``spec``."""
        windows: list[Window] = []
        for raw in filter(None, (p.strip().lower() for p in spec.split(","))):
            found = _PART.match(raw)
            if not found or found["d1"] not in DAYS or (found["d2"] and found["d2"] not in DAYS):
                raise ValueError(f"{raw!r} is not like 'mon-fri 08:00-18:00'")
            first = DAYS.index(found["d1"])
            last = DAYS.index(found["d2"]) if found["d2"] else first
            start, end = time.fromisoformat(found["t1"].zfill(5)), time.fromisoformat(found["t2"].zfill(5))
            if end <= start:
                raise ValueError(f"{raw!r}: the end must be after the start")
            windows.extend(Window(day, start, end) for day in range(first, last + 1))
        return cls(tuple(windows), ZoneInfo(timezone))

    def open_at(self, epoch: float) -> bool:
        if not self.windows:
            return True
        local = datetime.fromtimestamp(epoch, self.zone)
        now = local.time()
        return any(w.day == local.weekday() and w.start <= now < w.end for w in self.windows)

    def next_open(self, epoch: float) -> datetime | None:
        """When agents are next there, in the hours' zone: ``None`` when open now (or always)."""
        if self.open_at(epoch):
            return None
        local = datetime.fromtimestamp(epoch, self.zone)
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            starts = sorted(
                datetime.combine(day, w.start, tzinfo=self.zone)
                for w in self.windows
                if w.day == day.weekday()
            )
            for start in starts:
                if start.timestamp() > epoch:
                    return start
        return None  # unreachable with at least one window

    def next_open_text(self, epoch: float) -> str | None:
        """``"today at 14:00 (UTC)"``, ``"tomorrow at 08:00 (UTC)"`` or ``"on Monday at 08:00 (UTC)"``."""
        found = self.next_open(epoch)
        if found is None:
            return None
        today = datetime.fromtimestamp(epoch, self.zone).date()
        days = (found.date() - today).days
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"on {DAY_NAMES[found.weekday()]}"
        return f"{when} at {found:%H:%M} ({self.zone.key})"

    def describe(self) -> str:
        """The weekly hours in words: ``"Monday to Friday 08:00-18:00, Saturday 10:00-14:00 (Europe/London)"``.

        Consecutive days with the same hours are joined into one range.
        """
        by_day: dict[int, tuple[tuple[time, time], ...]] = {}
        for w in self.windows:
            by_day[w.day] = (*by_day.get(w.day, ()), (w.start, w.end))
        parts: list[str] = []
        day = 0
        while day < 7:
            if day not in by_day:
                day += 1
                continue
            last = day
            while last + 1 < 7 and by_day.get(last + 1) == by_day[day]:
                last += 1
            days = DAY_NAMES[day] if last == day else f"{DAY_NAMES[day]} to {DAY_NAMES[last]}"
            spans = " and ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in sorted(by_day[day]))
            parts.append(f"{days} {spans}")
            day = last + 1
        return f"{', '.join(parts)} ({self.zone.key})"

    def closed_text(self) -> str:
        """The default "we are closed" line (``GATEWAY_HOURS__CLOSED_TEXT`` empty): the weekly hours in words."""
        return f"Our agents are available {self.describe()}. The assistant is here to help meanwhile."
