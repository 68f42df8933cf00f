"""CI output formats: GitHub annotations within GitHub's limits, SARIF against the official schema,
JUnit counts equal to the JSON report, Azure logging commands, GitLab Code Quality, --statistics."""

import json
import pathlib
import re
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from automl_lint.cli import main

SARIF_SCHEMA = pathlib.Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def record(i: int, top_x=0.1, bottom_x=0.6, label="cat", **extra) -> str:
    return json.dumps({"image_url": f"AmlDatastore://ds/img_{i}.jpg", "label": [
        {"label": label, "topX": top_x, "topY": 0.1, "bottomX": bottom_x, "bottomY": 0.6, "isCrowd": 0, **extra}]})


def messy_lines(n: int) -> list[str]:
    """Errors (inverted boxes), warnings (string coordinates, padded class names) and infos (blank lines)."""
    lines = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            lines.append(record(i, top_x=0.7, bottom_x=0.2))
        elif kind == 1:
            lines.append(record(i, top_x="0.1"))
        elif kind == 2:
            lines.append(record(i, label=" dog "))
        else:
            lines.append(record(i))
            lines.append("")
    return lines


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


def write(path: pathlib.Path, lines: list[str]) -> pathlib.Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(capsys, *args) -> tuple[int, str]:
    rc = main([*map(str, args)])
    return rc, capsys.readouterr().out


def json_report(capsys, *args) -> dict:
    _, out = run(capsys, *args, "--format", "json", "--exit-zero")
    return json.loads(out)


def test_github_annotations_respect_the_per_step_limits_on_thousands_of_findings(workdir, capsys, monkeypatch):
    data = write(workdir / "train.jsonl", messy_lines(4000))
    summary = workdir / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    rc, out = run(capsys, data, "--task", "od", "--format", "github")
    assert rc == 1
    commands = [line for line in out.splitlines() if line.startswith("::")]
    by_level = {lvl: [c for c in commands if c.startswith(f"::{lvl} ")] for lvl in ("error", "warning", "notice")}
    assert 1 <= len(by_level["error"]) <= 10
    assert 1 <= len(by_level["warning"]) <= 10
    assert 1 <= len(by_level["notice"]) <= 10
    assert len(commands) <= 50
    # Aggregated per rule, with the count: nothing important is silently lost.
    inverted = [c for c in by_level["error"] if "AML408" in c]
    assert inverted and "1000 finding(s)" in inverted[0]
    assert all(re.match(r"::\w+ file=train\.jsonl(,line=\d+)?(,col=\d+)?,title=[^:]+::.+", c) for c in commands)
    text = summary.read_text()
    assert "| train.jsonl | object-detection |" in text and "AML408 `box-inverted`" in text and "| 1000 |" in text


def test_github_annotations_are_individual_when_few(workdir, capsys):
    data = write(workdir / "train.jsonl", [record(1, top_x=0.7, bottom_x=0.2)] + [record(i) for i in range(2, 12)])
    rc, out = run(capsys, data, "--task", "od", "--format", "github")
    assert rc == 1
    # The column is where the offending value starts on its line (bottomX of the first box).
    line = next(l for l in out.splitlines() if "AML408" in l)
    col = int(re.search(r",col=(\d+),", line).group(1))
    assert line.startswith(f"::error file=train.jsonl,line=1,col={col},title=AML408 box-inverted::")
    raw = data.read_text().splitlines()[0]
    assert raw[col - 1:].startswith("0.2")


def test_github_escapes_newlines_and_property_separators(workdir, capsys):
    data = write(workdir / "a,b:c.jsonl", ['{"image_url": "AmlDatastore://ds/x.jpg", "label": "cat"} x'])
    _, out = run(capsys, data, "--format", "github", "--quiet")
    assert out.startswith("::") and "file=a%2Cb%3Ac.jsonl" in out


def test_sarif_validates_against_the_official_schema(workdir, capsys):
    data = write(workdir / "train.jsonl", messy_lines(40) + ["not json"])
    rc, out = run(capsys, data, "--task", "od", "--format", "sarif")
    assert rc == 1
    doc = json.loads(out)
    jsonschema.validate(doc, json.loads(SARIF_SCHEMA.read_text()))
    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    for r in run_["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        loc = r["locations"][0]["physicalLocation"]["artifactLocation"]
        assert loc == {"uri": "train.jsonl", "uriBaseId": "%SRCROOT%"}
    meta = rules[[r["id"] for r in rules].index("AML408")]
    assert meta["name"] == "box-inverted" and meta["defaultConfiguration"]["level"] == "error"
    assert meta["shortDescription"]["text"] and meta["fullDescription"]["text"] and meta["help"]["markdown"]


def fingerprints(doc: dict) -> dict:
    return {(r["ruleId"], r["properties"].get("image_url"), r["properties"]["pointer"]):
            r["partialFingerprints"]["automlLint/v1"] for r in doc["runs"][0]["results"]}


def test_sarif_fingerprints_survive_inserted_lines(workdir, capsys):
    lines = [record(i) for i in range(12)] + [record(99, top_x=0.7, bottom_x=0.2), "not json"]
    data = write(workdir / "train.jsonl", lines)
    before = fingerprints(json.loads(run(capsys, data, "--task", "od", "--format", "sarif")[1]))
    write(data, [record(100 + i) for i in range(5)] + lines)
    after_doc = json.loads(run(capsys, data, "--task", "od", "--format", "sarif")[1])
    after = fingerprints(after_doc)
    assert ("AML408", "AmlDatastore://ds/img_99.jpg", "/label/0/bottomX") in before
    assert before == after
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after_doc["runs"][0]["results"]
            if r["ruleId"] == "AML408"} == {18}


def test_junit_counts_equal_the_json_report(workdir, capsys):
    bad = write(workdir / "train.jsonl", messy_lines(30))
    good = write(workdir / "clean.jsonl", [record(i) for i in range(12)])
    _, out = run(capsys, bad, good, "--task", "od", "--format", "junit")
    suites = ET.fromstring(out)
    doc = json_report(capsys, bad, good, "--task", "od")
    assert int(suites.get("failures")) == doc["summary"]["problems"]
    for suite, f in zip(suites.findall("testsuite"), doc["files"]):
        assert suite.get("name") == f["path"]
        assert int(suite.get("failures")) == len(f["problems"]) == len(suite.findall("testcase/failure"))
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
    assert suites.findall("testsuite")[1].get("failures") == "0"


def test_azure_logging_commands(workdir, capsys):
    data = write(workdir / "train.jsonl", [record(1, top_x=0.7, bottom_x=0.2), ""] + [record(i) for i in range(2, 12)])
    _, out = run(capsys, data, "--task", "od", "--format", "azure")
    lines = out.splitlines()
    assert any(line.startswith("##vso[task.logissue type=error;sourcepath=") and
               re.search(r"linenumber=1;(columnnumber=\d+;)?code=AML408;\]", line) for line in lines)
    assert any("type=warning" in line and "code=AML007;]info: " in line for line in lines)


def test_gitlab_code_quality_has_stable_fingerprints(workdir, capsys):
    lines = [record(i) for i in range(12)] + [record(99, top_x=0.7, bottom_x=0.2)]
    data = write(workdir / "train.jsonl", lines)
    first = json.loads(run(capsys, data, "--task", "od", "--format", "gitlab")[1])
    write(data, [record(200)] + lines)
    second = json.loads(run(capsys, data, "--task", "od", "--format", "gitlab")[1])
    assert [i["fingerprint"] for i in first] == [i["fingerprint"] for i in second]
    issue = first[0]
    assert issue["check_name"] == "AML408" and issue["severity"] == "critical"
    assert issue["location"] == {"path": "train.jsonl", "lines": {"begin": 13}}
    assert len({i["fingerprint"] for i in first}) == len(first)


def test_statistics_counts_per_rule_most_frequent_first(workdir, capsys):
    data = write(workdir / "train.jsonl", messy_lines(40))
    _, out = run(capsys, data, "--task", "od", "--statistics", "--quiet")
    rows = [line.split("\t") for line in out.splitlines()]
    counts = [int(r[0]) for r in rows]
    assert counts == sorted(counts, reverse=True)
    assert ["10", "AML408"] == [rows[[r[1] for r in rows].index("AML408")][0].strip(), "AML408"]


def test_output_file_receives_the_report(workdir, capsys):
    data = write(workdir / "train.jsonl", messy_lines(8))
    rc = main([str(data), "--task", "od", "--format", "sarif", "--output-file", str(workdir / "out.sarif")])
    assert rc == 1 and capsys.readouterr().out == ""
    assert json.loads((workdir / "out.sarif").read_text())["version"] == "2.1.0"
