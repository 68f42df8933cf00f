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
from automl_lint.fix.duplicates import UrlIndex, plan
from automl_lint.fix.files import AtomicFile, BaselineFilter, FileFix, UnifiedDiff, fix_lines, iter_raw_lines
from automl_lint.fix.line import LineFixer
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
    try:
        if spool:
            paths = [_spool_stdin(spool)]
        first = api.run(paths, settings, validation=validation)
        targets = _targets(first.results, settings)
        if output is not None:
            _check_output(output, targets, first.results, paths, validation, api.UsageError)
        entries = baseline_file.load(baseline) if baseline else None
        summary = FixSummary(unsafe=unsafe, diff=diff is not None)
        allowed = allowed_codes(settings)
        readers = _reader_settings(first.results)
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
            fixer = LineFixer(result.task, file_settings, allowed, unsafe)
            hide = None
            if entries is not None:
                root = os.path.dirname(os.path.abspath(baseline))
                hide = BaselineFilter(entries, baseline_file.relative_path(display if spool else path, root))
            done = FileFix(display)
            dedupe = _dedupe_allowed(file_settings, allowed, hide)
            if diff is not None:
                _diff_file(path, display, fixer, done, settings, hide, dedupe, diff.write)
            else:
                target = output or (os.path.join(spool, "fixed.jsonl") if spool else os.path.realpath(path))
                _write_file(path, target, output or (STDIN if spool else path), fixer, done, settings, hide, dedupe,
                            always=bool(output or spool))
            summary.files.append(done)
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
        if spool:
            shutil.rmtree(spool, ignore_errors=True)


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


def _check_output(output: str, targets: list, results: list, paths: list[str], validation: str | None,
                  error) -> None:
    if len(targets) != 1 or validation:
        raise error("--fix-output writes one fixed JSONL file: give exactly one JSONL input (fix MLTable folders, "
                    "several files and --validation files in place with --fix)")
    if os.path.isdir(output):
        raise error(f"--fix-output {output}: is a directory; name the fixed file")
    own = os.path.realpath(targets[0][0])
    others = {os.path.realpath(p) for p in [*paths, *(r.path for r in results)] if p != "-"}
    if os.path.realpath(output) in others - {own}:
        raise error(f"--fix-output {output} is another input of this run; it would be overwritten")


def _dedupe_allowed(settings: Settings, allowed, hide) -> bool:
    code = DUPLICATE_IMAGE_URL.code
    return code in settings.enabled and allowed(code) and not (hide is not None and hide.hides_file_finding(code))


def _write_file(path: str, target: str, display: str, fixer: LineFixer, done: FileFix, settings: Settings, hide,
                dedupe: bool, always: bool) -> None:
    """Fix ``path`` into ``target`` atomically (a second pass merges the lines of one image_url)."""
    compress = target.endswith(".gz")
    out = AtomicFile(target, mode_of=path, compress=compress, display=display)
    index = UrlIndex() if dedupe else None
    try:
        _stream(path, fixer, lambda old, new, partial=False: out.write(new), done, settings, hide, index)
        edits = {}
        if index is not None and index.groups:
            out.finish()
            with _reopen(out.tmp, compress) as fh:
                edits = plan(iter_raw_lines(fh), index, fixer.checker.task, fixer)
        if edits:
            second = AtomicFile(target, mode_of=path, compress=compress, display=display)
            try:
                with _reopen(out.tmp, compress) as fh:
                    for n, raw in enumerate(iter_raw_lines(fh), start=1):
                        second.write(edits.get(n, raw))
            except BaseException:
                second.abort()
                raise
            out.abort()
            _count_merge(done, edits)
            second.commit()
            return
    except BaseException:
        out.abort()
        raise
    if done.changed_lines or always:
        out.commit()
    else:
        out.abort()  # nothing to fix: the file is not rewritten


def _diff_file(path: str, display: str, fixer: LineFixer, done: FileFix, settings: Settings, hide, dedupe: bool,
               write) -> None:
    """The unified diff of what fixing ``path`` would change: fixed into a scratch file, then compared."""
    index = UrlIndex() if dedupe else None
    fd, scratch = tempfile.mkstemp(prefix="automl-lint-diff-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "wb") as fh:
            _stream(path, fixer, lambda old, new, partial=False: fh.write(new), done, settings, hide, index)
        edits = {}
        if index is not None and index.groups:
            with open(scratch, "rb") as fh:
                edits = plan(iter_raw_lines(fh), index, fixer.checker.task, fixer)
            _count_merge(done, edits)
        sink = UnifiedDiff(write, display)
        source = open_source(path)
        try:
            with open(scratch, "rb") as fixed:
                written = 0
                deleted = set(done.deleted)
                for n, old in enumerate(iter_raw_lines(source), start=1):
                    if n in deleted:
                        sink(old, b"")
                        continue
                    written += 1
                    sink(old, edits.get(written, fixed.readline()))
        finally:
            source.close()
        sink.finish()
    finally:
        os.unlink(scratch)


def _count_merge(done: FileFix, edits: dict) -> None:
    if edits:
        done.fixed += 1  # the file's AML604 finding
        done.changed_lines += len(edits)


def _reopen(path: str, compressed: bool):
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def _stream(path: str, fixer: LineFixer, sink, done: FileFix, settings: Settings, hide, index=None) -> None:
    source = open_source(path)
    try:
        fix_lines(source, fixer, sink, done, settings.max_line_bytes, hide, index)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(f"{done.path}: cannot read ({exc})") from None
    finally:
        source.close()


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
