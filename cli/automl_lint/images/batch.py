"""Probing a batch of located images: one plain function, the unit of work shipped to worker processes (and Dask).

No state outside its arguments: it opens what it is given (``storage.Storage``: local files checked once open,
Blob read by ranges), compares with what the caller's cache knows, and probes the rest with Pillow.
"""

from __future__ import annotations

from collections import deque

from automl_lint.images.probe import HEAD_BYTES, MISSING, OUTSIDE, Probe, probe_bytes, probe_head, unreadable
from automl_lint.images.locate import is_blob
from automl_lint.images.storage import ImageUnreadable, Opened, OutsideRoot, Storage, close_folders

# Local files open at once per batch (each holds a file descriptor): their reads are started together.
PREFETCH = 32


def probe_batch(refs: list, settings, storage: Storage | None = None) -> list:
    """Probe a batch of image references; a plain, picklable function of ``(refs, settings) -> results``.

    ``refs``: ``[(location, root, known), ...]`` where ``location`` is a local path or a Blob URL (from
    ``Locator.candidates``), ``root`` the folder or container it was mapped into (a local file whose real path,
    once open, is not inside ``root`` is never read), and ``known`` is ``(size, version, full)`` of the probe cache's
    entry for ``location``, or None.

    ``settings``: a ``Settings``; only ``settings.images`` is used (``"full"`` decodes pixels, else header mode).

    Returns one result per ref, in order: ``None`` when ``known`` still describes the file (the cached probe holds,
    nothing was read), else a ``Probe``: ``MISSING``, ``OUTSIDE``, an unreadable probe (``probe.unreadable`` says
    why), or a fresh probe with ``bytes``, ``version`` (mtime in ns or Blob etag), ``head`` and, when known,
    ``digest`` / ``md5``. Header mode reads ``HEAD_BYTES`` per image plus what Pillow's header parser asks for.

    ``storage`` reuses open Blob connections across batches in one process; a worker (forked process, Dask task)
    passes none and gets its own.
    """
    storage = storage or Storage()
    full = settings.images == "full"
    out: list = [None] * len(refs)
    blobs = [i for i, ref in enumerate(refs) if is_blob(ref[0])]
    local = [i for i in range(len(refs)) if not is_blob(refs[i][0])] if blobs else range(len(refs))
    # Local files are opened (and checked) up to PREFETCH ahead of the one being probed, each asking the system to
    # read its head now: on a page cache that does not hold them, the disk serves the reads together.
    window: deque = deque()
    ahead = iter(local)
    folders: dict = {}  # each file's folder opened and checked once, the file opened in it (storage.open_local)
    try:
        for i in local:
            while len(window) <= PREFETCH:
                j = next(ahead, None)
                if j is None:
                    break
                window.append(_open_one(storage, refs[j], full, folders))
            out[i] = _probe_opened(window.popleft(), full)
    finally:
        for opened in window:
            if isinstance(opened, Opened):
                opened.close()
        close_folders(folders)
    if blobs:
        heads = storage.heads([refs[i][0] for i in blobs], [refs[i][2] for i in blobs], full)
        for i, (opened, head) in zip(blobs, heads):
            out[i] = _probe_blob(opened, head, refs[i][2], full)
    return out


def _probe_blob(opened, head: bytes | None, known, full: bool) -> Probe | None:
    if opened is None:
        return MISSING
    if isinstance(opened, OutsideRoot):
        return OUTSIDE
    if isinstance(opened, Exception):
        return unreadable(str(opened))
    if head is None:
        return None  # the etag still matches the cache
    try:
        p = probe_bytes(opened.read_all(head), True) if full else probe_head(head, opened.size, opened.read)
    except ImageUnreadable as exc:
        return unreadable(str(exc))
    p.bytes, p.version, p.md5 = opened.size, opened.version, opened.md5
    return p


def _open_one(storage: Storage, ref, full: bool, folders: dict | None = None):
    """The opened file (its head's read started), or the final result: MISSING, OUTSIDE, unreadable, or None when
    ``known`` still describes the file."""
    location, root, known = ref
    try:
        opened = storage.open(location, root, folders)
    except OutsideRoot:
        return OUTSIDE
    except ImageUnreadable as exc:
        return unreadable(str(exc))
    if opened is None:
        return MISSING
    if known is not None and known[0] == opened.size and known[1] == opened.version and (known[2] or not full):
        opened.close()
        return None
    if not full:
        opened.prefetch(HEAD_BYTES)
    return opened


def _probe_opened(opened, full: bool) -> Probe | None:
    if not isinstance(opened, Opened):
        return opened
    with opened:
        try:
            if full:
                p = probe_bytes(opened.read_all(), True)
            else:
                p = probe_head(opened.read(0, min(opened.size, HEAD_BYTES)), opened.size, opened.read)
        except ImageUnreadable as exc:
            return unreadable(str(exc))
        p.bytes, p.version, p.md5 = opened.size, opened.version, opened.md5
        return p
