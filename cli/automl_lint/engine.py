"""Records -> problems: runs the per-record and per-dataset checks over each input.

A large regular file is split at line boundaries into byte ranges checked by worker processes; their
problems and dataset state are merged in file order, so the result is identical to ``--jobs 1``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import multiprocessing
import os
import signal
import threading
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import orjson

from automl_lint import confine, distributed, encoding, express as express_lane, runtime, tasks
from automl_lint.confine import Refused
from automl_lint.problem import KEPT_URL, Consequence, Problem, kept_url, quote
from automl_lint.encoding import Recoded, Undecodable
from automl_lint.reader import (
    SourceError,
    find_duplicate_keys,
    iter_lines,
    may_have_duplicate_keys,
    nesting_depth,
    engine_reading,
    open_source,
    parse_line,
    plain_record,
    too_deep,
    ValueColumns,
)
from automl_lint.rules import annotation, classification, dataset, image_url, schema, syntax
from automl_lint.settings import Settings
from automl_lint.sniff import foreign_format
from automl_lint.verdict import Omitted

PARALLEL_MIN_BYTES = 4 * 1024 * 1024
# The express lane (automl_lint.express) for valid, plain records; tests turn it off to compare.
EXPRESS = True
# Set by automl_lint.progress while a progress bar is shown: called with the lines read so far (None: the
# file is being read by worker processes).
LINE_HOOK = None
MAX_JOBS = 256  # --jobs beyond this is refused; each worker also gets at least 1 MiB of the file
CHUNK_MIN_BYTES = 1024 * 1024
# A parallel run's next byte range is this fraction of what remains per worker (at least CHUNK_MIN_BYTES): large
# ranges first, small ones last, so that the workers finish together (see _guided_ranges).
GUIDED_SHARE = 2
_CAN_FORK = "fork" in multiprocessing.get_all_start_methods()


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
    # Findings of lines past --max-problems: counted, not kept.
    omitted: Omitted | None = None
    lines: int = 0  # physical lines read (records + blank lines)
    rows: int | None = None  # lines that become a row of the engine's table (None: not counted)
    rows_window: tuple | None = None  # an MLTable's take/skip, as lint_file's window
    # Set on the JSONL parts of an MLTable that reads several files, whose dataset is judged as a whole.
    part_of: str | None = None
    # Findings not listed: of rules the configuration hides (--select/--ignore), or recorded in the baseline.
    # They count in AutoML's verdict, not in the exit code.
    ignored: list[Problem] = field(default_factory=list)
    baselined: list[Problem] = field(default_factory=list)
    superseded: list[Problem] = field(default_factory=list)  # per-line noise of a wrong --task (AML106)

    def add(self, problem: Problem, enabled) -> None:
        """List ``problem``, or keep it aside when its rule is not enabled."""
        (self.problems if problem.code in enabled else self.ignored).append(problem)


class RecordChecker:
    """Checks one record of a known task; appends (rule, pointer, message) findings to ``out``."""

    def __init__(self, task: str | None, settings: Settings) -> None:
        self.task = task
        self.kind = settings.kind
        self.settings = settings
        self.drop = settings.invalid_lines == "drop"
        self.top_keys: Counter = Counter()  # rows holding each top-level key the schema does not know
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
        self.plain_url = None
        # The fast path skips records that match the schema and need no finding (--images keeps their image).
        if settings.kind == "training" and task is not None:
            fast = {
                "object-detection": annotation.fast_detection,
                "instance-segmentation": annotation.fast_segmentation,
                "multiclass": classification.fast_multiclass,
                "multilabel": classification.fast_multilabel,
            }[task]
            self.plain_url = image_url.plain_url_checker()
            self.fast = functools.partial(fast, self.ok_classes, self.plain_url)
        self.fast = runtime.fast_path(self.fast, task, settings)
        self.check_labels = runtime.label_checker(task, settings, self.rcnn)
        self.strict = settings.strict and task is not None and "legacy" in runtime.runtimes_for(settings, task)

    def _learn_classes(self, value: dict) -> bool:
        """Remember the plain class names of a schema-valid record. True when it learned one and all of them are
        plain: only then can the fast path, which refused the record, take it now (with nothing new learned its
        answer stands, and asking again would only repeat its work)."""
        label = value["label"]
        names = [a["label"] for a in label] if self.family == "detection" else (
            label if type(label) is list else [label])
        rcnn = self.rcnn and self.family == "detection"
        ok, new = True, False
        for name in names:
            if name not in self.ok_classes:
                if annotation.class_is_plain(name, rcnn) and len(name) <= dataset.LONG_CLASS_NAME:
                    self.ok_classes.add(name)
                    new = True
                else:
                    ok = False
        return ok and new

    def check(self, value: dict, raw: bytes, state: dataset.DatasetState, out: list) -> None:
        task = self.task
        valid = None
        if self.fast is not None:
            valid = self.validator.is_valid(value)
            # A class seen for the first time is not yet known to be plain: learn it and try once more. A record
            # with keys the schema does not know leaves the fast path: the engine's limits are checked on them.
            if valid and plain_record(value, self.family) and (
                    self.fast(value, raw, state) or self._learn_classes(value) and self.fast(value, raw, state)):
                if self.image_refs is not None:
                    self.image_refs.append(self._image_ref(state.line, value["image_url"], value))
                return
        if self.kind == "training" and engine_reading(value, raw, out, self.drop, self.top_keys):
            return  # nested beyond the engine's limit: the job fails, nothing more to say
        if self.kind == "predictions":
            if task and not self.validator.is_valid(value):
                schema.explain(value, task, self.kind, [], out)
            self._duplicate_keys(value, raw, out)
            return
        url = image_url.check(value, out)
        target = state if url is not None else self.scratch
        first = len(out)
        kept = self.check_labels(value, out, target) if self.check_labels is not None else False
        if url is None:
            # AutoML skips the image for its image_url before reading the labels: a label problem that
            # would fail the job cannot happen yet (it will once the URL is fixed).
            for k in range(first, len(out)):
                f = out[k]
                if (f[3] if len(f) > 3 else f[0].consequence) is Consequence.FAILS_JOB:
                    out[k] = (f[0], f[1], f[2] + " (not reached yet: AutoML skips this image for its image_url "
                              "first)", Consequence.NONE)
        if self.strict:
            runtime.apply_strict(out)
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
                # Findings about the whole line (a BOM, trailing text: pointer "") cover no schema finding.
                schema.explain(value, task, self.kind, [f[1] for f in out if f[0].family != syntax.F], out, state)
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
                names = ", ".join(quote(d) for d in dups[:5]) + (f" and {len(dups) - 5} more" if len(dups) > 5 else "")
                out.insert(0, (syntax.DUPLICATE_KEY, "", f"key {names} appears twice in one object: the engine fails "
                               "the job (FieldNameConflict), even with invalid_lines: drop"))


def _check_lines(path: str, lines: Iterable[bytes | None], checker: RecordChecker, settings: Settings,
                 at_file_start: bool = True, window: tuple | None = None, changed: dict | None = None) -> tuple:
    """Check a run of lines; returns problems (numbered from 1), dataset state, lines and records.

    A finding is ``(rule, pointer, message)``, or ``(rule, pointer, message, consequence)`` when this
    occurrence's consequence differs from the rule's (e.g. a crash masked by an earlier drop, an invalid line
    under ``invalid_lines: drop``). Returns problems, dataset state, lines, records, omitted findings and rows
    (the lines that become a row of the engine's table).
    """
    state = dataset.DatasetState()
    problems: list[Problem] = []
    ignored: list[Problem] = []
    enabled = settings.enabled
    severities = settings.severities
    out: list = []
    columns: dict = {}
    records = 0
    line = 0
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    check = checker.check
    cap = settings.max_problems
    omitted = Omitted()
    hook = LINE_HOOK

    def report(rule, pointer, message, col=None, consequence=None):
        columns[len(out)] = col
        out.append((rule, pointer, message) if consequence is None else (rule, pointer, message, consequence))

    def settle(line: int, raw, value) -> None:
        """Turn the line's findings (``out``) into problems, or count them as omitted past the cap."""
        if cap and (len(problems) >= cap or len(ignored) >= cap):
            omitted.add_line(line, [(f[0].code, severities[f[0].code], f[3] if len(f) > 3 else f[0].consequence,
                                     f[0].code in enabled) for f in out], record=out[0][0] is not syntax.BLANK_LINE)
            out.clear()
            columns.clear()
            return
        url = value.get("image_url") if value is not None else None
        if type(url) is not str:
            url = None
        elif len(url) > KEPT_URL:
            url = kept_url(url)  # one bounded string shared by the line's problems
        line_hash = None if url else hash_line(raw)
        finder = None  # the line's value columns, scanned once for all its findings
        for i, finding in enumerate(out):
            rule = finding[0]
            consequence = finding[3] if len(finding) > 3 else rule.consequence
            column = columns.get(i)
            if column is None and finding[1] and raw:
                if finder is None:
                    finder = ValueColumns(raw)
                column = finder.column(finding[1])
            (problems if rule.code in enabled else ignored).append(
                Problem(path, line, finding[1], rule.code, rule.name, severities[rule.code], consequence,
                        finding[2], column, url, line_hash))
        out.clear()
        columns.clear()

    drop = settings.invalid_lines == "drop" if settings.kind == "training" else None
    utf8 = encoding.family(settings.encoding) in (encoding.UTF8, None)
    rows = 0  # lines that become a row of the engine's table
    # An MLTable's take/skip: the rows kept, counted in records (error) or in valid records (drop), 0-based.
    first, stop = window or (0, None)
    index = 0
    # Records the express lane takes: counted in records, rows and kept at the end.
    lane = express_lane.build(checker, state, out) if EXPRESS and window is None and not changed and utf8 else None
    express, flush = lane or (None, None)
    taken = 0
    for raw in lines:
        line += 1
        if not line & 0x3FFF:
            if hook is not None:
                hook(line)
            if flush is not None:
                flush()
        parsed = None
        if express is not None:
            try:
                parsed = loads(raw)  # a blank line, None (too long), a BOM: not JSON, so below
            except decode_error:
                pass
            else:
                if type(parsed) is dict and express(parsed, raw, line):
                    taken += 1
                    if out:  # what the lane found (a stray vertex), reported as the full check's would be
                        settle(line, raw, parsed)
                    continue
            flush()  # the state in line order before this line's full check
        value = None
        if raw is None:
            records += 1
            out.append((syntax.LINE_TOO_LONG, "", f"line longer than {settings.max_line_bytes} bytes; not parsed"))
        elif raw == b"\n" or raw == b"\xef\xbb\xbf\n" and line == 1 and at_file_start:
            if raw != b"\n":
                out.append((syntax.BOM, "", "the file starts with a UTF-8 byte order mark"))
            out.append((syntax.BLANK_LINE, "", "empty line: the engine skips it (no image is lost)"))
        elif stop is not None and index >= stop:
            # Never parsed, but decoded: a byte that is not UTF-8 still fails the whole read.
            if utf8 and not raw.isascii():
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    parse_line(raw, report, False, drop)
            out.append(_left_out(index, first, stop))
        else:
            records += 1
            state.records += 1
            if type(raw) is Undecodable:
                out.append((syntax.INVALID_UTF8, "", f"{raw.reason}: the engine fails the whole read, even with "
                            "invalid_lines: drop"))
            else:
                try:
                    value = parsed if parsed is not None else loads(raw)
                    if type(value) is not dict:
                        raise decode_error("not an object", "", 0)
                except decode_error:
                    value = parse_line(raw, report, at_file_start and line == 1, drop)
            if value is not None or not drop:
                index += 1
            if index <= first and (value is not None or not drop):
                # Skipped after parsing: only what fails the parse itself (a duplicate key) still counts.
                kept = [f for f in out if f[0] is syntax.DUPLICATE_KEY or f[0] is syntax.INVALID_UTF8]
                out.clear()
                columns.clear()
                out.extend(kept)
                dups = find_duplicate_keys(raw) if value is not None else []
                if dups:
                    out.append((syntax.DUPLICATE_KEY, "", f"key {', '.join(map(repr, dups))} appears twice in one "
                                "object: the engine fails the job (FieldNameConflict) even though 'skip' leaves the "
                                "row out"))
                out.append(_left_out(index - 1, first, stop))
                value = None
            elif value is not None:
                rows += 1
                state.line = line
                if changed:
                    out.extend(_changed_columns(value, changed))
                try:
                    check(value, raw, state, out)
                except (RecursionError, ValueError):
                    _too_deep(value, out, drop)
                    columns.clear()
            if type(raw) is Recoded:
                out.append((syntax.LATIN1_AS_WINDOWS1252, "", raw.note))
        if out:
            settle(line, raw, value)
    if flush is not None:
        flush()
    records += taken
    rows += taken
    state.records += taken
    state.kept += taken
    return problems, state, line, records, omitted, rows, ignored


def _changed_columns(value: dict, columns: dict) -> list:
    from automl_lint.rules import mltable as mltable_rules

    out = [(mltable_rules.COLUMN_CHANGED, f"/{key}", message) for key, message in columns.items()
           if key is not None and key in value]
    if None in columns:
        kept, message = columns[None]
        out.extend((mltable_rules.COLUMN_CHANGED, f"/{key}", message.format(key=key)) for key in value
                   if key not in kept and key not in columns)
    return out


def _full_columns(problems: list[Problem], top_keys: Counter, rows: int) -> list[Problem]:
    """Drop the 'column with gaps' integer findings of keys that every row holds (the column stays int64)."""
    full = {f"/{k}" for k, n in top_keys.items() if n == rows}
    if not full:
        return problems
    return [p for p in problems if not (p.code == syntax.INTEGER_OVERFLOW.code and p.pointer in full
                                        and "lacks" in p.message)]


def _left_out(index: int, first: int, stop: int | None) -> tuple:
    from automl_lint.rules import mltable as mltable_rules

    if index < first:
        return (mltable_rules.LINE_LEFT_OUT, "", f"row {index + 1}: the MLTable's 'skip: {first}' leaves it out")
    return (mltable_rules.LINE_LEFT_OUT, "", f"the MLTable's 'take' keeps the first {stop - first} row(s) only: "
            "this line is never read")


def hash_line(raw: bytes | None) -> str:
    """What identifies a record without an image_url in baselines and fingerprints (its stripped bytes)."""
    return hashlib.sha256((raw or b"").strip()).hexdigest()[:16]


# Validators (jsonschema_rs stops at ~255 levels) and repr() recurse; real records are 5 levels deep.
MAX_CHECKED_DEPTH = 64


def _too_deep(value: dict, out: list, drop: bool = False) -> None:
    """Replace the findings of a record whose check failed on its nesting; re-raise any other failure."""
    depth = nesting_depth(value)
    if depth <= MAX_CHECKED_DEPTH:
        raise
    out.clear()
    out.append(too_deep(depth, drop))


# --- signals: a worker pool ends with its parent, promptly and without a traceback -------------------------

class Terminated(BaseException):
    """The parent received SIGTERM or SIGHUP while workers ran (the CLI exits 128 + signal number)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


ENDING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def worker_signals(parent: int | None = None) -> None:
    """Pool initializer. Ctrl-C reaches the whole process group: the parent alone handles it (exit 130) and
    terminates the pool. SIGTERM and SIGHUP kill a worker outright (their default), whatever handler the parent
    had when it forked; and a worker dies with its parent even when the parent is killed outright (Linux)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in ENDING_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # blocked since the fork (worker_pool): a SIGTERM sent meanwhile kills now
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, *ENDING_SIGNALS})
    _die_with_parent(parent)


def _die_with_parent(parent: int | None) -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError, ImportError):
        return  # not Linux: the parent's handlers below still end the pool
    # The parent died before prctl took effect: this worker was adopted by init or by a subreaper (a container's
    # init, a CI runner, systemd), whatever its process id.
    orphaned = os.getppid() != parent if parent is not None else os.getppid() == 1
    if orphaned:
        os._exit(1)


@contextlib.contextmanager
def worker_pool(processes: int):
    """A fork pool whose workers end with the run: on Ctrl-C (exit 130), SIGTERM or SIGHUP (exit 128 + signal)
    leaving the ``with`` block terminates them at once, instead of the parent dying and the workers running on.

    A signal that arrives while the pool forks its workers is held until the pool exists, then delivered. Raised
    inside ``Pool()``, it would leave the workers forked so far running: the pool would not exist to end them,
    and multiprocessing would not yet know the one being forked. The previous handlers are restored afterwards.

    The signals are also blocked while the workers are forked, and a worker unblocks them once its initializer has
    set its own dispositions. A worker that has not yet run since its fork would otherwise catch the pool's
    SIGTERM with the parent's Python-level handler and lose it (Python clears the signals a child caught before
    its after-fork hook), then wait forever on the task queue's lock that a terminated sibling held: the
    terminating parent hung joining it (seen under load, about one run in a hundred)."""
    ctx = multiprocessing.get_context("fork")
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        with ctx.Pool(processes, initializer=worker_signals, initargs=(os.getpid(),)) as pool:
            yield pool
        return

    parent = os.getpid()
    held: list[int] = []

    # A worker inherits these handlers until its initializer replaces them. With the signals blocked (below) it never
    # runs them; without pthread_sigmask it would, and there they must do what the worker's own would (ignore
    # Ctrl-C, die of SIGTERM), or Pool.terminate() could never end a worker it forked just now.
    def as_a_worker(signum) -> None:
        if signum != signal.SIGINT:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    def hold(signum, frame):
        if os.getpid() != parent:
            return as_a_worker(signum)
        held.append(signum)

    def terminated(signum, frame):
        if os.getpid() != parent:
            return as_a_worker(signum)
        raise Terminated(signum)

    signals = {signal.SIGINT, *ENDING_SIGNALS}
    previous = {signum: signal.signal(signum, hold) for signum in signals}
    # Blocked in this thread, hence in the workers forked from it and in the pool's threads it starts (so that a
    # signal is delivered to this thread only); another thread of the process may still take one: hold() keeps it.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, signals) if hasattr(signal, "pthread_sigmask") else None

    def restore():
        for signum, old in previous.items():
            signal.signal(signum, old)

    def unblock():
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    try:
        pool = ctx.Pool(processes, initializer=worker_signals, initargs=(os.getpid(),))
    except BaseException:
        unblock()
        restore()
        raise
    with pool:
        try:
            signal.signal(signal.SIGINT, previous[signal.SIGINT])
            for signum in ENDING_SIGNALS:
                signal.signal(signum, terminated)
            unblock()  # a signal that arrived meanwhile is delivered now, through the handlers now in place
            for signum in held:  # inside the pool's with block
                signal.raise_signal(signum)
            yield pool
        finally:
            unblock()
            restore()


def _chunk_worker(args):
    global LINE_HOOK
    LINE_HOOK = None  # the parent's progress bar is not this process's to draw
    path, start, end, task, settings = args
    checker = RecordChecker(task, settings)
    with open(path, "rb") as fh:
        fh.seek(start)
        lines = iter_lines(fh, start, end, settings.max_line_bytes)
        problems, state, nlines, records, omitted, rows, ignored = _check_lines(path, lines, checker, settings,
                                                                                at_file_start=start == 0)
        return problems, state, nlines, records, omitted, rows, checker.image_refs, ignored, checker.top_keys


def _boundaries(path: str, size: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` ranges of about equal size (fewer when the file has fewer lines), each from a line start."""
    return _cut(path, size, [size * i // parts for i in range(1, parts)])


def _guided_ranges(path: str, size: int, workers: int) -> list[tuple[int, int]]:
    """Ranges for ``workers`` processes that take them one at a time: each is 1/GUIDED_SHARE of what remains per
    worker, down to CHUNK_MIN_BYTES. Equal ranges leave a worker idle at the end for up to one whole range (a
    worker whose core is busier takes longer over each); shrinking ones bound that wait by the last, smallest
    ranges, at the cost of ~log(size) ranges instead of a few."""
    targets = []
    pos = 0
    while True:
        pos += max(CHUNK_MIN_BYTES, (size - pos) // (GUIDED_SHARE * workers))
        if pos >= size:
            break
        targets.append(pos)
    return _cut(path, size, targets)


def _cut(path: str, size: int, targets: list[int]) -> list[tuple[int, int]]:
    """The ranges that start at the first line start at or after each of ``targets`` (increasing offsets)."""
    cuts = [0]
    with open(path, "rb") as fh:
        for pos in targets:
            if pos <= cuts[-1]:
                continue
            cut = _next_line_start(fh, pos - 1)
            if cut < size and cut > cuts[-1]:
                cuts.append(cut)
    cuts.append(size)
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def _next_line_start(fh, pos: int) -> int:
    """The offset after the first newline at or after ``pos`` (or the end), read 64 KiB at a time: a line of
    gigabytes is crossed in constant memory."""
    fh.seek(pos)
    while True:
        chunk = fh.read(1 << 16)
        if not chunk:
            return pos
        i = chunk.find(b"\n")
        if i != -1:
            return pos + i + 1
        pos += len(chunk)


def _head_shapes(lines: list, kind: str) -> Counter:
    """Task shape -> records among the first lines; None counts the records whose label shows no task."""
    shapes: Counter = Counter()
    for raw in lines:
        if not raw:
            continue
        try:
            value = orjson.loads(raw.lstrip(b"\xef\xbb\xbf"))
        except orjson.JSONDecodeError:
            continue
        if type(value) is dict:
            shapes[tasks.shape_of(value, kind)] += 1
    return shapes


def _not_jsonl(result: FileResult, message: str, settings: Settings) -> None:
    """Another annotation format: one finding for the file instead of one per line."""
    rule = syntax.NOT_JSONL
    result.add(Problem(result.path, None, "", rule.code, rule.name, settings.severities[rule.code],
                       rule.consequence, message), settings.enabled)


_TRAINING_TASKS = ("multiclass", "multilabel", "object-detection", "instance-segmentation")


def _worst_task(path: str, settings: Settings, role: str, window: tuple | None) -> FileResult:
    """No record tells the task: check the file as every task and keep the outcome that fares worst."""
    import dataclasses

    from automl_lint.verdict import file_summary

    def badness(r: FileResult) -> tuple:
        a = file_summary(r)["automl"]
        return (a["fails_job"], a["images_dropped"], a["annotations_dropped"], a["values_altered"],
                sum(p.severity.rank for p in r.problems))

    results = [lint_file(path, dataclasses.replace(settings, task=t), role, window) for t in _TRAINING_TASKS]
    failing = [r for r in results if badness(r)[0]]
    # Of the tasks whose job fails, the one explained by the fewest findings; else the most damaging.
    worst = min(failing, key=lambda r: len(r.problems)) if failing else max(results, key=badness)
    worst.task_inferred = True
    rule = schema.TASK_NOT_INFERRED
    fails = [t for t, r in zip(_TRAINING_TASKS, results) if file_summary(r)["automl"]["fails_job"]]
    outcome = (f"AutoML fails the job as {', '.join(fails)}" if fails else "the outcome depends on the task")
    message = (f"no record's label shows the task (every label is empty or missing): judged as {worst.task}, "
               f"the worst case ({outcome}); pass --task")
    found = Problem(worst.path, None, "", rule.code, rule.name, settings.severities[rule.code], rule.consequence,
                    message)
    if rule.code in settings.enabled:
        worst.problems.insert(0, found)
    else:
        worst.ignored.append(found)
    return worst


def _wrong_task(result: FileResult, shapes: Counter, settings: Settings) -> None:
    """Most records have another task's shape: one finding for the file instead of one per line."""
    task = result.task
    shaped = sum(v for k, v in shapes.items() if k)
    other, count = max(((k, v) for k, v in shapes.items() if k and k != task), key=lambda kv: kv[1],
                       default=(None, 0))
    if other is None or count * 2 <= shaped:
        return
    result.superseded, result.problems = result.problems, []
    rule = schema.WRONG_TASK
    message = (f"{count} of the first {shaped} records look like {other}, not {task}: did you mean --task "
               f"{tasks.SHORT[other]}? (the {len(result.superseded)} per-line finding(s) this causes are not listed)")
    result.add(Problem(result.path, None, "", rule.code, rule.name, settings.severities[rule.code],
                       rule.consequence, message), settings.enabled)


def _decoded(lines: Iterable, settings: Settings) -> Iterable:
    """The lines as UTF-8, decoded the way the engine decodes the declared encoding."""
    kind = encoding.family(settings.encoding)
    if kind == encoding.LATIN:
        return encoding.latin_lines(lines, encoding.is_iso_8859_1(settings.encoding))
    return lines


def lint_file(path: str, settings: Settings, role: str = "training", window: tuple | None = None,
              columns: dict | None = None) -> FileResult:
    """Lint one JSONL file (or ``-``); raises SourceError when it cannot be read at all.

    ``window``: the rows an MLTable's take/skip keeps, ``(first, stop)`` (0-based, stop None: to the end).
    ``columns``: the record keys an MLTable's transformations remove or convert, with what it does to them.
    """
    display = "<stdin>" if path == "-" else path
    stream = open_source(path)
    utf16 = encoding.family(settings.encoding) == encoding.UTF16
    try:
        head_iter = (encoding.utf16_lines(stream, settings.max_line_bytes) if utf16
                     else iter_lines(stream, max_line_bytes=settings.max_line_bytes))
        try:
            head = _read_head(head_iter, settings.max_line_bytes)
        except (OSError, EOFError, ValueError, zlib.error) as exc:
            raise SourceError(f"{display}: cannot read ({exc})") from None
        task = settings.task
        inferred = task == "auto"
        shapes = _head_shapes(head, settings.kind)
        if inferred:
            task = tasks.infer(Counter({k: v for k, v in shapes.items() if k}))
        result = FileResult(display, task, inferred, settings.kind, role=role, rows_window=window)
        if settings.kind == "training":
            foreign = foreign_format(path, head)
            if foreign is not None:
                _not_jsonl(result, foreign, settings)
                return result
            if inferred and task is None and shapes.get(None) and path != "-":
                stream.close()
                return _worst_task(path, settings, role, window)
        if settings.kind == "predictions" and _looks_like_document(head):
            data = _read_document(itertools.chain(head, head_iter), settings.max_line_bytes)
            if data is None:  # one JSON value: the line limit applies to the whole document
                result.records = 1
                result.problems.append(Problem(display, 1, "", syntax.LINE_TOO_LONG.code, syntax.LINE_TOO_LONG.name,
                                               settings.severities[syntax.LINE_TOO_LONG.code],
                                               syntax.LINE_TOO_LONG.consequence,
                                               f"the JSON document is longer than {settings.max_line_bytes} bytes; "
                                               "not parsed"))
            else:
                _lint_document(data, result, settings)
            for p in result.problems:
                p.path = display
            _finish(result, settings, result.task, inferred)
            return result
        jobs = settings.jobs or os.cpu_count() or 1
        size = _regular_size(path)
        # Workers are forked so that they share the parent's str hash seed (URL hashes must agree); where
        # fork does not exist (Windows) the file is checked in one process.
        executor = distributed.current()
        utf8 = window is None and not columns and encoding.family(settings.encoding) == encoding.UTF8
        if executor is not None and size and not path.endswith(".gz") and utf8:  # --dask: byte ranges as tasks
            stream.close()
            executor.lint_ranges(path, size, task, settings, result)
        elif jobs > 1 and size >= PARALLEL_MIN_BYTES and not path.endswith(".gz") and _CAN_FORK and utf8:
            stream.close()
            try:
                _lint_parallel(path, size, jobs, task, settings, result)
            except OSError as exc:  # the file vanished or became unreadable while workers read it
                raise SourceError(f"{display}: cannot read ({exc})") from None
        else:
            checker = RecordChecker(task, settings)
            lines = itertools.chain(head, head_iter)
            try:
                problems, state, result.lines, records, omitted, result.rows, result.ignored = _check_lines(
                    display, _decoded(lines, settings), checker, settings, not utf16, window, changed=columns)
                result.omitted = omitted if omitted.all_lines else None
            except (OSError, EOFError, zlib.error) as exc:  # zlib.error: corrupt .gz data
                raise SourceError(f"{display}: cannot read ({exc})") from None
            problems = _full_columns(problems, checker.top_keys, result.rows)
            result.problems, result.state, result.records = problems, state, records
            result.image_refs = checker.image_refs
    finally:
        if path != "-":
            stream.close()
    for p in itertools.chain(result.problems, result.ignored):
        p.path = display
    _finish(result, settings, task, inferred)
    if not inferred and settings.kind == "training":
        _wrong_task(result, shapes, settings)
    return result


def _read_head(lines: Iterator, budget: int) -> list:
    """The first lines, for task inference: at most INFER_SAMPLE lines and about ``budget`` bytes."""
    head: list = []
    size = 0
    for raw in lines:
        head.append(raw)
        size += len(raw) if raw is not None else 0
        if len(head) >= tasks.INFER_SAMPLE or size >= budget:
            break
    return head


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


def _read_document(lines, limit: int) -> bytes | None:
    """The whole document, or None past ``limit`` bytes (read no further than that)."""
    parts, size = [], 0
    for raw in lines:
        if raw is None:
            return None
        size += len(raw)
        if size > limit:
            return None
        parts.append(raw)
    return b"".join(parts)


def _lint_document(data: bytes, result: FileResult, settings: Settings) -> None:
    """Check a predictions file that is one JSON document; problems point into it from line 1."""
    out: list = []
    try:
        value = orjson.loads(data.lstrip(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:
        value = parse_line(data, lambda rule, pointer, message, col=None, consequence=None:
                           out.append((rule, pointer, message)), True, None)
    records = value if type(value) is list else ([value] if type(value) is dict else [])
    if result.task is None:
        shapes = Counter(s for s in (tasks.shape_of(r, "predictions") for r in records if type(r) is dict) if s)
        result.task = tasks.infer(shapes)
    checker = RecordChecker(result.task, settings)
    first_line = hash_line(data.split(b"\n", 1)[0])
    cap, enabled, severities = settings.max_problems, settings.enabled, settings.severities
    omitted = Omitted()

    def keep(found: list, prefix: str) -> None:
        """List the findings of one prediction, or count them past --max-problems (as lines are counted)."""
        if cap and (len(result.problems) >= cap or len(result.ignored) >= cap):
            if found:
                omitted.add_line(1, [(f[0].code, severities[f[0].code], f[3] if len(f) > 3 else f[0].consequence,
                                      f[0].code in enabled) for f in found], record=False)
            return
        for f in found:
            result.add(Problem(result.path, 1, prefix + f[1], f[0].code, f[0].name, severities[f[0].code],
                               f[3] if len(f) > 3 else f[0].consequence, f[2], line_hash=first_line), enabled)

    keep(out, "")
    for i, record in enumerate(records):
        found: list = []
        if type(record) is not dict:
            found.append((syntax.NOT_AN_OBJECT, "", f"prediction {i} is not a JSON object"))
        else:
            try:
                checker.check(record, b"", result.state, found)
            except (RecursionError, ValueError):
                _too_deep(record, found)
        keep(found, f"/{i}" if type(value) is list else "")
    result.records = len(records) or (1 if data.strip() else 0)
    result.omitted = omitted if omitted.all_lines else None


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
    workers = max(1, min(jobs, MAX_JOBS, size // CHUNK_MIN_BYTES))
    # Ranges handed out one at a time, shrinking: a worker whose core is busier (a shared machine, a hyperthread)
    # takes fewer of them instead of holding the others up at the end.
    ranges = _guided_ranges(path, size, workers)
    if LINE_HOOK is not None:
        LINE_HOOK(None)
    with worker_pool(min(workers, len(ranges))) as pool:
        # Merged as they come, in file order: the work on the first ranges' results (the set of URL hashes above
        # all) overlaps the workers' on the last ones instead of following it.
        _merge_chunks(pool.imap(_chunk_worker, [(path, a, b, task, settings) for a, b in ranges], chunksize=1),
                      settings, result)


def _merge_chunks(parts: list, settings: Settings, result: FileResult) -> None:
    """Join the results of consecutive byte ranges (``_chunk_worker``'s) into ``result``, in file order."""
    offset = 0
    state = None
    problems: list[Problem] = []
    ignored: list[Problem] = []
    omitted = Omitted()
    cap = settings.max_problems
    enabled = settings.enabled
    result.rows = 0
    top_keys: Counter = Counter()
    # Without the C helper (dataset.all_distinct), whether a URL repeats is told by a set of every URL hash, built as
    # the ranges come (overlapping the workers); with it, from the merged array when the dataset rules ask.
    urls: set | None = set() if dataset._distinct is None else None
    for chunk_problems, chunk_state, nlines, records, chunk_omitted, rows, refs, chunk_ignored, chunk_keys in parts:
        if urls is not None:
            urls.update(chunk_state.url_hashes)
        top_keys.update(chunk_keys)
        result.rows += rows
        if offset:
            for p in itertools.chain(chunk_problems, chunk_ignored):
                p.line += offset
        if cap and (len(problems) + len(chunk_problems) > cap or len(ignored) + len(chunk_ignored) > cap):
            # Apply the limit as --jobs 1 would: whole lines, in file order.
            merged = sorted(chunk_problems + chunk_ignored, key=lambda p: p.line)  # stable: keeps line order
            for line, group in itertools.groupby(merged, key=lambda p: p.line):
                group = list(group)
                if len(problems) >= cap or len(ignored) >= cap:
                    omitted.add_line(line, [(p.code, p.severity, p.consequence, p.code in enabled) for p in group],
                                     record=group[0].code != syntax.BLANK_LINE.code)
                else:
                    for p in group:
                        (problems if p.code in enabled else ignored).append(p)
            chunk_problems, chunk_ignored = [], []
        ignored.extend(chunk_ignored)
        omitted.merge(chunk_omitted, offset)
        if refs is not None:
            if result.image_refs is None:
                result.image_refs = []
            result.image_refs.extend([(ln + offset, url, details, boxes) for ln, url, details, boxes in refs]
                                     if offset else refs)
        problems.extend(chunk_problems)
        if state is None:
            state = chunk_state  # the first chunk's arrays become the file's: no copy
        else:
            state.merge(chunk_state, offset)
        result.records += records
        offset += nlines
    result.lines = offset
    if urls is not None and state is not None and len(urls) == len(state.url_hashes):
        state.urls_unique()
    del urls
    result.problems, result.state, result.ignored = _full_columns(problems, top_keys, result.rows), state, ignored
    result.omitted = omitted if omitted.all_lines else None


def _finish(result: FileResult, settings: Settings, task: str | None, inferred: bool) -> None:
    findings: list = []
    if result.omitted is not None:
        from automl_lint.rules.tool import FINDINGS_NOT_LISTED

        o = result.omitted
        findings.append((FINDINGS_NOT_LISTED, f"{o.problems} more finding(s) on {o.all_lines} line(s) from line "
                         f"{o.first_line} on are counted in the summary but not listed (--max-problems "
                         f"{settings.max_problems})"))
    if encoding.family(settings.encoding) is None:
        from automl_lint.rules.mltable import READ_OPTION_INVALID

        findings.append((READ_OPTION_INVALID, f"the reader setting encoding {quote(settings.encoding)} is not one the "
                         f"engine accepts ({', '.join(encoding.ACCEPTED)}, in any case): it rejects the MLTable and "
                         "the job fails (the file was read as UTF-8)"))
    if not settings.dataset_checks:
        pass  # one part of a larger dataset (an MLTable reading several files): checked as a whole elsewhere
    elif result.records == 0:
        findings.append((syntax.EMPTY_FILE, "the file has no records: the job fails"))
    elif result.rows == 0:
        why = ("the MLTable's take/skip leaves every row out" if result.rows_window else
               "invalid_lines: drop skips every line" if settings.invalid_lines == "drop" else "every line is invalid")
        findings.append((syntax.EMPTY_FILE, f"no line becomes a row of the table ({why}): the job fails"))
    elif task is None and settings.kind == "training":
        findings.append((schema.TASK_NOT_INFERRED, "no record's label shows the task, so the file is not judged "
                         "as any task; pass --task"))
    elif settings.kind == "training":
        runtime.settle_merged_backgrounds(result)
        findings.extend(dataset.check_dataset(result.state, task, settings, settings_has_validation(settings),
                                              role=result.role))
    for rule, message, *rest in findings:  # (rule, message[, line][, consequence of this occurrence])
        line = next((x for x in rest if type(x) is int), None)
        consequence = next((x for x in rest if isinstance(x, Consequence)), rule.consequence)
        result.add(Problem(result.path, line, "", rule.code, rule.name, settings.severities[rule.code],
                           consequence, message), settings.enabled)


def settings_has_validation(settings: Settings) -> bool:
    return bool(getattr(settings, "has_validation", False))


def lint_pair(train: FileResult, valid: FileResult, settings: Settings) -> None:
    """Add train/validation findings to the validation file's result."""
    task = train.task or valid.task
    if not task or settings.kind != "training":
        return
    for rule, message in dataset.check_pair(train.state, valid.state, task, settings):
        valid.add(Problem(valid.path, None, "", rule.code, rule.name, settings.severities[rule.code],
                          rule.consequence, message), settings.enabled)


def expand_paths(paths: Iterable[str], allow_outside: bool = False) -> Iterator[str | Refused]:
    """Files as given; directories searched recursively for ``*.jsonl`` and ``*.jsonl.gz``.

    What a directory holds is confined to it (:mod:`automl_lint.confine`): a link leading outside, or a
    folder that cannot be read, comes out as a :class:`~automl_lint.confine.Refused`.
    """
    for path in paths:
        if path != "-" and os.path.isdir(path):
            found = confine.data_files(path, (".jsonl", ".jsonl.gz"), confine.real_root(path), allow_outside)
            if not found.files and not found.refused:
                raise SourceError(f"{path}: no *.jsonl file in this directory")
            yield from sorted([*found.files, *found.refused], key=lambda f: f if type(f) is str else f.path)
        else:
            yield path


def not_read(refused: Refused, settings: Settings, role: str = "training") -> FileResult:
    """The result of a file that was refused: one AML903 finding, no records."""
    from automl_lint.rules.tool import INPUT_NOT_READ as rule

    result = FileResult(refused.path, None, False, "not-read", role=role)
    if rule.code in settings.enabled:
        result.problems.append(Problem(refused.path, None, "", rule.code, rule.name, settings.severities[rule.code],
                                       rule.consequence, refused.reason))
    return result
