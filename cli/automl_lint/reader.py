"""Sources -> records.

Streams JSONL line by line (constant memory), parses each line with orjson and turns everything that
is not a usable record into a finding of the AML0xx family. Nothing here knows about tasks.
"""

from __future__ import annotations

import gzip
import json
import re
import os
import sys
from collections.abc import Iterator
from io import BytesIO
from itertools import chain, islice
from typing import BinaryIO

import orjson

from automl_lint.problem import Consequence
from automl_lint.rules import syntax
from automl_lint.problem import quote

BOM = b"\xef\xbb\xbf"
DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024
# The engine's limits (observed, tests/reading_cases): a record nested deeper than ARROW_DEPTH (the record itself
# is level 1) fails the whole read; from PARSER_DEPTH on its JSON parser rejects the line.
ARROW_DEPTH = 60
PARSER_DEPTH = 128
MAX_LINE_BYTES_LIMIT = 1024 * 1024 * 1024  # the largest --max-line-bytes: one line is held in memory whole


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
    a line start), yields the lines that start before ``end``. Memory stays bounded by ``max_line_bytes``
    plus one block: an over-long line is skipped block by block, never joined or held whole.

    The stream is read in blocks of READ_BLOCK bytes (so it ends up positioned past the last line yielded), and
    the lines of each block are split in C: iterating them costs no Python code per line.
    """
    return chain.from_iterable(_line_blocks(stream, start, end, max_line_bytes))


READ_BLOCK = 1 << 20


def _line_blocks(stream: BinaryIO, start: int, end: int | None, max_line_bytes: int) -> Iterator[list]:
    """Lists of consecutive lines (see iter_lines), each from one block read. A block's bytes are copied once, into
    its lines: only a line that spans blocks is joined from its pieces."""
    read = stream.read
    size = READ_BLOCK
    limit = max_line_bytes + 2  # room for CRLF: a line that has this much and no line end yet is over-long
    pos = start  # the stream offset of the next line to yield
    stop = end if end is not None else 1 << 63
    parts: list = []  # the beginning of a line that goes on in the next block (no line end in them)
    held = 0  # their length
    unread = b""  # what followed an over-long line in the block that ended it
    while pos < stop:
        block = unread or read(size)
        unread = b""
        if not block:  # the end of the stream
            if parts:
                yield _bounded([b"".join(parts)], max_line_bytes)
            return
        lines = BytesIO(block).readlines()
        tail = lines[-1]
        if tail[-1:] == b"\n":
            tail = b""
        elif len(lines) == 1:  # no line end in the whole block
            lines = []
        else:
            lines.pop()
        if lines:
            n = held + len(block) - len(tail)  # the bytes from `pos` to the end of these complete lines
            first = held  # the bytes of the first line that lines[0] does not hold
            over = first + len(lines[0]) > limit  # a line begun in earlier blocks is over-long: never joined
            if parts and not over:
                parts.append(lines[0])
                lines[0] = b"".join(parts)
                first = 0
            last = stop - pos <= n  # `stop` falls in these lines: only those that start before it
            if last:
                keep, at = 1, pos + first + len(lines[0])  # the first starts at pos, before stop
                for raw in islice(lines, 1, None):
                    if at >= stop:
                        break
                    at += len(raw)
                    keep += 1
                lines = lines[:keep]
            out = _bounded(lines, max_line_bytes)
            if over:
                out[0] = None
            yield out
            if last:
                return
            pos += n
            parts, held = [], 0
        if tail:
            parts.append(tail)
            held += len(tail)
        if held >= limit:  # over-long: skipped block by block up to its line end, never held whole
            pos += held
            parts, held = [], 0
            while True:
                block = read(size)
                cut = block.find(b"\n") + 1
                if cut or not block:
                    break
                pos += len(block)
            pos += cut
            unread = block[cut:]
            yield [None]
            if not block:
                return


def _bounded(lines: list, max_line_bytes: int) -> list:
    """The lines, each one over ``max_line_bytes`` replaced by None: one whose first ``max_line_bytes + 2`` bytes
    hold no line end, or that is longer without its line end (``\\r`` and ``\\n`` at its end)."""
    if max(map(len, lines)) <= max_line_bytes:
        return lines
    limit = max_line_bytes + 2
    return [None if len(raw) > max_line_bytes and (
        len(raw) >= limit and raw[limit - 1:limit] != b"\n" or len(raw[:limit].rstrip(b"\r\n")) > max_line_bytes)
        else raw for raw in lines]


def invalid_line_outcome(drop: bool | None) -> tuple[Consequence | None, str]:
    """What an invalid line does under the reader setting: the occurrence's consequence and the words for it.

    ``drop`` None: not read by the MLTable engine (a predictions file).
    """
    if drop is None:
        return None, ""
    if drop:
        return Consequence.DROPS_IMAGE, "; with invalid_lines: drop the engine skips the line (the image is lost)"
    return None, "; with invalid_lines: error the job fails"


def parse_line(raw: bytes, report, bom_allowed: bool = False, drop: bool | None = False) -> dict | None:
    """Parse one line as the MLTable engine reads it; report findings through ``report``.

    ``report(rule, pointer, message, column, consequence=None)``; the consequence is given when this occurrence's
    differs from the rule's (an invalid line under ``invalid_lines: drop``). ``drop``: the reader setting.
    """
    if bom_allowed and raw.startswith(BOM):
        report(syntax.BOM, "", "the file starts with a UTF-8 byte order mark", 1)
        raw = raw[3:]
        if raw == b"\n" or not raw:
            return None  # a BOM alone on the first line: an empty line, skipped (reported as the BOM)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        value = _explain_parse_error(raw, exc, report, drop)
        if value is None:
            return None
    if type(value) is not dict:
        dups = find_duplicate_keys(raw)
        if dups:
            report(syntax.DUPLICATE_KEY, "", f"key {', '.join(map(repr, dups))} appears twice in one object: the "
                   "engine fails the job (FieldNameConflict), even with invalid_lines: drop", 1)
        consequence, words = invalid_line_outcome(drop)
        report(syntax.NOT_AN_OBJECT, "", f"the line is a JSON {_json_type(value)}, not an object{words}", 1,
               consequence)
        return None
    return value


_JSON_WS = b" \t\r\n"


def _explain_parse_error(raw: bytes, exc: orjson.JSONDecodeError, report, drop: bool) -> dict | None:
    """Classify a line orjson rejected; return the object the engine still reads, if any."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as uexc:
        report(syntax.INVALID_UTF8, "", f"invalid UTF-8 byte 0x{raw[uexc.start]:02x} at byte {uexc.start + 1}: "
               "the engine fails the whole read (EncodingError), even with invalid_lines: drop", uexc.start + 1)
        return None
    consequence, words = invalid_line_outcome(drop)
    if not text.strip() or not raw.strip(_JSON_WS):
        what = "a CR (a blank line of a CRLF file)" if raw.strip(b"\n") == b"\r" else "only whitespace"
        report(syntax.WHITESPACE_LINE, "", f"the line holds {what}: the engine reads an invalid line, not an empty "
               f"one{words}", 1, consequence)
        return None
    constants: list[str] = []

    def on_constant(name: str) -> float:
        constants.append(name)
        return float(name.replace("Infinity", "inf"))

    # strict=False: the engine reads raw control characters inside strings.
    decoder = json.JSONDecoder(parse_constant=on_constant, strict=False)
    start = len(text) - len(text.lstrip(" \t\r\n"))
    try:
        value, end = decoder.raw_decode(text, start)
    except (ValueError, RecursionError):  # ValueError also covers integers of more than 4300 digits
        column = _error_column(exc, text)
        report(syntax.INVALID_JSON, "", f"invalid JSON: {_orjson_reason(exc)} (column {column}){words}", column,
               consequence)
        return None
    if constants:
        names = ", ".join(sorted(set(constants)))
        report(syntax.NON_FINITE_NUMBER, "", f"{names} is not valid JSON: an invalid line{words}", 1, consequence)
        return None
    rest = text[end:].strip(" \t\r\n")
    first = text[start:end]
    control = False
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError as inner:
        if "control character" in str(inner):
            control = _first_value_is_engine_json(first)
        if not control:
            # Python's json accepted what orjson and the engine refuse (a lone surrogate, a number beyond the
            # float range, nesting beyond orjson's limit): an invalid line.
            column = inner.colno + start
            report(syntax.INVALID_JSON, "", f"invalid JSON: {_orjson_reason(inner)} (column {column}){words}",
                   column, consequence)
            return None
    if control:
        report(syntax.CONTROL_CHARACTER, "", "a string holds a raw control character: the engine reads it as "
               "written, strict JSON tools reject the line", 1)
    if rest:
        glued = _starts_with_record(rest)
        if glued:
            cr = "\r" in text[end:].rstrip("\r\n")
            how = ("the file's CR-only line ends make the engine read these records as one line: " if cr
                   else "another record is glued to this one: ")
            report(syntax.TRAILING_DATA, "", f"text after the JSON object at column {end + 1}: {how}the engine "
                   f"keeps the first record only and loses the rest: {quote(rest, 40)}", end + 1,
                   Consequence.DROPS_IMAGE)
        else:
            report(syntax.TRAILING_DATA, "",
                   f"text after the JSON object at column {end + 1} is ignored by the engine: {quote(rest, 40)}", end + 1)
    return value  # not an object: reported by the caller


def _first_value_is_engine_json(first: str) -> bool:
    """The first value is JSON but for raw control characters in its strings (which the engine reads)."""
    escaped = "".join(c if c >= " " else f"\\u{ord(c):04x}" for c in first)
    try:
        orjson.loads(escaped)
        return True
    except orjson.JSONDecodeError:
        return False


def _starts_with_record(rest: str) -> bool:
    """What follows the first value starts with another JSON object (the engine then loses a record)."""
    if not rest.startswith("{"):
        return False
    try:
        value, _ = json.JSONDecoder(strict=False).raw_decode(rest)
    except (ValueError, RecursionError):
        return False
    return type(value) is dict


def too_deep(depth: int, drop: bool) -> tuple:
    """The finding for a record nested ``depth`` levels deep (beyond the engine's table schema)."""
    if depth >= PARSER_DEPTH:
        consequence, words = invalid_line_outcome(drop)
        return (syntax.INVALID_JSON, "", f"the record is nested {depth} levels deep: the engine's JSON parser stops at "
                f"{PARSER_DEPTH} (recursion limit exceeded), an invalid line{words}",
                consequence or syntax.INVALID_JSON.consequence)
    return (syntax.NESTED_TOO_DEEPLY, "", f"the record is nested {depth} levels deep; the engine's table schema "
            f"allows {ARROW_DEPTH}: it fails the whole read (Recursion level in ArrowSchema struct exceeded), even "
            "with invalid_lines: drop")


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


def _error_column(exc: orjson.JSONDecodeError, text: str) -> int:
    """The 1-based column of orjson's error on this line. A parse that ran out of data ran past the line end, which
    orjson counts as line 2, column 1: that is just after the line's last character."""
    if exc.lineno > 1:
        return len(text.rstrip("\r\n")) + 1
    return exc.colno


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
    """1-based column (in characters) where the value at a JSON pointer starts, or None."""
    return ValueColumns(raw).column(pointer)


class ValueColumns:
    """Columns of the values of one line, for its listed findings (never run on the clean path).

    The line is decoded once, and the scan position reached in each array and object is remembered: findings
    come in document order, so locating all the findings of a line costs one pass over it, not one pass per
    finding (200,000 findings on one long line stay linear). Skipping a value uses the C JSON scanner.
    """

    def __init__(self, raw: bytes) -> None:
        try:
            self.text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.text = None
        self.arrays: dict[int, list[int]] = {}         # '[' offset -> [last index, its offset, offsets of 0, 64, ...]
        # '{' offset -> [{name: value offset}, resume offset, done, whether the resume offset is that of a value
        # still to skip (the last one found: skipped only if the object is searched again)]
        self.objects: dict[int, list] = {}

    def column(self, pointer: str) -> int | None:
        text = self.text
        if text is None:
            return None
        n = len(text)
        i = 1 if text.startswith("\ufeff") else 0
        try:
            for token in pointer.split("/")[1:] if pointer else ():
                token = token.replace("~1", "/").replace("~0", "~")
                i = _skip_ws(text, i)
                if i >= n:
                    return None
                if text[i] == "{":
                    i = self._member(i, token)
                elif text[i] == "[" and token.isdigit():
                    i = self._element(i, int(token))
                else:
                    return None
                if i is None:
                    return None
            i = _skip_ws(text, i)
            return i + 1 if i < n else None
        except (ValueError, IndexError, RecursionError):
            return None

    def _member(self, start: int, key: str) -> int | None:
        text = self.text
        state = self.objects.get(start)
        if state is None:
            state = self.objects[start] = [{}, start + 1, False, False]
        found = state[0]
        if key in found:
            return found[key]
        if state[2]:
            return None
        i = state[1]
        if state[3]:
            i = _DECODER.raw_decode(text, i)[1]
            state[3] = False
        while True:
            while text[i] in _WS_COMMA:
                i += 1
            if text[i] == "}":
                state[1], state[2] = i, True
                return None
            name, i = json.decoder.scanstring(text, i + 1)
            i = _skip_ws(text, i) + 1  # the colon
            i = _skip_ws(text, i)
            found.setdefault(name, i)
            if name == key:
                state[1], state[3] = i, True
                return i
            i = _DECODER.raw_decode(text, i)[1]

    def _element(self, start: int, index: int) -> int | None:
        """Offset of element ``index``; every CHECKPOINT-th element's offset is remembered, so any lookup
        order costs at most CHECKPOINT skips once the array has been scanned that far."""
        text = self.text
        marks = self.arrays.get(start)
        if marks is None:
            marks = self.arrays[start] = [-1, 0]  # the last element found and its offset, then the checkpoints
        j = min(index // CHECKPOINT, len(marks) - 3)
        if j >= 0:
            k, i = j * CHECKPOINT, marks[j + 2]
        else:
            k, i = -1, start + 1
        if k < marks[0] <= index:  # findings come in document order: go on from the last one
            k, i = marks[0], marks[1]
        while True:
            if k >= 0:
                if k == index:
                    marks[0], marks[1] = k, i
                    return i
                i = _DECODER.raw_decode(text, i)[1]  # past element k
            while text[i] in _WS_COMMA:
                i += 1
            if text[i] == "]":
                return None
            k += 1
            if k % CHECKPOINT == 0 and k // CHECKPOINT == len(marks) - 2:
                marks.append(i)


_WS_COMMA = _WS + ","
CHECKPOINT = 64


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WS:
        i += 1
    return i


# --- what the engine does to a record it reads -----------------------------------------------------------

_TOP_KEYS = frozenset(("image_url", "label", "image_details"))
_DETAIL_KEYS = frozenset(("format", "width", "height"))
_ANNOTATION_KEYS = frozenset(("label", "topX", "topY", "bottomX", "bottomY", "isCrowd", "polygon"))
I64_MAX = (1 << 63) - 1
U64_MAX = (1 << 64) - 1
EXACT_FLOAT = 1 << 53


def plain_record(value: dict, family: str | None) -> bool:
    """Only the schema's keys (validated, at most 5 levels deep) and image dimensions within int64.

    Such a record cannot hit the engine's nesting limit or hold an integer it changes, so the fast path may take
    it; any other record gets :func:`engine_reading`.
    """
    if not value.keys() <= _TOP_KEYS:
        return False
    details = value.get("image_details")
    if type(details) is dict and (not details.keys() <= _DETAIL_KEYS or not _small(details.get("width"))
                                  or not _small(details.get("height"))):
        return False
    if family == "detection":
        for a in value["label"]:
            if not a.keys() <= _ANNOTATION_KEYS:
                return False
    return True


def _small(n) -> bool:
    return type(n) is not int or -EXACT_FLOAT <= n <= EXACT_FLOAT


def engine_reading(value: dict, raw: bytes, out: list, drop: bool, top_keys=None) -> bool:
    """Findings on what the engine does to a record beyond parsing it; True if it cannot be checked further.

    ``top_keys``: a Counter of the rows holding each top-level key the schema does not know (whether a column has
    gaps decides one integer change).
    """
    if top_keys is not None:
        top_keys.update(value.keys() - _TOP_KEYS)
    if raw.count(b"[") + raw.count(b"{") > ARROW_DEPTH:
        depth = nesting_depth(value)
        if depth > ARROW_DEPTH:
            out.append(too_deep(depth, drop))
            return True
    for match in _long_ints(raw):
        found = _changed_integer(int(match.group()), value, match)
        if found:
            out.append((syntax.INTEGER_OVERFLOW, *found))
    return False


_DIGIT_MAP = bytes(0x31 if 0x30 <= b <= 0x39 else 0x30 for b in range(256))
_DIGIT_RUN = b"1" * 16


def _long_ints(raw: bytes):
    """The _LONG_INT matches of a line, the regex run only around runs of 16+ digits: found at C speed, so a
    64 MiB line of text costs milliseconds instead of seconds."""
    digits = raw.translate(_DIGIT_MAP)
    pos = digits.find(_DIGIT_RUN)
    while pos != -1:
        end = digits.find(b"0", pos)
        end = len(raw) if end == -1 else end
        yield from _LONG_INT.finditer(raw, max(0, pos - 1), min(len(raw), end + 1))
        pos = digits.find(_DIGIT_RUN, end)


# An integer literal of 16 digits or more (floats have a '.' or an exponent): a candidate for a changed value.
_LONG_INT = re.compile(rb"(?<![\d.eE+\-\"])-?\d{16,}(?![\d.eE])")


def _changed_integer(n: int, value: dict, match) -> tuple[str, str] | None:
    written = match.group().decode()
    if I64_MAX < n <= U64_MAX:
        return "", (f"the integer {written} is beyond the signed 64-bit range: the engine wraps it around and "
                    f"reads {n - (1 << 64)}")
    if n > U64_MAX or n < -I64_MAX - 1:
        as_float = float(n) if len(written) < 400 else float("inf")
        if as_float == n:
            return None
        return "", f"the integer {written} is beyond 64 bits: the engine reads the float {as_float:.16g}"
    if abs(n) > EXACT_FLOAT and float(n) != n:
        for key, top in value.items():
            if type(top) is int and top == n:
                return f"/{key}", (f"the integer {written} has more digits than a float holds: when a line lacks "
                                   f"{quote(key)}, the engine's table stores the column as floats and reads {float(n)!r}")
    return None
