"""Every command the docs show is runnable as written: its program, subcommand, flags, files and settings exist.

What is checked, and what "runnable" means without running anything long: see ``doc_commands``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.doc_commands import ROOT, Checker
from tests.docs.links import broken_links

DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), ROOT / "bot_actions" / "README.md"])


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker()


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_flag_file_and_setting_the_page_names_exists(doc: Path, checker: Checker) -> None:
    problems = checker.check(str(doc.relative_to(ROOT)), doc.read_text())
    assert problems == [], "\n".join(problems)


def test_the_pages_have_commands_to_check(checker: Checker) -> None:
    """The check reads the blocks the pages really use: a page set gone quiet would pass everything."""
    tagged = "".join(doc.read_text() for doc in DOCS).count("```sh")
    assert tagged >= 8


BROKEN = """
```sh
./run demo --no-such-flag
./run deploy
.venv/bin/chat-gateway serve --port 8080 --colour
chat-gateway launch
.venv/bin/python -m bench --parts roundtrip --turbo
python -m no_such_module_here
.venv/bin/pytest tests/no_such_suite
scripts/no-such-script
pip install ./no_such_folder "chat-escalation-gateway[nosuchextra]"
GATEWAY_BOT__NO_SUCH=1 NO_CODE_READS_THIS=2 ./run serve
frobnicate --now
"$rasa" run --credentials examples/rasa/no-such.yml
```

Set `GATEWAY_NO_SUCH_GROUP__X`, `GATEWAY_LIMITS__NO_SUCH_LIMIT`, `GATEWAY_LIMITS__BURST` and `__NO_SUCH_FIELD`,
`GATEWAY_ATTACHMENTS__NOPE*`, `GATEWAY_NOPE`.

| a promise | `tests/store/test_store_contract.py::test_no_such_promise`, `test_scale_out.py::test_also_missing`, `::test_third_missing`, `test_nowhere.py` |
| another | `gateway/no_such_module.py`, `tests/integration/test_scale_out.py` |
"""

EXPECTED = [
    "chat-gateway demo --no-such-flag: no such option",
    "./run deploy: not a command of ./run",
    "chat-gateway serve --colour: no such option",
    "chat-gateway launch: no such subcommand",
    "python -m bench --turbo: no such option",
    "python -m no_such_module_here: no such module",
    "tests/no_such_suite: no such file or folder",
    "scripts/no-such-script: no such executable script",
    "pip install ./no_such_folder: no such folder",
    "pyproject.toml has no extra 'nosuchextra'",
    "GATEWAY_BOT__NO_SUCH: GATEWAY_BOT__ has no NO_SUCH",
    "NO_CODE_READS_THIS: no code in this repository reads it",
    "frobnicate: unknown program",
    "examples/rasa/no-such.yml: no such file or folder",
    "GATEWAY_NO_SUCH_GROUP__X: no settings group GATEWAY_NO_SUCH_GROUP__",
    "GATEWAY_LIMITS__NO_SUCH_LIMIT: GATEWAY_LIMITS__ has no NO_SUCH_LIMIT",
    "__NO_SUCH_FIELD: GATEWAY_LIMITS__ has no such field",
    "GATEWAY_ATTACHMENTS__NOPE*: GATEWAY_ATTACHMENTS__ has no NOPE",
    "GATEWAY_NOPE: no such setting",
    "test_store_contract.py::test_no_such_promise: tests/store/test_store_contract.py has no test test_no_such_promise",
    "test_scale_out.py::test_also_missing: tests/integration/test_scale_out.py has no test test_also_missing",
    "::test_third_missing: tests/integration/test_scale_out.py has no test test_third_missing",
    "test_nowhere.py: no such test file",
    "gateway/no_such_module.py: no such file or folder",
]


def test_a_page_naming_what_does_not_exist_is_refused_for_each_of_them(checker: Checker) -> None:
    problems = checker.check("broken.md", BROKEN)
    for expected in EXPECTED:
        assert any(expected in p for p in problems), f"not reported: {expected}\n" + "\n".join(problems)
    assert len(problems) == len(EXPECTED), "\n".join(problems)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_to_a_page_or_heading_resolves(doc: Path) -> None:
    problems = broken_links(doc)
    assert problems == [], "\n".join(problems)


def test_a_link_to_a_missing_page_or_heading_is_refused(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## Cards from the agent (Chat Gateway)\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#cards-from-the-agent-chat-gateway) [gone](gone.md) [bad](other.md#cards)\n"
        "[self](#nothing-here) ![img](images/none.png)\n```sh\n[not a link](in-a-block.md)\n```\n"
    )
    assert broken_links(page) == [
        "page.md:1: gone.md: no such file",
        "page.md:1: other.md#cards: no heading #cards in other.md",
        "page.md:2: #nothing-here: no heading #nothing-here in page.md",
        "page.md:2: images/none.png: no such file",
    ]
