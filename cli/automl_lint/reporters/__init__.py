"""Reporters: interchangeable back ends over one list of file results. They never decide anything."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from automl_lint.engine import FileResult

Reporter = Callable[[list[FileResult], TextIO, dict], None]


def get(name: str) -> Reporter:
    from automl_lint.reporters import azure, concise, github, gitlab, json_report, junit, sarif, table

    return {
        "table": table.report,
        "concise": concise.report,
        "json": json_report.report,
        "jsonl": json_report.report_lines,
        "github": github.report,
        "sarif": sarif.report,
        "junit": junit.report,
        "azure": azure.report,
        "gitlab": gitlab.report,
    }[name]


FORMATS = ("table", "concise", "json", "jsonl", "github", "sarif", "junit", "azure", "gitlab")
