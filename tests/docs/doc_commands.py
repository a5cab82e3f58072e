"""Check that what the docs tell a reader to type exists, without running anything long.

"Runnable" here means: every command in a ``sh``/``bash`` code block names things that exist today.

- ``./run SUB``: ``SUB`` is one of the ``run`` script's commands.
- ``chat-gateway SUB --flag`` (also ``.venv/bin/chat-gateway``): the subcommand and each flag are in
  ``gateway.cli.build_parser()``.
- ``python -m MODULE --flag`` (also ``.venv/bin/python``): the module is importable, and each flag appears in
  ``python -m MODULE --help`` (run once per module).
- ``pytest PATH``, ``scripts/NAME``, ``pip install ./PATH`` and any argument that looks like a path in this
  repository (``examples/...``, ``tests/...``): the file or folder exists (scripts: and is executable).
- ``pip install "chat-escalation-gateway[EXTRA]"``: the extra is in ``pyproject.toml``.
- ``NAME=value`` before a command, or alone on a line (a ``.env`` block): a ``GATEWAY_*`` name is a real
  setting; any other name occurs in this repository's code (``CHAOS_SEED``, ``BOT_ACTIONS_*``), unless it
  belongs to a third-party tool listed in ``FOREIGN_VARIABLES``.

Everywhere in the docs, prose and tables included, every ``GATEWAY_*`` name is a real setting (a group's
``GATEWAY_GROUP__*`` and prefixes such as ``GATEWAY_ATTACHMENTS__UPLOAD*`` must match one), and a short
``__FIELD`` after a ``GATEWAY_GROUP__...`` on the same line is a field of that group. A ``GATEWAY_*`` name that
is no setting must be an environment variable the tests read (``GATEWAY_OPENAPI_EXAMPLES``).

A command whose program the checker does not know is reported too: teach it here, or add the program to
``EXTERNAL_PROGRAMS`` (whose arguments are not checked) on purpose.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from gateway.cli import build_parser
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SHELL_LANGUAGES = {"sh", "bash", "shell"}
EXTERNAL_PROGRAMS = {"eval", "uvx", "cd", "export"}
"""Programs whose arguments are not checked (shell built-ins, tools of other projects)."""
FOREIGN_VARIABLES = {"SANIC_HOST"}
"""Environment variables of third-party tools (rasa-sdk's web server), not of this repository."""
REPO_DIRS = ("bench/", "bot_actions/", "config/", "docs/", "examples/", "gateway/", "scripts/", "tests/")
PROSE_DIRS = tuple(d for d in REPO_DIRS if d != "docs/")
"""In prose, ``docs/...`` may be a path in 8x8's documentation repository; links between pages are checked apart."""
_BLOCK = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=")
_NAME = re.compile(
    r"(?<![A-Za-z0-9_])(?P<full>GATEWAY_[A-Z0-9_]+__\*|GATEWAY_[A-Z0-9_]*[A-Z0-9]\*?)"
    r"|(?<![A-Za-z0-9_])__(?P<short>[A-Z][A-Z0-9_]*[A-Z0-9])(?P<star>\*?)"
)
"""A ``GATEWAY_...`` name (maybe a ``GROUP__*`` or a prefix ending in ``*``), or a short ``__FIELD``."""
_SEPARATORS = {"&&", "||", "|", ";", "&"}
_CODE = re.compile(r"`([^`]+)`")
_TEST_REFERENCE = re.compile(r"(?P<file>(?:tests/[\w/]+/)?test_\w+\.py)?(?:::(?P<name>\w+))?(?<=.)")
"""``tests/x/test_y.py``, ``test_y.py::test_z`` or ``::test_z`` (the file of the token before, on that line)."""


@dataclass(frozen=True)
class SettingNames:
    """The settings tree as names: top-level fields, and each group's fields."""

    top: frozenset[str]
    groups: dict[str, frozenset[str]]

    def problem(self, name: str) -> str | None:
        """None when ``name`` (``GATEWAY_...``, maybe ending in ``*``) is a setting, a group or a prefix of one."""
        body = name.removeprefix("GATEWAY_")
        wildcard = body.endswith("*")
        body = body.rstrip("*")
        group, sep, rest = body.partition("__")
        if not sep:
            if _matches(body, self.top | set(self.groups), wildcard=wildcard):
                return None
            return f"{name}: no such setting"
        fields_of = self.groups.get(group.lower())
        if fields_of is None:
            return f"{name}: no settings group GATEWAY_{group}__"
        if wildcard and not rest:
            return None
        if _matches(rest, fields_of, wildcard=wildcard):
            return None
        return f"{name}: GATEWAY_{group}__ has no {rest}"


def _matches(name: str, fields: frozenset[str] | set[str], *, wildcard: bool) -> bool:
    """``name`` (upper case, as in the variable) is one of ``fields``, or, with a ``*``, the start of one."""
    name = name.lower()
    return name in fields or (wildcard and any(f.startswith(name) for f in fields))


def settings_names() -> SettingNames:
    top: set[str] = set()
    groups: dict[str, frozenset[str]] = {}
    for name, info in Settings.model_fields.items():
        models = [t for t in (info.annotation, *get_args(info.annotation)) if _is_model(t)]
        if models:
            groups[name] = frozenset(models[0].model_fields)
        else:
            top.add(name)
    return SettingNames(frozenset(top), groups)


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


@dataclass
class Problems:
    doc: str
    found: list[str] = field(default_factory=list)

    def add(self, where: int, what: str) -> None:
        self.found.append(f"{self.doc}:{where}: {what}")


def shell_blocks(text: str) -> Iterator[tuple[int, str]]:
    """(line number of the block's first line, its body) for every sh/bash block."""
    for m in _BLOCK.finditer(text):
        if m.group(1) in SHELL_LANGUAGES:
            yield text.count("\n", 0, m.start()) + 2, m.group(2)


def logical_lines(body: str, first: int) -> Iterator[tuple[int, str]]:
    """Lines with backslash continuations joined, each with its line number."""
    pending, start = "", first
    for i, line in enumerate(body.splitlines()):
        if not pending:
            start = first + i
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield start, pending + line
        pending = ""
    if pending:
        yield start, pending


def commands(line: str) -> Iterator[list[str]]:
    """The simple commands of one shell line, comments dropped; ``$(...)`` contents count as commands too."""
    for inner in re.findall(r"\$\(([^()]*)\)", line):
        yield from commands(inner)
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    current: list[str] = []
    for token in lexer:
        if token in _SEPARATORS:
            if current:
                yield current
            current = []
        else:
            current.append(token)
    if current:
        yield current


@dataclass
class Checker:
    root: Path = ROOT
    settings: SettingNames = field(default_factory=settings_names)
    helps: dict[str, str] = field(default_factory=dict)

    def check(self, doc: str, text: str) -> list[str]:
        problems = Problems(doc)
        for first, body in shell_blocks(text):
            for number, line in logical_lines(body, first):
                for words in commands(line):
                    self._command(words, number, problems)
        for number, line in enumerate(text.splitlines(), 1):
            self._names(line, number, problems)
            self._references(line, number, problems)
        return problems.found

    # --- one command -----------------------------------------------------------------------------

    def _command(self, words: list[str], number: int, problems: Problems) -> None:
        while words and (m := _ASSIGNMENT.match(words[0])):
            self._variable(m.group(1), number, problems)
            words = words[1:]
        if not words:
            return
        program, args = words[0], words[1:]
        for arg in args:
            self._maybe_path(arg, number, problems)
        name = program.removeprefix(".venv/bin/")
        handlers: dict[str, Callable[[list[str], int, Problems], None]] = {
            "./run": self._run,
            "chat-gateway": self._chat_gateway,
            "python": self._python,
            "pytest": self._pytest,
            "pip": self._pip,
        }
        if name in handlers:
            handlers[name](args, number, problems)
        elif program.startswith("scripts/"):
            path = self.root / program
            if not (path.is_file() and os.access(path, os.X_OK)):
                problems.add(number, f"{program}: no such executable script")
        elif program.startswith("$") or program in EXTERNAL_PROGRAMS:
            return  # a program the reader's shell holds in a variable (Rasa's), or one of another project
        else:
            problems.add(number, f"{program}: unknown program; teach tests/docs/doc_commands.py to check it")

    def _variable(self, name: str, number: int, problems: Problems) -> None:
        if name.startswith("GATEWAY_"):
            return  # checked with every GATEWAY_ name of the page
        if name in FOREIGN_VARIABLES:
            return
        if name not in source_text(self.root):
            problems.add(number, f"{name}: no code in this repository reads it")

    def _maybe_path(self, arg: str, number: int, problems: Problems) -> None:
        path = arg.removeprefix("./").split("::")[0]
        if path.startswith(REPO_DIRS) and not (self.root / path).exists():
            problems.add(number, f"{arg}: no such file or folder")

    def _run(self, args: list[str], number: int, problems: Problems) -> None:
        known = run_commands(self.root)
        if not args or args[0] not in known:
            problems.add(
                number, f"./run {' '.join(args[:1])}: not a command of ./run ({', '.join(sorted(known))})"
            )
        else:
            for flag in _flags(args[1:]):
                if args[0] in ("demo", "serve"):
                    self._flag_of(["chat-gateway", args[0]], flag, cli_help(args[0]), number, problems)

    def _chat_gateway(self, args: list[str], number: int, problems: Problems) -> None:
        subcommand = next((a for a in args if not a.startswith("-")), None)
        if subcommand is None:
            text = cli_help(None)
        elif subcommand not in cli_subcommands():
            problems.add(number, f"chat-gateway {subcommand}: no such subcommand")
            return
        else:
            text = cli_help(subcommand)
        for flag in _flags(args):
            self._flag_of(["chat-gateway", subcommand or ""], flag, text, number, problems)

    def _python(self, args: list[str], number: int, problems: Problems) -> None:
        if len(args) < 2 or args[0] != "-m":
            problems.add(number, f"python {' '.join(args)}: only `python -m MODULE` is checked")
            return
        module = args[1]
        if importlib.util.find_spec(module) is None:
            problems.add(number, f"python -m {module}: no such module")
            return
        flags = list(_flags(args[2:]))
        if flags:
            if module not in self.helps:
                self.helps[module] = module_help(module)
            for flag in flags:
                self._flag_of(["python", "-m", module], flag, self.helps[module], number, problems)

    def _pytest(self, args: list[str], number: int, problems: Problems) -> None:
        for arg in args:
            if arg.startswith(("-", *REPO_DIRS)):
                continue  # flags are pytest's; repository paths are checked with every command's arguments
            if not (self.root / arg.split("::")[0]).exists():
                problems.add(number, f"pytest {arg}: no such test file or folder")

    def _pip(self, args: list[str], number: int, problems: Problems) -> None:
        for arg in args[1:] if args[:1] == ["install"] else []:
            if arg.startswith("./") and not (self.root / arg).exists():
                problems.add(number, f"pip install {arg}: no such folder")
            elif m := re.fullmatch(r"chat-escalation-gateway\[([\w,-]+)\]", arg):
                extras = project_extras(self.root)
                for extra in m.group(1).split(","):
                    if extra not in extras:
                        problems.add(number, f"pip install {arg}: pyproject.toml has no extra {extra!r}")

    @staticmethod
    def _flag_of(program: list[str], flag: str, help_text: str, number: int, problems: Problems) -> None:
        if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", help_text):
            problems.add(number, f"{' '.join(p for p in program if p)} {flag}: no such option")

    # --- names anywhere --------------------------------------------------------------------------

    def _references(self, line: str, number: int, problems: Problems) -> None:
        """Backticked repository paths exist; ``test_x.py::test_name`` and ``::test_name`` name a real test."""
        test_file: Path | None = None
        for token in _CODE.findall(line):
            m = _TEST_REFERENCE.fullmatch(token)
            if m is None:
                if " " not in token and token.startswith(PROSE_DIRS) and not (self.root / token).exists():
                    problems.add(number, f"{token}: no such file or folder")
                continue
            if m.group("file"):
                test_file = self._test_file(m.group("file"))
                if test_file is None:
                    problems.add(number, f"{m.group('file')}: no such test file")
                    continue
            name = m.group("name")
            if name and test_file is not None and not re.search(rf"def {name}\b", test_file.read_text()):
                problems.add(number, f"{token}: {test_file.relative_to(self.root)} has no test {name}")

    def _test_file(self, name: str) -> Path | None:
        if "/" in name:
            return self.root / name if (self.root / name).is_file() else None
        return next(iter(sorted((self.root / "tests").rglob(name))), None)

    def _names(self, line: str, number: int, problems: Problems) -> None:
        group: str | None = None  # the group of the nearest GATEWAY_GROUP__... before, on this line
        for m in _NAME.finditer(line):
            if name := m.group("full"):
                problem = self.settings.problem(name)
                if problem is not None and not _read_by_tests(name, self.root):
                    problems.add(number, problem)
                body = name.removeprefix("GATEWAY_")
                group = body.split("__")[0].lower() if "__" in body else group
            elif group is not None:
                short = m.group("short")
                fields_of = self.settings.groups.get(group, frozenset())
                if not _matches(short, fields_of, wildcard=bool(m.group("star"))):
                    problems.add(number, f"__{m.group('short')}: GATEWAY_{group.upper()}__ has no such field")


def _flags(args: list[str]) -> Iterator[str]:
    for arg in args:
        if arg.startswith("-") and arg != "-":
            yield arg.split("=", 1)[0]


@cache
def source_text(root: Path) -> str:
    """This repository's code, to look variable names up in."""
    parts = []
    for folder in ("gateway", "tests", "bench", "bot_actions/src", "scripts"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in ("", ".py", ".sh") and not _skipped(path, root):
                parts.append(path.read_text(errors="replace"))
    return "\n".join(parts)


def _skipped(path: Path, root: Path) -> bool:
    """Caches, and this checker's own folder (its examples of wrong names must not count as code)."""
    return "__pycache__" in path.parts or path.is_relative_to(root / "tests" / "docs")


def _read_by_tests(name: str, root: Path) -> bool:
    return f'"{name}"' in source_text(root)


@cache
def run_commands(root: Path) -> frozenset[str]:
    text = (root / "run").read_text()
    body = text[text.index('case "$command" in') :]
    return frozenset(m for m in re.findall(r"^  ([a-z][a-z-]*)\)", body, re.M))


@cache
def project_extras(root: Path) -> frozenset[str]:
    data = tomllib.loads((root / "pyproject.toml").read_text())
    return frozenset(data["project"].get("optional-dependencies", {}))


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


@cache
def cli_subcommands() -> frozenset[str]:
    return frozenset(_subparsers())


@cache
def cli_help(subcommand: str | None) -> str:
    if subcommand is None:
        return build_parser().format_help()
    return _subparsers()[subcommand].format_help()


def module_help(module: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    return done.stdout + done.stderr
