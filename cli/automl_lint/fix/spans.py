"""Where a value is in the text of its line: the span a fix replaces, so nothing else on the line moves.

A fixed line keeps its key order, its whitespace and the spelling of every value it does not fix: fixes are
text edits on spans found here, never a re-serialisation of the record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


class NotFound(Exception):
    """The pointer does not lead to a value in this text (the fix is skipped)."""


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``text[start:end]`` by ``new``."""

    start: int
    end: int
    new: str


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WS:
        i += 1
    return i


def _value_end(text: str, i: int) -> int:
    try:
        return _DECODER.raw_decode(text, i)[1]
    except (ValueError, RecursionError):
        raise NotFound from None


def children(text: str, start: int) -> list[tuple[str | int, int, int]]:
    """The members (key, start, end) of the object, or elements (index, start, end) of the array, at ``start``."""
    opener = text[start]
    if opener not in "{[":
        raise NotFound
    closer = "}" if opener == "{" else "]"
    out: list = []
    i = _skip_ws(text, start + 1)
    if i < len(text) and text[i] == closer:
        return out
    index = 0
    while True:
        if i >= len(text):
            raise NotFound
        if opener == "{":
            if text[i] != '"':
                raise NotFound
            try:
                key, i = json.decoder.scanstring(text, i + 1)
            except ValueError:
                raise NotFound from None
            i = _skip_ws(text, i)
            if i >= len(text) or text[i] != ":":
                raise NotFound
            i = _skip_ws(text, i + 1)
        else:
            key = index
        end = _value_end(text, i)
        out.append((key, i, end))
        index += 1
        i = _skip_ws(text, end)
        if i >= len(text):
            raise NotFound
        if text[i] == closer:
            return out
        if text[i] != ",":
            raise NotFound
        i = _skip_ws(text, i + 1)


def tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]] if pointer else []


def locate(text: str, pointer: str, root: int) -> tuple[int, int]:
    """(start, end) of the value at ``pointer``; ``root`` is where the line's object starts."""
    start, end = root, _value_end(text, root)
    for token in tokens(pointer):
        found = None
        for key, s, e in children(text, start):
            if (key == token) if type(key) is str else (token.isdigit() and key == int(token)):
                found = (s, e)  # the last of duplicate keys wins, as in the parsed record
        if found is None:
            raise NotFound
        start, end = found
    return start, end


def delete_element(text: str, pointer: str, root: int) -> Edit:
    """The edit removing an array element with one of the commas around it (the others keep their spacing)."""
    parent, _, last = pointer.rpartition("/")
    if not last.isdigit():
        raise NotFound
    index = int(last)
    ps, _ = locate(text, parent, root)
    items = children(text, ps)
    if index >= len(items):
        raise NotFound
    _, s, e = items[index]
    if index + 1 < len(items):
        return Edit(s, items[index + 1][1], "")
    if index > 0:
        return Edit(items[index - 1][2], e, "")
    return Edit(s, e, "")


def root_start(text: str) -> int:
    """Where the record's object starts (after a byte order mark and leading whitespace)."""
    i = 1 if text.startswith("\ufeff") else 0
    i = _skip_ws(text, i)
    if i >= len(text) or text[i] != "{":
        raise NotFound
    return i


def apply(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits."""
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[:e.start] + e.new + text[e.end:]
    return text


def overlaps(a: Edit, b: Edit) -> bool:
    return a.start < b.end and b.start < a.end
