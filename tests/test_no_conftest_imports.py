"""conftest.py files hold fixtures and hooks only; helpers live in ``tests/support`` and are imported from there.

A module that imports from a conftest makes pytest's plugin module a library: it is imported twice under two
names when rootdir or import mode change, and its fixtures leak into the importer's namespace.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def conftest_imports(source: str) -> list[int]:
    """The line numbers of ``import ...conftest`` / ``from ...conftest import`` / ``from ... import conftest``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        if any(module.split(".")[-1] == "conftest" for module in modules):
            lines.append(node.lineno)
    return lines


def test_the_check_sees_every_way_of_importing_a_conftest() -> None:
    found = conftest_imports(
        "from tests.conftest import SettingsFactory\n"
        "import tests.integration.conftest\n"
        "from tests.emulator import conftest\n"
        "def f():\n    from .conftest import Api\n"
        "from tests.support.gateway import SettingsFactory\n"
    )
    assert found == [1, 2, 3, 5]


def test_no_module_under_tests_imports_from_a_conftest() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{line}"
        for path in sorted(TESTS.rglob("*.py"))
        for line in conftest_imports(path.read_text())
    ]
    assert offenders == [], "import helpers from tests/support, not from a conftest: " + ", ".join(offenders)
