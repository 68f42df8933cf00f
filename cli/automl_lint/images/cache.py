"""Probe results remembered across runs, keyed by location, size and modification time (or Blob etag).

SQLite in ``$AUTOML_LINT_CACHE_DIR`` or ``$XDG_CACHE_HOME/automl-lint`` (default ``~/.cache/automl-lint``).
Only the main thread touches the database; a cache that cannot be opened is simply not used.
"""

from __future__ import annotations

import json
import os
import sqlite3

from automl_lint.images.probe import Probe

SCHEMA_VERSION = 1


def default_dir() -> str:
    explicit = os.environ.get("AUTOML_LINT_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "automl-lint")


class ProbeCache:
    def __init__(self, folder: str | None) -> None:
        self.db = None
        if folder == "":
            return
        folder = folder or default_dir()
        try:
            os.makedirs(folder, exist_ok=True)
            self.db = sqlite3.connect(os.path.join(folder, f"images-v{SCHEMA_VERSION}.sqlite3"))
            self.db.execute("CREATE TABLE IF NOT EXISTS probes (location TEXT PRIMARY KEY, size INTEGER, "
                            "version TEXT, full INTEGER, result TEXT)")
        except (OSError, sqlite3.Error):
            self.db = None

    def get(self, location: str, size: int, version: str, full: bool) -> Probe | None:
        if self.db is None:
            return None
        row = self.db.execute("SELECT size, version, full, result FROM probes WHERE location = ?",
                              (location,)).fetchone()
        # A fully decoded result also answers a header-only question, not the other way round.
        if row is None or row[0] != size or row[1] != version or (full and not row[2]):
            return None
        return Probe.from_json(json.loads(row[3]))

    def put(self, location: str, size: int, version: str, probe: Probe) -> None:
        if self.db is None:
            return
        try:
            self.db.execute("INSERT OR REPLACE INTO probes VALUES (?, ?, ?, ?, ?)",
                            (location, size, version, int(probe.full), json.dumps(probe.to_json())))
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self.db is not None:
            try:
                self.db.commit()
                self.db.close()
            except sqlite3.Error:
                pass
