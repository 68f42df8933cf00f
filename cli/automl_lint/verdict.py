"""What AutoML would do with each file, summed up from its problems."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from automl_lint.engine import FileResult
from automl_lint.problem import Consequence, Severity


class Omitted:
    """Exact tally of the findings of lines past the ``--max-problems`` limit, which are not kept."""

    __slots__ = ("errors", "warnings", "infos", "fails_job", "images_dropped", "annotations_dropped",
                 "values_altered", "lines", "first_line", "codes", "ignored", "all_lines")

    def __init__(self) -> None:
        self.errors = self.warnings = self.infos = 0
        self.images_dropped = self.annotations_dropped = self.values_altered = self.lines = 0
        self.all_lines = 0  # lines with findings, blank lines included (``lines`` counts records only)
        self.fails_job = False
        self.first_line: int | None = None
        self.codes: Counter = Counter()  # listed-rule code -> findings (for --statistics)
        self.ignored = 0  # findings of rules the configuration hides: not counted, but part of the verdict

    @property
    def problems(self) -> int:
        return self.errors + self.warnings + self.infos

    def add_line(self, line: int | None, findings, record: bool = True) -> None:
        """``findings``: (code, severity, consequence, shown) of one line; ``record`` is False for a blank line.

        Findings of rules the configuration hides (``shown`` False) still count in AutoML's verdict.
        """
        worst = Consequence.NONE
        for code, severity, consequence, shown in findings:
            if not shown:
                self.ignored += 1
            elif severity is Severity.ERROR:
                self.errors += 1
            elif severity is Severity.WARNING:
                self.warnings += 1
            else:
                self.infos += 1
            if shown:
                self.codes[code] += 1
            if consequence is Consequence.FAILS_JOB:
                self.fails_job = True
            elif consequence is Consequence.DROPS_ANNOTATION:
                self.annotations_dropped += 1
            elif consequence is Consequence.ALTERS_VALUE:
                self.values_altered += 1
            if consequence.rank > worst.rank:
                worst = consequence
        if worst is Consequence.DROPS_IMAGE and record:
            self.images_dropped += 1
        self.lines += record
        self.all_lines += 1
        if self.first_line is None:
            self.first_line = line

    def merge(self, other: "Omitted", line_offset: int) -> None:
        for name in ("errors", "warnings", "infos", "images_dropped", "annotations_dropped", "values_altered",
                     "lines", "ignored", "all_lines"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.codes.update(other.codes)
        self.fails_job = self.fails_job or other.fails_job
        if self.first_line is None and other.first_line is not None:
            self.first_line = other.first_line + line_offset


BLANK_LINE_CODE = "AML007"


def worst_severity_rank(result: FileResult) -> int:
    """Rank of the most severe finding of a file, counting findings past the limit."""
    ranks = [p.severity.rank for p in result.problems]
    o = result.omitted
    if o is not None:
        ranks += [r for r, n in ((3, o.errors), (2, o.warnings), (1, o.infos)) if n]
    return max(ranks, default=0)


def file_summary(result: FileResult) -> dict:
    """Counts of the listed findings, and AutoML's verdict from every finding (hidden ones included).

    The verdict describes the data: ``--ignore``, ``--select``, per-file ignores and the baseline hide
    findings from the list and the exit code, not from what AutoML would do.
    """
    by_severity = {s.value: 0 for s in Severity}
    line_worst: dict[int, Consequence] = {}
    annotations_dropped = values_altered = 0
    fails = False
    for p in result.problems:
        by_severity[p.severity.value] += 1
    ignored = getattr(result, "ignored", ())
    baselined = getattr(result, "baselined", ())
    superseded = getattr(result, "superseded", ())
    for group in (result.problems, ignored, baselined, superseded):
        for p in group:
            c = p.consequence
            if c is Consequence.FAILS_JOB:
                fails = True
            elif c is Consequence.DROPS_ANNOTATION:
                annotations_dropped += 1
            elif c is Consequence.ALTERS_VALUE:
                values_altered += 1
            if p.line is not None and p.code != BLANK_LINE_CODE:  # a skipped blank line holds no image
                prev = line_worst.get(p.line)
                if prev is None or c.rank > prev.rank:
                    line_worst[p.line] = c
    images_dropped = sum(1 for c in line_worst.values() if c is Consequence.DROPS_IMAGE)
    lines_with_problems = len(line_worst)
    o = result.omitted
    if o is not None:
        by_severity["error"] += o.errors
        by_severity["warning"] += o.warnings
        by_severity["info"] += o.infos
        fails = fails or o.fails_job
        images_dropped += o.images_dropped
        annotations_dropped += o.annotations_dropped
        values_altered += o.values_altered
        lines_with_problems += o.lines
    return {
        "records": result.records,
        "problems": sum(by_severity.values()),
        "errors": by_severity["error"],
        "warnings": by_severity["warning"],
        "infos": by_severity["info"],
        "hidden": {"configuration": len(ignored) + (o.ignored if o is not None else 0), "baseline": len(baselined),
                   "wrong_task": len(superseded)},
        "automl": {
            "fails_job": fails,
            "images_dropped": images_dropped,
            "annotations_dropped": annotations_dropped,
            "values_altered": values_altered,
            "lines_used_as_written": max(0, result.records - lines_with_problems),
        },
    }


def total_summary(results: list[FileResult]) -> dict:
    per_file = [file_summary(r) for r in results]
    total = {
        "files": len(results),
        "records": sum(s["records"] for s in per_file),
        "problems": sum(s["problems"] for s in per_file),
        "errors": sum(s["errors"] for s in per_file),
        "warnings": sum(s["warnings"] for s in per_file),
        "infos": sum(s["infos"] for s in per_file),
        "hidden": {k: sum(s["hidden"][k] for s in per_file) for k in ("configuration", "baseline", "wrong_task")},
        "automl": {
            "fails_job": any(s["automl"]["fails_job"] for s in per_file),
            "images_dropped": sum(s["automl"]["images_dropped"] for s in per_file),
            "annotations_dropped": sum(s["automl"]["annotations_dropped"] for s in per_file),
            "values_altered": sum(s["automl"]["values_altered"] for s in per_file),
        },
    }
    return total


def verdict_sentence(automl: dict, results: list[FileResult] | None = None) -> str:
    if results and all(r.kind == "predictions" for r in results):
        return "(predictions: AutoML does not train on these files)"
    if automl["fails_job"]:
        head = "AutoML would FAIL the job"
    else:
        head = "AutoML would run"
    parts = []
    if automl["images_dropped"]:
        parts.append(f"drop {automl['images_dropped']} image(s)")
    if automl["annotations_dropped"]:
        parts.append(f"drop {automl['annotations_dropped']} annotation(s)")
    if automl["values_altered"]:
        parts.append(f"silently alter {automl['values_altered']} value(s)")
    if not parts:
        return head + (" and use every record as written." if not automl["fails_job"] else ".")
    return head + (", and would " if automl["fails_job"] else " but ") + ", ".join(parts) + "."


def hidden_sentence(summary: dict) -> str:
    """'' or how many findings the configuration and the baseline hide (they still count in the verdict)."""
    hidden = summary.get("hidden") or {}
    parts = []
    if hidden.get("configuration"):
        parts.append(f"{hidden['configuration']} by the rule selection (--select/--ignore/configuration)")
    if hidden.get("baseline"):
        parts.append(f"{hidden['baseline']} by the baseline")
    if hidden.get("wrong_task"):
        parts.append(f"{hidden['wrong_task']} caused by the wrong --task (AML106)")
    if not parts:
        return ""
    return f"{sum(hidden.values())} finding(s) not listed but counted in AutoML's verdict: hidden " + " and ".join(parts) + "."
