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
# A table of at most this many rows per location asked is read whole: one scan of it costs less than a look-up
# per location (20,000 of them: 30 ms against 75 ms, measured) when the cache holds mostly this dataset.
SCAN_ROWS_PER_LOCATION = 2


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

    def probes(self, locations: list) -> list:
        """The cached Probe of each of ``locations``, in their order: None where nothing is cached or the entry is one
        this version cannot read (the image is then probed again and its entry rewritten). Whether a probe still
        describes the file (its ``bytes``, ``version`` and ``full``) is the caller's to compare."""
        out: list = [None] * len(locations)
        if self.db is None or not locations:
            return out
        try:
            docs = self._results(locations)
        except sqlite3.DatabaseError as exc:
            _warn(f"image cache {self.path} cannot be read ({exc}); not used")
            self._close_quietly()
            return out
        if None not in docs:  # a warm run: every location cached
            return self.decode(docs)
        have = [i for i, doc in enumerate(docs) if doc is not None]
        for i, p in zip(have, self.decode([docs[i] for i in have])):
            out[i] = p
        return out

    def _results(self, locations: list) -> list:
        """The result document of each location, in order (None: not cached): the whole table read at once when it
        is small beside the locations (its smallest and largest rowid bound its rows without counting them), else
        one statement for all of them (a JSON array of the locations left-joined to the table: its
        rows come in the array's order, one per location, as the location is the table's key), or statements of
        ``_LOOKUP`` locations each where SQLite has no JSON functions or a location cannot be written as JSON."""
        first, last = self.db.execute("SELECT min(rowid), max(rowid) FROM probes").fetchone()
        if first is None or last - first < SCAN_ROWS_PER_LOCATION * len(locations):
            found = dict(self.db.execute("SELECT location, result FROM probes"))
            return [found.get(loc) for loc in locations]
        if self._json_each is not False:
            try:
                array = orjson.dumps(locations).decode()
            except orjson.JSONEncodeError:  # a lone surrogate (an undecodable file name): the other way, this once
                array = None
            if array is not None:
                try:
                    rows = self.db.execute("SELECT p.result FROM json_each(?) j LEFT JOIN probes p "
                                           "ON p.location = j.value", (array,)).fetchall()
                except sqlite3.OperationalError:
                    if self._json_each:  # it worked before: a real failure
                        raise
                    self._json_each = False  # no JSON functions in this SQLite
                else:
                    self._json_each = True
                    if len(rows) != len(locations):
                        raise sqlite3.DatabaseError(f"{len(rows)} rows for {len(locations)} locations")
                    return [row[0] for row in rows]
        found: dict = {}
        for i in range(0, len(locations), _LOOKUP):
            part = locations[i:i + _LOOKUP]
            found.update(self.db.execute(f"SELECT location, result FROM probes WHERE location IN "
                                         f"({','.join('?' * len(part))})", part))
        return [found.get(loc) for loc in locations]

    @staticmethod
    def decode(results: list) -> list:
        """Probes from cached result documents (the ``result`` column, or what a worker sent), decoded together;
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
