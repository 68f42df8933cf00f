"""The fix stage of a run: lint to learn the files and their tasks, fix them, lint again for what remains.

    report = api.fix(["train.jsonl"], settings)                       # in place, safe fixes
    report = api.fix(["train.jsonl"], settings, unsafe=True, output="fixed.jsonl")
    api.fix(["train.jsonl"], settings, diff=sys.stdout.buffer)        # writes nothing

Which findings are fixed: those the run reports (``select``/``ignore``, per-file ignores, a baseline hides
the rest), whose rule has a fix allowed by ``fixable``/``unfixable``, and safe unless ``unsafe``.
"""

from __future__ import annotations

import dataclasses
import gzip
from array import array
import os
import shutil
import sys
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from automl_lint import baseline as baseline_file
from automl_lint import encoding, mltable
from automl_lint.fix.duplicates import UrlIndex, plan, plan_across
from automl_lint.fix.files import (LAST, LINE, PART, AtomicFile, BaselineFilter, FileFix, UnifiedDiff, bounded_lines,
                                   fix_lines, iter_pieces)
from automl_lint.fix.images import ImageFacts, UrlSpool
from automl_lint.fix.line import LineFixer
from automl_lint.outputs import is_image_file
from automl_lint.reader import SourceError, open_source
from automl_lint.rules.dataset import DUPLICATE_IMAGE_URL
from automl_lint.settings import Settings

STDIN = "<stdin>"


@dataclass
class FixSummary:
    """What the fix stage did (``diff``: what it would do)."""

    files: list[FileFix] = field(default_factory=list)
    unsafe: bool = False
    diff: bool = False
    remaining: int | None = None  # findings left after fixing (None with --diff)
    skipped: list[str] = field(default_factory=list)  # files not fixed: not read as UTF-8
    rounds: int = 1  # more than one when a fix rewrote an image_url and its image was checked (--images)

    @property
    def fixed(self) -> int:
        return sum(f.fixed for f in self.files)

    @property
    def changed_files(self) -> int:
        return sum(1 for f in self.files if f.changed_lines)

    @property
    def unsafe_available(self) -> int:
        return sum(f.unsafe_available for f in self.files)

    def sentence(self) -> str:
        verb = "would fix" if self.diff else "fixed"
        lines = sum(f.changed_lines for f in self.files)
        text = f"{verb} {self.fixed} finding(s) on {lines} line(s) in {self.changed_files} file(s)"
        if self.rounds > 1 and self.fixed:
            text += f" in {self.rounds} rounds (images checked between them)"
        if self.remaining is not None:
            text += f"; {self.remaining} remain"
        if self.unsafe_available:
            text += f"; {self.unsafe_available} more can be fixed with --unsafe-fixes"
        if self.skipped:
            text += f"; not fixed (only UTF-8 files are): {', '.join(self.skipped)}"
        left = sum(f.left_lines for f in self.files)
        if left:
            text += (f"; {left} line(s) left as they were: a problem on them has no fix (they are rewritten once "
                     "it is solved)")
        return text


def allowed_codes(settings: Settings) -> Callable[[str], bool]:
    """ruff's ``fixable``/``unfixable``: codes or prefixes; an empty ``fixable`` allows every fix."""
    fixable = [c.upper() for c in settings.fixable]
    unfixable = [c.upper() for c in settings.unfixable]

    def allowed(code: str) -> bool:
        if fixable and not any(code.startswith(c) for c in fixable):
            return False
        return not any(code.startswith(c) for c in unfixable)

    return allowed


def fix(paths: list[str], settings: Settings, *, validation: str | None = None, baseline: str | None = None,
        write_baseline: str | None = None, unsafe: bool = False, diff: BinaryIO | None = None,
        output: str | None = None, stdout: BinaryIO | None = None):
    """Fix the inputs; returns the Report of what remains (with --diff: of the unchanged inputs)."""
    from automl_lint import api

    if diff is not None and output is not None:
        raise api.UsageError("--diff writes nothing: it cannot be combined with --fix-output")
    unsafe = unsafe or settings.unsafe_fixes
    spool = None
    if "-" in paths:
        if len(paths) != 1:
            raise api.UsageError("standard input is fixed alone: give - as the only input")
        spool = tempfile.mkdtemp(prefix="automl-lint-stdin-")
    scratch = tempfile.mkdtemp(prefix="automl-lint-diff-") if diff is not None else None
    jobs: list[_Target] = []
    try:
        if spool:
            paths = [_spool_stdin(spool)]
        facts = ImageFacts() if settings.images else None
        probes = facts.add if facts is not None else None
        first = api.run(paths, settings, validation=validation, image_probes=probes)
        targets = _targets(first.results, settings)
        if output is not None:
            _check_output(output, targets, first.results, paths, validation, api.UsageError)
        entries = baseline_file.load(baseline) if baseline else None
        summary = FixSummary(unsafe=unsafe, diff=diff is not None)
        allowed = allowed_codes(settings)
        readers = _reader_settings(first.results)
        windowed = _windowed(first.results)
        for path, result in targets:
            display = STDIN if spool else path
            file_settings = settings.for_path(path)
            if os.path.realpath(path) in readers:
                invalid_lines, file_encoding = readers[os.path.realpath(path)]
                has_validation = getattr(file_settings, "has_validation", False)
                file_settings = dataclasses.replace(file_settings, invalid_lines=invalid_lines, encoding=file_encoding)
                file_settings.has_validation = has_validation
            if encoding.family(file_settings.encoding) != encoding.UTF8:
                summary.skipped.append(display)
                continue
            hide = None
            if entries is not None:
                root = os.path.dirname(os.path.abspath(baseline))
                hide = (entries, baseline_file.relative_path(display if spool else path, root))
            if diff is not None:
                dest, name = os.path.join(scratch, f"{len(jobs)}.jsonl"), display
            else:
                dest = output or (os.path.join(spool, "fixed.jsonl") if spool else os.path.realpath(path))
                name = output or (STDIN if spool else path)
            dedupe = (os.path.realpath(path) not in windowed
                      and _dedupe_allowed(file_settings, allowed, BaselineFilter(*hide) if hide else None))
            jobs.append(_Target(path, display, name, dest, result.task, file_settings, hide, dedupe,
                                compress=diff is None and dest.endswith(".gz"), always=bool(output or spool)))
        # Round after round (--images): the image pass checks no record AutoML skips, so the image of a line whose
        # only boxes are in pixels was not checked, nor the one an image_url rewritten by a fix names. They are
        # checked after the round, then the fixes that needed them are made on that round's output.
        pending = jobs
        for round_number in range(1, MAX_ROUNDS + 1):
            unchecked = UrlSpool()
            try:
                for job in pending:
                    before = unchecked.count
                    _fix_round(job, LineFixer(job.task, job.settings, allowed, unsafe, facts, unchecked), settings)
                    job.unchecked = unchecked.count > before
                if facts is None or not unchecked or round_number == MAX_ROUNDS:
                    break
                for batch in unchecked.batches():
                    _check_images(batch, settings, facts)
            finally:
                unchecked.close()
            pending = [job for job in pending if job.unchecked]
        for table, parts in _tables(first.results, jobs, settings):
            _merge_across(table, parts, settings, allowed, unsafe, facts, entries, baseline)
        for job in jobs:
            job.finish(diff.write if diff is not None else None)
            summary.files.append(job.done)
            summary.rounds = max(summary.rounds, job.rounds)
        if diff is not None:
            first.fixes = summary
            first.notes.append(summary.sentence())
            return first
        if spool and output is None:
            fixed = os.path.join(spool, "fixed.jsonl")
            _copy_to(fixed, stdout or sys.stdout.buffer)
            after = [fixed]
        else:
            after = [output] if output else paths
        report = api.run(after, settings, validation=validation, baseline=baseline, write_baseline=write_baseline)
        if spool:
            for r in report.results:
                r.path = STDIN
                for p in r.problems:
                    p.path = STDIN
        summary.remaining = report.summary["problems"]
        report.fixes = summary
        report.notes.append(summary.sentence())
        return report
    finally:
        for job in jobs:
            job.abort()
        for folder in (spool, scratch):
            if folder:
                shutil.rmtree(folder, ignore_errors=True)


MAX_ROUNDS = 3  # a round only follows one that met images the image pass had not checked (--images)


@dataclass
class _Target:
    """One file through the rounds: each round reads the previous one's output and writes a new temporary file
    beside ``dest``; the last is renamed over ``dest`` (with --diff: compared with the input, then removed)."""

    path: str
    display: str
    name: str  # in error messages
    dest: str
    task: str | None
    settings: Settings
    hide: tuple | None  # (baseline entries, path relative to the baseline) for a fresh BaselineFilter a round
    dedupe: bool
    compress: bool = False
    always: bool = False  # written even when nothing changed (--fix-output, standard input)
    done: FileFix = None
    current: AtomicFile | None = None
    stages: list = field(default_factory=list)  # sorted deleted line numbers of each stage, in its input's numbering
    rounds: int = 0
    unchecked: bool = False  # the last round met image_url values the image pass had not checked
    recount: bool = False  # lines merged with another file's: changed lines are counted from the result

    def __post_init__(self) -> None:
        self.done = FileFix(self.display)

    def open_current(self):
        if self.current is None:
            return open_source(self.path)
        return _reopen(self.current.tmp, self.compress)

    def finish(self, write_diff) -> None:
        if self.rounds > 1 or self.recount:  # lines changed, counted once however many stages changed them
            self.done.changed_lines = sum(1 for old, new, partial in self._aligned() if not partial and old != new)
        if write_diff is not None:
            sink = UnifiedDiff(write_diff, self.display)
            for old, new, partial in self._aligned():
                sink(old, new, partial)
            sink.finish()
            self.abort()
        elif self.done.changed_lines or self.always:
            current, self.current = self.current, None
            current.commit()
        else:
            self.abort()  # nothing to fix: the file is not rewritten

    def _aligned(self):
        source = open_source(self.path)
        try:
            with _reopen(self.current.tmp, self.compress) as fixed:
                limit = self.settings.max_line_bytes
                yield from align(iter_pieces(source, limit), iter_pieces(fixed, limit), self.stages)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{self.display}: cannot read ({exc})") from None
        finally:
            source.close()

    def abort(self) -> None:
        if self.current is not None:
            self.current.abort()
            self.current = None


def align(old_pieces, new_pieces, stages: list):
    """(input line, output line or b"" when it was deleted, False), from the deletions of each stage of the fix, for
    pieces as :func:`~automl_lint.fix.files.iter_pieces` reads them. An over-long line, never fixed, is the same in
    the output: its pieces come as (piece, piece, True), the last as (piece, piece, False); neither is joined."""
    seen = [0] * len(stages)  # lines that reached each stage
    at = [0] * len(stages)  # next deletion of each stage
    for old, kind in old_pieces:
        if kind != LINE:
            yield old, next(new_pieces, (b"", LAST))[0], kind == PART
            if kind == PART:
                continue
        deleted = False
        for s, gone in enumerate(stages):
            seen[s] += 1
            while at[s] < len(gone) and gone[at[s]] < seen[s]:
                at[s] += 1
            if at[s] < len(gone) and gone[at[s]] == seen[s]:
                deleted = True
                break
        if kind == LINE:
            yield old, b"" if deleted else _whole_line(new_pieces), False


def _whole_line(pieces) -> bytes:
    """The next line of ``pieces``, joined if a fix made it longer than the limit (by what the fix added)."""
    raw, kind = next(pieces, (b"", LINE))
    if kind == LINE:
        return raw
    parts = [raw]
    while kind == PART:
        raw, kind = next(pieces, (b"", LAST))
        parts.append(raw)
    return b"".join(parts)


def _fix_round(job: _Target, fixer: LineFixer, settings: Settings) -> None:
    """One round over ``job``'s file (the input, or the previous round's output); a second pass merges the lines
    of one image_url."""
    done = FileFix(job.display)
    hide = BaselineFilter(*job.hide) if job.hide else None

    def new_file() -> AtomicFile:
        return AtomicFile(job.dest, mode_of=job.path, compress=job.compress, display=job.name)

    out = new_file()
    index = UrlIndex() if job.dedupe else None
    try:
        source = job.open_current()
        try:
            fix_lines(source, fixer, lambda old, new, partial=False: out.write(new), done, settings.max_line_bytes,
                      hide, index)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{job.display}: cannot read ({exc})") from None
        finally:
            source.close()
        out.finish()
        stages = [done.deleted]
        if index is not None and index.groups:
            with _reopen(out.tmp, job.compress) as fh:
                edits = plan(bounded_lines(fh, settings.max_line_bytes), index, fixer.checker.task, fixer)
            if edits:
                tmp = out.tmp
                merged = _write_edited(lambda: _reopen(tmp, job.compress), new_file(), edits, settings.max_line_bytes)
                out.abort()
                out = merged
                _count_merge(done, edits)
                job.recount = True  # a merged line may have been fixed too: changed lines are counted once
                stages.append(array("l", sorted(n for n, new in edits.items() if not new)))
    except BaseException:
        out.abort()
        raise
    job.abort()
    job.current = out
    job.stages.extend(stages)
    job.rounds += 1
    total = job.done
    total.fixed += done.fixed
    total.unsafe_available, total.left_lines = done.unsafe_available, done.left_lines
    if job.rounds == 1:
        total.lines, total.changed_lines, total.deleted = done.lines, done.changed_lines, done.deleted


def _tables(results: list, jobs: list, settings: Settings) -> list:
    """(MLTable path, its jobs in the MLTable's order) for each MLTable reading several JSONL files whose lines of one
    image_url may be merged across them: every file fixed here, read by this MLTable only and by no other input,
    and no take/skip or column transformation (which would change what a moved line becomes)."""
    if settings.kind != "training":
        return []
    by_path = {os.path.realpath(job.path): job for job in jobs}
    tables, readers = [], {}
    for r in results:
        if r.kind == "mltable" and os.path.isfile(r.path):
            table = mltable.load(r.path, getattr(settings, "allow_outside", False))
            tables.append((r, table))
            for p in table.jsonl:
                readers[os.path.realpath(p)] = readers.get(os.path.realpath(p), 0) + 1
        elif r.kind != "mltable" and r.part_of is None and os.path.isfile(r.path):
            readers[os.path.realpath(r.path)] = readers.get(os.path.realpath(r.path), 0) + 1
    out = []
    for r, table in tables:
        parts = [os.path.realpath(p) for p in table.jsonl]
        if (len(parts) < 2 or len(set(parts)) != len(parts) or table.window is not None or table.columns
                or any(p not in by_path or readers.get(p) != 1 for p in parts)):
            continue
        out.append((r, [by_path[p] for p in parts]))
    return out


def _merge_across(table, parts: list, settings: Settings, allowed, unsafe: bool, facts, entries, baseline) -> None:
    """AML604 across the files of one MLTable (reported on the MLTable): the lines of one image_url in different
    files become one line, as AutoML merges them (see :func:`automl_lint.fix.duplicates.plan_across`)."""
    hide = None
    if entries is not None:
        hide = BaselineFilter(entries, baseline_file.relative_path(table.path, os.path.dirname(os.path.abspath(
            baseline))))
    first = parts[0]
    if not _dedupe_allowed(first.settings, allowed, hide):
        return
    fixer = LineFixer(table.task, first.settings, allowed, unsafe, facts)
    edits = plan_across([job.open_current for job in parts], table.task, fixer)
    if not any(edits):
        return
    for job, changes in zip(parts, edits):
        if not changes:
            continue
        merged = _write_edited(job.open_current,
                               AtomicFile(job.dest, mode_of=job.path, compress=job.compress, display=job.name), changes,
                               job.settings.max_line_bytes)
        job.abort()
        job.current = merged
        job.stages.append(array("l", sorted(n for n, new in changes.items() if not new)))
        job.recount = True
    next(job for job, changes in zip(parts, edits) if changes).done.fixed += 1  # the MLTable's AML604 finding


def _check_images(urls: set[str], settings: Settings, facts: ImageFacts) -> None:
    """The image pass over image_url values it had not checked: of records AutoML skips (the pass keeps none)
    whose fix needs the real image, and those a fix wrote. Their findings are not kept: the report's lint after
    the fixes finds them again."""
    from automl_lint.engine import FileResult
    from automl_lint.images.check import check_images
    from automl_lint.images.storage import StorageUnavailable

    holder = FileResult("<image_url values to check>", None, False, settings.kind,
                        image_refs=[(0, url, None, []) for url in sorted(urls)])
    try:
        check_images([holder], settings, progress=False, probes=facts.add)
    except StorageUnavailable as exc:
        raise SourceError(str(exc)) from None


def _targets(results: list, settings: Settings) -> list[tuple[str, object]]:
    """The JSONL files to fix, once each: plain inputs, the JSONL an MLTable reads, validation files."""
    if settings.kind != "training":
        return []
    seen, out = set(), []
    for r in results:
        if r.kind == "mltable" or not os.path.isfile(r.path):
            continue
        real = os.path.realpath(r.path)
        if real not in seen:
            seen.add(real)
            out.append((r.path, r))
    return out


def _reader_settings(results: list) -> dict[str, tuple[str, str]]:
    """{real path of a JSONL an MLTable reads: (invalid_lines, encoding)}: the MLTable's read options win."""
    options = {}
    for r in results:
        if r.kind == "mltable" and os.path.isfile(r.path):
            table = mltable.load(r.path)
            for p in table.jsonl:
                options.setdefault(os.path.realpath(p), (table.invalid_lines, table.encoding))
    return options


def _windowed(results: list) -> set[str]:
    """Real paths of the JSONL files an MLTable reads through take/skip or a column transformation: merging the
    lines of one image_url there would change which rows AutoML reads, or what a moved line becomes."""
    out = set()
    for r in results:
        if r.kind == "mltable" and os.path.isfile(r.path):
            table = mltable.load(r.path)
            if table.window is not None or table.columns:
                out.update(os.path.realpath(p) for p in table.jsonl)
    return out


def _check_output(output: str, targets: list, results: list, paths: list[str], validation: str | None,
                  error) -> None:
    if len(targets) != 1 or validation:
        raise error("--fix-output writes one fixed JSONL file: give exactly one JSONL input (fix MLTable folders, "
                    "several files and --validation files in place with --fix)")
    if os.path.isdir(output):
        raise error(f"--fix-output {output}: is a directory; name the fixed file")
    if is_image_file(output):
        raise error(f"--fix-output {output} is an image file; it would be overwritten")
    own = os.path.realpath(targets[0][0])
    others = {os.path.realpath(p) for p in [*paths, *(r.path for r in results)] if p != "-"}
    if os.path.realpath(output) in others - {own}:
        raise error(f"--fix-output {output} is another input of this run; it would be overwritten")


def _dedupe_allowed(settings: Settings, allowed, hide) -> bool:
    code = DUPLICATE_IMAGE_URL.code
    return code in settings.enabled and allowed(code) and not (hide is not None and hide.hides_file_finding(code))


def _count_merge(done: FileFix, edits: dict) -> None:
    if edits:
        done.fixed += 1  # the file's AML604 finding
        done.changed_lines += len(edits)


def _write_edited(open_source, merged: AtomicFile, edits: dict, max_line_bytes: int) -> AtomicFile:
    """The lines of ``open_source()`` into ``merged``, those numbered in ``edits`` replaced by their edit (an empty
    edit deletes the line; an over-long line has none, and is copied in pieces); ``merged`` is finished, or aborted
    if anything fails."""
    try:
        with open_source() as fh:
            n = 0
            for raw, kind in iter_pieces(fh, max_line_bytes):
                if kind != PART:
                    n += 1
                merged.write(edits.get(n, raw) if kind == LINE else raw)
        merged.finish()
    except BaseException:
        merged.abort()
        raise
    return merged


def _reopen(path: str, compressed: bool):
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def _spool_stdin(folder: str) -> str:
    """Standard input saved to a file: it is read three times (lint, fix, lint again)."""
    if sys.stdin is None:
        raise SourceError("<stdin>: standard input is closed")
    path = os.path.join(folder, "stdin.jsonl")
    with open(path, "wb") as fh:
        shutil.copyfileobj(sys.stdin.buffer, fh, 1 << 20)
    return path


def _copy_to(path: str, stream: BinaryIO) -> None:
    with open(path, "rb") as fh:
        shutil.copyfileobj(fh, stream, 1 << 20)
    stream.flush()
