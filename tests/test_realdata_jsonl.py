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
