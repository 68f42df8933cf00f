"""What a run may read: the tree the user named, never a file a link or a path leads to outside it.

A folder given on the command line is walked for ``*.jsonl``; an MLTable lists files, folders and glob
patterns. Both come with the data, so both are untrusted: a ``*.jsonl`` symbolic link to ``~/.ssh/id_rsa``, an
MLTable ``pattern: /etc/*`` or ``file: ../../secrets.env`` would otherwise be read and quoted into a CI log.
Everything found is checked by its real path (``os.path.realpath``) against the real path of the root; what
leads outside is *refused*: reported, never opened. ``--allow-outside`` (command line only: a configuration
file comes with the data too) lifts the confinement.

Walks are bounded too: symbolic links to folders are followed only inside the root and only once (no loop),
hidden folders are skipped as by ``glob``, and at most :data:`MAX_ENTRIES` directory entries are looked at
per walk, so a pattern cannot walk the whole disk.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field

MAX_ENTRIES = 1_000_000  # directory entries one walk or one pattern may look at


@dataclass(frozen=True)
class Refused:
    """A path that was not read, and why (one short sentence)."""

    path: str
    reason: str


@dataclass
class Found:
    files: list[str] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


def real_root(folder: str) -> str:
    return os.path.realpath(folder)


def inside(path: str, root: str) -> bool:
    """True when the real path of ``path`` is ``root`` (a real path) or lies under it."""
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _outside(path: str, root: str, allow_outside: bool) -> Refused | None:
    if allow_outside or inside(path, root):
        return None
    how = "a symbolic link leading" if os.path.islink(path) else "a path"
    return Refused(path, f"{how} outside {root}; not read (--allow-outside reads it)")


class _Walk:
    """One bounded walk: counts the entries looked at and the folders already entered (by device and inode)."""

    def __init__(self, root: str, allow_outside: bool, limit: int = MAX_ENTRIES) -> None:
        self.root, self.allow_outside, self.left = root, allow_outside, limit
        self.entered: set[tuple] = set()
        self.found = Found()
        self.files_seen: set[str] = set()
        self.stopped = False

    def entries(self, folder: str, stage: int = 0) -> list[os.DirEntry]:
        """The entries of a folder, sorted; an unreadable folder is refused (said, not skipped silently).

        A folder is listed once per ``stage`` (the pattern segment being matched): a link back to a folder
        already walked neither loops nor lists its files twice.
        """
        if self.stopped:
            return []
        try:
            st = os.stat(folder)
            if (st.st_dev, st.st_ino, stage) in self.entered:
                return []
            self.entered.add((st.st_dev, st.st_ino, stage))
            with os.scandir(folder) as it:
                entries = []
                for entry in it:
                    self.left -= 1
                    if self.left < 0:
                        self.stopped = True
                        self.found.refused.append(Refused(folder, f"the walk looked at {MAX_ENTRIES:,} entries; "
                                                                  "the rest of the folder was not read"))
                        break
                    entries.append(entry)
        except OSError as exc:
            self.found.refused.append(Refused(folder, f"the folder cannot be read ({exc.strerror or exc}); "
                                                      "its files were not checked"))
            return []
        return sorted(entries, key=lambda e: e.name)

    def subfolder(self, entry: os.DirEntry, follow_links: bool = True) -> bool:
        """Whether to enter a folder entry: a symbolic link only when it stays inside the root (and
        ``follow_links``); one leading outside is refused."""
        try:
            if not entry.is_dir():
                return False
            if entry.is_symlink():
                refused = _outside(entry.path, self.root, self.allow_outside)
                if refused is not None:
                    self.found.refused.append(refused)
                    return False
                return follow_links
        except OSError:
            return False
        return True

    def add_file(self, path: str, once: bool = False) -> None:
        """A file found: kept if it lies inside the root, else refused; with ``once``, under its first spelling
        only (a pattern may reach one file through several links)."""
        if once:
            real = os.path.realpath(path)
            if real in self.files_seen:
                return
            self.files_seen.add(real)
        refused = _outside(path, self.root, self.allow_outside)
        if refused is not None:
            self.found.refused.append(refused)
        else:
            self.found.files.append(path)


def data_files(folder: str, suffixes: tuple[str, ...], root: str, allow_outside: bool = False,
               limit: int = MAX_ENTRIES) -> Found:
    """Files under ``folder`` whose names end in ``suffixes``, recursively, hidden folders skipped.

    Linked folders are not entered (as ``os.walk``); those leading outside the root are reported.
    """
    walk = _Walk(root, allow_outside, limit)
    stack = [folder]
    while stack:
        current = stack.pop()
        subfolders = []
        for entry in walk.entries(current):
            if entry.name.startswith(".") and _is_dir(entry):
                continue
            if walk.subfolder(entry, follow_links=False):
                subfolders.append(entry.path)
            elif _is_dir(entry):
                continue
            elif entry.name.endswith(suffixes) and _is_file_or_link(entry):
                walk.add_file(entry.path)
        stack.extend(reversed(subfolders))
    walk.found.files.sort()
    return walk.found


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file_or_link(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file() or entry.is_symlink()  # a dangling or looping link is reported when opened
    except OSError:
        return False


_MAGIC = re.compile(r"[*?\[]")


def glob_files(pattern: str, folder: str, root: str, allow_outside: bool = False,
               limit: int = MAX_ENTRIES) -> Found:
    """Files matching an MLTable ``pattern`` (``*``, ``?``, ``[...]``, ``**`` for any depth), relative to ``folder``.

    The literal start of the pattern must lie inside ``root``; ``..`` after a wildcard is refused.
    """
    walk = _Walk(root, allow_outside, limit)
    full = pattern if os.path.isabs(pattern) else os.path.join(folder, pattern)
    parts = full.replace(os.sep, "/").split("/")
    first = next((i for i, p in enumerate(parts) if _MAGIC.search(p)), len(parts))
    base = os.path.normpath("/".join(parts[:first]) or "/")
    rest = [p for p in parts[first:] if p not in ("", ".")]
    if not allow_outside:
        if ".." in rest:
            walk.found.refused.append(Refused(pattern, "'..' after a wildcard may leave the folder; not read "
                                                       "(--allow-outside reads it)"))
            return walk.found
        refused = _outside(base, root, False)
        if refused is not None:
            walk.found.refused.append(Refused(pattern, refused.reason))
            return walk.found
    if not rest:  # no wildcard: one file
        if os.path.isfile(base):
            walk.add_file(base)
        return walk.found
    _match(walk, base, rest)
    walk.found.files.sort()
    return walk.found


def _match(walk: _Walk, folder: str, rest: list[str]) -> None:
    segment, tail = rest[0], rest[1:]
    if segment == "**":
        if tail:
            _match(walk, folder, tail)  # zero folders
        for entry in walk.entries(folder, len(rest)):
            if entry.name.startswith("."):
                continue
            if walk.subfolder(entry):
                _match(walk, entry.path, rest)
            elif not tail and _is_file_or_link(entry):
                walk.add_file(entry.path, once=True)
        return
    if not _MAGIC.search(segment):
        path = os.path.join(folder, segment)
        if tail:
            if os.path.isdir(path) and (not os.path.islink(path) or _outside(path, walk.root, walk.allow_outside)
                                        is None):
                _match(walk, path, tail)
        elif os.path.isfile(path) or os.path.islink(path):
            walk.add_file(path, once=True)
        return
    hidden = segment.startswith(".")
    for entry in walk.entries(folder, len(rest)):
        if (entry.name.startswith(".") and not hidden) or not fnmatch.fnmatchcase(entry.name, segment):
            continue
        if tail:
            if walk.subfolder(entry):
                _match(walk, entry.path, tail)
        elif not _is_dir(entry) and _is_file_or_link(entry):
            walk.add_file(entry.path, once=True)
