"""docs/architecture.md against the code: the map stays true.

- The layout block: every file and folder it names exists where the tree puts it, and in the folders a
  newcomer navigates by (``COMPLETE``) every module is named, so a new module needs a line on the map.
- The prose: every backticked path exists; every ``Class.member`` names a class in ``gateway/`` that has that
  member; every ``module.name`` a top-level name of such a module; every ``_private`` name a function or
  method somewhere in ``gateway/``; every ``CamelCase`` name a class or top-level name there.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPLETE = (
    "gateway",
    "gateway/relay",
    "gateway/store",
    "gateway/channels/web",
    "gateway/bots",
    "gateway/contact_center",
    "gateway/contact_center/core",
    "gateway/contact_center/chat_gateway",
)
"""Folders whose every module must be on the map (the emulator and openapi have their own pages)."""
_BLOCK = re.compile(r"^## Layout\n.*?^```\n(.*?)^```", re.S | re.M)
_CODE = re.compile(r"`([^`\n]+)`")
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_DESCRIPTION_COLUMN = 20
"""A layout line indented this far or more continues the description of the line above."""


@dataclass
class CodeIndex:
    root: Path = ROOT
    classes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    modules: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    functions: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for path in (self.root / "gateway").rglob("*.py"):
            tree = ast.parse(path.read_text())
            top = self.modules[path.stem]
            for statement in tree.body:
                top.update(_names(statement))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    self.functions.add(node.name)
                elif isinstance(node, ast.ClassDef):
                    members = self.classes[node.name]
                    for item in node.body:
                        members.update(_names(item))
                    init = next((i for i in node.body if getattr(i, "name", "") == "__init__"), None)
                    for sub in ast.walk(init) if init is not None else ():
                        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                            members.add(sub.attr)  # self.x = ... in __init__

    @cached_property
    def files(self) -> list[str]:
        skip = {".venv", ".git", "node_modules", "__pycache__"}
        return [p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if not skip & set(p.parts)]


def _names(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {t.id for t in node.targets if isinstance(t, ast.Name)}
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    return set()


def layout_problems(text: str, root: Path = ROOT) -> list[str]:
    found = _BLOCK.search(text)
    if found is None:
        return ["no ## Layout section with a code block"]
    problems: list[str] = []
    named: dict[str, set[str]] = defaultdict(set)  # folder -> file names its lines mention
    stack: list[tuple[int, str]] = []  # (indent, folder)
    folder = ""
    for line in found.group(1).splitlines():
        indent = len(line) - len(line.lstrip())
        if not line.strip():
            continue
        if indent < _DESCRIPTION_COLUMN:
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1] if stack else ""
            head = re.split(r" {2,}", line.strip(), maxsplit=1)[0]
            for name in head.split():
                path = f"{parent}{name}"
                if not (root / path).exists():
                    problems.append(f"layout: {path}: no such file or folder")
                if name.endswith("/") and len(head.split()) == 1:
                    stack.append((indent, path))
            folder = stack[-1][1] if stack and head.endswith("/") else parent
        for name in re.findall(r"[\w-]+\.py\b", line):
            named[folder.rstrip("/")].add(name)
    for directory in COMPLETE:
        for module in sorted((root / directory).glob("*.py")):
            if module.name != "__init__.py" and module.name not in named[directory]:
                problems.append(f"layout: {directory}/{module.name} is not on the map")
    return problems


def prose_problems(text: str, index: CodeIndex) -> list[str]:
    problems: list[str] = []
    for token in sorted(set(_CODE.findall(_FENCE.sub("", text)))):
        problem = _token_problem(token.strip(), index)
        if problem:
            problems.append(f"`{token}`: {problem}")
    return problems


def _token_problem(token: str, index: CodeIndex) -> str | None:
    token = re.sub(r"\(.*\)$", "", token)  # Relay.apply(SystemNotice) -> Relay.apply
    if re.fullmatch(r"[\w/.-]+\.py|[\w/]+/", token):
        wanted = token.rstrip("/")
        found = any(f == wanted or f.endswith("/" + wanted) for f in index.files)
        return None if found else "no such file or folder"
    if m := re.fullmatch(r"([A-Z]\w*)\.(\w+)", token):
        cls, member = m.groups()
        if cls not in index.classes:
            return f"no class {cls} in gateway/"
        return None if member in index.classes[cls] else f"{cls} has no {member}"
    if m := re.fullmatch(r"([a-z]\w*)\.(\w+)", token):
        module, name = m.groups()
        if any(f.endswith((f"{module}/{name}", f"{module}/{name}.py")) for f in index.files):
            return None  # a module path: contact_center.core, store.redis_fanout
        if module in index.modules and module != "gateway":
            return None if name in index.modules[module] else f"no {name} in any {module}.py"
        return None  # a dotted module path (gateway.relay), checked by import-linter, or a setting
    if re.fullmatch(r"_[a-z]\w*", token):
        return None if token in index.functions else "no such function or method in gateway/"
    if re.fullmatch(r"[A-Z][a-z]+[A-Z]?\w*", token) and not token.isupper():
        known = token in index.classes or any(token in names for names in index.modules.values())
        return None if known else "no such class or name in gateway/"
    return None


def check(text: str, index: CodeIndex | None = None) -> list[str]:
    return layout_problems(text) + prose_problems(text, index or CodeIndex())
