"""``--format github``: GitHub Actions workflow annotations and a Markdown step summary.

GitHub shows at most 10 error and 10 warning (and 10 notice) annotations per step and 50 per job, and
silently drops the rest. When a level has more findings than that, they are aggregated into one
annotation per rule (most serious first) carrying the count and the first lines; the full per-rule table
goes to ``$GITHUB_STEP_SUMMARY`` when that variable is set.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import TextIO

from automl_lint.baseline import relative_path, repository_root
from automl_lint.engine import FileResult
from automl_lint.escape import github_data, github_property, markdown_cell
from automl_lint.problem import Problem
from automl_lint.verdict import file_summary, total_summary, verdict_sentence

PER_LEVEL = 10  # annotations GitHub keeps per step for each of error, warning, notice
FIRST_LINES = 5
COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def report(results: list[FileResult], out: TextIO, options: dict) -> None:
    root = repository_root()
    problems = [(relative_path(r.path, root), p) for r in results for p in r.problems]
    for severity in ("error", "warning", "info"):
        level = [(path, p) for path, p in problems if p.severity.value == severity]
        for line in annotations(level, COMMAND[severity]):
            out.write(line + "\n")
    total = total_summary(results)
    if not options.get("quiet"):
        out.write(f"automl-lint: {total['problems']} problem(s) ({total['errors']} error(s), {total['warnings']} "
                  f"warning(s), {total['infos']} info) in {total['records']} record(s). "
                  f"{verdict_sentence(total['automl'])}\n")
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        try:
            with open(summary_file, "a", encoding="utf-8") as fh:
                fh.write(step_summary(results, root))
        except OSError:
            pass  # the summary is a courtesy; the annotations and exit code already tell the story


def annotations(level: list[tuple[str, Problem]], command: str) -> list[str]:
    """At most PER_LEVEL workflow commands for the findings of one severity."""
    if len(level) <= PER_LEVEL:
        return [_command(command, path, p.line, p.column, f"{p.code} {p.name}", _text(p)) for path, p in level]
    groups: dict[str, list[tuple[str, Problem]]] = defaultdict(list)
    for path, p in level:
        groups[p.code].append((path, p))
    ordered = sorted(groups.values(), key=lambda g: (-g[0][1].consequence.rank, -len(g), g[0][1].code))
    shown = ordered if len(ordered) <= PER_LEVEL else ordered[:PER_LEVEL - 1]
    lines = []
    for group in shown:
        path, first = group[0]
        where = _first_lines(group)
        message = (f"{len(group)} finding(s) of {first.code} {first.name} ({first.consequence.value}), "
                   f"first at {where}. First: {_text(first)}")
        lines.append(_command(command, path, first.line, first.column,
                              f"{first.code} {first.name} ({len(group)}x)", message))
    rest = ordered[len(shown):]
    if rest:
        path, first = rest[0][0]
        count = sum(len(g) for g in rest)
        codes = ", ".join(g[0][1].code for g in rest)
        lines.append(_command(command, path, first.line, None, f"{len(rest)} more rule(s)",
                              f"{count} more finding(s) of {codes}; see the step summary or --format sarif"))
    return lines


def _first_lines(group: list[tuple[str, Problem]]) -> str:
    spots = []
    for path, p in group[:FIRST_LINES]:
        spots.append(f"{path}:{p.line}" if p.line is not None else path)
    more = f" and {len(group) - FIRST_LINES} more" if len(group) > FIRST_LINES else ""
    return ", ".join(spots) + more


def _text(p: Problem) -> str:
    return p.text()


def _command(command: str, path: str, line: int | None, column: int | None, title: str, message: str) -> str:
    props = [f"file={github_property(path)}"]
    if line is not None:
        props.append(f"line={line}")
        if column:
            props.append(f"col={column}")
    props.append(f"title={github_property(title)}")
    return f"::{command} {','.join(props)}::{github_data(message)}"


def step_summary(results: list[FileResult], root: str) -> str:
    """Markdown: AutoML's verdict per file, then one row per rule with its count and first lines."""
    total = total_summary(results)
    out = ["## automl-lint", "", f"**{verdict_sentence(total['automl'])}** "
           f"{total['problems']} problem(s) in {total['records']} record(s) of {total['files']} file(s).", "",
           "| file | task | records | errors | warnings | info | fails job | images dropped | "
           "annotations dropped | values altered |",
           "|---|---|--:|--:|--:|--:|---|--:|--:|--:|"]
    for r in results:
        s = file_summary(r)
        a = s["automl"]
        out.append(f"| {markdown_cell(relative_path(r.path, root))} | {r.task or 'unknown'} | {s['records']} | "
                   f"{s['errors']} | {s['warnings']} | {s['infos']} | {'**yes**' if a['fails_job'] else 'no'} | "
                   f"{a['images_dropped']} | {a['annotations_dropped']} | {a['values_altered']} |")
    groups: dict[str, list[tuple[str, Problem]]] = defaultdict(list)
    for r in results:
        path = relative_path(r.path, root)
        for p in r.problems:
            groups[p.code].append((path, p))
    if groups:
        out += ["", "| rule | severity | AutoML consequence | count | first at |", "|---|---|---|--:|---|"]
        ordered = sorted(groups.values(), key=lambda g: (-g[0][1].severity.rank, -g[0][1].consequence.rank,
                                                         -len(g), g[0][1].code))
        for group in ordered:
            p = group[0][1]
            out.append(f"| {p.code} `{p.name}` | {p.severity.value} | {p.consequence.value} | {len(group)} | "
                       f"{markdown_cell(_first_lines(group))} |")
    return "\n".join(out) + "\n\n"

