"""One ``sqlite3`` connection driven from the event loop: on its own thread, or inline on the loop."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class Connection:
    """One ``sqlite3`` connection: ``run(fn)`` calls ``fn(conn)`` on the connection's own thread, or, with
    ``inline``, right here on the event loop."""

    def __init__(self, name: str, *, inline: bool = False) -> None:
        self._executor = None if inline else ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._conn: sqlite3.Connection | None = None

    async def connect(self, path: Path, *pragmas: str) -> None:
        def connect(_: object) -> sqlite3.Connection:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            try:
                for pragma in pragmas:
                    conn.execute(pragma)
            except BaseException:
                conn.close()
                raise
            return conn

        self._conn = await self._run(connect)

    async def _run(self, fn: Callable[[Any], T]) -> T:
        if self._executor is None:
            return fn(self._conn)
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, self._conn)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            raise sqlite3.ProgrammingError("the store is closed")
        return await self._run(fn)

    async def fetchall(self, sql: str, parameters: Sequence[object] = ()) -> list[Any]:
        return await self.run(lambda conn: conn.execute(sql, parameters).fetchall())

    async def close(self) -> None:
        if self._conn is not None:
            await self._run(lambda conn: conn.close())
            self._conn = None
        if self._executor is not None:
            self._executor.shutdown(wait=False)
