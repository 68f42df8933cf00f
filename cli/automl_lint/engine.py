"""Records -> problems: runs the per-record and per-dataset checks over each input.

A large regular file is split at line boundaries into byte ranges checked by worker processes; their
problems and dataset state are merged in file order, so the result is identical to ``--jobs 1``.
"""

from __future__ import annotations

import itertools
import re
import multiprocessing
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import orjson

from automl_lint import tasks
from automl_lint.problem import Problem
from automl_lint.reader import (
    SourceError,
    find_duplicate_keys,
    iter_lines,
    may_have_duplicate_keys,
    open_source,
    parse_line,
)
from automl_lint.rules import annotation, classification, dataset, image_url, schema, syntax
from automl_lint.settings import Settings

PARALLEL_MIN_BYTES = 4 * 1024 * 1024
# Integers of 20+ digits (or 19 from about 9.23e18) do not fit in int64; orjson reads them as floats.
_BIG_INT = re.compile(rb"(?<![\d.eE])-?(?:\d{20,}|9[3-9]\d{17}|92[3-9]\d{16})(?![\d.eE])")


@dataclass
class FileResult:
    path: str
    task: str | None
    task_inferred: bool
    kind: str
    records: int = 0
    problems: list[Problem] = field(default_factory=list)
    state: dataset.DatasetState = field(default_factory=dataset.DatasetState)
    role: str = "training"
    # (line, image_url, image_details, box sizes) of every kept record, only with --images.
    image_refs: list | None = None


class RecordChecker:
    """Checks one record of a known task; appends (rule, pointer, message) findings to ``out``."""

    def __init__(self, task: str | None, settings: Settings) -> None:
        self.task = task
        self.kind = settings.kind
        self.settings = settings
        self.rcnn = settings.uses_rcnn(task) if task else False
        self.segmentation = task == "instance-segmentation"
        self.validator = schema.validator(task, settings.kind) if task else None
        self.scratch = dataset.DatasetState()
        self.family = tasks.family(task) if task else None
        self.image_refs = None
        if settings.images and settings.kind == "training":
            from automl_lint.images.refs import image_ref

            self.image_refs, self._image_ref = [], image_ref
        self.ok_classes: set = set()
        self.fast = None
        # The fast path skips records that match the schema and need no finding; --images needs every record.
        if settings.kind == "training" and task is not None and self.image_refs is None:
            self.fast = {
                "object-detection": self._fast_detection,
                "instance-segmentation": self._fast_detection,
                "multiclass": self._fast_multiclass,
                "multilabel": self._fast_multilabel,
            }[task]

    def _learn_classes(self, names) -> bool:
        ok = True
        for name in names:
            if annotation.class_is_plain(name, self.rcnn and self.family == "detection"):
                self.ok_classes.add(name)
            else:
                ok = False
        return ok

    def _fast_detection(self, value, raw, state) -> bool:
        if annotation.fast_detection(value, raw, state, self.ok_classes, self.segmentation):
            return True
        # The first time a class is seen it is not yet known to be plain: learn it and retry once.
        return self._learn_classes({a["label"] for a in value["label"]}) and annotation.fast_detection(
            value, raw, state, self.ok_classes, self.segmentation)

    def _fast_multiclass(self, value, raw, state) -> bool:
        if classification.fast_multiclass(value, raw, state, self.ok_classes):
            return True
        return self._learn_classes([value["label"]]) and classification.fast_multiclass(
            value, raw, state, self.ok_classes)

    def _fast_multilabel(self, value, raw, state) -> bool:
        if classification.fast_multilabel(value, raw, state, self.ok_classes):
            return True
        return self._learn_classes(value["label"]) and classification.fast_multilabel(
            value, raw, state, self.ok_classes)

    def check(self, value: dict, raw: bytes, state: dataset.DatasetState, out: list) -> None:
        task = self.task
        valid = None
        if self.fast is not None:
            valid = self.validator.is_valid(value)
            if valid and self.fast(value, raw, state):
                return
        if self.kind == "predictions":
            if task and not self.validator.is_valid(value):
                schema.explain(value, task, self.kind, [], out)
            self._duplicate_keys(value, raw, out)
            return
        url = image_url.check(value, out)
        target = state if url is not None else self.scratch
        if task == "object-detection" or task == "instance-segmentation":
            kept = annotation.check_detection(value, out, target, self.segmentation, self.rcnn)
        elif task == "multiclass":
            kept = classification.check_multiclass(value, out, target)
        elif task == "multilabel":
            kept = classification.check_multilabel(value, out, target)
        else:
            kept = False
        if url is not None:
            state.add_url(url)
            if kept:
                state.kept += 1
                if self.image_refs is not None:
                    self.image_refs.append(self._image_ref(state.line, url, value))
        if task is not None:
            shape = tasks.shape_of(value)
            if shape is not None and shape != task and (
                    tasks.family(shape) != self.family or self.family == "classification"):
                out.append((schema.RECORD_SHAPE_MISMATCH, "/label", f"this record has the shape of "
                            f"{shape} but the file is linted as {task}"))
            if not (valid if valid is not None else self.validator.is_valid(value)):
                schema.explain(value, task, self.kind, [f[1] for f in out], out)
        if out and _BIG_INT.search(raw):
            out.append((syntax.INTEGER_OVERFLOW, "", "an integer on this line is outside the 64-bit range; AutoML's "
                        "reader silently turns it into a different float"))
        self._duplicate_keys(value, raw, out)

    @staticmethod
    def _duplicate_keys(value: dict, raw: bytes, out: list) -> None:
        n = len(value)
        details = value.get("image_details")
        if type(details) is dict:
            n += len(details)
        for key in ("label", "boxes"):
            items = value.get(key)
            if type(items) is list:
                for item in items:
                    if type(item) is dict:
                        n += len(item)
                        box = item.get("box")
                        if type(box) is dict:
                            n += len(box)
        url = value.get("image_url")
        if may_have_duplicate_keys(raw, n, url.count(":") if type(url) is str else 0):
            dups = find_duplicate_keys(raw)
            if dups:
                names = ", ".join(repr(d) for d in dups)
                out.insert(0, (syntax.DUPLICATE_KEY, "", f"key {names} appears twice in one object: AutoML's reader "
                               "fails the job (FieldNameConflict)"))


def _check_lines(path: str, lines: Iterable[bytes | None], checker: RecordChecker, settings: Settings,
                 at_file_start: bool = True) -> tuple[list[Problem], dataset.DatasetState, int, int]:
    """Check a run of lines; returns problems (numbered from 1), dataset state, lines and records."""
    state = dataset.DatasetState()
    problems: list[Problem] = []
    enabled = settings.enabled
    severities = settings.severities
    out: list = []
    columns: dict = {}
    records = 0
    line = 0

    def report(rule, pointer, message, col=None):
        columns[len(out)] = col
        out.append((rule, pointer, message))

    for raw in lines:
        line += 1
        value = None
        if raw is None:
            records += 1
            out.append((syntax.LINE_TOO_LONG, "", f"line longer than {settings.max_line_bytes} bytes; not parsed"))
        elif not raw.strip():
            out.append((syntax.BLANK_LINE, "", "blank line (AutoML skips it)"))
        else:
            records += 1
            state.records += 1
            value = parse_line(raw, report, bom_allowed=at_file_start and line == 1)
            if value is not None:
                state.line = line
                checker.check(value, raw, state, out)
        if out:
            url = value.get("image_url") if value is not None else None
            if type(url) is not str:
                url = None
            for i, (rule, pointer, message) in enumerate(out):
                if rule.code in enabled:
                    problems.append(Problem(path, line, pointer, rule.code, rule.name, severities[rule.code],
                                            rule.consequence, message, columns.get(i), url))
            out.clear()
            columns.clear()
    return problems, state, line, records


def _chunk_worker(args):
    path, start, end, task, settings = args
    checker = RecordChecker(task, settings)
    with open(path, "rb") as fh:
        fh.seek(start)
        lines = iter_lines(fh, start, end, settings.max_line_bytes)
        return (*_check_lines(path, lines, checker, settings, at_file_start=start == 0), checker.image_refs)


def _boundaries(path: str, size: int, parts: int) -> list[tuple[int, int]]:
    cuts = [0]
    with open(path, "rb") as fh:
        for i in range(1, parts):
            pos = size * i // parts
            if pos <= cuts[-1]:
                continue
            fh.seek(pos - 1)
            fh.readline()
            cut = fh.tell()
            if cut < size and cut > cuts[-1]:
                cuts.append(cut)
    cuts.append(size)
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def _sample_task(lines: list, kind: str) -> str | None:
    shapes: Counter = Counter()
    for raw in lines:
        if not raw:
            continue
        try:
            value = orjson.loads(raw.lstrip(b"\xef\xbb\xbf"))
        except orjson.JSONDecodeError:
            continue
        if type(value) is dict:
            shape = tasks.shape_of(value, kind)
            if shape:
                shapes[shape] += 1
    return tasks.infer(shapes)


def lint_file(path: str, settings: Settings, role: str = "training") -> FileResult:
    """Lint one JSONL file (or ``-``); raises SourceError when it cannot be read at all."""
    display = "<stdin>" if path == "-" else path
    stream = open_source(path)
    try:
        head_iter = iter_lines(stream, max_line_bytes=settings.max_line_bytes)
        try:
            head = list(itertools.islice(head_iter, tasks.INFER_SAMPLE))
        except (OSError, EOFError, ValueError) as exc:
            raise SourceError(f"{display}: cannot read ({exc})") from None
        task = settings.task
        inferred = task == "auto"
        if inferred:
            task = _sample_task(head, settings.kind)
        result = FileResult(display, task, inferred, settings.kind, role=role)
        if settings.kind == "predictions" and _looks_like_document(head):
            _lint_document(b"\n".join(itertools.chain(head, head_iter)), result, settings)
            for p in result.problems:
                p.path = display
            _finish(result, settings, result.task, inferred)
            return result
        jobs = settings.jobs or os.cpu_count() or 1
        size = _regular_size(path)
        if jobs > 1 and size >= PARALLEL_MIN_BYTES and not path.endswith(".gz"):
            stream.close()
            _lint_parallel(path, size, jobs, task, settings, result)
        else:
            checker = RecordChecker(task, settings)
            lines = itertools.chain(head, head_iter)
            try:
                problems, state, _, records = _check_lines(display, lines, checker, settings)
            except (OSError, EOFError) as exc:
                raise SourceError(f"{display}: cannot read ({exc})") from None
            result.problems, result.state, result.records = problems, state, records
            result.image_refs = checker.image_refs
    finally:
        if path != "-":
            stream.close()
    for p in result.problems:
        p.path = display
    _finish(result, settings, task, inferred)
    return result


def _looks_like_document(head: list) -> bool:
    """Predictions written as one JSON document (pretty-printed object, or an array) rather than JSON Lines."""
    first = next((raw for raw in head if raw and raw.strip()), None)
    if first is None:
        return False
    stripped = first.strip().lstrip(b"\xef\xbb\xbf")
    if stripped.startswith(b"["):
        return True
    try:
        orjson.loads(stripped)
        return False
    except orjson.JSONDecodeError:
        return stripped.startswith(b"{")


def _lint_document(data: bytes, result: FileResult, settings: Settings) -> None:
    """Check a predictions file that is one JSON document; problems point into it from line 1."""
    out: list = []
    try:
        value = orjson.loads(data.lstrip(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:
        value = parse_line(data, lambda rule, pointer, message, col=None: out.append((rule, pointer, message)), True)
    records = value if type(value) is list else ([value] if type(value) is dict else [])
    if result.task is None:
        shapes = Counter(s for s in (tasks.shape_of(r, "predictions") for r in records if type(r) is dict) if s)
        result.task = tasks.infer(shapes)
    checker = RecordChecker(result.task, settings)
    for i, record in enumerate(records):
        prefix = f"/{i}" if type(value) is list else ""
        found: list = []
        if type(record) is not dict:
            found.append((syntax.NOT_AN_OBJECT, "", f"prediction {i} is not a JSON object"))
        else:
            checker.check(record, b"", result.state, found)
        out.extend((rule, prefix + pointer, message) for rule, pointer, message in found)
    result.records = len(records) or (1 if data.strip() else 0)
    for rule, pointer, message in out:
        if rule.code in settings.enabled:
            result.problems.append(Problem(result.path, 1, pointer, rule.code, rule.name,
                                           settings.severities[rule.code], rule.consequence, message))


def _regular_size(path: str) -> int:
    if path == "-":
        return 0
    try:
        st = os.stat(path)
    except OSError:
        return 0
    import stat as _stat
    return st.st_size if _stat.S_ISREG(st.st_mode) else 0


def _lint_parallel(path: str, size: int, jobs: int, task, settings: Settings, result: FileResult) -> None:
    ranges = _boundaries(path, size, jobs)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(len(ranges)) as pool:
        parts = pool.map(_chunk_worker, [(path, a, b, task, settings) for a, b in ranges])
    offset = 0
    state = dataset.DatasetState()
    problems: list[Problem] = []
    for chunk_problems, chunk_state, nlines, records, refs in parts:
        if offset:
            for p in chunk_problems:
                p.line += offset
        if refs is not None:
            result.image_refs = (result.image_refs or []) + [(ln + offset, *rest) for ln, *rest in refs]
        problems.extend(chunk_problems)
        state.merge(chunk_state, offset)
        result.records += records
        offset += nlines
    # A BOM is only meaningful at the start of the file; workers other than the first never see line 1.
    result.problems, result.state = problems, state


def _finish(result: FileResult, settings: Settings, task: str | None, inferred: bool) -> None:
    findings: list = []
    if result.records == 0:
        findings.append((syntax.EMPTY_FILE, "the file has no records"))
    elif task is None and settings.kind == "training":
        findings.append((schema.RECORD_SHAPE_MISMATCH, "the task could not be inferred from the records' "
                         "'label' shape; pass --task"))
    elif settings.kind == "training":
        findings.extend(dataset.check_dataset(result.state, task, settings, settings_has_validation(settings)))
    for rule, message in findings:
        if rule.code in settings.enabled:
            result.problems.append(Problem(result.path, None, "", rule.code, rule.name,
                                           settings.severities[rule.code], rule.consequence, message))


def settings_has_validation(settings: Settings) -> bool:
    return bool(getattr(settings, "has_validation", False))


def lint_pair(train: FileResult, valid: FileResult, settings: Settings) -> None:
    """Add train/validation findings to the validation file's result."""
    task = train.task or valid.task
    if not task or settings.kind != "training":
        return
    for rule, message in dataset.check_pair(train.state, valid.state, task, settings):
        if rule.code in settings.enabled:
            valid.problems.append(Problem(valid.path, None, "", rule.code, rule.name,
                                          settings.severities[rule.code], rule.consequence, message))


def expand_paths(paths: Iterable[str]) -> Iterator[str]:
    """Files as given; directories searched recursively for ``*.jsonl`` and ``*.jsonl.gz``."""
    for path in paths:
        if path != "-" and os.path.isdir(path):
            found = []
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(root, f) for f in files if f.endswith((".jsonl", ".jsonl.gz")))
            if not found:
                raise SourceError(f"{path}: no *.jsonl file in this directory")
            yield from sorted(found)
        else:
            yield path
