"""The command line: translates arguments into Settings, runs the engine, picks a reporter, returns the exit code.

Exit codes: 0 no problem at the failing level, 1 problems found, 2 automl-lint could not do its job.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
from collections.abc import Sequence
from enum import Enum
from typing import Optional

import typer

from automl_lint import __version__, api, tasks
from automl_lint.engine import MAX_JOBS, Terminated
from automl_lint.escape import plain
from automl_lint.outputs import refuse_overwriting_inputs
from automl_lint.images.locate import parse_mapping
from automl_lint.problem import Severity
from automl_lint.reader import MAX_LINE_BYTES_LIMIT, SourceError
from automl_lint.reporters import FORMATS
from automl_lint.rules import REGISTRY, all_rules, lookup
from automl_lint.runtime import RUNTIMES, VALIDATION_METRICS
from automl_lint.settings import MODELS, Settings


class UsageFailure(Exception):
    """Bad arguments or configuration: exit 2 with one line."""


Format = Enum("Format", {f: f for f in FORMATS}, type=str)
Kind = Enum("Kind", {"training": "training", "predictions": "predictions"}, type=str)
Model = Enum("Model", {m: m for m in MODELS}, type=str)
FailOn = Enum("FailOn", {s.value: s.value for s in Severity}, type=str)
InvalidLines = Enum("InvalidLines", {"error": "error", "drop": "drop"}, type=str)
Runtime = Enum("Runtime", {r: r for r in RUNTIMES}, type=str)
ValidationMetric = Enum("ValidationMetric", {m: m for m in VALIDATION_METRICS}, type=str)

app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)


@app.command(context_settings={"help_option_names": ["-h", "--help"]})
def lint(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(None, help="JSONL files, MLTable folders or files, directories (searched for *.jsonl, *.jsonl.gz), "
                                      "*.jsonl.gz, or - for standard input.", show_default=False),
    task: str = typer.Option("auto", "--task", "-t", help="The task of the job: mc (multiclass, "
                             "image-classification), ml (multilabel, image-classification-multilabel), od "
                             "(object-detection), is (instance-segmentation), or auto (infer it from the records)."),
    kind: Kind = typer.Option("training", "--kind", help="training: AutoML's input JSONL; predictions: the "
                              "output of AutoML's scoring (one JSON document or JSON Lines)."),
    validation: Optional[str] = typer.Option(None, "--validation", help="Validation JSONL or MLTable paired with the training "
                                             "file(s): class-set and leakage checks."),
    pair: bool = typer.Option(False, "--pair", help="Treat the second positional file as the validation file of "
                              "the first."),
    model: Model = typer.Option("all", "--model", help="Model AutoML will train; consequences that depend on the "
                                "model use the worst case over all models by default."),
    output_format: Optional[Format] = typer.Option(None, "--format", "--output-format", "-f", help="Output format "
                                                   "(default: table on a terminal, concise otherwise)."),
    output_file: Optional[str] = typer.Option(None, "--output-file", "-o", help="Write the report to this file."),
    fail_on: FailOn = typer.Option("error", "--fail-on", help="Lowest severity that makes the exit code 1."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when problems are found."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only print problems, no summary."),
    statistics: bool = typer.Option(False, "--statistics", help="Print the number of findings per rule, most "
                                    "frequent first, instead of the findings."),
    config_path: Optional[str] = typer.Option(None, "--config", help="Configuration file (automl-lint.toml or "
                                              "pyproject.toml); default: the nearest one from the working directory "
                                              "upward."),
    isolated: bool = typer.Option(False, "--isolated", help="Ignore every configuration file."),
    show_settings: bool = typer.Option(False, "--show-settings", help="Print the effective settings and exit."),
    baseline_path: Optional[str] = typer.Option(None, "--baseline", metavar="FILE", help="Hide the findings "
                                                "recorded in this baseline file; report its stale entries "
                                                "(AML901)."),
    write_baseline: Optional[str] = typer.Option(None, "--write-baseline", metavar="FILE", help="Record the "
                                                 "current findings in this baseline file (and hide them)."),
    select: Optional[str] = typer.Option(None, "--select", help="Comma-separated rule codes or prefixes to enable "
                                         "(default: all)."),
    ignore: Optional[str] = typer.Option(None, "--ignore", help="Comma-separated rule codes or prefixes to disable."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, max=MAX_JOBS, help="Worker processes for large files (0: "
                             "every core)."),
    min_images: int = typer.Option(10, "--min-images", min=0, help="AML608 threshold."),
    min_class_examples: int = typer.Option(5, "--min-class-examples", min=0, help="AML609 threshold."),
    max_imbalance_ratio: float = typer.Option(20.0, "--max-imbalance-ratio", min=1.0, help="AML610 threshold."),
    max_problems: int = typer.Option(50_000, "--max-problems", min=0,
                                     help="Findings listed per file; more are counted, not listed (0: no limit)."),
    max_line_bytes: int = typer.Option(64 * 1024 * 1024, "--max-line-bytes", min=1, max=MAX_LINE_BYTES_LIMIT,
                                       help="Longer lines are reported (AML011) and skipped."),
    invalid_lines: InvalidLines = typer.Option("error", "--invalid-lines", help="How the MLTable that reads a bare "
                                               "JSONL file treats invalid lines: error (AutoML's documented MLTable: "
                                               "the job fails) or drop (the line is skipped). An MLTable's own "
                                               "read_json_lines options win."),
    encoding: str = typer.Option("utf8", "--encoding", help="The MLTable's read_json_lines encoding for a bare JSONL "
                                 "file, spelt as the engine accepts it: utf8, utf-8, utf-8 bom, ascii, utf16, "
                                 "utf-16, latin1, latin-1, iso88591, iso-8859-1, windows1252, windows-1252."),
    print_schema: Optional[str] = typer.Option(None, "--print-schema", metavar="TASK",
                                               help="Print the JSON Schema of a task (with --kind) and exit."),
    explain: Optional[str] = typer.Option(None, "--explain", metavar="CODE", help="Print a rule's documentation."),
    list_rules: bool = typer.Option(False, "--list-rules", help="List every rule and exit."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
    images: Optional[str] = typer.Option(None, "--images", metavar="[=header|=full]", help="Check the image "
                                         "files: header-only probing (--images), or full decoding (--images=full)."),
    image_root: Optional[list[str]] = typer.Option(None, "--image-root", metavar="DIR", help="Folder holding the "
                                                   "images (datastore name as first folder, or stripped)."),
    datastore: Optional[list[str]] = typer.Option(None, "--datastore", metavar="NAME=LOCATION", help="Where a "
                                                  "datastore's files are: a local folder or an Azure Blob URL."),
    image_map: Optional[list[str]] = typer.Option(None, "--map", metavar="URL_PREFIX=LOCATION", help="Replace the "
                                                  "longest matching image_url prefix by a local folder or Blob URL."),
    image_cache: Optional[str] = typer.Option(None, "--image-cache", metavar="DIR", help="Image probe cache folder "
                                              "('' disables; default ~/.cache/automl-lint)."),
    gallery_per_rule: int = typer.Option(12, "--gallery-per-rule", min=0, metavar="N", help="--format html: "
                                         "flagged lines drawn per rule, and clean lines sampled per file."),
    dask: Optional[str] = typer.Option(None, "--dask", metavar="ADDRESS|local[:N]", help="Check byte ranges of "
                                       "the JSONL files and probe the images on a Dask cluster: a scheduler "
                                       "address (tcp://host:8786) or file, or local:N (N worker processes here). "
                                       "Needs the 'dask' extra; local paths must name the same files on every "
                                       "worker (docs/dask.md)."),
    runtime: Runtime = typer.Option("legacy", "--runtime", help="AutoML runtime reading the data: legacy (no "
                                    "model_name, or built-in models), mmdet (MMDetection models, od/is) or hf (Hugging "
                                    "Face models, mc/ml)."),
    model_name: Optional[list[str]] = typer.Option(None, "--model-name", metavar="NAME", help="A model_name of the "
                                                   "job or sweep (repeatable): picks the runtimes as AutoML's "
                                                   "framework selector does; findings are the worst case over them."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1, help="Per-device batch size of the "
                                             "mmdet/hf runtimes (default: their defaults: od 2, is 1, hf 8-72)."),
    strict: bool = typer.Option(False, "--strict", help="The job sets ignore_data_errors=False (legacy runtime): "
                                "every line AutoML would skip fails the job."),
    validation_metric: Optional[ValidationMetric] = typer.Option(None, "--validation-metric", help="The job's "
                                                                 "validation_metric_type (od/is; default voc)."),
    fix: bool = typer.Option(False, "--fix", help="Apply the safe fixes in place (atomically); the report lists "
                             "what remains. From standard input the fixed JSONL goes to standard output and the "
                             "report to standard error."),
    unsafe_fixes: bool = typer.Option(False, "--unsafe-fixes", help="With --fix, --diff or --fix-output: also "
                                      "apply the unsafe fixes (they change what AutoML trains on)."),
    diff: bool = typer.Option(False, "--diff", help="Print a unified diff of what --fix would change and write "
                              "nothing; exit 1 when there is a change."),
    fix_output: Optional[str] = typer.Option(None, "--fix-output", metavar="FILE", help="Write the fixed dataset "
                                             "to FILE (gzip if it ends in .gz) and leave the input untouched; "
                                             "implies --fix. (-o is the report file.)"),
    allow_outside: bool = typer.Option(False, "--allow-outside", help="Read the files that symbolic links in a "
                                       "linted folder, or an MLTable's paths, lead to outside it (refused by "
                                       "default: AML903). Command line only."),
) -> int:
    """Lint AutoML-for-Images JSONL: say what AutoML will do with every line.

    Example: automl-lint train.jsonl --task od --validation val.jsonl
    """
    out = sys.stdout
    if out is None and not output_file:  # started with standard output closed (`>&-`)
        raise SourceError("standard output is closed; write the report with -o FILE")
    if version:
        out.write(f"automl-lint {__version__}\n")
        return 0
    if list_rules:
        if output_format is not None and output_format.value in ("json", "jsonl"):
            rules = [{"code": r.code, "name": r.name, "severity": r.severity.value,
                      "consequence": r.consequence.value, "summary": r.summary, "family": r.family,
                      "fix": r.fix_safety}
                     for r in all_rules()]
            out.write(json.dumps(rules, indent=2) + "\n" if output_format.value == "json"
                      else "".join(json.dumps(r) + "\n" for r in rules))
            return 0
        for r in all_rules():
            out.write(f"{r.code}  {r.name:<34} {r.severity.value:<8} {r.consequence.value:<17} "
                      f"{'fix: ' + r.fix_safety if r.fix_safety else '-':<16} {r.summary}\n")
        return 0
    if explain:
        r = lookup(explain)
        if r is None:
            raise UsageFailure(f"unknown rule {explain!r} (see --list-rules)")
        out.write(r.explain())
        return 0
    if print_schema:
        from automl_lint.rules.schema import load_schema

        t = tasks.normalise(print_schema)
        if t in (None, "auto"):
            raise UsageFailure(f"unknown task {print_schema!r} for --print-schema")
        out.write(json.dumps(load_schema(t, kind.value), indent=2) + "\n")
        return 0

    try:
        settings, config_file = api.configure(config=False if isolated else config_path, **_given_settings(ctx))
    except api.UsageError as exc:
        raise UsageFailure(str(exc)) from None
    settings.allow_outside = allow_outside  # never from a configuration file: it comes with the data
    if show_settings:
        out.write(_show_settings(settings, config_file))
        return 0
    paths = list(paths or [])
    if pair:
        if len(paths) != 2 or validation:
            raise UsageFailure("--pair needs exactly two files (training, validation) and no --validation")
        paths, validation = paths[:1], paths[1]
    _name_parent_configuration(config_path, isolated, config_file, ctx)
    named = [*paths, *([validation] if validation else []), *([config_file] if config_file else [])]
    if output_file:  # before anything is written; once more below with the files MLTables and folders listed
        refuse_overwriting_inputs(named, output_file, write_baseline, baseline_path)
    if fix or diff or fix_output is not None:
        if diff and (fix or fix_output is not None):
            raise UsageFailure("--diff writes nothing: use it without --fix and --fix-output")
        report = api.fix(paths, settings, validation=validation, baseline=baseline_path,
                         write_baseline=write_baseline, unsafe=unsafe_fixes,
                         diff=sys.stdout.buffer if diff else None, output=fix_output)
        if diff:
            out.flush()
            for note in report.notes:
                sys.stderr.write(f"automl-lint: {plain(note)}\n")
            return 0 if exit_zero or not report.fixes.changed_files else 1
        if paths == ["-"] and fix_output is None:
            out = sys.stderr  # standard output carries the fixed JSONL
    else:
        report = api.run(paths, settings, validation=validation, baseline=baseline_path,
                         write_baseline=write_baseline, progress=None)  # a bar only when a person watches a terminal
    if output_file:
        refuse_overwriting_inputs(named + report.inputs, output_file, None, baseline_path)
    for note in report.notes:
        sys.stderr.write(f"automl-lint: {plain(note)}\n")

    fmt = output_format.value if output_format else ("table" if _is_terminal(output_file) else "concise")
    from automl_lint import reporters

    reporter = reporters.get(fmt)
    if statistics:
        from automl_lint.reporters import statistics as statistics_report

        reporter = statistics_report.report
    options = {"quiet": quiet, "format": fmt, "settings": settings}
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8") as fh:
                reporter(report.results, fh, options)
        except OSError as exc:
            raise SourceError(f"{output_file}: cannot write ({exc.strerror or exc})") from None
    else:
        try:
            reporter(report.results, out, options)
            out.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:  # a full disk, a closed terminal, ...
            _silence_stdout()
            raise SourceError(f"cannot write the report to standard output ({exc.strerror or exc})") from None
    return 0 if exit_zero else report.exit_code()


def _name_parent_configuration(config_path: str | None, isolated: bool, config_file: str | None,
                               ctx: typer.Context) -> None:
    """A configuration found in a parent directory that changes the run is named on stderr."""
    if config_path or isolated or not config_file or os.path.dirname(config_file) == os.getcwd():
        return
    from automl_lint.config import _KEYS, load as load_config

    given = {_KEYS[key][0] for param, key in _SETTING_OPTIONS.items() if _given(ctx, param)}
    if "task" in given:
        given.add("task_patterns")
    if set(load_config(config_file).values) - given - {"config_root"}:
        sys.stderr.write(f"automl-lint: using the configuration in {plain(config_file)}\n")


# Command-line parameter -> configuration key, for the options that are settings of a run.
_SETTING_OPTIONS = {
    "task": "task", "kind": "kind", "model": "model", "select": "select", "ignore": "ignore", "fail_on": "fail-on",
    "jobs": "jobs", "min_images": "min-images", "min_class_examples": "min-class-examples",
    "max_imbalance_ratio": "max-imbalance-ratio", "max_problems": "max-problems", "max_line_bytes": "max-line-bytes",
    "images": "images", "image_root": "image-root", "datastore": "datastores", "image_map": "maps",
    "image_cache": "image-cache", "invalid_lines": "invalid-lines", "encoding": "encoding",
    "gallery_per_rule": "gallery-per-rule",
    "dask": "dask",
    "runtime": "runtime", "model_name": "model-names", "batch_size": "batch-size",
    "strict": "strict", "validation_metric": "validation-metric",
    "unsafe_fixes": "unsafe-fixes",
}


def _given_settings(ctx: typer.Context) -> dict:
    """The run settings given explicitly on the command line, as configuration keys and values."""
    given = {}
    for param, key in _SETTING_OPTIONS.items():
        if not _given(ctx, param):
            continue
        value = ctx.params[param]
        if isinstance(value, Enum):
            value = value.value
        if param in ("select", "ignore"):
            value = _codes(value)
        elif param in ("datastore", "image_map"):
            option = "--datastore" if param == "datastore" else "--map"
            try:
                value = dict(parse_mapping(m, option) for m in value or [])
            except ValueError as exc:
                raise UsageFailure(str(exc)) from None
        elif type(value) is tuple:  # a repeatable option (--image-root, --model-name): typer gives a tuple
            value = list(value)
        elif param == "images" and value not in ("header", "full"):
            raise UsageFailure(f"--images takes 'header' or 'full', not {value!r}")
        given[key] = value
    return given


def _codes(value: str | None) -> list[str]:
    if not value:
        return []
    codes = [c.strip().upper() for c in value.split(",") if c.strip()]
    for c in codes:
        if not c.startswith("AML") or not any(code.startswith(c) for code in REGISTRY):
            raise UsageFailure(f"unknown rule code or prefix {c!r} (see --list-rules)")
    return codes


def _given(ctx: typer.Context, param: str) -> bool:
    source = ctx.get_parameter_source(param)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT", "PROMPT")


def _show_settings(settings: Settings, config_file: str | None) -> str:
    shown: dict = {"config-file": config_file}
    for f in dataclasses.fields(settings):
        shown[f.name.replace("_", "-")] = getattr(settings, f.name)
    shown["enabled-rules"] = sorted(settings.enabled)
    return json.dumps(shown, indent=2) + "\n"


def _is_terminal(output_file: str | None) -> bool:
    return output_file is None and sys.stdout.isatty()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (tests call this directly)."""
    args = list(sys.argv[1:] if argv is None else argv)
    # A bare --images means header probing; typer options cannot have an optional value.
    args = ["--images=header" if a == "--images" else a for a in args]
    options = args[:args.index("--")] if "--" in args else args
    if "-h" in options or "--help" in options:
        return _help()
    try:
        rc = int(app(args=args, prog_name="automl-lint", standalone_mode=False) or 0)
        if rc == 130 and sys.stderr is not None:  # typer returns 130 for a Ctrl-C inside the command (the
            sys.stderr.write("automl-lint: interrupted\n")  # command itself only ever returns 0 or 1)
        return rc
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return 130
    except typer.TyperException as exc:  # usage errors: unknown option, bad value, ...
        return _fail(exc.format_message())
    except (UsageFailure, api.UsageError, SourceError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        sys.stderr.write("automl-lint: interrupted\n")
        return 130
    except Terminated as exc:
        if sys.stderr is not None:
            sys.stderr.write(f"automl-lint: terminated ({signal.Signals(exc.signum).name})\n")
        return 128 + exc.signum
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except MemoryError:
        return _fail("out of memory")
    except RecursionError:
        return _fail("input nested too deeply")
    except Exception as exc:  # a bug must still end in one line and exit 2, never a traceback in CI
        return _fail(f"internal error ({type(exc).__name__}: {exc}); please report it with the input")


def _help() -> int:
    """Grouped help with real metavars, wrapped to the terminal (typer's own shows its internal types)."""
    from automl_lint import help as help_text

    command = typer.main.get_command(app)
    ctx = command.make_context("automl-lint", [], resilient_parsing=True)
    sys.stdout.write(help_text.render(command, ctx) + "\n")
    return 0


def _fail(message: str) -> int:
    message = plain(" ".join(message.split()))
    if len(message) > 2000:  # never echo a whole hostile value
        message = message[:2000] + "..."
    if sys.stderr is not None:  # None when started with stderr closed
        sys.stderr.write(f"automl-lint: error: {message}\n")
    return 2


def _silence_stdout() -> None:
    # Output was piped into e.g. `head`: point stdout at devnull so the interpreter's final flush is quiet.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def run() -> None:
    # Never fail on printing a character the terminal's encoding lacks.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    sys.exit(main())
