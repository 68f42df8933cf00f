"""``--format azure``: Azure Pipelines logging commands (``##vso[task.logissue ...]``), one per problem.

Logging commands know only ``error`` and ``warning``; info findings become warnings marked ``info:``.
An issue does not fail the task: the exit code does.
"""

from __future__ import annotations

from typing import TextIO

from automl_lint.engine import FileResult
from automl_lint.escape import azure_data, azure_property
from automl_lint.verdict import total_summary, verdict_sentence


def report(results: list[FileResult], out: TextIO, options: dict) -> None:
    for r in results:
        for p in r.problems:
            kind = "error" if p.severity.value == "error" else "warning"
            props = [f"type={kind}", f"sourcepath={azure_property(r.path)}"]
            if p.line is not None:
                props.append(f"linenumber={p.line}")
                if p.column:
                    props.append(f"columnnumber={p.column}")
            props.append(f"code={p.code}")
            prefix = "info: " if p.severity.value == "info" else ""
            message = f"{prefix}{p.code} {p.name}: {p.text()}"
            out.write(f"##vso[task.logissue {';'.join(props)};]{azure_data(message)}\n")
    if not options.get("quiet"):
        total = total_summary(results)
        out.write(f"automl-lint: {total['problems']} problem(s) ({total['errors']} error(s), {total['warnings']} "
                  f"warning(s), {total['infos']} info) in {total['records']} record(s). "
                  f"{verdict_sentence(total['automl'])}\n")

