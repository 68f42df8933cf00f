"""One run of automl-lint, as a function: inputs and settings in, a :class:`Report` out.

The command line and notebooks both come through here. :func:`configure` turns keyword settings (the
configuration file's keys, spelled with ``_`` or ``-``) into :class:`~automl_lint.settings.Settings`, the
configuration file underneath; :func:`run` lints the inputs; :func:`lint` does both::

    import automl_lint
    report = automl_lint.lint(["train.jsonl"], task="od", validation="val.jsonl")
    report.exit_code, report.summary["automl"], report.problems[0].message
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from automl_lint import baseline as baseline_file
from automl_lint import distributed, mltable
from automl_lint.config import ConfigError
from automl_lint.config import load as load_config
from automl_lint.config import parse as parse_config
from automl_lint.engine import FileResult, expand_paths, lint_file, lint_pair, not_read
from automl_lint.outputs import refuse_overwriting_inputs
from automl_lint.problem import Problem, Severity
from automl_lint.reader import SourceError
from automl_lint.settings import Settings
from automl_lint.verdict import file_summary, total_summary, verdict_sentence, worst_severity_rank


class UsageError(ValueError):
    """Settings or inputs that cannot make a run (the command line exits 2 with this message)."""


@dataclass
class FileReport:
    """One input file (or MLTable): its task, its findings, its summary and AutoML's verdict for it."""

    path: str
    task: str | None
    task_inferred: bool
    kind: str
    role: str
    records: int
    findings: list[Problem]
    summary: dict

    @property
    def verdict(self) -> str:
        return verdict_sentence(self.summary["automl"], None if self.kind != "predictions" else [self])


@dataclass
class Report:
    """What one run found: a result per file (its problems and dataset state) and the settings used.

    ``findings`` (also ``problems``), ``files`` (per-file verdicts), ``summary``, ``verdict``, ``exit_code()``,
    ``to_dict()`` / ``to_json()`` (the ``--format json`` document); in a notebook it displays as the table.
    """

    results: list[FileResult]
    settings: Settings
    config_file: str | None = None
    notes: list[str] = field(default_factory=list)  # one-line remarks for the person (stderr on the command line)
    fixes: object | None = None  # a FixSummary (automl_lint.fix.run) after api.fix
    inputs: list[str] = field(default_factory=list)  # every file the run read (a report may not overwrite them)

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.results for p in r.problems]

    @property
    def findings(self) -> list[Problem]:
        """Every listed finding, in file and line order (the same as ``problems``)."""
        return self.problems

    @property
    def files(self) -> list[FileReport]:
        return [FileReport(r.path, r.task, r.task_inferred, r.kind, r.role, r.records, list(r.problems),
                           file_summary(r)) for r in self.results]

    @property
    def summary(self) -> dict:
        return total_summary(self.results)

    @property
    def verdict(self) -> str:
        return verdict_sentence(self.summary["automl"], self.results)

    def to_dict(self) -> dict:
        """The ``--format json`` document: version, files (findings and summary each), summary."""
        from automl_lint.reporters.json_report import document

        return document(self.results)

    def to_json(self, indent: int | None = 2) -> str:
        import json

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def render(self, fmt: str = "table", *, width: int | None = None) -> str:
        """The report as the command line prints it in ``fmt`` (table, concise, json, sarif, ...)."""
        import io

        from automl_lint import reporters

        if fmt not in reporters.FORMATS:
            raise UsageError(f"unknown format {fmt!r}; one of {', '.join(reporters.FORMATS)}")
        out = io.StringIO()
        reporters.get(fmt)(self.results, out, {"format": fmt, "width": width or 100, "color": False})
        return out.getvalue()

    def __rich_console__(self, console, options):
        from automl_lint.reporters.table import renderables

        yield from renderables(self.results, {"width": options.max_width})

    def __repr__(self) -> str:
        s = self.summary
        return (f"<automl_lint Report: {s['files']} file(s), {s['records']} record(s), {s['problems']} problem(s) "
                f"({s['errors']} error(s)); {self.verdict}>")

    def exit_code(self, fail_on: str | None = None) -> int:
        """1 when a finding reaches ``fail_on`` (default: the settings' ``fail_on``), else 0."""
        threshold = Severity(fail_on or self.settings.fail_on).rank
        return 1 if any(worst_severity_rank(r) >= threshold for r in self.results) else 0

    def _repr_html_(self) -> str:
        """Jupyter shows the report as ``--format html`` draws it."""
        from automl_lint.reporters.html import render

        return render(self.results, self.settings, fragment=True)


def configure(*, config: str | bool | None = None, **options) -> tuple[Settings, str | None]:
    """Settings from the configuration file, overridden by ``options``.

    ``config``: None finds ``automl-lint.toml`` / ``pyproject.toml`` from the working directory upward, a path
    names one, False ignores every configuration file. ``options`` take the configuration file's keys (``task``,
    ``select``, ``fail_on`` / ``fail-on``, ``image_root``, ...) and are checked the same way.
    """
    try:
        found = load_config(None if config in (None, True) else config, isolated=config is False)
        given = parse_config({k.replace("_", "-"): v for k, v in options.items() if v is not None},
                             "", "") if options else {}
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    values = {**found.values, **given}
    if "task" in given:
        values.pop("task_patterns", None)  # an explicit task applies to every file
    if "runtime" in given and "model_names" not in given:
        values.pop("model_names", None)  # an explicit runtime replaces the configuration's sweep
    if "model_names" in given and "runtime" not in given:
        values.pop("runtime", None)
    for key in ("datastores", "image_maps"):  # mappings add to the configuration's
        if key in given and key in found.values:
            values[key] = {**found.values[key], **given[key]}
    settings = dataclasses.replace(Settings(), **values) if values else Settings()
    from automl_lint.runtime import check_settings

    problem = check_settings(settings)
    if problem:
        raise UsageError(problem)
    if settings.images is not None and not (settings.image_root or settings.datastores or settings.image_maps):
        raise UsageError("images need image_root, datastores or maps to find them (--image-root, --datastore, --map)")
    return settings, found.path


def lint(paths: str | Iterable[str], *, validation: str | None = None, baseline: str | None = None,
         config: str | bool | None = None, client=None, **options) -> Report:
    """Lint ``paths`` (JSONL files, MLTable folders or files, directories, ``-``) as the command line does.

    ``client``: a ``dask.distributed.Client`` to run on (as ``dask="tcp://..."`` or ``dask="local:4"`` does).
    """
    settings, config_file = configure(config=config, **options)
    report = run([paths] if isinstance(paths, str) else list(paths), settings, validation=validation,
                 baseline=baseline, client=client)
    report.config_file = config_file
    return report


def lint_records(records: Iterable, *, name: str = "<records>", validation: str | None = None,
                 config: str | bool | None = False, **options) -> Report:
    """Lint records held in memory as one JSONL file named ``name``: dicts (serialised as JSON), or lines
    (``str`` or ``bytes``, one record each, checked exactly as written). Settings as in :func:`lint`;
    configuration files are ignored unless ``config`` says otherwise."""
    import json
    import tempfile

    settings, config_file = configure(config=config, **options)
    with tempfile.TemporaryDirectory(prefix="automl-lint-") as folder:
        path = os.path.join(folder, "records.jsonl")
        with open(path, "wb") as fh:
            for record in records:
                if isinstance(record, (bytes, bytearray)):
                    line = bytes(record).rstrip(b"\r\n")
                elif isinstance(record, str):
                    line = record.rstrip("\r\n").encode("utf-8", "surrogatepass")
                elif isinstance(record, dict):
                    line = json.dumps(record, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
                else:
                    raise UsageError(f"a record must be a dict, a str or bytes line, not {type(record).__name__}")
                fh.write(line + b"\n")
        report = run([path], settings, validation=validation)
        shown = display_path(path)
        for r in report.results:
            if r.path == shown:
                r.path = name
                for group in (r.problems, r.ignored, r.baselined, r.superseded):
                    for p in group:
                        p.path = name
    report.config_file = config_file
    return report


def run(paths: list[str], settings: Settings, *, validation: str | None = None, baseline: str | None = None,
        write_baseline: str | None = None, client=None, progress: bool | None = False,
        image_probes=None) -> Report:
    """Lint the inputs with ``settings``; raises UsageError or SourceError when the run cannot be made.

    On a Dask cluster with ``client`` or ``settings.dask`` (see :mod:`automl_lint.distributed`).
    ``progress``: a progress bar on stderr (None: only when a person watches a terminal, never in CI).
    ``image_probes``: with ``settings.images``, a callable ``image_probes(image_url, probe)`` told what the image
    pass found for every unique image_url (``probe`` None: not located); :func:`fix` learns real sizes from it.
    """
    if not paths:
        raise UsageError("no input: give JSONL files, directories or - (see --help)")
    from automl_lint import progress as run_progress

    if progress is None:
        progress = run_progress.wanted()
    with distributed.session(settings.dask, client):
        return _run(paths, settings, validation, baseline, write_baseline, progress, image_probes)


def _run(paths: list[str], settings: Settings, validation: str | None, baseline: str | None,
         write_baseline: str | None, progress: bool, image_probes=None) -> Report:
    from automl_lint import progress as run_progress

    settings.has_validation = bool(validation)
    if settings.images:
        from automl_lint.images.locate import check_locations

        try:  # a folder that does not exist is the user's mistake, found before any line is read
            check_locations(settings.image_root, settings.datastores, settings.image_maps)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    notes: list[str] = []
    results: list[FileResult] = []
    tables = [t for t in (mltable.find(p) if p != "-" else None for p in paths) if t]
    # A file given twice, or both directly and through its MLTable, is linted once (through the MLTable).
    through_tables = {os.path.realpath(j) for t in tables for j in mltable.load(t, settings.allow_outside).jsonl}
    seen: set[str] = set()
    inputs: list[tuple[str, str]] = []  # ("mltable" | "file", path)
    for path in paths:
        table = mltable.find(path) if path != "-" else None
        if table:
            if os.path.realpath(table) not in seen:
                seen.add(os.path.realpath(table))
                inputs.append(("mltable", table))
            continue
        for p in expand_paths([path], settings.allow_outside):
            if type(p) is not str:  # refused by the confinement (AML903): reported, never read
                inputs.append(("not-read", p))
                continue
            key = os.path.realpath(p) if p != "-" else p
            if key in seen or key in through_tables:
                continue
            seen.add(key)
            inputs.append(("file", p))
    with run_progress.RunProgress(len(inputs), progress) as bar:
        for what, path in inputs:
            bar.file(display_path(path if type(path) is str else path.path))
            if what == "mltable":
                results.extend(mltable.lint(path, settings))
            elif what == "not-read":
                results.append(not_read(path, settings))
            else:
                results.append(lint_file(path, settings.for_path(path)))
            bar.file_done()
    if validation:
        table = mltable.find(validation)
        valids = (mltable.lint(table, settings, role="validation", training=results) if table
                  else [lint_file(validation, settings.for_path(validation), role="validation")])
        for valid in _datasets(valids):
            for train in _datasets(results):
                lint_pair(train, valid, settings)
        results.extend(valids)
    inputs = [*paths, *([validation] if validation else []), *(r.path for r in results)]
    if write_baseline:
        refuse_overwriting_inputs(inputs, None, write_baseline, baseline)
    _printable_paths(results)
    if settings.images:
        from automl_lint.images.check import check_images
        from automl_lint.images.storage import StorageUnavailable

        try:
            check_images(results, settings, progress=progress, probes=image_probes)
        except StorageUnavailable as exc:
            raise SourceError(str(exc)) from None
        _fill_columns(results)
        from automl_lint.runtime import recheck_batches

        recheck_batches(results, settings)

    if write_baseline:
        count = baseline_file.write(write_baseline, results)
        notes.append(f"recorded {count} finding(s) in {write_baseline}")
        baseline = baseline or write_baseline
    if baseline:
        baseline_file.apply(baseline, results, settings)
    return Report(results, settings, notes=notes, inputs=inputs)


def display_path(path: str) -> str:
    """One path style: relative to the working directory for files under it, else absolute."""
    if path in ("-", "<stdin>") or "://" in path:
        return path
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full)
    except ValueError:  # another drive (Windows)
        return full
    return full if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel
def fix(paths: list[str], settings: Settings, *, validation: str | None = None, baseline: str | None = None,
        write_baseline: str | None = None, unsafe: bool = False, diff=None, output: str | None = None,
        stdout=None) -> Report:
    """Fix the inputs (in place, into ``output``, or as a unified diff written to the binary stream ``diff``);
    returns the Report of what remains, whose ``fixes`` says what was fixed. See :mod:`automl_lint.fix.run`."""
    from automl_lint.fix.run import fix as fix_inputs

    return fix_inputs(paths, settings, validation=validation, baseline=baseline, write_baseline=write_baseline,
                      unsafe=unsafe, diff=diff, output=output, stdout=stdout)


def _printable_paths(results: list[FileResult]) -> None:
    """Paths in one style; names that are not UTF-8 (surrogate escapes) shown as ``\\xe9``: JSON and UTF-8
    output cannot hold them."""
    shown: dict[str, str] = {}
    for r in results:
        for old in (r.path, r.part_of):
            if old is not None and old not in shown:
                new = display_path(old)
                shown[old] = new if new.isascii() else os.fsencode(new).decode("utf-8", "backslashreplace")
        r.path = shown[r.path]
        if r.part_of is not None:
            r.part_of = shown[r.part_of]
        for group in (r.problems, r.ignored, r.baselined, r.superseded):
            for p in group:
                p.path = shown.get(p.path, r.path)


def _fill_columns(results: list[FileResult]) -> None:
    """The column of findings made after reading (image checks): where their value starts on the line."""
    import itertools

    from automl_lint.reader import ValueColumns, iter_lines, open_source

    for r in results:
        wanted: dict[int, list] = {}  # line -> its findings without a column
        for p in r.problems:
            if p.column is None and p.line is not None and p.pointer:
                wanted.setdefault(p.line, []).append(p)
        if not wanted or r.kind == "mltable" or r.path == "<stdin>":
            continue
        try:
            stream = open_source(r.path)
        except (SourceError, OSError):
            continue
        with stream:  # each line's columns found as it passes: no line is kept
            for n, raw in enumerate(itertools.islice(iter_lines(stream), max(wanted)), start=1):
                if raw and n in wanted:
                    columns = ValueColumns(raw)  # one pass over the line for all its findings
                    for p in wanted[n]:
                        p.column = columns.column(p.pointer)


def _datasets(results: list[FileResult]) -> list[FileResult]:
    """What AutoML reads as one dataset each: a JSONL file, or an MLTable that reads several files."""
    whole = {r.path for r in results if r.kind == "mltable" and r.task is not None}
    return [r for r in results if r.path in whole or (r.kind not in ("mltable", "not-read")
                                                      and r.part_of not in whole)]
