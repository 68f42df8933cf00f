"""Reading image bytes from a local folder or Azure Blob Storage (through fsspec/adlfs, imported lazily).

Open first, then check what was opened: a local image is opened (never following it into a FIFO: ``O_NONBLOCK``),
and the real path of the opened file (``/proc/self/fd``, or ``realpath`` confirmed by comparing device and inode
with the open file) must lie inside the mapped folder; only then is anything read, from that open file. A symbolic
link swapped in between the check and the read cannot redirect the read. A Blob is read by the exact name that was
looked up (names with ``..`` never get here, see ``locate``), and only ranges of it: the head, more on demand.
A cached local image needs only its size and modification time: ``stat_local`` looks it up in its opened, checked
folder without following a link, and leaves anything else to ``open_local``. A batch of images opens each folder
once the same way and each file in it without following a link (``open_local(..., folders)``); a link or anything
unusual is opened and checked as above.

Blob credentials come from the environment, as adlfs reads them: ``AZURE_STORAGE_CONNECTION_STRING``, or
``AZURE_STORAGE_ACCOUNT_NAME`` with ``AZURE_STORAGE_ACCOUNT_KEY`` / ``AZURE_STORAGE_SAS_TOKEN`` / Azure AD.
Files are only ever opened for reading.
"""

from __future__ import annotations

import errno
import os
import stat as _stat
import threading
from urllib.parse import urlsplit

from automl_lint.images.locate import is_blob

# Each Blob operation gives up after this many seconds; after one timeout the account is not asked again.
BLOB_TIMEOUT = 30
MAX_IMAGE_BYTES = 1 << 30
# Whole files read at once (full mode, and hashing duplicate candidates) in one process, at most: a file larger
# than this waits until it is the only one.
READ_BUDGET = 256 << 20
_CHUNK = 1 << 20

_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))
_PROC_FD = os.path.isdir("/proc/self/fd")
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
# Files can be looked up in an open folder without following a link (fstatat, faccessat): not on Windows.
_STAT_AT = (hasattr(os, "O_DIRECTORY") and os.stat in os.supports_dir_fd and os.stat in os.supports_follow_symlinks
            and os.access in os.supports_dir_fd)


class StorageUnavailable(Exception):
    """The Azure extra is not installed or the storage cannot be reached: automl-lint cannot run (exit 2)."""


class ImageUnreadable(Exception):
    """One image exists but cannot be read (permission, timeout, network, size): reported per image."""


class OutsideRoot(Exception):
    """What was opened is not inside the folder the image was mapped to: it is never read."""


class Opened:
    """One opened image: its size and version (mtime or etag) and reads of byte ranges."""

    __slots__ = ("size", "version", "md5", "_read", "_close", "_advise")

    def __init__(self, size: int, version: str, read, close=None, md5: str = "", advise=None) -> None:
        self.size, self.version, self.md5, self._read, self._close = size, version, md5, read, close
        self._advise = advise

    def read(self, offset: int, n: int) -> bytes:
        return self._read(offset, n) if n > 0 and offset < self.size else b""

    def prefetch(self, n: int) -> None:
        """Ask the operating system to start reading the first ``n`` bytes now (local files; a hint, never an error):
        a batch's reads then wait on the disk together instead of one after the other."""
        if self._advise is not None and n > 0:
            self._advise(min(n, self.size))

    def read_all(self, head: bytes = b"") -> bytes:
        """The whole file (``head``: its first bytes, already read)."""
        if self.size > MAX_IMAGE_BYTES:
            raise ImageUnreadable(f"the file is {self.size:,} bytes, over automl-lint's limit of "
                                  f"{MAX_IMAGE_BYTES:,}")
        if len(head) >= self.size:
            return head
        with _budget.take(self.size):
            parts, offset = [head], len(head)
            while offset < self.size:
                data = self.read(offset, min(_CHUNK * 16, self.size - offset))
                if not data:
                    break
                parts.append(data)
                offset += len(data)
            return b"".join(parts)

    def hash_all(self, hasher) -> None:
        """Feed the whole content to ``hasher`` in chunks (bounded memory)."""
        offset = 0
        while offset < self.size:
            data = self.read(offset, min(_CHUNK, self.size - offset))
            if not data:
                break
            hasher.update(data)
            offset += len(data)

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit, self.used, self.cond = limit, 0, threading.Condition()

    def take(self, n: int):
        budget = self

        class _Taken:
            def __enter__(self):
                with budget.cond:
                    while budget.used and budget.used + n > budget.limit:
                        budget.cond.wait()
                    budget.used += n

            def __exit__(self, *exc):
                with budget.cond:
                    budget.used -= n
                    budget.cond.notify_all()
        return _Taken()


_budget = _Budget(READ_BUDGET)
_real_roots: dict[str, str] = {}


def _real_root(root: str) -> str:
    real = _real_roots.get(root)
    if real is None:
        real = _real_roots[root] = os.path.realpath(root)
    return real


def _within(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _opened_path(fd: int, location: str, st) -> str | None:
    """The real path of the file open on ``fd``; None when it cannot be established."""
    if _PROC_FD:
        try:
            return os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass
    real = os.path.realpath(location)
    try:
        return real if os.path.samestat(st, os.stat(real)) else None
    except OSError:
        return None


def _pread(fd: int):
    if hasattr(os, "pread"):
        def read(offset: int, n: int) -> bytes:
            try:
                return os.pread(fd, n, offset)
            except OSError as exc:
                raise ImageUnreadable(exc.strerror or str(exc)) from None
        return read
    lock = threading.Lock()

    def read(offset: int, n: int) -> bytes:  # Windows has no pread
        with lock:
            try:
                os.lseek(fd, offset, os.SEEK_SET)
                return os.read(fd, n)
            except OSError as exc:
                raise ImageUnreadable(exc.strerror or str(exc)) from None
    return read


_FADVISE = hasattr(os, "posix_fadvise") and hasattr(os, "POSIX_FADV_WILLNEED")


def _advise(fd: int, n: int) -> None:
    try:
        os.posix_fadvise(fd, 0, n, os.POSIX_FADV_WILLNEED)
    except OSError:
        pass


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def open_local(location: str, root: str, folders: dict | None = None) -> Opened | None:
    """The regular file at ``location``, checked to be inside ``root`` once open; None when there is none.

    Raises OutsideRoot (what was opened lies outside ``root``) or ImageUnreadable (a FIFO, a device, no permission).

    ``folders``: a dict the caller keeps for many files (and ends with :func:`close_folders`). The file's folder is
    then opened once and its real path checked to lie inside ``root``, and the file is opened in that open folder
    without following a link: a regular file opened so is inside ``root`` as surely as one whose real path was read
    (one system call less per file). A link, anything but a regular file, or a folder that cannot be opened or lies
    outside is opened as without ``folders``.
    """
    if folders is not None and _STAT_AT and _NOFOLLOW:
        folder, found, name = location.rpartition(os.sep)
        if found and name:
            key = (folder or os.sep, root)
            dir_fd = folders.get(key, -1)
            if dir_fd == -1:
                dir_fd = folders[key] = _checked_folder(folder or os.sep, root)
            if dir_fd is not None:
                try:
                    fd = os.open(name, _OPEN_FLAGS | _NOFOLLOW, dir_fd=dir_fd)
                except FileNotFoundError:
                    return None
                except (OSError, ValueError):
                    fd = None  # a link (ELOOP), no permission, a NUL byte...: opened as below
                if fd is not None:
                    try:
                        st = os.fstat(fd)
                    except OSError:
                        st = None
                    if st is not None and _stat.S_ISREG(st.st_mode):
                        return _opened(fd, st)
                    os.close(fd)
    try:
        fd = os.open(location, _OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError, ValueError):  # ValueError: a NUL byte in the path
        return None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENAMETOOLONG):  # a symbolic link loop: os.path.exists() is False
            return None
        raise ImageUnreadable(exc.strerror or str(exc)) from None
    try:
        st = os.fstat(fd)
        real = _opened_path(fd, location, st)
        if real is None or not _within(real, _real_root(root)):
            raise OutsideRoot(location)
        if _stat.S_ISDIR(st.st_mode):
            return None
        if not _stat.S_ISREG(st.st_mode):
            kind = "a FIFO" if _stat.S_ISFIFO(st.st_mode) else "a socket" if _stat.S_ISSOCK(st.st_mode) else \
                "a device"
            raise ImageUnreadable(f"{kind}, not a regular file; automl-lint did not read it")
    except BaseException:
        os.close(fd)
        raise
    return _opened(fd, st)


def _opened(fd: int, st) -> Opened:
    """The open regular file ``fd`` (``st``: its fstat) as an :class:`Opened` that owns it."""
    return Opened(st.st_size, _version(st), _pread(fd), lambda: os.close(fd),
                  advise=(lambda n: _advise(fd, n)) if _FADVISE else None)


def _version(st) -> str:
    return str(st.st_mtime_ns)


def _checked_folder(folder: str, root: str) -> int | None:
    """``folder`` opened, when its real path lies inside ``root``; else None."""
    try:
        fd = os.open(folder, _DIR_FLAGS)
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        return None
    try:
        real = _opened_path(fd, folder, os.fstat(fd))
    except OSError:
        real = None
    if real is None or not _within(real, _real_root(root)):
        os.close(fd)
        return None
    return fd


def close_folders(folders: dict) -> None:
    """Close the folders :func:`open_local` opened into ``folders``."""
    for fd in folders.values():
        if fd is not None:
            os.close(fd)
    folders.clear()


def folder_absent(folder: str) -> bool:
    """True when nothing can exist in ``folder``: it does not exist (a dangling link included) or is not a folder.
    Opening any path in it would fail the same way (no such file, or not a folder: the image is missing), so one
    look-up tells it for all of them; nothing is opened or read. False when it exists or cannot be told."""
    try:
        return not _stat.S_ISDIR(os.stat(folder).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except (OSError, ValueError):  # no permission on the way, a NUL byte: each file is opened and judged
        return False


def stat_local(refs: list) -> list:
    """``(size, version)`` of the file at each ``(location, root, ...)`` as :func:`open_local` would find it, told without
    opening the file; None where it cannot be told this cheaply (the caller then opens the file).

    Each folder is opened once and its real path checked to lie inside ``root``, as ``open_local`` checks a file's;
    each file is then looked up in that open folder without following a link (``fstatat`` with
    ``AT_SYMLINK_NOFOLLOW``): a regular file this process may read is inside ``root`` as surely as an opened one. A
    link (even one staying inside), a missing or unreadable file, anything but a regular file, a folder that
    cannot be opened or lies outside: None. Nothing is read: one system call per file (two for a file another user
    owns), instead of four (open, fstat, the real path, close).
    """
    out: list = [None] * len(refs)
    if not _STAT_AT:
        return out
    folders: dict = {}  # (folder, root) -> (indices, names)
    sep = os.sep
    last = group = None  # the previous file's folder and root, and their group (a folder's files come together)
    for i, ref in enumerate(refs):
        folder, found, name = ref[0].rpartition(sep)
        if last is None or folder != last[0] or ref[1] != last[1] or found != last[2]:
            last = folder, ref[1], found
            key = (folder or sep) if found else os.curdir, ref[1]
            group = folders.get(key)
            if group is None:
                group = folders[key] = [], []
        group[0].append(i)
        group[1].append(name)
    for (folder, root), (indices, names) in folders.items():
        fd = _checked_folder(folder, root)
        if fd is None:
            continue
        try:
            for i, st in zip(indices, _stat_names(fd, names)):
                out[i] = st
        finally:
            os.close(fd)
    return out


def _stat_names_py(fd: int, names: list) -> list:
    """``stat_local``'s look-ups in the open folder ``fd``: ``(size, version)`` of each readable regular file of
    ``names``, None for anything else (``_speedups.stat_names`` where it is built: the same answers without a
    ``stat_result`` per file)."""
    out: list = []
    me = os.geteuid()
    stat, access, isreg, owner_reads = os.stat, os.access, _stat.S_ISREG, _stat.S_IRUSR
    for name in names:
        answer = None
        try:
            st = stat(name, dir_fd=fd, follow_symlinks=False)
            # Readable: by the owner's read bit for its owner (ACLs cannot take it away), else as asked.
            if isreg(st.st_mode) and (st.st_mode & owner_reads and st.st_uid == me
                                      or access(name, os.R_OK, dir_fd=fd)):
                answer = st.st_size, str(st.st_mtime_ns)  # _version(st)
        except (OSError, ValueError):
            pass
        out.append(answer)
    return out


try:  # optional, built from _speedups.c on Linux where a C compiler is at hand: the same answers, faster
    from automl_lint._speedups import stat_names as _stat_names
except ImportError:
    _stat_names = _stat_names_py


class Storage:
    def __init__(self) -> None:
        self._filesystems: dict = {}
        self._lock = threading.Lock()
        self._timed_out: dict = {}  # account -> the first timeout's message

    def open(self, location: str, root: str, folders: dict | None = None) -> Opened | None:
        """The image at ``location`` (mapped from ``root``), or None when it does not exist (``folders``: see
        :func:`open_local`)."""
        if not is_blob(location):
            return open_local(location, root, folders)
        fs, path = self._blob(location)
        try:
            info = self._call(location, fs.info, path)
        except FileNotFoundError:
            return None
        if info.get("type") != "file":
            return None
        if str(info.get("name", path)).strip("/") != path.strip("/"):
            raise OutsideRoot(location)  # the service answered for another blob than the one asked for
        version = _etag(info.get("etag")) or str(info.get("last_modified"))
        size = int(info["size"])

        def read(offset: int, n: int) -> bytes:
            try:
                return self._call(location, fs.cat_file, path, start=offset, end=offset + n)
            except FileNotFoundError:
                raise ImageUnreadable("the blob was deleted while it was read") from None
        return Opened(size, version, read, md5=_md5(info))

    def heads(self, locations: list[str], known: list, full: bool) -> list:
        """Blob images in one round trip each, concurrently: ``[(opened or None or an exception, head bytes)]``.

        A ranged GET of the first ``HEAD_BYTES`` returns them with the blob's size, etag and Content-MD5 (full mode
        reads the rest with ``Opened.read_all``, within the memory budget); where ``known`` (size, version, full) is given, a HEAD request comes first and
        nothing is read when the etag still matches (the head is then None). None: the blob does not exist.
        Filesystems without adlfs's async client are read through fsspec's generic calls.
        """
        import asyncio  # here, not at the top: a run on local disk never needs it (~40 ms to import)

        from automl_lint.images.probe import HEAD_BYTES

        fs, _ = self._blob(locations[0])
        client = getattr(fs, "service_client", None)
        if client is None or getattr(fs, "loop", None) is None:
            return [self._head_sync(loc, k, full) for loc, k in zip(locations, known)]
        from fsspec.asyn import sync

        async def one(location, k):
            container, _, blob = _split_blob(location)[1].partition("/")
            account = _split_blob(location)[0]
            if account in self._timed_out:
                return ImageUnreadable(self._timed_out[account]), None
            try:
                async with client.get_blob_client(container, blob) as bc:
                    if k is not None:
                        props = await asyncio.wait_for(bc.get_blob_properties(timeout=BLOB_TIMEOUT), BLOB_TIMEOUT)
                        opened = self._opened(location, props)
                        if k[0] == opened.size and k[1] == opened.version and (k[2] or not full):
                            return opened, None
                    try:
                        stream = await asyncio.wait_for(bc.download_blob(
                            offset=0, length=HEAD_BYTES, timeout=BLOB_TIMEOUT, max_concurrency=1), BLOB_TIMEOUT)
                    except Exception as exc:
                        if getattr(exc, "status_code", None) != 416:
                            raise
                        # A ranged read of an empty blob: its properties say so.
                        props = await asyncio.wait_for(bc.get_blob_properties(timeout=BLOB_TIMEOUT), BLOB_TIMEOUT)
                        return self._opened(location, props), b""
                    opened = self._opened(location, stream.properties)
                    return opened, await asyncio.wait_for(stream.readall(), BLOB_TIMEOUT)
            except asyncio.TimeoutError:
                reason = f"Blob Storage did not answer within {BLOB_TIMEOUT} s"
                self._timed_out.setdefault(account, reason)
                return ImageUnreadable(reason), None
            except Exception as exc:
                if type(exc).__name__ == "ResourceNotFoundError":
                    return None, None
                return ImageUnreadable(f"{type(exc).__name__}: {exc}".splitlines()[0][:300]), None

        async def gather():
            limit = asyncio.Semaphore(64)

            async def bounded(location, k):
                async with limit:
                    return await one(location, k)
            return await asyncio.gather(*(bounded(loc, k) for loc, k in zip(locations, known)))

        results = sync(fs.loop, gather)
        return [(r[0], r[1]) for r in results]

    def listed(self, folder: str, names: set[str]) -> dict[str, tuple[int, str]]:
        """{name: (size, etag)} for the blobs ``names`` directly under the Blob ``folder``, from listing pages
        (up to 5,000 blobs per request instead of one request per blob). Only the wanted entries are kept, the
        listing stops past the last wanted name (names come sorted), and it gives up after ten times as many
        entries as wanted (a folder far larger than what the dataset uses): those are then asked one by one.
        """
        fs, path = self._blob(folder)
        client = getattr(fs, "service_client", None)
        if client is None or getattr(fs, "loop", None) is None or not names:
            return {}
        container, _, prefix = path.partition("/")
        prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        last = max(names)
        budget = 10 * len(names) + 5000
        import asyncio

        from fsspec.asyn import sync

        async def walk():
            found: dict = {}
            seen = 0
            async with client.get_container_client(container) as cc:
                async for blob in cc.list_blobs(name_starts_with=prefix, timeout=BLOB_TIMEOUT):
                    name = blob.name[len(prefix):]
                    if name in names:
                        found[name] = (int(blob.size), _etag(blob.etag))
                    seen += 1
                    if name > last or seen > budget:
                        break
            return found

        account = _split_blob(folder)[0]
        if account in self._timed_out:
            return {}
        try:
            return sync(fs.loop, asyncio.wait_for, walk(), BLOB_TIMEOUT * 4)
        except Exception:  # listing is only a shortcut: each blob is then asked for itself
            return {}

    def _opened(self, location: str, props) -> Opened:
        fs, path = self._blob(location)
        if props.name is not None and str(props.name).strip("/") != path.partition("/")[2].strip("/"):
            raise OutsideRoot(location)  # the service answered for another blob than the one asked for
        settings = props.content_settings
        md5 = getattr(settings, "content_md5", None) if settings is not None else None
        if isinstance(md5, str):
            import base64

            md5 = base64.b64decode(md5)

        def read(offset: int, n: int) -> bytes:
            try:
                return self._call(location, fs.cat_file, path, start=offset, end=offset + n)
            except FileNotFoundError:
                raise ImageUnreadable("the blob was deleted while it was read") from None
        size = getattr(props, "size", None) or 0
        content_range = getattr(props, "content_range", None)  # "bytes 0-16383/391234" on a ranged read
        if content_range and "/" in content_range:
            size = content_range.rsplit("/", 1)[1]
        return Opened(int(size), _etag(props.etag) or str(props.last_modified), read, md5=bytes(md5).hex() if md5 else "")

    def _head_sync(self, location: str, known, full: bool):
        from automl_lint.images.probe import HEAD_BYTES

        try:
            opened = self.open(location, location)
        except (ImageUnreadable, OutsideRoot) as exc:
            return exc, None
        if opened is None:
            return None, None
        if known is not None and known[0] == opened.size and known[1] == opened.version and (known[2] or not full):
            return opened, None
        try:
            return opened, opened.read(0, min(opened.size, HEAD_BYTES))
        except ImageUnreadable as exc:
            return exc, None

    def _call(self, location: str, operation, path: str, **kwargs):
        """A Blob operation bounded by BLOB_TIMEOUT; failures other than 'not found' become ImageUnreadable."""
        account = _split_blob(location)[0]
        if account in self._timed_out:
            raise ImageUnreadable(self._timed_out[account])
        try:
            return operation(path, timeout=BLOB_TIMEOUT, **kwargs)
        except FileNotFoundError:
            raise
        except TimeoutError:  # fsspec's FSTimeoutError is one
            reason = f"Blob Storage did not answer within {BLOB_TIMEOUT} s"
            self._timed_out.setdefault(account, reason)
            raise ImageUnreadable(reason) from None
        except Exception as exc:  # azure-core raises its own hierarchy: every failure is this image's problem
            raise ImageUnreadable(f"{type(exc).__name__}: {exc}".splitlines()[0][:300]) from None

    def _blob(self, location: str):
        account, path = _split_blob(location)
        with self._lock:
            fs = self._filesystems.get(account)
            if fs is None:
                try:
                    import fsspec
                    import adlfs  # noqa: F401  (registers the az:// protocol)
                except ImportError:
                    raise StorageUnavailable("reading images from Azure Blob needs the 'azure' extra: "
                                             "pip install 'automl-lint[azure]'") from None
                options = {"account_name": account} if account else {}
                try:
                    fs = fsspec.filesystem("az", skip_instance_cache=True, **options)
                except (ValueError, TypeError) as exc:
                    raise StorageUnavailable(f"cannot connect to Azure Blob for {location}: {exc}") from None
                self._filesystems[account] = fs
        return fs, path


def _etag(etag) -> str:
    """An etag as listings and reads agree on (listings give it bare, reads in quotes)."""
    return str(etag).strip('"') if etag else ""


def _md5(info: dict) -> str:
    settings = info.get("content_settings")
    md5 = None
    if settings is not None:
        md5 = settings.get("content_md5") if hasattr(settings, "get") else getattr(settings, "content_md5", None)
    return bytes(md5).hex() if md5 else ""


def _split_blob(location: str) -> tuple[str | None, str]:
    """(account or None to use the environment, 'container/path')."""
    parts = urlsplit(location)
    if parts.scheme == "https":
        account = parts.netloc.split(".", 1)[0]
        return account, parts.path.lstrip("/")
    if "@" in parts.netloc:  # abfss://container@account.dfs.core.windows.net/path
        container, _, host = parts.netloc.partition("@")
        return host.split(".", 1)[0], f"{container}/{parts.path.lstrip('/')}"
    return None, f"{parts.netloc}/{parts.path.lstrip('/')}".rstrip("/")
