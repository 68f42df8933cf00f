"""Small JPEG thumbnails of the located images, for the HTML report, cached beside the probe cache.

An image is found the way the image pass finds it (:class:`~automl_lint.images.locate.Locator`, local or Blob)
and read with its :class:`~automl_lint.images.storage.Storage`. A thumbnail is remembered under a key of its
location, size and version (mtime or etag), so an unchanged image is decoded once.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import warnings

THUMB_LONG_SIDE = 240
_QUALITY = 70


class Thumbnails:
    def __init__(self, settings) -> None:
        from automl_lint.images.cache import default_dir
        from automl_lint.images.locate import Locator
        from automl_lint.images.storage import Storage

        self.locator = Locator(settings.image_root, settings.datastores, settings.image_maps)
        self.storage = Storage()
        folder = settings.image_cache
        self.folder = None if folder == "" else os.path.join(folder or default_dir(), "thumbnails")
        self.made = self.cached = 0

    def get(self, url) -> tuple[str, int, int] | str:
        """(``data:`` URI, image width, image height), or why there is no thumbnail."""
        if type(url) is not str:
            return "no image_url"
        from automl_lint.images.storage import ImageUnreadable, OutsideRoot, StorageUnavailable

        try:
            for location, root in self.locator.candidates(url):
                opened = self.storage.open(location, root)
                if opened is None:
                    continue
                with opened:
                    key = hashlib.blake2b(f"{location}\0{opened.size}\0{opened.version}\0{THUMB_LONG_SIDE}".encode(
                        "utf-8", "surrogateescape"), digest_size=16).hexdigest()
                    found = self._load(key)
                    if found is None:
                        found = _make(opened.read_all())
                        if type(found) is str:
                            return found
                        self._store(key, found)
                        self.made += 1
                    else:
                        self.cached += 1
                data, width, height = found
                return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii"), width, height
        except OutsideRoot:
            return "image path leaves its folder: not read"
        except (ImageUnreadable, StorageUnavailable) as exc:
            return f"image not readable ({exc})"
        return "image not found" if url not in self.locator.outside else "image path leaves its folder: not read"

    def _load(self, key: str):
        if self.folder is None:
            return None
        try:
            with open(os.path.join(self.folder, key + ".thumb"), "rb") as fh:
                head = fh.readline().split()
                return fh.read(), int(head[0]), int(head[1])
        except (OSError, ValueError, IndexError):
            return None

    def _store(self, key: str, found) -> None:
        if self.folder is None:
            return
        data, width, height = found
        try:
            os.makedirs(self.folder, exist_ok=True)
            tmp = os.path.join(self.folder, f"{key}.{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                fh.write(f"{width} {height}\n".encode() + data)
            os.replace(tmp, os.path.join(self.folder, key + ".thumb"))
        except OSError:
            pass


def _make(data: bytes):
    """(JPEG bytes, width, height) of the image's pixels as stored (no EXIF rotation), or why not."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as im:
                width, height = im.size
                im.draft("RGB", (THUMB_LONG_SIDE, THUMB_LONG_SIDE))  # JPEG: decode at a reduced scale
                small = im.convert("RGBA") if im.mode in ("P", "LA", "PA") else im
                small = small.convert("RGB") if small.mode != "RGB" else small.copy()
                small.thumbnail((THUMB_LONG_SIDE, THUMB_LONG_SIDE))
                out = io.BytesIO()
                small.save(out, "JPEG", quality=_QUALITY, optimize=True)
                return out.getvalue(), width, height
        except Exception as exc:  # truncated, unidentifiable, a decompression bomb, an unusual mode
            return f"image not decodable ({type(exc).__name__})"
