"""What the ``--images`` pass learned about each image, kept for the fixes that need the real image.

The pixel-box and pixel-polygon fixes (AML415, AML505) divide by the real width and height, and the
``image_details`` fixes (AML703, AML704) write the real format and size. The image pass hands every
``image_url`` it saw to :meth:`ImageFacts.add` (through ``api.run(..., image_probes=...)``) with its probe,
or None when the image could not be located; the fixer asks :meth:`ImageFacts.get`.

Memory: 18 bytes per distinct ``image_url`` (an 8-byte hash of the URL, width, height, format and EXIF
orientation packed in arrays), never the URLs themselves: about 180 MB for ten million images, less than the
image pass itself holds while it runs (sorting them once takes about 40 bytes per URL more, briefly). Two URLs
whose hashes differ in content but collide (odds of about 3 in a million for ten million images) both count as
"checked, size unknown": no image fix is made for them, none is made wrongly.
"""

from __future__ import annotations

import hashlib
import struct
import tempfile
from array import array
from collections.abc import Iterator
from bisect import bisect_left
from typing import NamedTuple


class Image(NamedTuple):
    """The real image, as AutoML's PIL-based models decode it (``orientation``: EXIF, 1 when none)."""

    width: int
    height: int
    format: str
    orientation: int


class _Unprobed:
    def __repr__(self) -> str:
        return "UNPROBED"


# The image pass never saw the image_url (a record AutoML skips, or a URL a fix rewrote): wait for the next round.
UNPROBED = _Unprobed()
_NO_SIZE = 0  # width 0: checked, but no size known (missing, undecodable, not located, hash collision)
# Without a size, ``meta`` says why, as the image pass's finding on the image_url: not located (or two URLs sharing
# a hash), missing, undecodable, too many pixels, outside its root, unreadable.
_WHY = ("AML700", "AML701", "AML702", "AML708", "AML714", "AML715")
IMAGE_STATUS = frozenset(_WHY)


def _why(probe) -> int:
    if probe is None:
        return 0
    if probe.outside:
        return 4
    if probe.unreadable:
        return 5
    if not probe.exists:
        return 1
    if probe.pixels is not None:
        return 3
    return 2 if probe.error is not None else 0


def _key(url: str) -> int:
    return int.from_bytes(hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big",
                          signed=True)


class ImageFacts:
    """{image_url: Image | None} for every image the pass checked; sorted arrays once :meth:`freeze` is called."""

    def __init__(self) -> None:
        self.keys = array("q")
        self.widths = array("L")
        self.heights = array("L")
        self.meta = array("H")  # format index << 4 | orientation
        self.formats: list[str] = []
        self._frozen = True
        self._last: tuple = (None, None)  # (image_url, index) of the last lookup

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, url: str, probe) -> None:
        """The image pass's answer for one image_url: a Probe, or None when it was not located."""
        width = height = meta = 0
        if (probe is not None and probe.exists and not probe.unreadable and probe.error is None
                and probe.pixels is None and probe.width and probe.height and probe.format):
            width, height = probe.width, probe.height
            if probe.format not in self.formats:
                self.formats.append(probe.format)
            orientation = probe.orientation if 0 <= probe.orientation <= 8 else 1
            meta = self.formats.index(probe.format) << 4 | orientation
        else:
            meta = _why(probe)
        self.keys.append(_key(url))
        self.widths.append(width)
        self.heights.append(height)
        self.meta.append(meta)
        self._frozen = False

    def freeze(self) -> None:
        """Sort by hash; an image_url seen twice keeps one entry, two URLs sharing a hash lose their size."""
        if self._frozen:
            return
        order = sorted(range(len(self.keys)), key=self.keys.__getitem__)
        keys, widths, heights, meta = array("q"), array("L"), array("L"), array("H")
        for i in order:
            row = (self.widths[i], self.heights[i], self.meta[i])
            if keys and keys[-1] == self.keys[i]:
                if (widths[-1], heights[-1], meta[-1]) != row:
                    widths[-1] = heights[-1] = meta[-1] = _NO_SIZE  # and meta 0: "not located"
                continue
            keys.append(self.keys[i])
            widths.append(row[0])
            heights.append(row[1])
            meta.append(row[2])
        del order
        self.keys, self.widths, self.heights, self.meta = keys, widths, heights, meta
        self._frozen = True

    def _find(self, url: str) -> int | None:
        if url == self._last[0] and self._frozen:  # a line asks about its image many times over
            return self._last[1]
        self.freeze()
        key = _key(url)
        i = bisect_left(self.keys, key)
        found = i if i < len(self.keys) and self.keys[i] == key else None
        self._last = (url, found)
        return found

    def get(self, url: str):
        """The Image, None when the pass checked the URL but knows no size, UNPROBED when it never saw it."""
        i = self._find(url)
        if i is None:
            return UNPROBED
        if self.widths[i] == _NO_SIZE:
            return None
        m = self.meta[i]
        return Image(self.widths[i], self.heights[i], self.formats[m >> 4], m & 15)

    def finding(self, url: str) -> str | None:
        """For a URL checked without a size: the code of the image pass's finding on it (AML700 not located,
        AML701 missing, AML702 undecodable, AML708 too many pixels, AML714 outside its root, AML715 unreadable)."""
        i = self._find(url)
        if i is None or self.widths[i] != _NO_SIZE:
            return None
        return _WHY[self.meta[i]]


class UrlSpool:
    """The image_url values a round met that the image pass had not checked, kept in a temporary file: memory
    does not grow with them; :meth:`batches` hands them back in sets of at most ``BATCH`` for the image pass."""

    BATCH = 100_000

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(prefix="automl-lint-urls-")
        self.count = 0
        self._last = None

    def add(self, url: str) -> None:
        if url == self._last:  # the lines of one image often follow each other
            return
        self._last = url
        data = url.encode("utf-8", "surrogatepass")
        self.file.write(struct.pack("<I", len(data)) + data)
        self.count += 1

    def __bool__(self) -> bool:
        return self.count > 0

    def batches(self) -> Iterator[set[str]]:
        self.file.seek(0)
        batch: set[str] = set()
        while True:
            head = self.file.read(4)
            if len(head) < 4:
                break
            batch.add(self.file.read(struct.unpack("<I", head)[0]).decode("utf-8", "surrogatepass"))
            if len(batch) >= self.BATCH:
                yield batch
                batch = set()
        if batch:
            yield batch

    def close(self) -> None:
        self.file.close()
