"""The configuration file: ``[tool.automl-lint]`` in ``pyproject.toml`` or the top level of ``automl-lint.toml``.

Found from the working directory upward (``automl-lint.toml`` first in each directory; a ``pyproject.toml``
without the table is passed over). Every key and rule code is checked: a typo is an error, never a
silently ignored setting. The result is a dict of :class:`~automl_lint.settings.Settings` field values;
the command line overrides it.

    [tool.automl-lint]
    task = "od"                       # default task (else inferred)
    select = ["AML"]                  # codes or prefixes
    ignore = ["AML206"]
    fail-on = "warning"
    invalid-lines = "drop"            # how the MLTable reads a bare JSONL (default "error", "utf8")
    encoding = "utf16"
    min-images = 50                   # thresholds of the dataset rules
    min-class-examples = 10
    max-imbalance-ratio = 50
    model-names = ["yolov5", "atss_r50_fpn_1x_coco"]   # the sweep's model_name values (or runtime = "mmdet")
    validation-metric = "coco"        # the job's validation_metric_type
    fixable = ["AML4"]                # fixes --fix may apply (default: every rule's); codes or prefixes
    unfixable = ["AML304"]            # fixes it never applies
    unsafe-fixes = true               # as --unsafe-fixes

    [tool.automl-lint.tasks]          # task per file pattern (relative to this file's directory)
    "data/classes/*.jsonl" = "mc"

    [tool.automl-lint.severity]       # severity overrides
    AML604 = "error"

    [tool.automl-lint.per-file-ignores]
    "data/legacy/*.jsonl" = ["AML2"]

"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from automl_lint import tasks
from automl_lint.reader import MAX_LINE_BYTES_LIMIT
from automl_lint.rules import REGISTRY

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

FILE_NAME = "automl-lint.toml"
SEVERITIES = ("error", "warning", "info")
KINDS = ("training", "predictions")


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid (exit 2)."""


@dataclass
class Config:
    path: str | None = None  # None: no configuration file
    values: dict = field(default_factory=dict)  # Settings field name -> value


def find(start: str | None = None) -> str | None:
    """The nearest ``automl-lint.toml`` or ``pyproject.toml`` with ``[tool.automl-lint]``, from ``start`` up."""
    d = os.path.abspath(start or os.getcwd())
    while True:
        own = os.path.join(d, FILE_NAME)
        if os.path.isfile(own):
            return own
        pyproject = os.path.join(d, "pyproject.toml")
        if os.path.isfile(pyproject) and _has_table(pyproject):
            return pyproject
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _has_table(pyproject: str) -> bool:
    # A pyproject.toml that is not valid TOML is an error, not a file passed over: it may hold the table.
    tool = _read(pyproject).get("tool", {})
    return type(tool) is dict and "automl-lint" in tool


def _read(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None


def load(path: str | None = None, *, isolated: bool = False, start: str | None = None) -> Config:
    """Load ``path``, or the configuration found from ``start`` upward; nothing with ``isolated``."""
    if isolated:
        return Config()
    if path is None:
        path = find(start)
        if path is None:
            return Config()
    data = _read(path)
    if os.path.basename(path) == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("automl-lint") if type(tool) is dict else None
        if table is None:
            raise ConfigError(f"{path}: no [tool.automl-lint] table")
        where = "[tool.automl-lint]"
    else:
        table, where = data, os.path.basename(path)
    if type(table) is not dict:
        raise ConfigError(f"{path}: {where} must be a table, got {table!r}"[:300])
    return Config(os.path.abspath(path), parse(table, f"{path}: {where}", os.path.dirname(os.path.abspath(path))))


def _images(value, where) -> str | None:
    if value is False:
        return None
    if value is True:
        return "header"
    return _string(("header", "full"))(value, where)


def _string_list(value, where) -> list[str]:
    if type(value) is str:
        value = [value]
    if type(value) is not list or not all(type(v) is str for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return value


def _string_table(value, where) -> dict[str, str]:
    table = _table(value, where)
    for k, v in table.items():
        if type(v) is not str:
            raise ConfigError(f"{where} {k!r}: expected a string, got {v!r}")
    return dict(table)


def _local(location: str, root: str) -> str:
    """Local folders in the configuration are relative to the file; URLs are kept as they are."""
    if "://" in location or os.path.isabs(location):
        return location
    return os.path.normpath(os.path.join(root, location))


def parse(table: dict, where: str, root: str) -> dict:
    values: dict = {}
    for key, value in table.items():
        check = _KEYS.get(key)
        if check is None:
            raise ConfigError(f"{where}: unknown key {key!r} (known keys: {', '.join(sorted(_KEYS))})")
        field_name, convert = check
        values[field_name] = convert(value, f"{where} {key}".strip())
    if "task_patterns" in values or "per_file_ignores" in values:
        values["config_root"] = root
    if "image_root" in values:
        values["image_root"] = [_local(r, root) for r in values["image_root"]]
    for key in ("datastores", "image_maps"):
        if key in values:
            values[key] = {k: _local(v, root) for k, v in values[key].items()}
    if values.get("image_cache"):
        values["image_cache"] = _local(values["image_cache"], root)
    return values


def _string(choices=None):
    def convert(value, where):
        if type(value) is not str:
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        if choices and value not in choices:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(choices)}")
        return value
    return convert


def _task(value, where) -> str:
    t = tasks.normalise(value) if type(value) is str else None
    if t is None:
        raise ConfigError(f"{where}: unknown task {value!r}; use mc, ml, od, is or auto")
    return t


def _number(kind, minimum, maximum=None):
    def convert(value, where):
        if type(value) is bool or not isinstance(value, (int, float)) or (kind is int and type(value) is not int):
            raise ConfigError(f"{where}: expected {'an integer' if kind is int else 'a number'}, got {value!r}")
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(f"{where}: expected a finite number, got {value!r}")
        if value < minimum:
            raise ConfigError(f"{where}: must be at least {minimum}, got {value!r}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{where}: must be at most {maximum}, got {value!r}")
        return kind(value)
    return convert


def check_code(code, where) -> str:
    """A rule code or prefix that names at least one rule, upper-cased."""
    c = code.strip().upper() if type(code) is str else ""
    if not c.startswith("AML") or not any(known.startswith(c) for known in REGISTRY):
        raise ConfigError(f"{where}: unknown rule code or prefix {code!r} (see --list-rules)")
    return c


def _codes(value, where) -> list[str]:
    if type(value) is str:
        value = [value]
    if type(value) is not list:
        raise ConfigError(f"{where}: expected a list of rule codes, got {value!r}")
    return [check_code(c, where) for c in value]


def _table(value, where) -> dict:
    if type(value) is not dict:
        raise ConfigError(f"{where}: expected a table, got {value!r}")
    return value


def _severity(value, where) -> dict[str, str]:
    out = {}
    for code, level in _table(value, where).items():
        prefix = check_code(code, where)
        if level not in SEVERITIES:
            raise ConfigError(f"{where}: {code} = {level!r} is not one of {', '.join(SEVERITIES)}")
        for known in REGISTRY:
            if known.startswith(prefix):
                out[known] = level
    return out


def _per_file_ignores(value, where) -> dict[str, list[str]]:
    return {pattern: _codes(codes, f"{where} {pattern!r}") for pattern, codes in _table(value, where).items()}


def _task_patterns(value, where) -> dict[str, str]:
    return {pattern: _task(task, f"{where} {pattern!r}") for pattern, task in _table(value, where).items()}


def _encoding(value, where) -> str:
    # Any spelling: one the engine rejects is a finding (AML807, the job fails), as in an MLTable.
    if type(value) is not str or not value.strip():
        raise ConfigError(f"{where}: expected the name of an encoding, got {value!r}")
    return value


def _dask(value, where) -> str:
    from automl_lint.distributed import parse_spec

    try:
        return parse_spec(_string()(value, where))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
def _boolean(value, where) -> bool:
    if type(value) is not bool:
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value


def _boolean(value, where) -> bool:
    if type(value) is not bool:
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value


def _models(value, where) -> str:
    from automl_lint.settings import MODELS

    return _string(MODELS)(value, where)


_KEYS = {
    "task": ("task", _task),
    "kind": ("kind", _string(KINDS)),
    "model": ("model", _models),
    "select": ("select", _codes),
    "ignore": ("ignore", _codes),
    "fail-on": ("fail_on", _string(SEVERITIES)),
    "jobs": ("jobs", _number(int, 0, 256)),
    "min-images": ("min_images", _number(int, 0)),
    "min-class-examples": ("min_class_examples", _number(int, 0)),
    "max-imbalance-ratio": ("max_imbalance_ratio", _number(float, 1.0)),
    "max-line-bytes": ("max_line_bytes", _number(int, 1, MAX_LINE_BYTES_LIMIT)),
    "max-problems": ("max_problems", _number(int, 0)),
    "invalid-lines": ("invalid_lines", _string(("error", "drop"))),
    "encoding": ("encoding", _encoding),
    "severity": ("severity", _severity),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "tasks": ("task_patterns", _task_patterns),
    "images": ("images", _images),
    "image-root": ("image_root", _string_list),
    "datastores": ("datastores", _string_table),
    "maps": ("image_maps", _string_table),
    "image-cache": ("image_cache", _string()),
    "gallery-per-rule": ("gallery_per_rule", _number(int, 0)),
    "dask": ("dask", _dask),
    "runtime": ("runtime", _string(("legacy", "mmdet", "hf"))),
    "model-names": ("model_names", _string_list),
    "batch-size": ("batch_size", _number(int, 1)),
    "strict": ("strict", _boolean),
    "validation-metric": ("validation_metric", _string(("voc", "coco", "coco_voc"))),
    "fixable": ("fixable", _codes),
    "unfixable": ("unfixable", _codes),
    "unsafe-fixes": ("unsafe_fixes", _boolean),
}
