"""``--format junit``: JUnit XML for Azure DevOps ``PublishTestResults@2``, GitLab and Jenkins.

One test suite per file and one failed test case per problem (so the failure counts equal the problem
counts of ``--format json``); a file without problems gets one passing test case.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TextIO

from automl_lint.engine import FileResult
from automl_lint.escape import xml_text
from automl_lint.verdict import file_summary, verdict_sentence


def document(results: list[FileResult]) -> ET.Element:
    suites = ET.Element("testsuites", name="automl-lint")
    tests = failures = 0
    for r in results:
        summary = file_summary(r)
        path = xml_text(r.path)
        suite = ET.SubElement(suites, "testsuite", name=path, errors="0", skipped="0")
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="task", value=str(r.task))
        ET.SubElement(props, "property", name="records", value=str(r.records))
        ET.SubElement(props, "property", name="automl", value=verdict_sentence(summary["automl"]))
        if not r.problems:
            ET.SubElement(suite, "testcase", name="automl-lint", classname=path)
        for p in r.problems:
            where = f"line {p.line}" if p.line is not None else "file"
            pointer = xml_text(p.pointer)
            if p.pointer:
                where += " " + pointer
            message = xml_text(p.message)
            case = ET.SubElement(suite, "testcase", name=f"{p.code} {p.name} ({where})", classname=path)
            if p.line is not None:
                case.set("file", path)
                case.set("line", str(p.line))
            failure = ET.SubElement(case, "failure", message=message, type=p.severity.value)
            failure.text = (f"{path}:{p.line if p.line is not None else '-'}: {p.code} [{p.severity.value}] "
                            f"{message}\npointer: {pointer or '-'}\nimage_url: {xml_text(p.image_url or '-')}\n"
                            f"AutoML consequence: {p.consequence.value}")
        n = max(len(r.problems), 1)
        suite.set("tests", str(n))
        suite.set("failures", str(len(r.problems)))
        tests += n
        failures += len(r.problems)
    suites.set("tests", str(tests))
    suites.set("failures", str(failures))
    suites.set("errors", "0")
    return suites


def report(results: list[FileResult], out: TextIO, options: dict) -> None:
    root = document(results)
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")
