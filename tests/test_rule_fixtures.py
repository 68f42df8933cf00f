"""Every rule has a fixture in fixtures/invalid that triggers it at the expected line."""

import json

import pytest

from automl_lint.rules import all_rules
from conftest import FIXTURES, codes_at

MANIFEST = json.loads((FIXTURES / "invalid" / "expected.json").read_text())
# Rules exercised elsewhere: train/validation pairs (test_splits), tool rules, images and MLTable (their own tests).
ELSEWHERE = {"AML011", "AML015", "AML151", "AML152", "AML620", "AML621", "AML622"}  # AML015: test_reading_settings


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_fixture_reports_its_rule_at_the_right_line(name, run_json):
    case = MANIFEST[name]
    rc, doc = run_json(FIXTURES / "invalid" / name, "--task", case["task"], *case.get("args", []))
    found = codes_at(doc)
    for line, code in case["expect"]:
        assert (line, code) in found, f"{code} expected at line {line}; found {sorted(found, key=str)}"
    severities = {p["severity"] for p in doc["files"][0]["problems"]}
    assert rc == (1 if "error" in severities else 0)


def test_every_rule_of_the_linter_families_has_a_fixture():
    covered = {code for case in MANIFEST.values() for _, code in case["expect"]}
    families = ("AML0", "AML1", "AML2", "AML3", "AML4", "AML5", "AML6")
    missing = [r.code for r in all_rules() if r.code.startswith(families) and r.code not in covered | ELSEWHERE]
    assert not missing, f"rules without a fixture: {missing}"


@pytest.mark.parametrize("task", ["multiclass", "multilabel", "object-detection", "instance-segmentation"])
def test_documented_examples_have_no_error(task, run_json):
    rc, doc = run_json(FIXTURES / "valid" / f"{task}.jsonl")
    assert rc == 0
    assert doc["files"][0]["task"] == task and doc["files"][0]["task_inferred"] is True
    assert not [p for p in doc["files"][0]["problems"] if p["severity"] == "error"]


@pytest.mark.parametrize("task", ["multiclass", "multilabel", "object-detection", "instance-segmentation"])
def test_documented_prediction_examples_are_clean(task, run_json):
    rc, doc = run_json(FIXTURES / "predictions" / f"{task}.jsonl", "--kind", "predictions", "--task", task)
    assert rc == 0 and doc["files"][0]["problems"] == []
