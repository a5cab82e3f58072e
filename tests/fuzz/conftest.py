"""One real gateway + emulator per fuzz module (starting them per example would dwarf the examples)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.harness import FuzzTarget, running_target


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    with running_target(tmp_path_factory.mktemp("fuzz")) as running:
        yield running
