"""Reading image bytes from a local folder or Azure Blob Storage (through fsspec/adlfs, imported lazily).

Blob credentials come from the environment, as adlfs reads them: ``AZURE_STORAGE_CONNECTION_STRING``, or
``AZURE_STORAGE_ACCOUNT_NAME`` with ``AZURE_STORAGE_ACCOUNT_KEY`` / ``AZURE_STORAGE_SAS_TOKEN`` / Azure AD.
Files are only ever opened for reading.
"""

from __future__ import annotations

import os
from stat import S_ISREG
import threading
from urllib.parse import urlsplit

from automl_lint.images.locate import is_blob


# Each Blob operation gives up after this many seconds; after one timeout the account is not asked again.
BLOB_TIMEOUT = 30
MAX_IMAGE_BYTES = 1 << 30


class StorageUnavailable(Exception):
    """The Azure extra is not installed or the storage cannot be reached: automl-lint cannot run (exit 2)."""


class ImageUnreadable(Exception):
    """One image exists but cannot be read (permission, timeout, network, size): reported per image."""


class Storage:
    def __init__(self) -> None:
        self._filesystems: dict = {}
        self._lock = threading.Lock()
        self._timed_out: dict = {}  # account -> the first timeout's message

    def stat(self, location: str) -> tuple[int, str] | None:
        """(size, version) of the file, or None when it does not exist (or is not a file)."""
        if not is_blob(location):
            try:
                st = os.stat(location)
            except (OSError, ValueError):  # ValueError: a NUL byte in the path
                return None
            if not S_ISREG(st.st_mode):  # a folder, FIFO or device is never opened
                return None
            return st.st_size, str(st.st_mtime_ns)
        fs, path = self._blob(location)
        try:
            info = self._call(location, fs.info, path)
        except FileNotFoundError:
            return None
        if info.get("type") != "file":
            return None
        version = info.get("etag") or str(info.get("last_modified"))
        return int(info["size"]), str(version)

    def read(self, location: str, size: int) -> bytes:
        """The file's bytes (``size`` from :meth:`stat`); ImageUnreadable when that fails or is over the limit."""
        if size > MAX_IMAGE_BYTES:
            raise ImageUnreadable(f"the file is {size:,} bytes, over automl-lint's limit of {MAX_IMAGE_BYTES:,}")
        if not is_blob(location):
            try:
                with open(location, "rb") as fh:
                    return fh.read(MAX_IMAGE_BYTES + 1)
            except OSError as exc:
                raise ImageUnreadable(exc.strerror or str(exc)) from None
        fs, path = self._blob(location)
        return self._call(location, fs.cat_file, path)

    def _call(self, location: str, operation, path: str):
        """A Blob operation bounded by BLOB_TIMEOUT; failures other than 'not found' become ImageUnreadable."""
        account = _split_blob(location)[0]
        if account in self._timed_out:
            raise ImageUnreadable(self._timed_out[account])
        try:
            return operation(path, timeout=BLOB_TIMEOUT)
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
