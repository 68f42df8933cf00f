"""--images and MLTable on the real public data in ../shared/realdata (opt-in: pytest -m realdata)."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.realdata

REAL = ROOT.parent / "shared" / "realdata"
FRIDGE = REAL / "Azure__azureml-examples" / "tree@6c4286354" / "cli" / "jobs" / "automl-standalone-jobs"
CARBIKE = REAL / "RonaldChoqueFuentes__Diplomado_ML_2023-Proyecto_1-Ronald-Mayra"
XRAY = REAL / "szelor__automl-cv"
TUMORS = REAL / "gakhromov__mini-tumors"
_LOCAL_UPLOAD = re.compile(r"^(.*?/paths/LocalUpload/[0-9a-f]+/)")

if not REAL.is_dir():
    pytest.skip("../shared/realdata is not available", allow_module_level=True)


def _prefix(jsonl: Path) -> str:
    with open(jsonl, encoding="utf-8") as fh:
        return _LOCAL_UPLOAD.match(json.loads(fh.readline())["image_url"]).group(1)


def _count(doc, role=None):
    return Counter(p["code"] for f in doc["files"] if role in (None, f["role"]) for p in f["problems"])


def test_car_bike_every_extension_mismatch_is_found(run_json, tmp_path):
    jsonl = CARBIKE / "car_bike_objects.jsonl"
    root = CARBIKE / "images_subset@5b8034c9f" / "data"
    _, doc = run_json(jsonl, "--images", "--map", f"{_prefix(jsonl)}={root}", "--image-cache", tmp_path,
                      "--select", "AML70,AML716")
    counts = _count(doc)
    assert counts["AML703"] == 13  # all 13 files whose content is not what the extension says
    # Only 60 of the 4000 images are kept in realdata: one AML716 says the location looks wrong, instead of 3940
    # AML701 findings that would each claim a dropped image.
    assert counts["AML716"] == 1 and counts["AML701"] == 0
    assert next(p["message"] for f in doc["files"] for p in f["problems"] if p["code"] == "AML716").startswith(
        "3940 of 4000 located images were not found")
    assert counts["AML702"] == 0 and counts["AML704"] == 0


def test_xray_pngs_named_jpg_are_found(run_json, tmp_path):
    root = XRAY / "tree@d41905a" / "Xray Multi-Class Classification"
    _, doc = run_json(XRAY / "Xray_Multi-Class_Classification__Xray__train_annotations.jsonl", "--validation",
                      XRAY / "Xray_Multi-Class_Classification__Xray__validation_annotations.jsonl", "--images=full",
                      "--datastore", f"workspaceblobstore={root}", "--image-cache", tmp_path)
    counts = _count(doc)
    assert counts["AML703"] == 25 and counts["AML701"] == 0 and counts["AML702"] == 0
    assert counts["AML706"] == 2  # the two RGBA images lose their alpha channel


def test_mini_tumors_wrong_declared_height_on_every_line(run_json, tmp_path):
    jsonl = TUMORS / "data__validation-mltable-folder__validation_annotations__52033550.jsonl"
    root = TUMORS / "images_subset@52033550" / "data"
    _, doc = run_json(jsonl, "--images", "--map", f"{_prefix(jsonl)}={root}", "--image-cache", tmp_path)
    by_line = {}
    for p in doc["files"][0]["problems"]:
        by_line.setdefault(p["line"], set()).add(p["code"])
    lines = sum(1 for _ in open(jsonl, encoding="utf-8"))
    # Every line whose image is in realdata (100) has the wrong height; the rest are not in realdata: when most
    # located images are missing, one AML716 names the likely wrong location instead of an AML701 per line.
    with_image = {n for n, codes in by_line.items() if "AML704" in codes}
    assert len(with_image) == 100
    missing = lines - 100
    if missing > 100:
        assert _count(doc)["AML716"] == 1 and _count(doc)["AML701"] == 0
    else:
        assert all(by_line.get(n, set()) & {"AML704", "AML701"} for n in range(1, lines + 1))


@pytest.mark.parametrize("task", sorted(p.name for p in FRIDGE.iterdir()) if FRIDGE.is_dir() else [])
def test_fridge_mltable_folders_with_their_images_are_clean_of_mltable_and_image_findings(run_json, tmp_path,
                                                                                          task):
    data = FRIDGE / task / "data"
    train = data / "training-mltable-folder"
    prefix = _prefix(next(train.glob("*.jsonl")))
    _, doc = run_json(train, "--validation", data / "validation-mltable-folder", "--images=full", "--map",
                      f"{prefix}={data}", "--image-cache", tmp_path)
    assert [f["kind"] for f in doc["files"]].count("mltable") == 2
    assert [f["path"] for f in doc["files"] if f["kind"] != "mltable"]  # the JSONL files were linted
    counts = _count(doc)
    assert not {c for c in counts if c.startswith(("AML7", "AML8"))}, counts
    if "object-detection" in task:
        assert sum(counts.values()) == 0, counts  # the fridge OD dataset is clean
