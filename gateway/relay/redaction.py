"""Removes card numbers and similar patterns from what is handed to the agent (GATEWAY_RELAY__REDACT).

The customer's own transcript keeps what they typed; only the copy that leaves for the contact center is
redacted. Card numbers are 13–19 digits (spaces or dashes allowed) that pass the Luhn check, so order
numbers and phone numbers stay readable.

The patterns run in time linear in the text: a match can only start where a run of the characters it
is made of starts (a look-behind), and possessive quantifiers never give back what they took, so a long
run without an ``@`` is read once, not once per position. What is scanned is capped: text beyond
``MAX_SCANNED_CHARS`` is cut off the agent's copy (marked), so nothing unscanned leaves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial

CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++")
MAX_SCANNED_CHARS = 20_000
CUT_MARK = " [… cut]"
BUILT_IN = ("card", "email")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _cards(text: str) -> str:
    def replace(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m[0])
        return "[card number removed]" if luhn_valid(digits) else m[0]

    return CARD.sub(replace, text)


def redactor(names: Sequence[str], patterns: Sequence[str] = ()) -> Callable[[str], str]:
    """A function applying the named built-ins (``card``, ``email``) and custom regexes, in that order."""
    steps: list[Callable[[str], str]] = []
    if "card" in names:
        steps.append(_cards)
    if "email" in names:
        steps.append(lambda text: EMAIL.sub("[email removed]", text))
    for pattern in patterns:
        compiled = re.compile(pattern)
        steps.append(partial(compiled.sub, "[removed]"))

    def apply(text: str) -> str:
        if not steps:
            return text
        if len(text) > MAX_SCANNED_CHARS:
            text = text[:MAX_SCANNED_CHARS] + CUT_MARK
        for step in steps:
            text = step(text)
        return text

    return apply
