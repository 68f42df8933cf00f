"""Reporters: interchangeable back ends over one list of file results. They never decide anything."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TextIO

from automl_lint.engine import FileResult

Reporter = Callable[[list[FileResult], TextIO, dict], None]


# format -> (module, function); a reporter's module (rich, xml, ...) is imported only when it is used.
_REPORTERS = {
    "table": ("table", "report"),
    "concise": ("concise", "report"),
    "json": ("json_report", "report"),
    "jsonl": ("json_report", "report_lines"),
    "github": ("github", "report"),
    "sarif": ("sarif", "report"),
    "junit": ("junit", "report"),
    "azure": ("azure", "report"),
    "gitlab": ("gitlab", "report"),
    "html": ("html", "report"),
}


def get(name: str) -> Reporter:
    module, function = _REPORTERS[name]
    return getattr(importlib.import_module(f"automl_lint.reporters.{module}"), function)


FORMATS = ("table", "concise", "json", "jsonl", "github", "sarif", "junit", "azure", "gitlab", "html")
