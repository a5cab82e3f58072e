"""docs/emulator.md's pytest example is a complete test module: run it as written, in a fresh pytest
process that finds the ``emulator`` fixtures only through the package's ``pytest11`` entry point."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

MANUAL = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"


def example(name: str) -> str:
    found = re.search(rf"<!-- example: {re.escape(name)} -->\n```python\n(.*?)```", MANUAL.read_text(), re.S)
    assert found, f"docs/emulator.md has no example {name!r}"
    return found.group(1)


async def test_the_manuals_pytest_example_passes_as_written(tmp_path: Path) -> None:
    (tmp_path / "test_example.py").write_text(example("pytest plugin"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-W",
        "error",
        "-o",
        "asyncio_mode=auto",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
        "test_example.py",
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 50)
    report = out.decode()
    assert proc.returncode == 0, report
    assert "1 passed" in report, report
