"""Links between the pages: every relative link names a file that exists, and its #anchor a heading there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6} +(.+?) *$", re.M)
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped (not ``-`` or ``_``), spaces to ``-``."""
    found: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", text)):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        n, candidate = 0, slug
        while candidate in found:
            n += 1
            candidate = f"{slug}-{n}"
        found.add(candidate)
    return found


def links(text: str) -> Iterator[tuple[int, str]]:
    prose = _FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    for m in _LINK.finditer(prose):
        yield prose.count("\n", 0, m.start()) + 1, m.group(1) or m.group(2)


def broken_links(page: Path) -> list[str]:
    text = page.read_text()
    problems = []
    for number, target in links(text):
        if re.match(r"^[a-z]+:", target):
            continue  # http(s), mailto: not checked here
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            problems.append(f"{page.name}:{number}: {target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text()):
            problems.append(f"{page.name}:{number}: {target}: no heading #{anchor} in {file.name}")
    return problems
