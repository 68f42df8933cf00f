"""Opt-in (pytest -m realdata): the text checks on real public AutoML JSONL in ../shared/realdata."""

import json
from collections import Counter

import pytest

from automl_lint.cli import main
from conftest import ROOT

REAL = ROOT.parent / "shared" / "realdata"
pytestmark = [pytest.mark.realdata,
              pytest.mark.skipif(not REAL.is_dir(), reason="../shared/realdata is not beside the checkout")]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("real") / "report.json"
    assert main([str(REAL), "--format", "json", "--output-file", str(out), "--exit-zero"]) == 0
    return json.loads(out.read_text())


def _files(report, needle):
    files = [f for f in report["files"] if needle in f["path"]]
    assert files, needle
    return files


def test_every_real_file_is_read_and_its_task_inferred(report):
    assert len(report["files"]) >= 70
    assert all(f["task"] for f in report["files"])
    assert not [p for f in report["files"] for p in f["problems"] if p["code"].startswith("AML0")]


def test_official_fridge_examples_have_no_error(report):
    for f in _files(report, "Azure__azureml-examples"):
        assert not [p for p in f["problems"] if p["severity"] == "error"], f["path"]


@pytest.mark.parametrize("task", ["multiclass", "multilabel", "object-detection", "instance-segmentation"])
def test_fridge_covers_all_four_tasks(report, task):
    assert any(f["task"] == task for f in _files(report, "Azure__azureml-examples"))


def test_placeholder_image_urls_are_unresolvable_on_every_line(report):
    for f in _files(report, "mini-tumors/data__training-mltable-folder__train_annotations__b2f5fffa"):
        lines = {p["line"] for p in f["problems"] if p["code"] == "AML202"}
        assert lines == set(range(1, f["records"] + 1))
        assert any(p["code"] == "AML602" for p in f["problems"])  # no image survives: the job fails


def test_upper_case_format_is_one_finding_for_the_file_not_one_per_line(report):
    f = _files(report, "ArturoAitbol__tuning-hyperparameters/fire_images.jsonl")[0]
    codes = Counter(p["code"] for p in f["problems"])
    assert codes["AML107"] == 1 and codes["AML103"] < 5  # the real deviations (GIF) stay per line
    case = next(p for p in f["problems"] if p["code"] == "AML107")
    assert case["line"] == 1 and "on 997 record(s)" in case["message"]
    assert all(p["consequence"] == "none" for p in f["problems"])


def test_fashionpedia_class_distribution_is_reported(report):
    f = _files(report, "fashionpedia")[0]
    assert {"AML609", "AML610"} <= {p["code"] for p in f["problems"]}


def test_fridge_segmentation_spurious_origins_are_stray_vertices(report):
    """The 2022-05-27 fridge polygons start 218 segments (216 polygons) at 0.0, 0.0; the other versions do not."""
    for f in _files(report, "instance-segmentation-task-fridge-items"):
        stray = [p for p in f["problems"] if p["code"] == "AML510"]
        if "6c4286354" not in f["path"]:
            assert stray == [], f["path"]
            continue
        expected = 218 if "train_annotations" in f["path"] else 50
        assert len(stray) == expected
        assert all("(0, 0)" in p["message"] for p in stray)


def _one(*args):
    import io
    import sys

    out = io.StringIO()
    old, sys.stdout = sys.stdout, out
    try:
        rc = main([*map(str, args), "--format", "json", "--isolated"])
    finally:
        sys.stdout = old
    return rc, json.loads(out.getvalue())


@pytest.mark.parametrize("name, what", [
    ("Azure__azureml-examples/python-sdk__tutorials__automl-with-azureml__image-object-detection__odFridgeObjects_coco.json",
     "COCO JSON"),
    ("Azure__azureml-examples/sdk__python__foundation-models__system__evaluation__image-instance-segmentation__"
     "odFridgeObjectsMask_coco_rle.json", "COCO JSON"),
    ("Azure__azureml-examples/cli__jobs__automl-standalone-jobs__cli-automl-image-classification-multilablel-task-"
     "fridge-items__data__multilabelFridgeObjects__labels.csv", "CSV table"),
])
def test_real_files_in_other_formats_get_one_error(name, what):
    rc, doc = _one(REAL / name)
    problems = doc["files"][0]["problems"]
    assert rc == 1 and [p["code"] for p in problems] == ["AML016"] and what in problems[0]["message"]


def test_the_real_detection_file_linted_as_multiclass_is_one_wrong_task_error():
    name = ("Azure__azureml-examples/cli__jobs__automl-standalone-jobs__cli-automl-image-object-detection-task-"
            "fridge-items__data__training-mltable-folder__train_annotations__6c4286354.jsonl")
    rc, doc = _one(REAL / name, "--task", "mc")
    problems = doc["files"][0]["problems"]
    assert rc == 1 and [p["code"] for p in problems] == ["AML106"] and "--task od" in problems[0]["message"]
    assert doc["summary"]["hidden"]["wrong_task"] > 100 and doc["summary"]["automl"]["fails_job"]
