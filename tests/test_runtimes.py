"""Runtimes (legacy, mmdet, hf), the model names that choose them, and the job settings that change consequences
(--batch-size, --strict, --validation-metric). What each runtime does per line is pinned against Microsoft's
readers by tests/test_oracle_regression.py; this file pins the choices, the worst case, the numbers and the flags."""

import json

import pytest

from automl_lint import engine, runtime
from automl_lint.settings import Settings

U = "AmlDatastore://ds/"


def _box(label="can", crowd=0, **extra):
    d = {"label": label, "topX": 0.1, "topY": 0.1, "bottomX": 0.5, "bottomY": 0.5, "isCrowd": crowd}
    d.update(extra)
    return d


def _write(tmp_path, records, name="data.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _od(i, *anns):
    return {"image_url": f"{U}img_{i:03}.jpg", "label": list(anns)}


def _filler(n=10, start=100):
    return [_od(start + i, _box("can"), _box("carton")) for i in range(n)]


def _problems(doc, line=None):
    return [p for f in doc["files"] for p in f["problems"] if p["line"] == line]


# --- choosing the runtime ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, task, expected", [
    ("yolov5", "object-detection", "legacy"),
    ("fasterrcnn_resnet50_fpn", "object-detection", "legacy"),
    ("retinanet_resnet50_fpn", "object-detection", "legacy"),
    ("atss_r50_fpn_1x_coco", "object-detection", "mmdet"),
    ("mmd-3x-yolof_r50_c5_8x8_1x_coco", "object-detection", "mmdet"),
    ("YOLOv5", "object-detection", "mmdet"),  # the selector matches exactly
    ("maskrcnn_resnet50_fpn", "instance-segmentation", "legacy"),
    ("fasterrcnn_resnet50_fpn", "instance-segmentation", "mmdet"),  # not a segmentation model of the runtime
    ("vitb16r224", "multiclass", "legacy"),
    ("seresnext", "multilabel", "legacy"),
    ("microsoft/beit-base-patch16-224-pt22k-ft22k", "multiclass", "hf"),
    ("google/vit-base-patch16-224", "multilabel", "hf"),
])
def test_model_name_picks_the_runtime_like_the_framework_selector(name, task, expected):
    assert runtime.select(name, task) == expected


def test_a_sweep_of_model_names_reads_with_every_runtime_it_names():
    s = Settings(model_names=["yolov5", "atss_r50_fpn_1x_coco"])
    assert runtime.runtimes_for(s, "object-detection") == ("legacy", "mmdet")
    assert runtime.legacy_models(s, "object-detection") == {"yolov5"}
    assert not s.uses_rcnn("object-detection") and s.uses_yolo("object-detection")
    assert runtime.runtimes_for(Settings(runtime="mmdet"), "multiclass") == ("hf",)
    assert runtime.runtimes_for(Settings(), "instance-segmentation") == ("legacy",)


@pytest.mark.parametrize("args", [
    ["--runtime", "mmdet", "--model-name", "yolov5"],
    ["--runtime", "mmdet", "--model", "yolov5"],
    ["--model-name", "yolov5", "--model", "fasterrcnn"],
    ["--runtime", "hf", "--strict"],
    ["--batch-size", "4"],
])
def test_settings_that_describe_no_single_job_are_a_usage_error(args, tmp_path, capsys):
    from automl_lint.cli import main

    path = _write(tmp_path, _filler())
    assert main([str(path), "--task", "od", "--isolated", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("automl-lint: error: ") and err.count("\n") == 1


def test_configuration_keys_of_the_runtime(tmp_path):
    from automl_lint import api

    cfg = tmp_path / "automl-lint.toml"
    cfg.write_text('model-names = ["yolov5", "atss_r50_fpn_1x_coco"]\nbatch-size = 4\nstrict = true\n'
                   'validation-metric = "coco"\n')
    settings, _ = api.configure(config=str(cfg))
    assert (settings.model_names, settings.batch_size, settings.strict, settings.validation_metric) == (
        ["yolov5", "atss_r50_fpn_1x_coco"], 4, True, "coco")
    cfg.write_text('model-names = ["yolov5", "atss_r50_fpn_1x_coco"]\n')
    settings, _ = api.configure(config=str(cfg), runtime="mmdet")  # an explicit runtime replaces the sweep
    assert settings.model_names == [] and settings.runtime == "mmdet"
    cfg.write_text('validation-metric = "map"\n')
    with pytest.raises(api.UsageError):
        api.configure(config=str(cfg))


# --- per line ---------------------------------------------------------------------------------------------------

def test_mmdet_keeps_float_labels_and_fails_on_list_labels(tmp_path, run_json):
    path = _write(tmp_path, [_od(1, _box(2.0)), _od(2, _box(["can"]))] + _filler())
    _, doc = run_json(path, "--task", "od", "--runtime", "mmdet", "--isolated")
    first, second = _problems(doc, 1), _problems(doc, 2)
    assert [(p["code"], p["consequence"]) for p in first] == [("AML406", "none")]
    assert "mmdet runtime keeps it as the class 2.0" in first[0]["message"]
    assert ("AML406", "fails-job") in [(p["code"], p["consequence"]) for p in second]
    _, doc = run_json(path, "--task", "od", "--isolated")  # legacy: both images are skipped
    assert {p["consequence"] for p in _problems(doc, 1) + _problems(doc, 2) if p["code"] == "AML406"} == {
        "drops-image"}


def test_mmdet_has_no_background_class_so_integer_labels_are_fine(tmp_path, run_json):
    path = _write(tmp_path, [_od(i, _box(i % 3)) for i in range(12)])
    _, legacy = run_json(path, "--task", "od", "--isolated")
    _, mmdet = run_json(path, "--task", "od", "--runtime", "mmdet", "--isolated")
    assert any(p["code"] == "AML414" for p in legacy["files"][0]["problems"])
    assert not [p for p in mmdet["files"][0]["problems"] if p["consequence"] != "none"]


def test_background_image_drops_for_detection_and_fails_segmentation_with_batch_size_one(tmp_path, run_json):
    od = _write(tmp_path, [_od(1)] + _filler(), "od.jsonl")
    _, doc = run_json(od, "--task", "od", "--runtime", "mmdet", "--isolated")
    assert [(p["code"], p["consequence"]) for p in _problems(doc, 1)] == [("AML417", "drops-image")]
    _, doc = run_json(od, "--task", "od", "--runtime", "mmdet", "--batch-size", "1", "--isolated")
    assert [(p["code"], p["consequence"]) for p in _problems(doc, 1)] == [("AML417", "fails-job")]
    _, doc = run_json(od, "--task", "od", "--isolated")
    assert _problems(doc, 1) == []  # the legacy runtime trains it as a negative


def test_background_line_on_an_image_another_line_annotates_adds_nothing(tmp_path, run_json):
    path = _write(tmp_path, [_od(1), _od(1, _box())] + _filler())
    _, doc = run_json(path, "--task", "od", "--runtime", "mmdet", "--isolated")
    [p] = [p for p in _problems(doc, 1) if p["code"] == "AML417"]
    assert p["consequence"] == "none" and "line 2 annotates" in p["message"]


def test_over_a_sweep_each_line_gets_the_worst_case_and_names_the_runtime(tmp_path, run_json):
    path = _write(tmp_path, [_od(1, _box(2.0)), _od(2), _od(3, _box(" can"))] + _filler())
    _, doc = run_json(path, "--task", "od", "--model-name", "fasterrcnn_resnet50_fpn", "--model-name",
                      "atss_r50_fpn_1x_coco", "--isolated")
    line1 = {(p["consequence"], p["message"][p["message"].rindex("["):]) for p in _problems(doc, 1)
             if p["code"] == "AML406"}
    assert line1 == {("drops-image", "[legacy runtime]"), ("none", "[mmdet runtime]")}
    [bg] = _problems(doc, 2)
    assert bg["code"] == "AML417" and bg["message"].endswith("[mmdet runtime]")
    assert any(p["code"] == "AML605" and p["message"].endswith("[legacy runtime]") for p in _problems(doc, 3))


# --- the batch rule ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, k, b, expected", [
    (10, 0, 2, runtime.IMPOSSIBLE),
    (10, 1, 1, runtime.CERTAIN),      # batch size 1: that image is a batch of its own
    (10, 2, 2, runtime.POSSIBLE),     # two of them can meet in one batch
    (11, 1, 2, runtime.POSSIBLE),     # the short last batch holds one image
    (10, 1, 2, runtime.IMPOSSIBLE),
    (10, 6, 2, runtime.CERTAIN),      # 4 usable images for 5 batches
])
def test_one_loader(n, k, b, expected):
    assert runtime.loader_risk(n, k, b) == expected


def test_automatic_split_sizes_are_scikit_learns():
    assert runtime.split_sizes(10) == (8, 2)
    assert runtime.split_sizes(11) == (8, 3)  # the test share is rounded up
    assert runtime.split_sizes(1) == (1, 1)


def test_batch_rule_says_certain_or_possible_with_the_numbers(tmp_path, run_json):
    path = _write(tmp_path, [_od(1), _od(2)] + _filler())
    _, doc = run_json(path, "--task", "od", "--runtime", "mmdet", "--isolated")
    [p] = [p for p in _problems(doc) if p["code"].startswith("AML62")]
    assert p["code"] == "AML624" and p["severity"] == "warning"
    assert "2 of 12 item(s)" in p["message"] and "9 training and 3 validation" in p["message"] and \
        "batch size 2" in p["message"]
    _, doc = run_json(path, "--task", "od", "--runtime", "mmdet", "--batch-size", "1", "--isolated")
    [p] = [p for p in _problems(doc) if p["code"].startswith("AML62")]
    assert p["code"] == "AML623" and p["consequence"] == "fails-job" and "batch size 1" in p["message"]
    _, doc = run_json(path, "--task", "od", "--runtime", "mmdet", "--batch-size", "3", "--isolated")
    assert not [p for p in _problems(doc) if p["code"].startswith("AML62")]  # 9 + 3 items, full batches of 3


def test_batch_rule_with_a_validation_file_judges_each_file_as_one_loader(tmp_path, run_json):
    train = _write(tmp_path, _filler(), "train.jsonl")
    valid = _write(tmp_path, [_od(1), _od(2), _od(3, _box())], "valid.jsonl")
    _, doc = run_json(train, "--validation", valid, "--task", "od", "--runtime", "mmdet", "--isolated")
    f = next(f for f in doc["files"] if f["role"] == "validation")
    [p] = [p for p in f["problems"] if p["code"] == "AML623"]
    assert "2 of 3 image(s)" in p["message"]  # 3 images in 2 batches, 1 usable image


# --- --strict ---------------------------------------------------------------------------------------------------

def test_strict_fails_the_job_where_autoML_would_skip_the_image(tmp_path, run_json):
    bad_box = _box()
    bad_box["bottomX"] = 0.05  # invalid box: the image has no valid annotation left (skipped without an error)
    path = _write(tmp_path, [{"image_url": f"{U}a.jpg", "label": {"label": "can"}}, _od(2, bad_box),
                             {"label": [_box()]}] + _filler())
    _, doc = run_json(path, "--task", "od", "--strict", "--isolated")
    assert {p["code"]: p["consequence"] for p in _problems(doc, 1)} == {"AML401": "fails-job"}
    assert "ignore_data_errors=False" in _problems(doc, 1)[0]["message"]
    assert ("AML416", "drops-image") in [(p["code"], p["consequence"]) for p in _problems(doc, 2)]
    assert ("AML201", "fails-job") in [(p["code"], p["consequence"]) for p in _problems(doc, 3)]
    _, doc = run_json(path, "--task", "od", "--isolated")
    assert {p["code"]: p["consequence"] for p in _problems(doc, 1)} == {"AML401": "drops-image"}


def test_strict_applies_to_classification(tmp_path, run_json):
    path = _write(tmp_path, [{"image_url": f"{U}a.jpg", "label": 1.5}] +
                  [{"image_url": f"{U}b{i}.jpg", "label": "can"} for i in range(10)])
    _, doc = run_json(path, "--task", "mc", "--strict", "--isolated")
    assert {p["code"]: p["consequence"] for p in _problems(doc, 1)} == {"AML301": "fails-job"}


# --- --validation-metric ----------------------------------------------------------------------------------------

def test_coco_metrics_fail_on_a_crowd_only_validation_file(tmp_path, run_json):
    train = _write(tmp_path, _filler(), "train.jsonl")
    valid = _write(tmp_path, [_od(1, _box(crowd=1)), _od(2, _box(crowd="true")), _od(3)], "valid.jsonl")
    rc, doc = run_json(train, "--validation", valid, "--task", "od", "--validation-metric", "coco", "--isolated")
    f = next(f for f in doc["files"] if f["role"] == "validation")
    [p] = [p for p in f["problems"] if p["code"] == "AML625"]
    assert p["consequence"] == "fails-job" and "3 image(s)" in p["message"] and rc == 1
    assert not [p for f in doc["files"] if f["role"] == "training" for p in f["problems"] if p["code"] == "AML625"]
    _, doc = run_json(train, "--validation", valid, "--task", "od", "--isolated")  # voc: no problem
    assert not [p for f in doc["files"] for p in f["problems"] if p["code"] == "AML625"]


def test_coco_metrics_and_the_automatic_split(tmp_path, run_json):
    certain = _write(tmp_path, [_od(i, _box(crowd=1)) for i in range(10)], "all.jsonl")
    _, doc = run_json(certain, "--task", "od", "--validation-metric", "coco_voc", "--isolated")
    assert [p["consequence"] for p in _problems(doc) if p["code"] == "AML625"] == ["fails-job"]
    possible = _write(tmp_path, [_od(i, _box(crowd=1)) for i in range(2)] + _filler(8), "some.jsonl")
    _, doc = run_json(possible, "--task", "od", "--validation-metric", "coco", "--isolated")
    [p] = [p for p in _problems(doc) if p["code"] == "AML625"]
    assert p["consequence"] == "none" and "2 of 10 image(s)" in p["message"] and "takes 2" in p["message"]


# --- the fast path stays exact ----------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    {"runtime": "mmdet"}, {"model_names": ["yolov5", "atss_r50_fpn_1x_coco"]}, {"validation_metric": "coco"},
    {"strict": True}])
def test_fast_path_agrees_with_the_full_check_under_runtime_settings(options, tmp_path, monkeypatch):
    import random

    rng = random.Random(3)
    lines = []
    for i in range(400):
        anns = [_box(rng.choice(["can", "carton", " can", 2.0]), crowd=rng.choice([0, 1, "1", True]))
                for _ in range(rng.choice([0, 1, 1, 2]))]
        lines.append(_od(i % 380, *anns))
    path = _write(tmp_path, lines)

    def lint(fast):
        if not fast:
            original = engine.RecordChecker.__init__

            def no_fast(self, *args, **kwargs):
                original(self, *args, **kwargs)
                self.fast = None

            monkeypatch.setattr(engine.RecordChecker, "__init__", no_fast)
        result = engine.lint_file(str(path), Settings(task="object-detection", jobs=1, **options))
        monkeypatch.undo()
        s = result.state
        return ([p.to_dict() for p in result.problems], s.kept, s.objects, s.background_images,
                s.crowd_only_images, s.class_counts(), sorted(s.acft_groups))

    assert lint(True) == lint(False)


def test_undecodable_images_count_in_the_hf_batch_rule(tmp_path, run_json):
    from conftest import FIXTURES

    names = ["ok.png", "ok.jpg", "ok_copy.png", "not_an_image.png", "rgba.png"]
    path = _write(tmp_path, [{"image_url": f"AmlDatastore://fixtures/img/{n}", "label": "ab"[i % 2]}
                             for i, n in enumerate(names)])
    common = ["--task", "mc", "--runtime", "hf", "--images=full", "--image-root", FIXTURES / "images",
              "--image-cache", "", "--isolated"]
    _, doc = run_json(path, *common)
    [p] = [p for p in _problems(doc) if p["code"].startswith("AML62")]
    assert p["code"] == "AML624" and "undecodable images" in p["message"] and "1 of 5 item(s)" in p["message"]
    _, doc = run_json(path, *common, "--batch-size", "1")
    assert [p["code"] for p in _problems(doc) if p["code"].startswith("AML62")] == ["AML623"]
    assert [p["consequence"] for p in _problems(doc, 4) if p["code"] == "AML702"] == ["fails-job"]
    _, doc = run_json(path, *common[:2], *common[4:])  # the legacy runtime skips the image in its loader
    assert not [p for p in _problems(doc) if p["code"].startswith("AML62")]
