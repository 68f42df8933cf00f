"""Probe results remembered across runs, keyed by location and checked against size and version (mtime or etag).

SQLite in ``$AUTOML_LINT_CACHE_DIR`` or ``$XDG_CACHE_HOME/automl-lint`` (default ``~/.cache/automl-lint``).
Entries are looked up in bulk before probing and written in batches (one transaction per ``BATCH`` probes), in WAL
mode with a busy timeout, so two runs sharing a cache both finish and both leave correct entries (an entry only
answers for the exact size and version it was probed at). Only the main thread touches the database.
A cache that is not a database (corrupt, truncated) is rebuilt with a warning; a database some other program wrote
at that name is left alone and not used, with a warning; a cache that cannot be opened is not used.
"""

from __future__ import annotations

import os
import sqlite3
import sys

import orjson

from automl_lint.images.probe import _FIELDS, Probe

SCHEMA_VERSION = 3  # 3: the head hash samples the head (probe.head_hash); entries of 2 are not comparable
_MAGIC = 0x41_4D_4C_03  # PRAGMA user_version of this schema: "AML" 3
BATCH = 5000
_LOOKUP = 500  # locations per SELECT (SQLite allows 999 parameters in old builds)


def default_dir() -> str:
    explicit = os.environ.get("AUTOML_LINT_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "automl-lint")


def _warn(message: str) -> None:
    sys.stderr.write(f"automl-lint: warning: {message}\n")


class ProbeCache:
    def __init__(self, folder: str | None) -> None:
        self.db = None
        self.pending: list[tuple] = []
        self._json_each: bool | None = None  # whether SQLite's json_each works here (None: not tried yet)
        if folder == "":
            return
        folder = folder or default_dir()
        self.path = os.path.join(folder, f"images-v{SCHEMA_VERSION}.sqlite3")
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError:
            return
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):  # locked, read-only, no space: just not used
                self._close_quietly()
                _warn(f"image cache {self.path} not used ({exc})")
                return
            self._close_quietly()
            _warn(f"image cache {self.path} is corrupt ({exc}); rebuilt")
            try:
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(self.path + suffix):
                        os.remove(self.path + suffix)
                self.db = self._open()
            except (OSError, sqlite3.Error):
                self._close_quietly()
        except _Foreign as exc:
            self._close_quietly()
            _warn(f"image cache {self.path} was not written by automl-lint ({exc}); not used")
        except OSError:
            self._close_quietly()

    def _open(self):
        self.db = db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version != _MAGIC:
            if tables:
                raise _Foreign(f"user_version {version}, tables {', '.join(sorted(tables))}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("BEGIN IMMEDIATE")
            db.execute("CREATE TABLE IF NOT EXISTS probes (location TEXT PRIMARY KEY, size INTEGER, "
                       "version TEXT, full INTEGER, result TEXT)")
            db.execute(f"PRAGMA user_version = {_MAGIC}")
            db.execute("COMMIT")
        db.execute("PRAGMA synchronous = NORMAL")
        # 16 MiB of pages kept in memory (SQLite's default is 2 MiB): a run's look-ups and writes touch most of the
        # table and its index; 20,000 images fill ~6 MiB (inserts ~20% and look-ups ~10% cheaper, measured).
        db.execute("PRAGMA cache_size = -16384")
        return db

    def _close_quietly(self) -> None:
        if self.db is not None:
            try:
                self.db.close()
            except sqlite3.Error:
                pass
        self.db = None

    def lookup(self, locations) -> dict[str, tuple[int, str, bool, str]]:
        """{location: (size, version, full, result JSON)} for the cached ``locations``: one statement for all of
        them (a JSON array of the locations joined to the table), or statements of ``_LOOKUP`` locations each where
        SQLite has no JSON functions."""
        found: dict = {}
        if self.db is None:
            return found
        locations = list(locations)
        if not locations:
            return found
        try:
            if self._json_each is not False:
                try:
                    # j.key is the location's index in the array: a small integer instead of the location's text.
                    rows = self.db.execute("SELECT j.key, p.size, p.version, p.full, p.result FROM json_each(?) j "
                                           "JOIN probes p ON p.location = j.value", (orjson.dumps(locations).decode(),))
                    found = {locations[row[0]]: row[1:] for row in rows}
                    self._json_each = True
                    return found
                except sqlite3.OperationalError:
                    if self._json_each:  # it worked before: a real failure
                        raise
                    self._json_each = False  # no JSON functions in this SQLite
            for i in range(0, len(locations), _LOOKUP):
                part = locations[i:i + _LOOKUP]
                found.update((row[0], row[1:]) for row in self.db.execute(
                    f"SELECT location, size, version, full, result FROM probes WHERE location IN "
                    f"({','.join('?' * len(part))})", part))
        except sqlite3.DatabaseError as exc:
            _warn(f"image cache {self.path} cannot be read ({exc}); not used")
            self._close_quietly()
            return {}
        return found

    @staticmethod
    def answer(entry, size: int, version: str, full: bool) -> Probe | None:
        """The cached probe when ``entry`` (from :meth:`lookup`) still describes the file, else None."""
        if entry is None or entry[0] != size or entry[1] != version or (full and not entry[2]):
            return None
        try:
            return Probe.from_json(orjson.loads(entry[3]))
        except (ValueError, TypeError):  # orjson.JSONDecodeError is a ValueError; an entry this version cannot read: probed again and rewritten
            return None

    @staticmethod
    def decode(results: list) -> list:
        """Probes from cached result documents (the last field of :meth:`lookup`'s entries), decoded together;
        None for one this version cannot read (it is then probed again and rewritten)."""
        if not results:
            return []
        try:
            rows = orjson.loads(b"[" + b",".join(results) + b"]")
            if len(rows) != len(results):  # a damaged entry that parsed as more or fewer values: one by one
                raise ValueError
        except (ValueError, TypeError):  # orjson.JSONDecodeError is a ValueError; TypeError: a text entry
            rows = [_loads(r) for r in results]
        n = len(_FIELDS)
        return [Probe(*f) if type(f) is list and len(f) == n else None for f in rows]

    def put(self, location: str, probe: Probe, doc: bytes | None = None) -> None:
        """Remember ``probe`` (``doc``: its JSON document, ``orjson.dumps(probe.to_json())``, when already made)."""
        if self.db is None or probe.unreadable or probe.outside or not probe.exists:
            return
        self.pending.append((location, probe.bytes, probe.version, int(probe.full),
                             doc if doc is not None else orjson.dumps(probe.to_json())))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.db is None or not self.pending:
            return
        rows, self.pending = self.pending, []
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("INSERT OR REPLACE INTO probes VALUES (?, ?, ?, ?, ?)", rows)
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            _warn(f"image cache {self.path} not updated ({exc})")

    def close(self) -> None:
        if self.db is not None:
            self.flush()
            self._close_quietly()


def _loads(result):
    try:
        return orjson.loads(result)
    except (ValueError, TypeError):
        return None


class _Foreign(Exception):
    pass
