"""Training/validation pairs: class sets, YOLOv5's silent relabelling, leakage; --validation and --pair."""

from conftest import FIXTURES

TRAIN = FIXTURES / "pairs" / "od-train.jsonl"
VALID = FIXTURES / "pairs" / "od-validation.jsonl"


def _file_codes(doc, role):
    f = next(f for f in doc["files"] if f["role"] == role)
    return {p["code"]: p for p in f["problems"] if p["line"] is None}


def test_pair_reports_class_mismatch_yolo_shift_and_leakage(run_json):
    rc, doc = run_json(TRAIN, "--task", "od", "--validation", VALID)
    codes = _file_codes(doc, "validation")
    assert {"AML620", "AML621", "AML622"} <= set(codes)
    assert "'b'" in codes["AML620"]["message"] and "line 6" in codes["AML622"]["message"]
    assert rc == 1  # AML621 is an error: YOLOv5 trains objects under the wrong class


def test_pair_positional_equals_validation_option(run_json):
    _, a = run_json(TRAIN, "--task", "od", "--validation", VALID)
    _, b = run_json(TRAIN, VALID, "--task", "od", "--pair")
    assert a["files"] == b["files"]


def test_yolo_shift_not_reported_when_yolov5_is_excluded(run_json):
    _, doc = run_json(TRAIN, "--task", "od", "--validation", VALID, "--model", "fasterrcnn")
    codes = _file_codes(doc, "validation")
    assert "AML620" in codes and "AML621" not in codes


def test_single_image_classification_passes_with_validation(tmp_path, run_json):
    one = tmp_path / "one.jsonl"
    one.write_text('{"image_url": "AmlDatastore://ds/a.jpg", "label": "can"}\n')
    val = tmp_path / "val.jsonl"
    val.write_text('{"image_url": "AmlDatastore://ds/b.jpg", "label": "can"}\n')
    _, alone = run_json(one, "--task", "mc")
    assert "AML607" in _file_codes(alone, "training")
    _, paired = run_json(one, "--task", "mc", "--validation", val)
    assert "AML607" not in _file_codes(paired, "training")
