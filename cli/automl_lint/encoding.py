"""The encodings of the MLTable engine's ``read_json_lines``: its spellings, and how it really decodes.

Observed on the real engine (``mltable`` 1.7.0, ``azureml-dataprep-rslex`` 2.26.0; tests/reading_cases):

- spellings are matched without regard to case; any other (``utf32``, ``utf8bom``, ``cp1252``, ``utf16le``, ...)
  makes the engine reject the MLTable;
- ``utf8``, ``utf-8``, ``ascii`` and ``utf-8 bom`` all read UTF-8 and skip a BOM at the start of the file; one
  invalid byte anywhere fails the whole read, even with ``invalid_lines: drop``;
- ``utf16``/``utf-16`` read UTF-16 little-endian (a BOM FF FE is skipped; a big-endian file is garbage), an odd
  byte count or a lone surrogate fails the whole read;
- the Latin spellings (``latin1``, ``iso88591``, ``windows1252``, ...) all read Windows-1252, where the five
  bytes it leaves undefined pass through as U+0081 ... U+009D: every byte decodes.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO

UTF8, LATIN, UTF16 = "utf8", "latin", "utf16"
SPELLINGS = {
    "utf8": UTF8, "utf-8": UTF8, "utf-8 bom": UTF8, "ascii": UTF8,
    "iso88591": LATIN, "iso-8859-1": LATIN, "latin1": LATIN, "latin-1": LATIN,
    "windows1252": LATIN, "windows-1252": LATIN,
    "utf16": UTF16, "utf-16": UTF16,
}
ACCEPTED = ("utf8", "utf-8", "utf-8 bom", "iso88591", "iso-8859-1", "latin1", "latin-1", "ascii", "utf16", "utf-16",
            "windows1252", "windows-1252")  # the engine's own list, in its order


def family(spelling: str) -> str | None:
    """How the engine decodes a file declared with ``spelling``; None if it rejects the spelling."""
    return SPELLINGS.get(spelling.lower()) if isinstance(spelling, str) else None


def is_iso_8859_1(spelling: str) -> bool:
    """A Latin-1 spelling: the user expects ISO-8859-1, where 0x80-0x9F are control characters."""
    return family(spelling) == LATIN and not spelling.lower().startswith("windows")


# Windows-1252 as the engine decodes it (undefined bytes pass through).
_CP1252 = {b: bytes([b]).decode("cp1252", "ignore") or chr(b) for b in range(0x80, 0xA0)}
_LATIN_TABLE = {b: c for b, c in _CP1252.items() if c != chr(b)}
C1_ALTERED = bytes(sorted(_LATIN_TABLE))  # bytes whose Windows-1252 character is not ISO-8859-1's


class Recoded(bytes):
    """A line whose bytes 0x80-0x9F the engine reads as Windows-1252, not ISO-8859-1 (``note`` says which)."""

    note = ""


def latin_lines(lines: Iterator[bytes | None], iso: bool) -> Iterator[bytes | None]:
    """Windows-1252 lines as UTF-8 (line ends are ASCII, so the byte lines are the engine's lines).

    ``iso``: the MLTable says latin1/iso88591, so a byte the engine reads otherwise is a changed value.
    """
    for raw in lines:
        if raw is None or raw.isascii():
            yield raw
            continue
        text = raw.decode("latin-1")
        line = text.translate(_LATIN_TABLE).encode("utf-8")
        if iso:
            changed = sorted({c for c in text if ord(c) in _LATIN_TABLE})
            if changed:
                line = Recoded(line)
                line.note = ("the engine decodes 'latin1'/'iso88591' as Windows-1252: "
                             + ", ".join(f"byte 0x{ord(c):02X} is read as {_LATIN_TABLE[ord(c)]!r}" for c in changed[:4])
                             + ", not the control character ISO-8859-1 defines")
        yield line


class Undecodable(bytes):
    """A line at which UTF-16 decoding failed: the engine fails the whole read (message in ``reason``)."""

    reason = ""


def utf16_lines(stream: BinaryIO, max_line_bytes: int) -> Iterator[bytes | None]:
    """UTF-16LE text as UTF-8 lines (BOM skipped); None for an over-long line, then an Undecodable at a bad byte."""
    decoder = codecs.getincrementaldecoder("utf-16-le")("strict")
    pending = ""
    first = True
    skipping = False  # inside an over-long line, already reported
    offset = 0
    while True:
        chunk = stream.read(1 << 20)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            bad = Undecodable(pending.encode("utf-8"))
            bad.reason = f"invalid UTF-16 ({exc.reason}) near byte {offset + exc.start + 1}"
            yield bad
            return
        offset += len(chunk)
        if first and text:
            text = text[1:] if text.startswith("\ufeff") else text
            first = False
        pending += text
        parts = pending.split("\n")
        pending = parts.pop()
        for part in parts:
            if skipping:
                skipping = False
                continue
            line = (part + "\n").encode("utf-8")
            yield None if len(line) > max_line_bytes + 2 else line
        if len(pending) > max_line_bytes:
            if not skipping:
                yield None
            pending, skipping = "", True
        if not chunk:
            if pending and not skipping:
                yield pending.encode("utf-8")
            return
