"""What AutoML would do with each file, summed up from its problems."""

from __future__ import annotations

from automl_lint.engine import FileResult
from automl_lint.problem import Consequence, Severity


def file_summary(result: FileResult) -> dict:
    by_severity = {s.value: 0 for s in Severity}
    line_worst: dict[int, Consequence] = {}
    annotations_dropped = values_altered = 0
    fails = False
    for p in result.problems:
        by_severity[p.severity.value] += 1
        c = p.consequence
        if c is Consequence.FAILS_JOB:
            fails = True
        elif c is Consequence.DROPS_ANNOTATION:
            annotations_dropped += 1
        elif c is Consequence.ALTERS_VALUE:
            values_altered += 1
        if p.line is not None:
            prev = line_worst.get(p.line)
            if prev is None or c.rank > prev.rank:
                line_worst[p.line] = c
    images_dropped = sum(1 for c in line_worst.values() if c is Consequence.DROPS_IMAGE)
    return {
        "records": result.records,
        "problems": sum(by_severity.values()),
        "errors": by_severity["error"],
        "warnings": by_severity["warning"],
        "infos": by_severity["info"],
        "automl": {
            "fails_job": fails,
            "images_dropped": images_dropped,
            "annotations_dropped": annotations_dropped,
            "values_altered": values_altered,
            "lines_used_as_written": result.records - len(line_worst),
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
