"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

URIs are relative to the repository root (``%SRCROOT%``). Each result carries a ``partialFingerprints``
entry built from the rule, the path, the record's ``image_url`` and the JSON pointer, never the line
number, so alerts survive records being added or removed above them.
"""

from __future__ import annotations

import pathlib
from typing import TextIO

import orjson

from automl_lint import __version__
from automl_lint.baseline import finding_keys, relative_path, repository_root
from automl_lint.engine import FileResult
from automl_lint.escape import json_bytes, sarif_text, uri_reference
from automl_lint.rules import Rule, all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "automlLint/v1"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def document(results: list[FileResult]) -> dict:
    root = repository_root()
    rules = all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    sarif_results = []
    for r in results:
        uri = relative_path(r.path, root)
        for p, key in zip(r.problems, finding_keys(r, root)):
            location: dict = {"artifactLocation": _artifact(uri)}
            if p.line is not None:
                region = {"startLine": p.line}
                if p.column:
                    region["startColumn"] = p.column
                location["region"] = region
            properties = {"consequence": p.consequence.value, "pointer": p.pointer}
            if p.image_url:
                properties["image_url"] = p.image_url
            sarif_results.append({
                "ruleId": p.code,
                "ruleIndex": index[p.code],
                "level": LEVEL[p.severity.value],
                "message": {"text": sarif_text(p.text())},
                "locations": [{"physicalLocation": location,
                               **({"logicalLocations": [{"fullyQualifiedName": p.pointer, "kind": "member"}]}
                                  if p.pointer else {})}],
                "partialFingerprints": {FINGERPRINT: key.fingerprint()},
                "properties": properties,
            })
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "automl-lint",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule(r) for r in rules],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": pathlib.Path(root).as_uri() + "/"}},
            "results": sarif_results,
            "columnKind": "unicodeCodePoints",
        }],
    }


def _artifact(uri: str) -> dict:
    if uri.startswith("/"):
        return {"uri": "file://" + uri_reference(uri)}
    if uri == "<stdin>":
        return {"uri": "stdin"}
    return {"uri": uri_reference(uri), "uriBaseId": "%SRCROOT%"}


def _rule(r: Rule) -> dict:
    markdown = (f"**{r.code} {r.name}** (default severity: {r.severity.value}; AutoML consequence: "
                f"{r.consequence.value})\n\n### What it does\n{r.what}\n\n### Why it matters\n{r.why}\n\n"
                f"### Example\n{r.example}\n\n### How to fix\n{r.fix}\n")
    return {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": f"{r.what} {r.why}"[:1000]},
        "help": {"text": f"{r.why}\nFix: {r.fix}", "markdown": markdown},
        "defaultConfiguration": {"level": LEVEL[r.severity.value]},
        "properties": {
            "tags": ["automl-lint", r.family, r.consequence.value],
            "precision": "very-high",
            "problem.severity": {"error": "error", "warning": "warning", "info": "recommendation"}[r.severity.value],
            "consequence": r.consequence.value,
        },
    }


def report(results: list[FileResult], out: TextIO, options: dict) -> None:
    out.write(json_bytes(document(results), orjson.OPT_INDENT_2).decode())
    out.write("\n")
