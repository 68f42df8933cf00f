"""``--format table``: a rich table per file and AutoML's verdict (the default on a terminal)."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from automl_lint.engine import FileResult
from automl_lint.verdict import file_summary, hidden_sentence, total_summary, verdict_sentence

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
CONSEQUENCE_STYLE = {"fails-job": "bold red", "drops-image": "red", "drops-annotation": "magenta",
                     "alters-value": "yellow", "none": "dim"}
MAX_ROWS = 1000


def report(results: list[FileResult], out: TextIO, options: dict) -> None:
    console = Console(file=out, highlight=False, soft_wrap=False)
    for r in results:
        summary = file_summary(r)
        how = "inferred" if r.task_inferred else "given"
        task = f"task {r.task} ({how})" if r.task else "task unknown"
        title = f"{r.path}: {task}, {r.records} records, {summary['problems']} problem(s)"
        if not r.problems:
            if not options.get("quiet"):
                console.print(Text(f"{title}: clean", style="green"))
            continue
        table = Table(title=title, title_justify="left", show_lines=False, expand=False)
        table.add_column("line", justify="right", no_wrap=True)
        table.add_column("pointer", overflow="fold")
        table.add_column("code", no_wrap=True)
        table.add_column("severity", no_wrap=True)
        table.add_column("consequence", no_wrap=True)
        table.add_column("message", overflow="fold", ratio=1)
        for p in r.problems[:MAX_ROWS]:
            table.add_row(
                "-" if p.line is None else str(p.line),
                p.pointer or "",
                Text(f"{p.code} {p.name}"),
                Text(p.severity.value, style=SEVERITY_STYLE[p.severity.value]),
                Text(p.consequence.value, style=CONSEQUENCE_STYLE[p.consequence.value]),
                Text(p.message),
            )
        console.print(table)
        if len(r.problems) > MAX_ROWS:
            console.print(f"... {len(r.problems) - MAX_ROWS} more problem(s) in {r.path}; use --format concise "
                          "or json for all of them")
        a = summary["automl"]
        console.print(f"  {r.path}: {summary['errors']} error(s), {summary['warnings']} warning(s), "
                      f"{summary['infos']} info; AutoML: fails job: {'yes' if a['fails_job'] else 'no'}, "
                      f"images dropped: {a['images_dropped']}, annotations dropped: {a['annotations_dropped']}, "
                      f"values altered: {a['values_altered']}\n")
    total = total_summary(results)
    style = "bold red" if total["automl"]["fails_job"] or total["errors"] else (
        "yellow" if total["warnings"] else "green")
    console.print(Text(f"{total['files']} file(s), {total['records']} record(s) checked: {total['problems']} "
                       f"problem(s) ({total['errors']} error(s), {total['warnings']} warning(s), {total['infos']} "
                       f"info).", style=style))
    console.print(Text(verdict_sentence(total["automl"], results), style=style))
    hidden = hidden_sentence(total)
    if hidden:
        console.print(Text(hidden, style="dim"))
