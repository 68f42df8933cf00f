"""Fixing whole files: streamed line by line, written atomically, or shown as a unified diff.

Lines without a fix are copied byte for byte (line ends, a missing final newline and over-long lines
included). An in-place fix writes a temporary file in the same folder and renames it over the original, so
an error or Ctrl-C leaves the original untouched; the permissions of the original are kept.
"""

from __future__ import annotations

import gzip
from array import array
import hashlib
import os
import stat
import tempfile
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from automl_lint.baseline import FindingKey
from automl_lint.fix.line import LineFixer
from automl_lint.reader import SourceError


@dataclass
class FileFix:
    path: str
    lines: int = 0
    changed_lines: int = 0
    fixed: int = 0
    unsafe_available: int = 0
    left_lines: int = 0  # lines with fixes on offer, left as they were for a finding no fix solves
    deleted: array = field(default_factory=lambda: array("l"))  # input line numbers deleted, ascending


# What iter_pieces yields with each piece: a whole line within the limit, or a piece of an over-long line (the last
# piece ends it). An over-long line is never fixed, so it is the same in every pass's input and output.
LINE, PART, LAST = 0, 1, 2
PIECE = 1 << 20


def iter_pieces(source: BinaryIO, max_line_bytes: int) -> Iterator[tuple[bytes, int]]:
    """``(bytes, kind)`` for each line of ``source``: ``LINE`` for a whole line within ``max_line_bytes`` (as the
    reader counts it: CR and LF excluded), else ``PART`` pieces then a ``LAST`` one, each at most ``PIECE`` bytes
    (the first ``max_line_bytes + 2``). Memory stays bounded whatever the file: an over-long line is never joined."""
    readline = source.readline
    limit = max_line_bytes + 2  # room for CRLF, as the reader
    while True:
        raw = readline(limit)
        if not raw:
            return
        if (len(raw) < limit or raw[-1:] == b"\n") and len(raw.rstrip(b"\r\n")) <= max_line_bytes:
            yield raw, LINE
            continue
        while raw[-1:] != b"\n":  # over-long: handed on in pieces
            more = readline(PIECE)
            if not more:
                break  # the file ends inside the line
            yield raw, PART
            raw = more
        yield raw, LAST


def bounded_lines(source: BinaryIO, max_line_bytes: int) -> Iterator[bytes | None]:
    """Each line of ``source`` (see :func:`iter_pieces`), None for an over-long one."""
    for raw, kind in iter_pieces(source, max_line_bytes):
        if kind == LINE:
            yield raw
        elif kind == LAST:
            yield None


def fix_lines(source: BinaryIO, fixer: LineFixer, sink, result: FileFix, max_line_bytes: int, hide=None,
              index=None) -> None:
    """Read ``source``, write every line (fixed or as it was) to ``sink(old, new, partial)``; ``index`` (a
    :class:`~automl_lint.fix.duplicates.UrlIndex`) learns the image_url of every line written. An over-long line is
    copied in pieces, never fixed (``partial`` is True for each piece but its last)."""
    n = written = 0
    for raw, kind in iter_pieces(source, max_line_bytes):
        if kind != LINE:
            sink(raw, raw, kind == PART)
            if kind == LAST:
                n += 1
                written += 1
            continue
        n += 1
        line = fixer.fix(raw, n == 1, hide)
        result.fixed += line.fixed
        result.unsafe_available += line.unsafe_available
        result.left_lines += line.left
        if line.raw != raw:
            result.changed_lines += 1
        if line.raw:
            written += 1
            if index is not None:
                index.add(written, line.url)
        else:
            result.deleted.append(n)
        sink(raw, line.raw, False)
    result.lines = n


class BaselineFilter:
    """The findings of one file a baseline hides, keyed as :mod:`automl_lint.baseline` keys them."""

    def __init__(self, entries: list[dict], rel_path: str) -> None:
        self.path = rel_path
        self.known: Counter = Counter(
            FindingKey(e["path"], e["code"], e["record"], e["pointer"], e["occurrence"])
            for e in entries if e["path"] == rel_path)
        self.seen: Counter = Counter()

    def hides_file_finding(self, code: str) -> bool:
        return self.known[FindingKey(self.path, code, "", "", 0)] > 0

    def __call__(self, raw: bytes, value, found: list) -> set:
        if not self.known:
            return set()
        url = value.get("image_url") if type(value) is dict else None
        record = url if type(url) is str and url else "line:" + hashlib.sha256(raw.strip()).hexdigest()[:16]
        hidden = set()
        for code, pointer, _ in found:
            base = (self.path, code, record, pointer)
            key = FindingKey(*base, self.seen[base])
            self.seen[base] += 1
            if self.known[key] > 0:
                self.known[key] -= 1
                hidden.add((code, pointer))
        return hidden


# --- writing ------------------------------------------------------------------------------------------------

def _read_only(path: str) -> bool:
    """No write permission (also as root, who bypasses the bits: a folder or file marked read-only stays so)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return not os.access(path, os.W_OK) or not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


class AtomicFile:
    """A file written beside ``target`` and renamed over it on :meth:`commit`; removed on :meth:`abort`."""

    def __init__(self, target: str, mode_of: str | None = None, compress: bool | None = None,
                 display: str | None = None) -> None:
        self.target = target
        name = display or target
        folder = os.path.dirname(os.path.abspath(target))
        if os.path.exists(target) and _read_only(target):
            raise SourceError(f"{name}: read-only; not fixed")
        if not os.path.isdir(folder):
            raise SourceError(f"{name}: no such folder {folder}")
        if _read_only(folder):
            raise SourceError(f"{name}: the folder {folder} is read-only; not fixed (the fixed file is written "
                              "beside it, then renamed)")
        try:
            fd, self.tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(target) + ".",
                                            suffix=".automl-lint-fix")
        except OSError as exc:
            raise SourceError(f"{name}: cannot write beside it ({exc.strerror or exc}); not fixed") from None
        self.raw = os.fdopen(fd, "wb")
        compress = target.endswith(".gz") if compress is None else compress
        self.stream = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0) if compress else self.raw
        self.mode_of = mode_of if mode_of is not None else target
        self.name = name

    def write(self, data: bytes) -> None:
        self.stream.write(data)

    def finish(self) -> None:
        """Close the temporary file without renaming it (it is read again by a second pass)."""
        if self.stream is not self.raw:
            self.stream.close()
        self.raw.flush()
        os.fsync(self.raw.fileno())
        self.raw.close()

    def commit(self) -> None:
        try:
            if not self.raw.closed:
                if self.stream is not self.raw:
                    self.stream.close()
                self.raw.flush()
                os.fsync(self.raw.fileno())
                self.raw.close()
            try:
                st = os.stat(self.mode_of)
                os.chmod(self.tmp, stat.S_IMODE(st.st_mode))
                if hasattr(os, "chown"):
                    try:
                        os.chown(self.tmp, st.st_uid, st.st_gid)
                    except OSError:
                        pass  # not permitted: the file is ours, as any new file would be
            except OSError:
                pass
            os.replace(self.tmp, self.target)
        except OSError as exc:
            self.abort()
            raise SourceError(f"{self.name}: cannot write ({exc.strerror or exc}); left unchanged") from None

    def abort(self) -> None:
        for closer in (getattr(self.stream, "close", None), self.raw.close):
            try:
                if closer:
                    closer()
            except (OSError, ValueError):
                pass
        try:
            os.unlink(self.tmp)
        except OSError:
            pass


# --- the unified diff ----------------------------------------------------------------------------------------

class _Spooled:
    """An over-long line (never changed, so only ever context) held in the diff's spool file, not in memory."""

    __slots__ = ("start", "size", "ends")

    def __init__(self, start: int, size: int, ends: bool) -> None:
        self.start, self.size, self.ends = start, size, ends


class UnifiedDiff:
    """A unified diff built while the file streams by (lines are only replaced or deleted, never inserted).

    A hunk is written when it closes (its header counts its lines), so its lines wait until then; an over-long line
    among them waits in a temporary file, in pieces, and is copied out the same way: memory stays bounded."""

    CONTEXT = 3

    def __init__(self, write, name: str) -> None:
        self.write = write
        self.name = name
        self.old_line = 0
        self.new_line = 0
        self.before: deque = deque(maxlen=self.CONTEXT)  # (old, new line numbers, raw) of unchanged lines
        self.hunk: list | None = None
        self.hunk_start = (0, 0)
        self.pending: list = []  # unchanged lines after the last change of the open hunk
        self.header_written = False
        self.spool = None  # a temporary file for the over-long lines that wait
        self.spooling: int | None = None  # where the over-long line being read starts in it

    def __call__(self, old: bytes, new: bytes, partial: bool = False) -> None:
        if partial or self.spooling is not None:  # a piece of an over-long line (never changed): kept as context
            if self.spooling is None:
                self.spooling = self._spool_start()
            self.spool.write(old)
            if partial:
                return
            end = self.spool.tell()
            old = new = _Spooled(self.spooling, end - self.spooling, old.endswith(b"\n"))
            self.spooling = None
        if old == new:  # a _Spooled line is its own old and new
            self.old_line += 1
            self.new_line += 1
            item = (old,)
            if self.hunk is None:
                self.before.append(item)
            else:
                self.pending.append(item)
                if len(self.pending) > 2 * self.CONTEXT:
                    self._close()
            return
        self.old_line += 1
        if self.hunk is None:
            self.hunk = []
            n = len(self.before)
            self.hunk_start = (self.old_line - n, self.new_line + 1 - n)
            self.hunk.extend((" ", raw) for (raw,) in self.before)
            self.before.clear()
        else:
            self.hunk.extend((" ", raw) for (raw,) in self.pending)
            self.pending = []
        self.hunk.append(("-", old))
        if new:
            self.new_line += 1
            self.hunk.append(("+", new))

    def _close(self) -> None:
        keep = self.pending[:self.CONTEXT]
        rest = self.pending[self.CONTEXT:]
        self.hunk.extend((" ", raw) for (raw,) in keep)
        self._emit()
        self.hunk = None
        self.pending = []
        self.before.extend(rest[-self.CONTEXT:])

    def finish(self) -> None:
        if self.hunk is not None:
            self._close()
        if self.spool is not None:
            self.spool.close()

    def _spool_start(self) -> int:
        """The spool's end, after emptying it when no waiting line is in it any more."""
        if self.spool is None:
            self.spool = tempfile.TemporaryFile()
        waiting = [*(item[0] for item in self.before), *(item[0] for item in self.pending),
                   *(raw for _, raw in self.hunk or ())]
        if not any(type(raw) is _Spooled for raw in waiting):
            self.spool.seek(0)
            self.spool.truncate()
        return self.spool.seek(0, os.SEEK_END)

    def _emit(self) -> None:
        if not self.header_written:
            self.write(f"--- {self.name}\n+++ {self.name}\n".encode("utf-8", "surrogateescape"))
            self.header_written = True
        old_n = sum(1 for tag, _ in self.hunk if tag != "+")
        new_n = sum(1 for tag, _ in self.hunk if tag != "-")
        old_start, new_start = self.hunk_start
        self.write(f"@@ -{_range(old_start, old_n)} +{_range(new_start, new_n)} @@\n".encode())
        for tag, raw in self.hunk:
            if type(raw) is _Spooled:
                self.write(tag.encode())
                self._copy(raw)
                ends = raw.ends
            else:
                self.write(tag.encode() + raw)
                ends = raw.endswith(b"\n")
            if not ends:
                self.write(b"\n\\ No newline at end of file\n")

    def _copy(self, line: _Spooled) -> None:
        self.spool.seek(line.start)
        left = line.size
        while left:
            piece = self.spool.read(min(left, PIECE))
            if not piece:
                raise OSError("the diff's temporary file was cut short")
            self.write(piece)
            left -= len(piece)
        self.spool.seek(0, os.SEEK_END)


def _range(start: int, count: int) -> str:
    if count == 0:
        return f"{start - 1},0"
    return f"{start}" if count == 1 else f"{start},{count}"
