"""What arrived where: each direction's lines checked for exactly once and in order, with delays.

Customer -> 8x8: the emulator's messages of authorType ``user`` (not the history handed over at creation).
Agent -> customer: the frames of all the customer's sockets. A seq seen twice with the same content is a
replay (allowed: a resume replays after ``last_seq``); the same seq with different content is a conflict; the
same agent line under two different seqs is a duplicate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.chaos.customer import Line, Received


@dataclass
class Tally:
    sent: int = 0
    delivered: int = 0
    duplicates: int = 0
    lost: int = 0
    out_of_order: int = 0
    max_delay_s: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        return {
            "sent": self.sent,
            "delivered": self.delivered,
            "duplicates": self.duplicates,
            "lost": self.lost,
            "out_of_order": self.out_of_order,
            "max_delay_s": round(self.max_delay_s, 3),
        }

    def add(self, other: Tally) -> None:
        self.sent += other.sent
        self.delivered += other.delivered
        self.duplicates += other.duplicates
        self.lost += other.lost
        self.out_of_order += other.out_of_order
        self.max_delay_s = max(self.max_delay_s, other.max_delay_s)
        self.problems.extend(other.problems)


def _tally(name: str, expected: Sequence[str], arrived: Sequence[str]) -> Tally:
    """``arrived`` in arrival order, holding expected lines (and nothing else)."""
    counts = Counter(arrived)
    t = Tally(sent=len(expected))
    t.delivered = sum(1 for text in expected if counts[text])
    t.duplicates = sum(n - 1 for n in counts.values() if n > 1)
    lost = [text for text in expected if not counts[text]]
    t.lost = len(lost)
    first_order = list(dict.fromkeys(arrived))
    if first_order != [text for text in expected if counts[text]]:
        t.out_of_order = 1
        t.problems.append(f"{name}: out of order: {first_order}")
    if lost:
        t.problems.append(f"{name}: lost {lost}")
    if t.duplicates:
        t.problems.append(f"{name}: duplicated {[x for x, n in counts.items() if n > 1]}")
    return t


def customer_to_agent(name: str, lines: Sequence[Line], messages: Sequence[dict[str, Any]]) -> Tally:
    """Lines the gateway acked must reach 8x8 (a conversation that failed early never sent the rest)."""
    expected = [line.text for line in lines if line.seq is not None]
    wanted = set(expected)
    arrived = [m for m in messages if m["authorType"] == "user" and m["text"] in wanted]
    t = _tally(f"{name} customer->8x8", expected, [m["text"] for m in arrived])
    history = [m["text"] for m in arrived if m["fromHistory"]]
    if history:
        t.problems.append(f"{name}: customer lines in the creation history: {history}")
    first_at: dict[str, float] = {}
    for m in arrived:
        first_at.setdefault(m["text"], m["timestamp"] / 1000)
    for line in lines:
        if line.text in first_at and line.first_sent is not None:
            t.max_delay_s = max(t.max_delay_s, first_at[line.text] - line.first_sent)
    return t


def _content(frame: dict[str, Any]) -> tuple[str, ...]:
    """What an entry is, whichever frame carried it (an ack and a replayed customer message are the same)."""
    if frame["type"] == "ack":
        return ("customer", str(frame["client_id"]))
    if frame["type"] == "state":
        return ("state", str(frame["state"]))
    if frame.get("author") == "customer":
        return ("customer", str(frame.get("client_id")))
    return (str(frame.get("author")), str(frame.get("text")))


def agent_to_customer(name: str, sent: Sequence[tuple[str, float]], frames: Sequence[Received]) -> Tally:
    """``sent``: the agent's lines with the time each was sent, in order."""
    by_seq: dict[int, tuple[str, ...]] = {}
    first_at: dict[int, float] = {}
    conflicts: list[str] = []
    for r in frames:
        seq = r.frame.get("seq")
        if not isinstance(seq, int) or r.frame["type"] not in ("message", "state", "ack"):
            continue
        content = _content(r.frame)
        known = by_seq.setdefault(seq, content)
        first_at.setdefault(seq, r.at)
        # A re-ack of a retried client_id carries the first seq again: the same content, so a replay.
        if known != content:
            conflicts.append(f"seq {seq}: {known} and {content}")
    agent = [(seq, c[1]) for seq, c in sorted(by_seq.items()) if c[0] == "agent"]
    expected = [text for text, _ in sent]
    wanted = set(expected)
    t = _tally(f"{name} agent->customer", expected, [text for _, text in agent if text in wanted])
    t.problems.extend(f"{name}: {c}" for c in conflicts)
    gaps = sorted(set(range(1, max(by_seq, default=0) + 1)) - set(by_seq))
    if gaps:
        t.problems.append(f"{name}: seqs never received: {gaps}")
    sent_at = dict(sent)
    seen: set[str] = set()
    for seq, text in agent:
        if text in sent_at and text not in seen:
            seen.add(text)
            t.max_delay_s = max(t.max_delay_s, first_at[seq] - sent_at[text])
    return t
