"""What an image file really is, asked of Pillow (the library AutoML's PIL-based models decode with).

Header mode reads the size, format, mode and EXIF orientation without decoding pixels; full mode also
decodes them (``load()``), which is the only way to find truncated or corrupt data. Both hash the bytes
so that identical images under different names can be found.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import warnings
from dataclasses import asdict, dataclass

from PIL import Image, UnidentifiedImageError

ORIENTATION_TAG = 0x0112
_PIXELS = re.compile(r"\((\d+) pixels\)")


@dataclass
class Probe:
    exists: bool = True
    bytes: int = 0
    digest: str = ""
    format: str | None = None
    width: int | None = None
    height: int | None = None
    mode: str | None = None
    orientation: int = 1
    transparency: bool = False
    pixels: int | None = None      # set when Pillow refuses the image as a decompression bomb
    error: str | None = None       # why the image cannot be decoded
    full: bool = False             # pixels were decoded
    unreadable: str | None = None  # why the bytes could not be read (never cached)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Probe":
        return cls(**data)


MISSING = Probe(exists=False)
# Decoding a large image takes up to ~700 MB (Pillow's limit is 179 Mpx): at most two at once, whatever --jobs.
LARGE_PIXELS = 16_000_000
_large_decodes = threading.BoundedSemaphore(2)


def unreadable(reason: str) -> Probe:
    return Probe(unreadable=reason)


def probe_bytes(data: bytes, full: bool) -> Probe:
    p = Probe(bytes=len(data), digest=hashlib.blake2b(data, digest_size=16).hexdigest(), full=full)
    if not data:
        p.error = "the file is empty"
        return p
    with warnings.catch_warnings():
        # Pillow warns above ~89 Mpx and raises above ~179 Mpx; only the error matters to AutoML.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as im:
                p.format, (p.width, p.height), p.mode = im.format, im.size, im.mode
                p.transparency = "transparency" in im.info
                try:
                    p.orientation = int(im.getexif().get(ORIENTATION_TAG, 1) or 1)
                except Exception:  # a broken EXIF block does not stop AutoML from decoding the pixels
                    p.orientation = 1
                if full:
                    if im.width * im.height > LARGE_PIXELS:
                        with _large_decodes:
                            im.load()
                    else:
                        im.load()
        except Image.DecompressionBombError as exc:
            m = _PIXELS.search(str(exc))
            p.pixels = int(m.group(1)) if m else None
            p.error = None
        except UnidentifiedImageError:
            p.error = "not an image Pillow can identify"
        except Exception as exc:  # truncated data, broken chunks, ...: AutoML's reader fails the same way
            p.error = f"{type(exc).__name__}: {exc}"
    return p
