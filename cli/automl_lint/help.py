"""``automl-lint --help``: options in groups, with real metavars, wrapped to the terminal's width.

The options themselves are declared in ``cli.py``; this module only lays them out. An option not listed in
``GROUPS`` still appears, under "Other options", so a new option is never missing from the help.
"""

from __future__ import annotations

import shutil
import textwrap
from enum import Enum

GROUPS: list[tuple[str, list[str]]] = [
    ("Input", ["paths", "kind", "validation", "pair", "max_line_bytes", "encoding", "invalid_lines"]),
    ("Task and runtime", ["task", "model", "runtime", "model_name", "validation_metric", "jobs", "dask"]),
    ("Rules", ["select", "ignore", "fail_on", "exit_zero", "strict", "min_images", "min_class_examples",
               "max_imbalance_ratio", "fix", "unsafe_fixes", "diff", "fix_output"]),
    ("Output", ["output_format", "output_file", "quiet", "statistics", "max_problems", "gallery_per_rule"]),
    ("Images", ["images", "image_root", "datastore", "image_map", "image_cache"]),
    ("Configuration", ["config_path", "isolated", "show_settings", "baseline_path", "write_baseline"]),
    ("Information", ["explain", "list_rules", "print_schema", "version", "help"]),
]
MAX_WIDTH = 120  # wider than this is harder to read, not easier
# What the user types after an option, where its type alone would not say it.
METAVARS = {
    "paths": "PATH", "task": "TASK", "output_format": "FORMAT", "validation": "PATH", "output_file": "FILE", "config_path": "FILE",
    "select": "CODES", "ignore": "CODES", "jobs": "N", "min_images": "N", "min_class_examples": "N",
    "max_imbalance_ratio": "RATIO", "max_problems": "N", "max_line_bytes": "BYTES", "explain": "CODE",
    "print_schema": "TASK", "images": "", "image_root": "DIR", "datastore": "NAME=LOCATION",
    "image_map": "URL_PREFIX=LOCATION", "image_cache": "DIR", "baseline_path": "FILE", "write_baseline": "FILE",
}


def _choices(param) -> tuple | None:
    """The values a choice option takes, from typer's click type (typer < 0.29) or its annotation (0.29)."""
    choices = getattr(getattr(param, "type", None), "choices", None)
    if choices is not None:
        return tuple(c.value if isinstance(c, Enum) else str(c) for c in choices)
    bare = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(bare, type) and issubclass(bare, Enum):
        return tuple(m.value for m in bare)
    return None


def _number_metavar(param) -> str:
    """N for an integer option, X for a float option, else VALUE."""
    kind = getattr(getattr(param, "type", None), "name", None)
    bare = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if bare is int or kind in ("integer", "integer range", "int range"):
        return "N"
    if bare is float or kind in ("float", "float range"):
        return "X"
    return "VALUE"


def metavar(param) -> str:
    """What the user types after the option: the declared metavar, else the choices, else VALUE."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    if param.name == "images":
        return "[=header|full]"
    if param.metavar and not param.metavar.startswith("["):
        return param.metavar
    if param.name in METAVARS:
        return METAVARS[param.name]
    choices = _choices(param)
    if choices is not None:
        shown = "{" + ",".join(choices) + "}"
        return shown if len(shown) <= 32 else METAVARS.get(param.name, param.name.upper())
    return _number_metavar(param)


def _default(param) -> str:
    value = param.default
    if getattr(param, "is_flag", False) or value is None or value == [] or param.param_type_name == "argument":
        return ""
    if isinstance(value, Enum):
        value = value.value
    return f" [default: {value}]"


def _row(param) -> tuple[str, str]:
    if param.param_type_name == "argument":
        return METAVARS.get(param.name, param.name.upper()) + "...", param.help or ""
    names = ", ".join(sorted(param.opts, key=len))
    mv = metavar(param)
    text = param.help or ""
    choices = _choices(param)
    if mv and not mv.startswith("{") and choices is not None:
        text += " One of: " + ", ".join(choices) + "."  # too many choices for the metavar
    return (f"{names} {mv}" if mv else names), text + _default(param)


def render(command, ctx, width: int | None = None) -> str:
    """The whole help text of ``command`` for ``width`` columns (default: the terminal's, at most MAX_WIDTH)."""
    width = min(width or shutil.get_terminal_size((80, 24)).columns, MAX_WIDTH)
    width = max(width, 40)
    params = {p.name: p for p in command.get_params(ctx) if not getattr(p, "hidden", False)}
    lines = [f"Usage: {ctx.command_path} [OPTIONS] [PATH]...", ""]
    doc = textwrap.dedent(command.help or "").strip()
    for para in doc.split("\n\n"):
        lines += textwrap.wrap(" ".join(para.split()), width - 2, initial_indent="  ", subsequent_indent="  ")
        lines.append("")
    placed = set()
    sections = []
    for title, names in GROUPS:
        rows = [_row(params[n]) for n in names if n in params]
        placed.update(n for n in names if n in params)
        if rows:
            sections.append((title, rows))
    other = [_row(p) for n, p in params.items() if n not in placed]
    if other:
        sections.append(("Other options", other))
    short = [len(r[0]) for _, rows in sections for r in rows if len(r[0]) <= 28]  # longer ones get their own line
    left = min(max(short, default=20) + 4, max(24, width // 3))
    for title, rows in sections:
        lines.append(f"{title}:")
        for name, text in rows:
            body = textwrap.wrap(text, max(width - left, 20), break_on_hyphens=False) or [""]
            if len(name) + 4 > left:  # a long option name gets its own line
                lines.append(f"  {name}")
                lines += [" " * left + b for b in body]
            else:
                lines.append(f"  {name:<{left - 2}}{body[0]}")
                lines += [" " * left + b for b in body[1:]]
        lines.append("")
    return "\n".join(lines)
