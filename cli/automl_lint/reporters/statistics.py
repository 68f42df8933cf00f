"""``--statistics``: how many findings each rule produced, most frequent first (like ruff and flake8)."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

import orjson

from automl_lint.engine import FileResult
from automl_lint.escape import json_bytes
from automl_lint.problem import Problem
from automl_lint.rules import REGISTRY
from automl_lint.verdict import hidden_sentence, total_summary, verdict_sentence


def rows(results: list[FileResult]) -> list[dict]:
    """Findings per rule, the ones past --max-problems (counted, not listed) included."""
    counts: Counter = Counter()
    first: dict[str, Problem] = {}
    for r in results:
        for p in r.problems:
            counts[p.code] += 1
            first.setdefault(p.code, p)
        if r.omitted is not None:
            counts.update(r.omitted.codes)
    ordered = sorted(counts, key=lambda c: (-counts[c], c))
    out = []
    for c in ordered:
        rule = REGISTRY[c]
        p = first.get(c)
        out.append({"code": c, "name": rule.name, "count": counts[c],
                    "severity": (p.severity if p else rule.severity).value,
                    "consequence": (p.consequence if p else rule.consequence).value})
    return out


def report(results: list[FileResult], out: TextIO, options: dict) -> None:
    table = rows(results)
    if options.get("format") in ("json", "jsonl", "sarif", "gitlab", "junit"):
        out.write(json_bytes(table, orjson.OPT_INDENT_2).decode() + "\n")
        return
    width = max((len(str(r["count"])) for r in table), default=1)
    for r in table:
        out.write(f"{r['count']:>{width}}\t{r['code']}\t{r['severity']:<7}\t{r['consequence']:<16}\t{r['name']}\n")
    if not options.get("quiet"):
        total = total_summary(results)
        out.write(f"Found {total['problems']} problem(s) in {total['records']} record(s). "
                  f"{verdict_sentence(total['automl'], results)}\n")
        hidden = hidden_sentence(total)
        if hidden:
            out.write(hidden + "\n")
