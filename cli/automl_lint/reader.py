"""Sources -> records.

Streams JSONL line by line (constant memory), parses each line with orjson and turns everything that
is not a usable record into a finding of the AML0xx family. Nothing here knows about tasks.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from collections.abc import Iterator
from typing import BinaryIO

import orjson

from automl_lint.rules import syntax

BOM = b"\xef\xbb\xbf"
DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024


class SourceError(Exception):
    """The tool cannot read an input at all (exit code 2)."""


def open_source(path: str) -> BinaryIO:
    """Open a path, ``-`` (stdin) or a ``.gz`` file for binary reading."""
    if path == "-":
        if sys.stdin is None:  # started with standard input closed (`<&-`)
            raise SourceError("<stdin>: standard input is closed")
        return sys.stdin.buffer
    try:
        if os.path.isdir(path):
            raise SourceError(f"{path}: is a directory")
        fh = open(path, "rb")  # noqa: SIM115 - closed by the caller
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except PermissionError:
        raise SourceError(f"{path}: permission denied") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot open ({exc.strerror or exc})") from None
    if path.endswith(".gz"):
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    return fh


def iter_lines(stream: BinaryIO, start: int = 0, end: int | None = None,
               max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[bytes | None]:
    """Yield each line, line end included (JSON parsers ignore it); None for a line over ``max_line_bytes``.

    With ``start``/``end`` (byte offsets of an uncompressed file already positioned at ``start``, which is
    a line start), yields the lines that start before ``end``. Memory stays bounded by ``max_line_bytes``:
    an over-long line is skipped in 1 MiB chunks, never read whole.
    """
    pos = start
    readline = stream.readline
    limit = max_line_bytes + 2  # room for CRLF
    while end is None or pos < end:
        raw = readline(limit)
        if not raw:
            return
        pos += len(raw)
        if len(raw) >= limit and raw[-1:] != b"\n":
            while True:
                chunk = readline(1 << 20)
                pos += len(chunk)
                if not chunk or chunk[-1:] == b"\n":
                    break
            yield None
        elif len(raw) > max_line_bytes and len(raw.rstrip(b"\r\n")) > max_line_bytes:
            yield None
        else:
            yield raw


def parse_line(raw: bytes, report, bom_allowed: bool = False) -> dict | None:
    """Parse one line; report syntax findings through ``report(rule, pointer, message, column)``."""
    if bom_allowed and raw.startswith(BOM):
        report(syntax.BOM, "", "the file starts with a UTF-8 byte order mark", 1)
        raw = raw[3:]
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        value = _explain_parse_error(raw, exc, report)
        if value is None:
            return None
    if type(value) is not dict:
        report(syntax.NOT_AN_OBJECT, "", f"the line is a JSON {_json_type(value)}, not an object", 1)
        return None
    return value


def _explain_parse_error(raw: bytes, exc: orjson.JSONDecodeError, report) -> dict | None:
    """Classify a line orjson rejected; return the object AutoML would still read, if any."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as uexc:
        report(syntax.INVALID_UTF8, "", f"invalid UTF-8 byte 0x{raw[uexc.start]:02x} at byte {uexc.start + 1}",
               uexc.start + 1)
        return None
    if not text.strip():
        report(syntax.BLANK_LINE, "", "blank line (AutoML skips it)", 1)
        return None
    constants: list[str] = []

    def on_constant(name: str) -> float:
        constants.append(name)
        return float(name.replace("Infinity", "inf"))

    decoder = json.JSONDecoder(parse_constant=on_constant)
    start = len(text) - len(text.lstrip())
    try:
        value, end = decoder.raw_decode(text, start)
    except (ValueError, RecursionError):  # ValueError also covers integers of more than 4300 digits
        report(syntax.INVALID_JSON, "", f"invalid JSON: {_orjson_reason(exc)} (column {exc.colno})", exc.colno)
        return None
    if constants:
        names = ", ".join(sorted(set(constants)))
        report(syntax.NON_FINITE_NUMBER, "", f"{names} is not valid JSON; AutoML rejects the line", 1)
        return None
    rest = text[end:].strip()
    column = exc.colno
    if rest:
        try:
            orjson.loads(text[start:end])
        except orjson.JSONDecodeError as inner:
            exc, column, rest = inner, inner.colno + start, ""
    if not rest:
        # Python's json accepted what orjson refused (a lone surrogate, a number beyond float range, deep
        # nesting): the line is not valid JSON, and its value could not be reported or checked safely.
        report(syntax.INVALID_JSON, "", f"invalid JSON: {_orjson_reason(exc)} (column {column})", column)
        return None
    report(syntax.TRAILING_DATA, "",
           f"text after the JSON object at column {end + 1} is ignored by AutoML: {rest[:40]!r}", end + 1)
    if not isinstance(value, dict):
        return value  # reported as not-an-object by the caller
    return value


def nesting_depth(value) -> int:
    """How deeply arrays and objects nest in ``value`` (iterative: safe at any depth)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if type(node) is dict:
            node = node.values()
        elif type(node) is not list:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node if type(child) is dict or type(child) is list)
    return deepest


def _orjson_reason(exc: orjson.JSONDecodeError) -> str:
    msg = str(exc.msg if hasattr(exc, "msg") else exc)
    return msg.split(": line ")[0]


def _json_type(value) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


# --- duplicate keys -------------------------------------------------------------------------------------

def find_duplicate_keys(raw: bytes) -> list[str]:
    """Exact check: the keys that appear twice in one object (slow path, run only when needed)."""
    dups: list[str] = []

    def hook(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen and k not in dups:
                dups.append(k)
            seen.add(k)
        return dict(pairs)

    try:
        json.loads(raw.decode("utf-8").lstrip("\ufeff"), object_pairs_hook=hook,
                    parse_constant=lambda name: 0.0)
    except (ValueError, RecursionError):
        pass
    return dups


def may_have_duplicate_keys(raw: bytes, parsed_keys: int, string_colons: int) -> bool:
    """Cheap necessary condition for duplicate keys (exact check: :func:`find_duplicate_keys`).

    Every key is followed by a colon, and other colons can only be inside strings. ``string_colons`` is a
    lower bound of the colons inside the strings (e.g. those of ``image_url``); without backslashes no
    string hides a colon behind an escape, so when the colons add up exactly no key can have been repeated.
    """
    return raw.find(b"\\") != -1 or raw.count(b":") != parsed_keys + string_colons


# --- where a value is on its line ------------------------------------------------------------------------

_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


def value_column(raw: bytes, pointer: str) -> int | None:
    """1-based column (in characters) where the value at a JSON pointer starts, or None.

    Only run for findings that are listed (never on the clean path); skipping a sibling value uses the C
    JSON scanner.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    n = len(text)
    i = 0
    if text.startswith("\ufeff"):
        i = 1
    try:
        for token in pointer.split("/")[1:] if pointer else ():
            token = token.replace("~1", "/").replace("~0", "~")
            while i < n and text[i] in _WS:
                i += 1
            if i >= n:
                return None
            if text[i] == "{":
                i = _member(text, i + 1, token)
            elif text[i] == "[" and token.isdigit():
                i = _element(text, i + 1, int(token))
            else:
                return None
            if i is None:
                return None
        while i < n and text[i] in _WS:
            i += 1
        return i + 1 if i < n else None
    except (ValueError, IndexError, RecursionError):
        return None


def _member(text: str, i: int, key: str) -> int | None:
    while True:
        while text[i] in _WS + ",":
            i += 1
        if text[i] == "}":
            return None
        name, i = json.decoder.scanstring(text, i + 1)
        while text[i] in _WS:
            i += 1
        i += 1  # the colon
        while text[i] in _WS:
            i += 1
        if name == key:
            return i
        i = _DECODER.raw_decode(text, i)[1]


def _element(text: str, i: int, index: int) -> int | None:
    for _ in range(index + 1):
        while text[i] in _WS + ",":
            i += 1
        if text[i] == "]":
            return None
        if _ == index:
            return i
        i = _DECODER.raw_decode(text, i)[1]
    return None
