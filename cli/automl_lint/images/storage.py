"""Reading image bytes from a local folder or Azure Blob Storage (through fsspec/adlfs, imported lazily).

Blob credentials come from the environment, as adlfs reads them: ``AZURE_STORAGE_CONNECTION_STRING``, or
``AZURE_STORAGE_ACCOUNT_NAME`` with ``AZURE_STORAGE_ACCOUNT_KEY`` / ``AZURE_STORAGE_SAS_TOKEN`` / Azure AD.
Files are only ever opened for reading.
"""

from __future__ import annotations

import os
import threading
from urllib.parse import urlsplit

from automl_lint.images.locate import is_blob


class StorageUnavailable(Exception):
    """The Azure extra is not installed or the storage cannot be reached: automl-lint cannot run (exit 2)."""


class Storage:
    def __init__(self) -> None:
        self._filesystems: dict = {}
        self._lock = threading.Lock()

    def stat(self, location: str) -> tuple[int, str] | None:
        """(size, version) of the file, or None when it does not exist (or is not a file)."""
        if not is_blob(location):
            try:
                st = os.stat(location)
            except OSError:
                return None
            if not os.path.isfile(location):
                return None
            return st.st_size, str(st.st_mtime_ns)
        fs, path = self._blob(location)
        try:
            info = fs.info(path)
        except FileNotFoundError:
            return None
        if info.get("type") != "file":
            return None
        version = info.get("etag") or str(info.get("last_modified"))
        return int(info["size"]), str(version)

    def read(self, location: str) -> bytes:
        if not is_blob(location):
            with open(location, "rb") as fh:
                return fh.read()
        fs, path = self._blob(location)
        return fs.cat_file(path)

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
