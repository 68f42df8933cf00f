"""AML604: the lines of one ``image_url``, written as AutoML reads them (a second pass, after the line fixes).

An MLTable that reads several JSONL files is one table, so one dataset, for AutoML: lines of one ``image_url`` in
different files are merged the same way (:func:`plan_across`), in the MLTable's order (its files in the order of
``paths``, each file's lines in order).

Detection and segmentation merge the annotations of every line of an image (``datasets.py:809-811``): the
annotations of the later lines are appended to the first line's list and the later lines removed.
Classification keeps only the last line's label (``dataset_wrappers.py:462-471``): the earlier lines are
removed. Only groups whose lines AutoML reads as written (no finding AutoML acts on, no background line
``"label": []``, which AutoML counts as a background image of its own) are rewritten.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator

import orjson

from automl_lint.fix import spans
from automl_lint.fix.files import bounded_lines
from automl_lint.fix.line import LineFixer
from automl_lint.rules.dataset import duplicate_groups

CLASSIFICATION = ("multiclass", "multilabel")
DETECTION = ("object-detection", "instance-segmentation")


class UrlIndex:
    """The image_url hash of every line written, in arrays as the linter keeps them (12 bytes a line)."""

    def __init__(self) -> None:
        self.hashes = array("q")
        self.lines = array("l")
        self._groups: list[list[int]] | None = None

    def add(self, line: int, url: str | None) -> None:
        if url is not None:
            self.hashes.append(hash(url))
            self.lines.append(line)

    @property
    def groups(self) -> list[list[int]]:
        if self._groups is None:
            self._groups = duplicate_groups(self.hashes, self.lines)
            self.hashes, self.lines = array("q"), array("l")
        return self._groups


def plan(lines: Iterator[bytes | None], index: UrlIndex, task: str | None, fixer: LineFixer) -> dict[int, bytes]:
    """The rewrites (output line number -> new line, b"" to delete) that merge the duplicate groups; ``lines``
    as :func:`~automl_lint.fix.files.bounded_lines` reads them (None for an over-long line)."""
    if not index.groups or task not in CLASSIFICATION + DETECTION:
        return {}
    wanted = {n for g in index.groups for n in g}
    raws = {n: raw for n, raw in enumerate(lines, start=1) if n in wanted}
    edits: dict[int, bytes] = {}
    for group in index.groups:
        by_url: dict[str, list[int]] = {}
        for n in group:  # the same hash is not always the same URL
            if raws[n] is None:  # a fix made it longer than the limit: left as it is
                by_url.clear()
                break
            value, found = fixer.findings(raws[n], n == 1)
            if value is None or any(f[2] for f in found):
                by_url.clear()  # a line AutoML does not read as written: the group is left alone
                break
            by_url.setdefault(value["image_url"], []).append(n)
        for url, members in by_url.items():
            if len(members) > 1:
                edits.update(_merge(members, raws, task, fixer))
    return edits


def _merge(members: list[int], raws: dict[int, bytes], task: str, fixer: LineFixer) -> dict[int, bytes]:
    if task in CLASSIFICATION:
        return {n: b"" for n in members[:-1]}  # AutoML keeps the last line's label
    texts = [raws[n].decode("utf-8") for n in members]
    items = []
    for text in texts:
        try:
            root = spans.root_start(text)
            start, _ = spans.locate(text, "/label", root)
            children = spans.children(text, start)
        except spans.NotFound:
            return {}
        if not children:
            return {}  # a background line is an image of its own for AutoML
        items.append(children)
    first, first_items = texts[0], items[0]
    insert = first_items[-1][2]
    extra = ", ".join(text[kids[0][1]:kids[-1][2]] for text, kids in zip(texts[1:], items[1:]))
    merged = (first[:insert] + ", " + extra + first[insert:]).encode("utf-8")
    value, found = fixer.findings(merged, False)
    if value is None or any(f[2] for f in found):
        return {}
    return {members[0]: merged, **{n: b"" for n in members[1:]}}


def plan_across(openers: list[Callable], task: str | None, fixer: LineFixer) -> list[dict[int, bytes]]:
    """The rewrites per file (line number -> new line, b"" to delete) that merge the groups of one image_url whose
    lines are in different files of one MLTable; ``openers`` open each file's text (binary), in the MLTable's
    order. Groups within one file are left to :func:`plan` (already run on each file)."""
    edits: list[dict[int, bytes]] = [{} for _ in openers]
    if task not in CLASSIFICATION + DETECTION:
        return edits
    limit = fixer.settings.max_line_bytes
    index, starts, total = UrlIndex(), [], 0
    for opener in openers:
        starts.append(total)
        with opener() as fh:
            for raw in bounded_lines(fh, limit):
                total += 1
                index.add(total, _url(raw))
    groups = [g for g in index.groups if bisect_right(starts, g[0] - 1) != bisect_right(starts, g[-1] - 1)]
    if not groups:
        return edits
    wanted = {n for g in groups for n in g}
    raws: dict[int, bytes] = {}
    for i, opener in enumerate(openers):
        with opener() as fh:
            for n, raw in enumerate(bounded_lines(fh, limit), start=starts[i] + 1):
                if n in wanted:
                    raws[n] = raw
    merged: dict[int, bytes] = {}
    for group in groups:
        by_url: dict[str, list[int]] = {}
        for n in group:
            value, found = fixer.findings(raws[n], n - 1 in starts)
            if value is None or any(f[2] for f in found):
                by_url.clear()  # a line AutoML does not read as written: the group is left alone
                break
            by_url.setdefault(value["image_url"], []).append(n)
        for url, members in by_url.items():
            files = {bisect_right(starts, n - 1) for n in members}
            if len(members) > 1 and len(files) > 1:
                merged.update(_merge(members, raws, task, fixer))
    for n, new in merged.items():
        i = bisect_right(starts, n - 1) - 1
        edits[i][n - starts[i]] = new
    return edits


def _url(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    url = value.get("image_url") if type(value) is dict else None
    return url if type(url) is str else None
