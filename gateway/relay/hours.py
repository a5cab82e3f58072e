"""Business hours: when escalating to a person makes sense at all (``GATEWAY_HOURS__*``).

A weekly spec reads like ``mon-fri 08:00-18:00, sat 10:00-14:00`` in one time zone. An empty spec
means always open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
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
