"""``--format table``: findings grouped per file and rule, then AutoML's verdict (the default on a terminal).

Repeated findings of one rule are one row: where it first occurs (a clickable ``path:line:col``), how many
there are and on which lines, and the first one as the example. The line-oriented formats (concise, json,
CI formats) keep one record per finding. Rows are two lines, so they read the same at 80 and 200 columns:

    train.jsonl:12:15  AML408 error  box-inverted  3 findings, lines 12, 40-41
        /label/0/bottomX: box of annotation 0 is inverted (bottomX < topX); ... [drops-annotation]
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TextIO

from rich.console import Console
from rich.style import Style
from rich.text import Text

from automl_lint.engine import FileResult
from automl_lint.escape import plain, uri_reference
from automl_lint.problem import Problem, quote
from automl_lint.verdict import file_summary, hidden_sentence, total_summary, verdict_sentence

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
CONSEQUENCE_STYLE = {"fails-job": "bold red", "drops-image": "red", "drops-annotation": "magenta",
                     "alters-value": "yellow", "none": "dim"}
MAX_ROWS = 1000  # rows (groups) per file
MAX_RANGES = 6  # line ranges shown per row


@dataclass
class Group:
    """The findings of one rule (and one consequence) in one file."""

    first: Problem
    lines: list[int] = field(default_factory=list)
    count: int = 0


def groups(problems: list[Problem]) -> list[Group]:
    """Findings grouped by rule and consequence, in the order of their first occurrence."""
    by_key: dict[tuple, Group] = {}
    for p in problems:
        g = by_key.get((p.code, p.consequence))
        if g is None:
            g = by_key[(p.code, p.consequence)] = Group(p)
        g.count += 1
        if p.line is not None and (not g.lines or g.lines[-1] != p.line):
            g.lines.append(p.line)
    return list(by_key.values())


def line_ranges(lines: list[int], limit: int = MAX_RANGES) -> str:
    """``1-4000`` or ``2, 5-7, 9 and 3 more ranges`` from sorted line numbers."""
    ranges: list[list[int]] = []
    for n in sorted(set(lines)):
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    shown = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges[:limit])
    more = len(ranges) - limit
    return shown + (f" and {more} more range{'s' if more > 1 else ''}" if more > 0 else "")


def location(p: Problem) -> str:
    """``path:line:col``; a finding about the whole file points at its first line, as editors expect."""
    return f"{plain(p.path)}:{p.line if p.line is not None else 1}:{p.column or 1}"


def _link(path: str) -> Style:
    """Bold, and an OSC 8 link to the file: its URL percent-encoded, so no escape sequence ends it early."""
    if path in ("<stdin>", "-") or "://" in path:
        return Style(bold=True)
    return Style(bold=True, link="file://" + uri_reference(os.path.abspath(path).replace(os.sep, "/")))


def row(g: Group) -> tuple[Text, Text, Text]:
    """A row: where (path:line:col); rule, count and lines; the example finding."""
    p = g.first
    where = Text(location(p), style=_link(p.path))
    head = Text()
    head.append(p.code, style="bold")
    head.append(" ")
    head.append(p.severity.value, style=SEVERITY_STYLE[p.severity.value])
    head.append(f"  {p.name}")
    if p.line is None:
        head.append("  (whole file)", style="dim")
    elif g.count > 1:
        head.append(f"  {g.count} findings, line{'s' if len(g.lines) > 1 else ''} {line_ranges(g.lines)}",
                    style="bold")
    body = Text()
    if p.pointer:
        body.append(plain(p.pointer) + ": ", style="cyan")
    if p.image_url and p.pointer == "/image_url" and p.image_url not in p.message:
        body.append(plain(quote(p.image_url)) + ": ")  # image findings name the image
    body.append(plain(p.message))
    if p.consequence.value != "none":
        body.append(" ")
        body.append(f"[{p.consequence.value}]", style=CONSEQUENCE_STYLE[p.consequence.value])
    if g.count > 1:
        body.append(" (first of " + str(g.count) + ")", style="dim")
    return where, head, body


def _indented(text: Text, indent: int, width: int) -> Text:
    """``text`` wrapped at words to ``width`` columns, every line indented (and no trailing blanks)."""
    lines = text.wrap(Console(width=width), max(width - indent, 20))
    out = []
    for line in lines:
        line.rstrip()  # in place
        out.append(Text(" " * indent) + line)
    return Text("\n").join(out)


class Location(Text):
    """A location too long for one row: printed without wrapping, so the terminal wraps it and it stays one link."""

    def __init__(self, text: Text) -> None:
        super().__init__()
        self.append_text(text)


def report(results: list[FileResult], out: TextIO, options: dict) -> None:
    # Data never becomes rich markup or emoji: every string from a file goes through plain() (escape.py).
    console = Console(file=out, highlight=False, width=options.get("width"), markup=False, emoji=False)
    for item in renderables(results, {**options, "width": console.width}):
        # The terminal wraps a long location itself, so it stays one clickable link.
        console.print(item, soft_wrap=isinstance(item, Location))


def renderables(results: list[FileResult], options: dict):
    """What the table shows, as rich renderables for a console ``options["width"]`` columns wide."""
    width = options.get("width") or 80
    for r in results:
        summary = file_summary(r)
        how = "inferred" if r.task_inferred else "given"
        task = f"task {r.task} ({how})" if r.task else "task unknown"
        title = f"{plain(r.path)}: {task}, {r.records} records, {summary['problems']} problem(s)"
        if not r.problems:
            if not options.get("quiet"):
                yield Text(f"{title}: clean", style="green")
            continue
        yield Text(title, style="bold underline")
        rows = groups(r.problems)
        for g in rows[:MAX_ROWS]:
            where, head, body = row(g)
            if where.cell_len + 2 + head.cell_len <= width:
                yield Text.assemble(where, "  ", head)
            else:
                yield Location(where)
                yield _indented(head, 2, width)
            yield _indented(body, 4, width)
        if len(rows) > MAX_ROWS:
            yield Text(f"... {len(rows) - MAX_ROWS} more rule(s) in {plain(r.path)}; use --format concise or json for all "
                       "of them")
        a = summary["automl"]
        yield _indented(Text(f"{summary['errors']} error(s), {summary['warnings']} warning(s), {summary['infos']} info; "
                             f"AutoML: fails job: {'yes' if a['fails_job'] else 'no'}, images dropped: "
                             f"{a['images_dropped']}, annotations dropped: {a['annotations_dropped']}, values "
                             f"altered: {a['values_altered']}", style="dim"), 2, width)
        yield Text("")
    total = total_summary(results)
    style = "bold red" if total["automl"]["fails_job"] or total["errors"] else (
        "yellow" if total["warnings"] else "green")
    yield Text(f"{total['files']} file(s), {total['records']} record(s) checked: {total['problems']} problem(s) "
               f"({total['errors']} error(s), {total['warnings']} warning(s), {total['infos']} info).", style=style)
    yield Text(verdict_sentence(total["automl"], results), style=style)
    hidden = hidden_sentence(total)
    if hidden:
        yield Text(hidden, style="dim")
