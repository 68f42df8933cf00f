"""``--format concise``: one line per problem, ``path:line:col: CODE [severity] message``."""

from __future__ import annotations

from typing import TextIO

from automl_lint.engine import FileResult
from automl_lint.verdict import hidden_sentence, total_summary, verdict_sentence
from automl_lint.escape import plain


def format_problem(p) -> str:
    line = p.line if p.line is not None else 1  # a finding about the whole file: its first line, as editors expect
    col = p.column or 1
    return f"{plain(p.path)}:{line}:{col}: {p.code} [{p.severity.value}] {plain(p.text())}"


def report(results: list[FileResult], out: TextIO, options: dict) -> None:
    for r in results:
        for p in r.problems:
            out.write(format_problem(p) + "\n")
    if options.get("quiet"):
        return
    total = total_summary(results)
    for r in results:
        if r.task:
            how = "inferred" if r.task_inferred else "given"
            out.write(f"{plain(r.path)}: task {r.task} ({how}), {r.records} records\n")
    out.write(f"Found {total['problems']} problem(s) ({total['errors']} error(s), {total['warnings']} warning(s), "
              f"{total['infos']} info) in {total['records']} record(s). {verdict_sentence(total['automl'], results)}\n")
    hidden = hidden_sentence(total)
    if hidden:
        out.write(hidden + "\n")
