"""The default store: SQLite in WAL mode (``store.SqliteStore``), its schema, group commit and purge."""

from gateway.store.sqlite.schema import MIGRATIONS, path_from_url
from gateway.store.sqlite.store import SqliteStore

__all__ = ["MIGRATIONS", "SqliteStore", "path_from_url"]
