"""``--format gitlab``: a GitLab Code Quality report (``artifacts:reports:codequality``).

Fingerprints come from the rule, path, ``image_url`` and pointer (never the line), so GitLab's merge
request widget tracks the same finding across commits that add or remove records.
"""

from __future__ import annotations

from typing import TextIO

import orjson

from automl_lint.baseline import finding_keys, relative_path, repository_root
from automl_lint.engine import FileResult
from automl_lint.escape import json_bytes
from automl_lint.problem import Problem


def severity(p: Problem) -> str:
    if p.severity.value == "error":
        return "blocker" if p.consequence.value == "fails-job" else "critical"
    return "major" if p.severity.value == "warning" else "info"


def document(results: list[FileResult]) -> list[dict]:
    root = repository_root()
    issues = []
    for r in results:
        path = relative_path(r.path, root)
        for p, key in zip(r.problems, finding_keys(r, root)):
            issues.append({
                "type": "issue",
                "check_name": p.code,
                "description": f"{p.code} {p.name}: {p.text()}",
                "categories": ["Bug Risk"],
                "severity": severity(p),
                "fingerprint": key.fingerprint(),
                "location": {"path": path, "lines": {"begin": p.line if p.line is not None else 1}},
            })
    return issues


def report(results: list[FileResult], out: TextIO, options: dict) -> None:
    out.write(json_bytes(document(results), orjson.OPT_INDENT_2).decode())
    out.write("\n")
