"""Regression suite: on the oracle corpus, automl-lint's verdict per line matches AutoML's reader classes.

tests/oracle_cases/expected/*.json were produced by running Microsoft's reader classes (../shared/oracle)
on each case file, for the legacy runtime's models and for the mmdet/hf runtimes (``<stem>.mmdet.json``,
``<stem>.hf.json``); this test needs neither the oracle nor ../shared. Differences the corpus README explains
(the reference and the reader classes disagree) are accepted by scripts/oracle_compare.tolerance.
"""

import importlib.util
import json

import pytest

from automl_lint import engine
from automl_lint.settings import Settings
from conftest import ROOT

CASES = ROOT / "tests" / "oracle_cases"
TASKS = {"mc": "multiclass", "ml": "multilabel", "od": "object-detection", "is": "instance-segmentation"}
MODELS = {"frcnn": "fasterrcnn", "maskrcnn": "maskrcnn", "retinanet": "retinanet", "yolov5": "yolov5", None: "all"}
RUNTIMES = ("mmdet", "hf")

_spec = importlib.util.spec_from_file_location("oracle_compare", ROOT / "scripts" / "oracle_compare.py")
compare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare)


def _expected():
    for path in sorted((CASES / "expected").glob("*.json")):
        yield path


@pytest.mark.parametrize("expected_path", list(_expected()), ids=lambda p: p.stem)
def test_linter_agrees_with_automl_reader_classes(expected_path):
    exp = json.loads(expected_path.read_text())
    case = CASES / (expected_path.name.split(".")[0] + ".jsonl")
    task = exp["task"]
    model = exp.get("model")
    if model in RUNTIMES:  # the acft runtimes: MMDetection (od, is) and Hugging Face (mc, ml) models
        settings = Settings(task=TASKS[task], runtime=model, jobs=1)
    else:
        settings = Settings(task=TASKS[task], model=MODELS[model], jobs=1)
    result = engine.lint_file(str(case), settings)
    per_line: dict = {}
    for p in result.problems:
        if p.line is not None:
            per_line.setdefault(p.line, []).append(p.to_dict())
    ctx = compare.FileContext(str(case), task)
    mismatches = []
    for line in exp["lines"]:
        n, oracle = line["line"], line["verdict"]
        ours = compare.linter_verdict(per_line.get(n, []))
        if ours != oracle and not compare.tolerance(n, ctx, line, exp.get("dataset", {}), ours):
            mismatches.append((n, oracle, ours, line.get("case"), [p["code"] for p in per_line.get(n, [])]))
    assert not mismatches
    fails = any(p.consequence.value == "fails-job" for p in result.problems)
    if exp.get("dataset", {}).get("verdict") == "reject":
        assert fails, "AutoML fails the job on this file; automl-lint must say so"
