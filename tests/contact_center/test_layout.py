"""One 8x8 core, two thin API modules: neither API module imports the other (design.md, issue 15)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "gateway" / "contact_center"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize(("api", "other"), [("chat_api", "chat_gateway"), ("chat_gateway", "chat_api")])
def test_an_api_module_never_imports_the_other(api: str, other: str) -> None:
    files = sorted((ROOT / api).glob("*.py"))
    assert files
    for path in files:
        wrong = {m for m in _imports(path) if m.startswith(f"gateway.contact_center.{other}")}
        assert not wrong, f"{path.name} imports {wrong}"


def test_the_core_imports_neither_api() -> None:
    for path in sorted((ROOT / "core").glob("*.py")):
        wrong = {m for m in _imports(path) if m.startswith("gateway.contact_center.chat_")}
        assert not wrong, f"core/{path.name} imports {wrong}"
