"""Fixing one line: find its findings as the linter does, apply the allowed fixes as text edits, repeat.

Each pass re-reads the edited line, so one fix may enable the next (a numeric string becomes a number, then
the pixel box it belongs to can be scaled). The result must not have a finding the original line did not
have; otherwise the last version that passes this test is kept (the original line if none does).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import orjson

from automl_lint.engine import RecordChecker
from automl_lint.fix import spans
from automl_lint.fix.catalog import SAFE, UNSAFE
from automl_lint.fix.fixers import FIXERS
from automl_lint.fix.images import IMAGE_STATUS, UNPROBED, ImageFacts
from automl_lint.images.refs import image_ref
from automl_lint.reader import BOM, parse_line
from automl_lint.rules import dataset, schema, syntax
from automl_lint.rules.images import check_image
from automl_lint.settings import Settings

MAX_PASSES = 8
# Lines with these findings are left exactly as they are: the record AutoML reads is not the one a text edit
# would change (duplicate keys) or it was not checked.
_UNTOUCHABLE = frozenset((syntax.DUPLICATE_KEY.code, syntax.NESTED_TOO_DEEPLY.code, syntax.LINE_TOO_LONG.code))
_WITHOUT_RECORD = frozenset((syntax.BLANK_LINE.code, syntax.WHITESPACE_LINE.code, syntax.BOM.code))
_STATE_RESET = 10_000  # lines between fresh scratch states: memory stays bounded
# The image findings (--images) a text edit can change: image_details against the real image, boxes at its size.
_IMAGE_LINE_RULES = frozenset(("AML703", "AML704", "AML710", "AML711"))
_NEEDS_IMAGE = frozenset(("AML415", "AML505"))  # fixes that use the real image size when --images knows it


@dataclass
class LineResult:
    raw: bytes  # the line to write (b"" to delete it)
    fixed: int = 0  # findings fixed
    unsafe_available: int = 0  # findings left that an unsafe fix would fix
    left: bool = False  # fixes were on offer, but a finding no fix solves keeps the line as it was
    url: str | None = None  # the image_url of the line written


class LineFixer:
    """Fixes the lines of one file of a known task."""

    def __init__(self, task: str | None, settings: Settings, allowed: Callable[[str], bool], unsafe: bool,
                 images: ImageFacts | None = None, unchecked=None) -> None:
        """``images``: with ``--images``, what the image pass learned about each image_url; ``unchecked``: where
        the image_url values it had not checked go (anything with ``add``; a set by default)."""
        self.checker = RecordChecker(task, settings)
        self.settings = settings
        self.images = images
        # image_url values the image pass has not checked (it keeps no record AutoML skips, and a fix may rewrite
        # the URL) that a fix needs the image of, or that a fix wrote: checked before the next round.
        self.unchecked = set() if unchecked is None else unchecked
        self._line_url: str | None = None  # the image_url of the line being fixed, as written
        self._same: dict[str, str] = {}  # image_url -> the line's own, when both name the same image
        self._locator = None
        if images is not None:
            from automl_lint.images.locate import Locator

            self._locator = Locator(settings.image_root, settings.datastores, settings.image_maps)
        self.drop = settings.invalid_lines == "drop"
        self.enabled = settings.enabled
        self.allowed = allowed
        self.unsafe = unsafe
        self.state = dataset.DatasetState()
        self.count = 0

    def findings(self, raw: bytes, first: bool) -> tuple[dict | None, list]:
        """(record, [(rule code, pointer, visible)]) of the enabled findings on one line, in the linter's order;
        ``visible``: AutoML does something about it (fails, drops or alters)."""
        self.count += 1
        if self.count % _STATE_RESET == 0:
            self.state = dataset.DatasetState()
        out: list = []
        if raw == b"\n" or raw == BOM + b"\n" and first:  # what the engine skips as an empty line
            found = [(syntax.BLANK_LINE.code, "", False)]
            if raw != b"\n":
                found.insert(0, (syntax.BOM.code, "", False))
            return None, [f for f in found if f[0] in self.enabled]

        def report(rule, pointer, message, col=None, consequence=None):
            out.append((rule, pointer, message) if consequence is None else (rule, pointer, message, consequence))

        try:
            value = orjson.loads(raw)
            if type(value) is not dict:
                raise orjson.JSONDecodeError("not an object", "", 0)
        except orjson.JSONDecodeError:
            value = parse_line(raw, report, first, self.drop)
        if value is not None:
            self.state.line = self.count
            try:
                self.checker.check(value, raw, self.state, out)
            except (RecursionError, ValueError):
                return None, [(syntax.NESTED_TOO_DEEPLY.code, "", True)]
        found = [(f[0].code, f[1], (f[3] if len(f) > 3 else f[0].consequence).rank > 0)
                 for f in out if f[0].code in self.enabled]
        # A format spelled in another case is one finding for the whole file (AML107); it is fixed on each line.
        if (value is not None and schema.FORMAT_CASE.code in self.enabled
                and type(value.get("image_details")) is dict and schema._format_case_only(value)):
            found.append((schema.FORMAT_CASE.code, "/image_details/format", False))
        if self.images is not None and value is not None:
            found.extend(self._image_findings(value))
        return value, found

    def image(self, value):
        """What --images knows of the record's image (an Image, None, or UNPROBED); None without --images."""
        if self.images is None or type(value) is not dict or type(value.get("image_url")) is not str:
            return None
        return self.images.get(self._facts_url(value["image_url"]))

    def _facts_url(self, url: str) -> str:
        """The URL whose image facts apply: ``url``, or the line's own URL when a fix rewrote it into another
        spelling of the same location (AutoML's normalisations, AML205): the image pass checked that one."""
        line_url = self._line_url
        if line_url is None or url == line_url or self.images.get(url) is not UNPROBED:
            return url
        if url not in self._same:
            same = self._locator.candidates(url) == self._locator.candidates(line_url)
            self._same[url] = line_url if same else url
        return self._same[url]

    def _image_findings(self, value: dict) -> list:
        """The image findings that depend on the line's text (its image_url, image_details, the boxes), as the
        image pass reports them; never 'visible': the image file, not the line, is what a person must look at
        (the line's text fixes are right for when the image is there)."""
        image = self.image(value)
        if image is UNPROBED:
            return []
        if image is None:  # missing, undecodable, not located...: the image pass's one finding on the image_url
            code = self.images.finding(self._facts_url(value["image_url"]))
            return [(code, "/image_url", False)] if code in self.enabled else []
        probe = SimpleNamespace(exists=True, unreadable=None, pixels=None, error=None, width=image.width,
                                height=image.height, format=image.format, orientation=image.orientation, mode=None,
                                transparency=False)
        out: list = []
        try:
            check_image(image_ref(0, value["image_url"], value), probe, "", self.checker.task, self.settings, out)
        except (TypeError, ValueError, OverflowError):  # a box too odd to scale: the image pass says no more
            return []
        return [(f[0].code, f[1], False) for f in out if f[0].code in _IMAGE_LINE_RULES and f[0].code in self.enabled]

    def proposals(self, value: dict | None, found: list, hidden: set) -> list[tuple[str, str, list, str]]:
        """(code, safety, operations, pointer) of every fix on offer for ``found`` (whatever --unsafe-fixes
        says)."""
        out = []
        image = self.image(value)
        for code, pointer, _ in found:
            fn = FIXERS.get(code)
            if fn is None or (code, pointer) in hidden or not self.allowed(code):
                continue
            if value is None and code not in _WITHOUT_RECORD:
                continue
            if image is UNPROBED and code in _NEEDS_IMAGE:
                self.unchecked.add(value["image_url"])
            try:
                proposal = fn(value, pointer, self.checker.task, image)
            except (KeyError, IndexError, TypeError, ValueError):
                proposal = None
            if proposal is not None:
                out.append((code, proposal[0], proposal[1], pointer))
        return out

    def fix(self, raw: bytes, first: bool, hide: Callable | None = None) -> LineResult:
        """``hide(raw, record, found)``: the (code, pointer) findings a baseline hides, never fixed."""
        result, value, found = self._fix(raw, first, hide)
        if type(value) is dict and type(value.get("image_url")) is str:
            result.url = value["image_url"]
            if self.images is not None and result.raw is not raw and self.image(value) is UNPROBED:
                self.unchecked.add(result.url)
        return result

    def _fix(self, raw: bytes, first: bool, hide: Callable | None):
        self._line_url = None
        value, found = self.findings(raw, first)
        hidden = hide(raw, value, found) if hide is not None and found else frozenset()
        if not any(f[0] in FIXERS for f in found) or any(f[0] in _UNTOUCHABLE for f in found):
            return LineResult(raw), value, found
        before = Counter(f[0] for f in found)
        raw_url = value.get("image_url") if type(value) is dict else None
        self._line_url, self._same = (raw_url if type(raw_url) is str else None), {}
        versions = [(raw, 0)]
        current, fixed = raw, 0  # fixes applied (versions keep it for debugging)
        for _ in range(MAX_PASSES):
            offers = [p for p in self.proposals(value, found, hidden) if p[1] == SAFE or self.unsafe]
            if not offers:
                break
            edited, n = _apply(current, offers)
            if edited is None or edited == current:
                break
            current, fixed = edited, fixed + n
            versions.append((current, fixed))
            if not current:
                break  # the line is deleted
            value, found = self.findings(current, first)
            if any(f[0] in _UNTOUCHABLE for f in found):
                break
        # Keep the latest version that has no finding the original line lacked, and none that AutoML acts on
        # and no fix can solve: such a line needs a person, and is left exactly as it was (a rewritten line is
        # one AutoML reads as written once the fixes on offer are applied). The count is of the findings gone.
        for version, _ in reversed(versions):
            if version is raw:
                break
            if not version:
                return LineResult(version, _count(before)), None, []
            value, found = self.findings(version, first)
            if self._image_unknown(value, raw_url):
                continue  # it names an image the image pass has not checked: decided in the next round
            after = Counter(f[0] for f in found)
            if not after - before and not self._needs_a_person(value, found, hidden):
                result = LineResult(version, _count(before - after), self._unsafe_left(value, found, hidden))
                return result, value, found
        value, found = self.findings(raw, first)
        return LineResult(raw, 0, self._unsafe_left(value, found, hidden), len(versions) > 1), value, found

    def _image_unknown(self, value, raw_url) -> bool:
        """With --images, a version whose image_url a fix rewrote to one the image pass has not checked: what the
        image checks say of it is unknown, so the URL is noted for checking before the next round."""
        if self.images is None or type(value) is not dict:
            return False
        url = value.get("image_url")
        if type(url) is not str or url == raw_url or self.image(value) is not UNPROBED:
            return False
        self.unchecked.add(url)
        if type(raw_url) is str and self.images.get(raw_url) is UNPROBED:
            self.unchecked.add(raw_url)
        return True

    def _needs_a_person(self, value, found: list, hidden: set) -> bool:
        """A finding AutoML acts on with no fix on offer for its value or inside it (a class that sorts before
        '--bg--' is solved by trimming its name; 'every annotation is invalid' by fixing the annotations)."""
        offered = [p[3] for p in self.proposals(value, found, hidden)]
        return any(visible and not any(o == pointer or o.startswith(pointer + "/") for o in offered)
                   for _, pointer, visible in found)

    def _unsafe_left(self, value, found, hidden) -> int:
        if self.unsafe:
            return 0
        return sum(1 for p in self.proposals(value, found, hidden) if p[1] == UNSAFE)


def _count(findings: Counter) -> int:
    """Findings a fix solved; the image pass's one finding on an image_url (not located, missing...) is not one of
    them: a rewritten URL names another file, it does not repair one."""
    return sum(n for code, n in findings.items() if code not in IMAGE_STATUS)


def _apply(raw: bytes, offers: list) -> tuple[bytes | None, int]:
    """Apply the offers that do not overlap an earlier one (the others wait for the next pass)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, 0
    if any(op[0] == "delete_line" for _, _, ops, _ in offers for op in ops):
        return b"", 1
    try:
        root = spans.root_start(text)
    except spans.NotFound:
        return None, 0
    accepted: list[spans.Edit] = []
    n = 0
    for _, _, ops, _ in offers:
        try:
            edits = [_edit(text, root, op) for op in ops]
        except spans.NotFound:
            continue
        if any(spans.overlaps(e, a) for e in edits for a in accepted):
            continue
        accepted.extend(edits)
        n += 1
    if not accepted:
        return None, 0
    return spans.apply(text, accepted).encode("utf-8"), n


def _edit(text: str, root: int, op: tuple) -> spans.Edit:
    kind = op[0]
    if kind == "strip_bom":
        if not text.startswith("\ufeff"):
            raise spans.NotFound
        return spans.Edit(0, 1, "")
    if kind == "delete":
        return spans.delete_element(text, op[1], root)
    start, end = spans.locate(text, op[1], root)
    if kind == "replace":
        return spans.Edit(start, end, op[2])
    if kind == "copy":
        s, e = spans.locate(text, op[2], root)
        return spans.Edit(start, end, text[s:e])
    if kind == "wrap":
        return spans.Edit(start, end, "[" + text[start:end] + "]")
    raise ValueError(f"unknown fix operation {kind!r}")
