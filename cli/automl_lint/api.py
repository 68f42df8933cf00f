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
from automl_lint.engine import FileResult, expand_paths, lint_file, lint_pair
from automl_lint.problem import Problem, Severity
from automl_lint.reader import SourceError
from automl_lint.settings import Settings
from automl_lint.verdict import total_summary, verdict_sentence, worst_severity_rank


class UsageError(ValueError):
    """Settings or inputs that cannot make a run (the command line exits 2 with this message)."""


@dataclass
class Report:
    """What one run found: a result per file (its problems and dataset state) and the settings used."""

    results: list[FileResult]
    settings: Settings
    config_file: str | None = None
    notes: list[str] = field(default_factory=list)  # one-line remarks for the person (stderr on the command line)

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.results for p in r.problems]

    @property
    def summary(self) -> dict:
        return total_summary(self.results)

    @property
    def verdict(self) -> str:
        return verdict_sentence(self.summary["automl"], self.results)

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
    for key in ("datastores", "image_maps"):  # mappings add to the configuration's
        if key in given and key in found.values:
            values[key] = {**found.values[key], **given[key]}
    settings = dataclasses.replace(Settings(), **values) if values else Settings()
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


def run(paths: list[str], settings: Settings, *, validation: str | None = None, baseline: str | None = None,
        write_baseline: str | None = None, client=None) -> Report:
    """Lint the inputs with ``settings``; raises UsageError or SourceError when the run cannot be made.

    On a Dask cluster with ``client`` or ``settings.dask`` (see :mod:`automl_lint.distributed`).
    """
    if not paths:
        raise UsageError("no input: give JSONL files, directories or - (see --help)")
    with distributed.session(settings.dask, client):
        return _run(paths, settings, validation, baseline, write_baseline)


def _run(paths: list[str], settings: Settings, validation: str | None, baseline: str | None,
         write_baseline: str | None) -> Report:
    settings.has_validation = bool(validation)
    if settings.images:
        from automl_lint.images.locate import check_locations

        try:  # a folder that does not exist is the user's mistake, found before any line is read
            check_locations(settings.image_root, settings.datastores, settings.image_maps)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    notes: list[str] = []
    results: list[FileResult] = []
    for path in paths:
        table = mltable.find(path) if path != "-" else None
        if table:
            results.extend(mltable.lint(table, settings))
        else:
            results.extend(lint_file(p, settings.for_path(p)) for p in expand_paths([path]))
    if validation:
        table = mltable.find(validation)
        valids = (mltable.lint(table, settings, role="validation", training=results) if table
                  else [lint_file(validation, settings.for_path(validation), role="validation")])
        for valid in _datasets(valids):
            for train in _datasets(results):
                lint_pair(train, valid, settings)
        results.extend(valids)
    _printable_paths(results)
    if settings.images:
        from automl_lint.images.check import check_images
        from automl_lint.images.storage import StorageUnavailable

        try:
            check_images(results, settings)
        except StorageUnavailable as exc:
            raise SourceError(str(exc)) from None

    if write_baseline:
        count = baseline_file.write(write_baseline, results)
        notes.append(f"recorded {count} finding(s) in {write_baseline}")
        baseline = baseline or write_baseline
    if baseline:
        baseline_file.apply(baseline, results, settings)
    return Report(results, settings, notes=notes)


def _printable_paths(results: list[FileResult]) -> None:
    """File names that are not UTF-8 (surrogate escapes) shown as ``\\xe9``: JSON and UTF-8 output cannot hold them."""
    for r in results:
        if not r.path.isascii():
            r.path = os.fsencode(r.path).decode("utf-8", "backslashreplace")
            for p in r.problems:
                p.path = r.path


def _datasets(results: list[FileResult]) -> list[FileResult]:
    """What AutoML reads as one dataset each: a JSONL file, or an MLTable that reads several files."""
    whole = {r.path for r in results if r.kind == "mltable" and r.task is not None}
    return [r for r in results if r.path in whole or (r.kind != "mltable" and r.part_of not in whole)]
