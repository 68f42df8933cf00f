"""What an image file really is, as Pillow (the library AutoML's PIL-based models decode with) sees it.

Header mode reads the first ``HEAD_BYTES`` of the file and more only as far as the header goes (size, format, mode,
EXIF orientation): pixels are never decoded and a typical JPEG or PNG costs 16 KiB. The common JPEG and PNG
headers are read by ``headers`` (pure Python, the same answers as Pillow's parser at a fraction of its cost); any
other header is asked of Pillow. Full mode reads the whole file and decodes the pixels with Pillow (``load()``),
the only way to find truncated or corrupt data.

Identical images are found without reading every byte: a probe keeps the file size and a hash of a sample of its
first ``HEAD_BYTES`` (``head``); only files that share both are hashed whole (``digest``, see ``check``). Files no larger
than ``HEAD_BYTES`` and fully decoded files get their whole-content digest for free.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import warnings
import zlib
from dataclasses import dataclass, fields
from operator import attrgetter

from automl_lint.images import headers
from automl_lint.images.storage import ImageUnreadable

ORIENTATION_TAG = 0x0112
_PIXELS = re.compile(r"\((\d+) pixels\)")
HEAD_BYTES = 16 << 10
# Pillow reads a header as far as the first pixel data; beyond this many bytes the header is not believed.
MAX_HEADER_BYTES = 32 << 20
_EXTEND = 16 << 10  # a header read past the head grows the buffer by at least this much
# The first read past the head goes this far beyond where the header said it goes on (the end of a long segment,
# such as a camera JPEG's EXIF block, is usually followed by a few small ones and the end of the header).
_AHEAD = 4 << 10


@dataclass(slots=True)  # compact: a run keeps one per image and reads them in several passes
class Probe:
    exists: bool = True
    bytes: int = 0
    head: str = ""                 # hash of a sample of the first HEAD_BYTES (with ``bytes``: the duplicate candidate key)
    digest: str = ""               # hash of the whole content, when known
    md5: str = ""                  # the Content-MD5 Blob storage keeps, when it has one
    version: str = ""              # modification time (ns) or Blob etag when probed
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
    outside: bool = False          # what was opened is outside the mapped location: never read (never cached)

    def to_json(self) -> list:
        """The field values in order (a list: cheaper than a dict for the cache's many rows)."""
        return list(_values(self))

    @classmethod
    def from_json(cls, data: list) -> "Probe":
        """ValueError when ``data`` is not a probe this version wrote."""
        if type(data) is not list or len(data) != len(_FIELDS):
            raise ValueError("not a probe")
        return cls(*data)


_FIELDS = tuple(f.name for f in fields(Probe))
_values = attrgetter(*_FIELDS)
MISSING = Probe(exists=False)
OUTSIDE = Probe(exists=False, outside=True)
# Decoding a large image takes up to ~700 MB (Pillow's limit is 179 Mpx): at most two at once, whatever --jobs.
LARGE_PIXELS = 16_000_000
_large_decodes = threading.BoundedSemaphore(2)


def unreadable(reason: str) -> Probe:
    return Probe(unreadable=reason)


def content_hash(data) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


HEAD_SAMPLE = 16  # the head hash reads every 16th byte of the head


def head_hash(head: bytes) -> str:
    """A cheap hash of the head: with the size, it only selects candidates that are then compared whole.

    It hashes every ``HEAD_SAMPLE``-th byte (1 KiB of a 16 KiB head, spread over all of it): ~1.5 us instead of ~10
    for the CRC-32 of the whole head, in each cold probe. Two different compressed images of the same size differ
    all over their heads past the first differing byte, so the sample tells them apart as well; files that differ
    only between the sampled bytes become candidates, and their whole-file hashes then tell them apart."""
    return f"{zlib.crc32(head[::HEAD_SAMPLE]):08x}"


def probe_bytes(data: bytes, full: bool) -> Probe:
    """Probe an image held in memory (full mode reads whole files; tests)."""
    p = Probe(bytes=len(data), head=head_hash(data[:HEAD_BYTES]), digest=content_hash(data), full=full)
    if full or not _from_header(_HeadReader(data, len(data), None), p):
        _identify(io.BytesIO(data), p, full)
    return p


def probe_head(head: bytes, size: int, read_more) -> Probe:
    """Probe an image from its first bytes; ``read_more(offset, n)`` reads on when the header goes on."""
    p = Probe(bytes=size, head=head_hash(head))
    if len(head) >= size:
        p.digest = content_hash(head)
    reader = _HeadReader(head, size, read_more)
    if _from_header(reader, p):
        return p
    # Most headers fit in the head: Pillow parses it from memory (fast); only a parse that failed is retried with
    # the reader that fetches more (a header parsed to its end never needed more bytes).
    _identify(io.BytesIO(head), p, False)
    if size > len(head) and (p.error is not None or p.pixels is not None or p.unreadable is not None):
        p = Probe(bytes=size, head=p.head, digest=p.digest)
        _identify(reader, p, False)
    return p


def _from_header(reader: "_HeadReader", p: Probe) -> bool:
    """Fill ``p`` from ``headers.identify``, reading on as far as the header goes; False when it is not sure (or
    the bytes could not be read): then Pillow decides."""
    buf = bytes(reader.buf)
    grown = False
    while True:
        try:
            h = headers.identify(buf)
            break
        except headers.NeedMore as more:
            if len(buf) >= reader.size:
                return False  # the file ends inside its header: Pillow says how it fails
            try:
                if not grown:  # the first time: just past the segment that goes on (bytes read are the cost)
                    reader.fill(max(more.end, min(more.end + _AHEAD, MAX_HEADER_BYTES)), ahead=0)
                else:
                    # The parse starts over on the longer buffer: doubling it keeps a long header (a crafted file
                    # of thousands of small chunks) linear in its length instead of quadratic.
                    reader.fill(max(more.end, min(2 * len(buf), MAX_HEADER_BYTES)))
            except (HeaderTooLarge, ImageUnreadable):
                return False
            grown = True
            buf = bytes(reader.buf)
    if h is None:
        return False
    p.format, p.width, p.height, p.mode, p.orientation, p.transparency = h
    return True


class HeaderTooLarge(Exception):
    pass


class _HeadReader(io.RawIOBase):
    """The file as Pillow's header parser sees it: the head already read, more fetched on demand (and kept)."""

    def __init__(self, head: bytes, size: int, read_more) -> None:
        self.buf = bytearray(head)
        self.size = size
        self.read_more = read_more
        self.pos = 0

    def fill(self, end: int, ahead: int = _EXTEND) -> None:
        """Read the file on to ``end`` (at least ``ahead`` more bytes at a time)."""
        end = min(end, self.size)
        if end <= len(self.buf):
            return
        if end > MAX_HEADER_BYTES:
            raise HeaderTooLarge(f"the image header goes on past {MAX_HEADER_BYTES >> 20} MiB")
        want = min(self.size, max(end, len(self.buf) + ahead)) - len(self.buf)
        more = self.read_more(len(self.buf), want)
        if not more:  # the file shrank: the parser sees its end
            self.size = len(self.buf)
        self.buf += more

    def read(self, n=-1):
        end = self.size if n is None or n < 0 else self.pos + n
        self.fill(end)
        data = bytes(self.buf[self.pos:end])
        self.pos += len(data)
        return data

    def readinto(self, b):
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def seek(self, offset, whence=0):
        self.pos = max(0, offset if whence == 0 else (self.pos + offset if whence == 1 else self.size + offset))
        return self.pos

    def tell(self):
        return self.pos

    def readable(self):
        return True

    def seekable(self):
        return True


def _identify(fp, p: Probe, full: bool) -> None:
    if not p.bytes:
        p.error = "the file is empty"
        return
    # Imported here: most headers are read by ``headers`` and a warm run reads none, so most runs never need
    # PIL.Image (~20 ms to import).
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        # Pillow warns above ~89 Mpx and raises above ~179 Mpx; only the error matters to AutoML.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(fp) as im:
                p.format, (p.width, p.height), p.mode = im.format, im.size, im.mode
                p.transparency = "transparency" in im.info
                try:
                    # Header mode reads the EXIF block Pillow met in the header (JPEG APP1, WebP, PNG eXIf before
                    # the pixels); PngImageFile.getexif() would decode the whole image to look further.
                    exif = im.getexif() if full else Image.Image.getexif(im)
                    p.orientation = int(exif.get(ORIENTATION_TAG, 1) or 1)
                except (HeaderTooLarge, ImageUnreadable):
                    raise
                except Exception:  # a broken EXIF block does not stop AutoML from decoding the pixels
                    p.orientation = 1
                if full:
                    if im.width * im.height > LARGE_PIXELS:
                        with _large_decodes:
                            im.load()
                    else:
                        im.load()
        except (HeaderTooLarge, ImageUnreadable) as exc:  # not the image's fault: it was not checked
            p.unreadable = str(exc)
        except Image.DecompressionBombError as exc:
            m = _PIXELS.search(str(exc))
            p.pixels = int(m.group(1)) if m else None
            p.error = None
        except UnidentifiedImageError:
            p.error = "not an image Pillow can identify"
        except Exception as exc:  # truncated data, broken chunks, ...: AutoML's reader fails the same way
            p.error = f"{type(exc).__name__}: {exc}"
