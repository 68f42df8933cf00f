"""The common JPEG and PNG headers read without Pillow, answered exactly as Pillow's header parser would.

``identify(buf)`` returns ``Header(format, width, height, mode, orientation, transparency)`` for the layouts it
knows with certainty, the same values ``Image.open`` and ``Image.Image.getexif`` give in header mode (the rules
are Pillow 13's ``JpegImagePlugin``, ``PngImagePlugin``, ``Image.Exif`` and ``TiffImagePlugin``, checked against
the versions in ``VERIFIED_PILLOW``; under others Pillow reads every header). For anything
else (an unusual marker or chunk, a bit depth Pillow refuses, an MPO, a bad CRC, an odd EXIF block, a size past
``Image.MAX_IMAGE_PIXELS``, a header cut short) it returns None and Pillow decides. When the header goes on past
``buf`` it raises ``NeedMore(end)``: the caller reads the file up to ``end`` at least and asks again.

Parsing a header here costs ~10 us on the benchmark's images against Pillow's ~90 (``Image.open`` builds a plugin
object, reads every JPEG marker through a file object and decodes the quantisation tables and the EXIF block).
"""

from __future__ import annotations

import re
import struct
import sys
import zlib
from typing import NamedTuple

import PIL  # only its version: PIL.Image (~20 ms to import) is not needed to read these headers


class Header(NamedTuple):
    format: str
    width: int
    height: int
    mode: str
    orientation: int
    transparency: bool


class NeedMore(Exception):
    """The header goes on past the bytes given: read up to ``end`` at least."""

    def __init__(self, end: int) -> None:
        super().__init__(end)
        self.end = end


# The Pillow versions (major) whose parsers these rules were checked against (tests/test_headers.py, run under each):
# under any other, Pillow reads every header (Pillow 10, for one, does not read the orientation of JPEG XMP).
VERIFIED_PILLOW = (11, 12, 13)
_ACTIVE = int(PIL.__version__.split(".")[0]) in VERIFIED_PILLOW
# Pillow's default decompression-bomb warning threshold (``Image.MAX_IMAGE_PIXELS``): used while PIL.Image is not
# imported; once it is, its current value (which a program may have changed) is read.
DEFAULT_MAX_IMAGE_PIXELS = int(1024 * 1024 * 1024 // 4 // 3)


def identify(buf: bytes) -> Header | None:
    if not _ACTIVE:
        return None
    if buf.startswith(b"\xff\xd8\xff"):
        return _jpeg(buf)
    if buf.startswith(_PNG_MAGIC):
        return _png(buf)
    return None


def _size_ok(width: int, height: int) -> bool:
    """Pillow refuses an empty image, and warns or refuses past MAX_IMAGE_PIXELS: those are Pillow's to say."""
    image = sys.modules.get("PIL.Image")
    limit = image.MAX_IMAGE_PIXELS if image is not None else DEFAULT_MAX_IMAGE_PIXELS
    return width > 0 and height > 0 and (limit is None or width * height <= limit)


# ---------------------------------------------------------------- JPEG
_JPEG_MODES = {1: "L", 3: "RGB", 4: "CMYK"}  # SOF layers -> mode (Pillow's SOF handler)
_SOF = frozenset((0xC0, 0xC1, 0xC2))         # baseline, extended sequential, progressive (Huffman)
_SKIPPED = frozenset((0xC4, 0xDD, 0xFE))     # DHT, DRI, COM: read and not looked into
_XMP = b"http://ns.adobe.com/xap/1.0/\x00"


def _jpeg(b: bytes) -> Header | None:
    """Walk the marker segments from SOI to SOS as ``JpegImageFile._open`` does, refusing what it does not know."""
    n = len(b)
    pos = 2
    sof = exif = xmp = None
    dpi = False  # a JFIF density in dots per inch or cm: Pillow then does not read the DPI from the EXIF block
    while True:
        if pos + 4 > n:
            if sof is not None and pos + 2 > n:
                # Pillow's parser, given only these bytes, would stop here without an error and answer: its
                # answer for the head may then differ from the file's; let it give it.
                return None
            raise NeedMore(pos + 4)
        if b[pos] != 0xFF:
            return None  # junk between segments: Pillow skips it, not this parser
        marker = b[pos + 1]
        length = b[pos + 2] << 8 | b[pos + 3]
        end = pos + 2 + length
        if length < 2:
            return None
        if end > n:
            raise NeedMore(end)
        seg = b[pos + 4:end]
        if marker == 0xDA:  # SOS: the header ends with this segment
            break
        if 0xE0 <= marker <= 0xEF:
            if marker == 0xE0 and seg.startswith(b"JFIF"):
                if len(seg) < 7:
                    return None  # Pillow fails reading the JFIF version
                dpi = dpi or (len(seg) >= 12 and seg[7] in (1, 2))
            elif marker == 0xE1 and seg.startswith(b"Exif\x00\x00"):
                exif = seg if exif is None else exif + seg[6:]  # later EXIF blocks are appended, as in Pillow
            elif marker == 0xE1 and seg.startswith(_XMP):
                xmp = seg[len(_XMP):]
            elif marker == 0xE2 and seg.startswith(b"MPF\x00"):
                return None  # a multi-picture file: Pillow may open it as MPO
            elif marker == 0xE2 and seg.startswith(b"ICC_PROFILE\x00") and len(seg) < 14:
                return None  # Pillow fails reading the part's sequence numbers
            elif marker == 0xED and seg.startswith(b"Photoshop 3.0\x00"):
                return None  # Pillow parses the resource blocks and can fail on them
            elif marker == 0xEE and seg.startswith(b"Adobe") and len(seg) < 7:
                return None  # Pillow fails reading the Adobe version
        elif marker == 0xDB:  # DQT: Pillow refuses a table cut short
            i = 0
            while i < len(seg):
                i += 65 if seg[i] < 16 else 129
            if i != len(seg):
                return None
        elif marker in _SOF:
            if sof is not None or len(seg) < 6 or (len(seg) - 6) % 3:
                return None  # a second frame header, or one Pillow fails reading
            sof = seg
        elif marker not in _SKIPPED:
            return None
        pos = end
    if sof is None or sof[0] != 8 or sof[5] not in _JPEG_MODES:
        return None  # no frame header, or samples or a number of components Pillow refuses
    height, width = sof[1] << 8 | sof[2], sof[3] << 8 | sof[4]
    if not _size_ok(width, height):
        return None
    orientation = _orientation(exif, xmp, dpi_from_exif=not dpi)
    if orientation is None:
        return None
    return Header("JPEG", width, height, _JPEG_MODES[sof[5]], orientation, False)


# ---------------------------------------------------------------- PNG
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# (bit depth, colour type) -> mode: PngImagePlugin._MODES
_PNG_MODES = {(1, 0): "1", (2, 0): "L", (4, 0): "L", (8, 0): "L", (16, 0): "I;16", (8, 2): "RGB", (16, 2): "RGB",
              (1, 3): "P", (2, 3): "P", (4, 3): "P", (8, 3): "P", (8, 4): "LA", (16, 4): "RGBA", (8, 6): "RGBA",
              (16, 6): "RGBA"}
# The shortest chunk each of Pillow's handlers accepts (shorter ones are errors).
_PNG_MIN = {b"gAMA": 4, b"cHRM": 32, b"sRGB": 1, b"pHYs": 9}
# Chunks Pillow has a handler for that this parser does not replicate (compressed text, ICC, APNG, IEND): with
# IHDR, PLTE, tRNS, tEXt, eXIf and the above, the chunks with a handler; any other chunk is read and skipped.
_PNG_UNSURE = frozenset((b"iCCP", b"zTXt", b"iTXt", b"IEND", b"acTL", b"fcTL", b"fdAT"))
# tEXt keywords whose value Pillow would put where a probe looks (info["transparency"], the EXIF block, XMP).
_TEXT_UNSURE = frozenset((b"transparency", b"exif", b"xmp", b"XML:com.adobe.xmp", b"Raw profile type exif"))
_CHUNK = struct.Struct(">L4s")


def _png(b: bytes) -> Header | None:
    """Walk the chunks up to the first IDAT as ``PngImageFile._open`` does, CRCs included."""
    n = len(b)
    pos = 8
    mode = exif = None
    transparency = False
    while True:
        if pos + 8 > n:
            raise NeedMore(pos + 8)
        length, cid = _CHUNK.unpack_from(b, pos)
        if not cid.isalpha():
            return None
        if cid == b"IDAT":
            break
        start, end = pos + 8, pos + 8 + length
        if end + 4 > n:
            raise NeedMore(end + 4)
        data = b[start:end]
        if zlib.crc32(data, zlib.crc32(cid)) != int.from_bytes(b[end:end + 4], "big"):
            return None  # Pillow checks the CRC of every chunk before IDAT
        if (mode is None) != (cid == b"IHDR") or cid in _PNG_UNSURE or length < _PNG_MIN.get(cid, 0):
            return None  # IHDR not first or twice, a chunk not replicated here, or one Pillow refuses as short
        if cid == b"IHDR":
            if length < 13 or data[11]:
                return None  # truncated, or a filter method Pillow refuses
            width, height = int.from_bytes(data[0:4], "big"), int.from_bytes(data[4:8], "big")
            mode = _PNG_MODES.get((data[8], data[9]))
            if mode is None:
                return None
        elif cid == b"tRNS":
            if mode == "P":
                transparency = True
            elif mode in ("1", "L", "I;16", "RGB"):
                if length < (6 if mode == "RGB" else 2):
                    return None
                transparency = True
        elif cid == b"tEXt":
            if data.split(b"\x00", 1)[0] in _TEXT_UNSURE:
                return None
        elif cid == b"eXIf":
            exif = b"Exif\x00\x00" + data
        pos = end + 4
    if mode is None or not _size_ok(width, height):
        return None
    orientation = _orientation(exif, None, dpi_from_exif=False)
    if orientation is None:
        return None
    return Header("PNG", width, height, mode, orientation, transparency)


# ---------------------------------------------------------------- EXIF
_ORIENTATION, _RESOLUTION_UNIT, _X_RESOLUTION = 0x0112, 0x0128, 0x011A
_SHORT, _RATIONAL = 3, 5
# Bytes per value of each TIFF field type Pillow reads (TiffImagePlugin.ImageFileDirectory_v2._load_dispatch);
# entries of other types are skipped by Pillow, as here.
TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8}
_TIFF_HEADS = {b"II*\x00": "<", b"MM\x00*": ">"}
_TIFF_STRUCTS = {e: (struct.Struct(e + "L"), struct.Struct(e + "H"), struct.Struct(e + "HHL4s")) for e in "<>"}
_XMP_ORIENTATION = re.compile(rb'tiff:Orientation(="|>)([0-9])')


def _orientation(exif: bytes | None, xmp: bytes | None, dpi_from_exif: bool) -> int | None:
    """The orientation a probe records (``int(getexif().get(0x0112, 1) or 1)``), or None when unsure.

    Pillow reads IFD0 of the EXIF block; without an orientation there it takes ``tiff:Orientation`` from the XMP
    packet. A JPEG without a JFIF density also has its DPI read from the EXIF block while opening, which raises on
    some value types: only the plain ones are answered.
    """
    # The block starts with "Exif\0\0" (JPEG APP1; PNG's eXIf is given it) and Pillow strips it (versions differ
    # on how many more they strip: after a second one, this is no TIFF header for _ifd0).
    ifd = ("<", {}) if exif is None else _ifd0(exif[6:])
    if ifd is None:
        return None
    endian, tags = ifd
    if dpi_from_exif and _RESOLUTION_UNIT in tags and _X_RESOLUTION in tags:
        if tags[_RESOLUTION_UNIT][:2] != (_SHORT, 1) or tags[_X_RESOLUTION][:2] != (_RATIONAL, 1):
            return None
    if _ORIENTATION in tags:
        typ, count, value = tags[_ORIENTATION]
        if typ != _SHORT or count != 1:
            return None
        return int.from_bytes(value, "little" if endian == "<" else "big") or 1
    match = _XMP_ORIENTATION.search(xmp) if xmp else None
    return int(match[2]) or 1 if match else 1


def _ifd0(data: bytes) -> tuple[str, dict] | None:
    """The byte order and IFD0's entries as Pillow loads them, ``{tag: (type, count, value bytes)}``; None when
    Pillow would fail or stop part way (a TIFF header it does not take plainly, an entry or a value past the end
    of the block, a tag given twice). An empty block has no entries."""
    if not data:
        return "<", {}
    endian = _TIFF_HEADS.get(data[:4])
    if endian is None or len(data) < 8:
        return None
    long, short, entry = _TIFF_STRUCTS[endian]
    n = len(data)
    (offset,) = long.unpack_from(data, 4)
    if offset + 2 > n:
        return None
    (count,) = short.unpack_from(data, offset)
    pos = offset + 2
    if pos + 12 * count + 4 > n:  # the entries and the next-IFD pointer
        return None
    tags: dict = {}
    seen = set()
    out_of_line = 0
    for tag, typ, values, inline in entry.iter_unpack(data[pos:pos + 12 * count]):
        if tag in seen:
            return None  # a tag given twice: Pillow 13 keeps the first, earlier versions the last
        seen.add(tag)
        unit = TIFF_TYPE_SIZES.get(typ)
        if unit is None or not values:
            continue  # Pillow skips unknown types and empty values
        size = values * unit
        if size > 4:
            (at,) = long.unpack(inline)
            out_of_line += size
            if out_of_line > n or at + size > n:
                return None
            value = data[at:at + size]
        else:
            value = inline[:size]
        tags[tag] = (typ, values, value)
    return endian, tags
