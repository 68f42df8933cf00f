"""``--format json`` (one document) and ``--format jsonl`` (one problem per line)."""

from __future__ import annotations

from typing import TextIO

import orjson

from automl_lint import __version__
from automl_lint.engine import FileResult
from automl_lint.escape import json_bytes
from automl_lint.verdict import file_summary, total_summary


def document(results: list[FileResult]) -> dict:
    return {
        "version": __version__,
        "files": [
            {
                "path": r.path,
                "task": r.task,
                "task_inferred": r.task_inferred,
                "kind": r.kind,
                "role": r.role,
                "records": r.records,
                "problems": [p.to_dict() for p in r.problems],
                "summary": file_summary(r),
            }
            for r in results
        ],
        "summary": total_summary(results),
    }


def report(results: list[FileResult], out: TextIO, options: dict) -> None:
    out.write(json_bytes(document(results), orjson.OPT_INDENT_2).decode())
    out.write("\n")


def report_lines(results: list[FileResult], out: TextIO, options: dict) -> None:
    for r in results:
        for p in r.problems:
            out.write(json_bytes(p.to_dict()).decode())
            out.write("\n")
