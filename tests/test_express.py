"""The express lane (automl_lint.express) never changes a result.

Records of every task, valid and plain or broken in the ways the lane has to notice (types the schema refuses,
booleans where numbers belong, keys the engine reads differently, duplicate keys, unusual image details, stray
vertices, classes seen for the first time), are linted with and without it: the findings and every fact of the
dataset state must be identical, also when the file is split between worker processes. And every record the lane
accepts is valid for the task's JSON Schema and plain for the engine.
"""

from __future__ import annotations

import json
import math
import random

import orjson
import pytest

from automl_lint import engine, express
from automl_lint.reader import plain_record
from automl_lint.rules import dataset, schema
from automl_lint.settings import Settings

TASKS = ("multiclass", "multilabel", "object-detection", "instance-segmentation")
CLASSES = ["cat", "dog", "bird", " cat", "cat ", "--bg--", "Cat", "a:b", "x" * 300, "", "é"]
ODD = [None, True, False, 0, 1, 1.0, 0.0, -0.5, 1.5, "0.5", "1", [], {}, [0.5], 2 ** 60, 3, 7.5]


def _url(rng: random.Random, i: int) -> str:
    if rng.random() < 0.8:
        return f"AmlDatastore://ds/{rng.choice('ab')}/img_{i if rng.random() < 0.95 else rng.randint(0, 50)}.jpg"
    folder = rng.choice(["AmlDatastore://ds/a", "AmlDatastore://ds/b", "azureml://subscriptions/x/paths/c",
                         "AmlDatastore://ds/a//d", "http://example.com/e", "AmlDatastore://ds/f%20g"])
    name = rng.choice([f"img_{i}.jpg", f"img_{rng.randint(0, 50)}.jpg", " img.jpg", "img.jpg ", "a?b.jpg",
                       "x:y.jpg", "", "img\\c.jpg"])
    return f"{folder}/{name}"


def _details(rng: random.Random):
    r = rng.random()
    if r < 0.7:
        return {"format": rng.choice(["jpg", "png", "jpeg"]), "width": rng.randint(1, 4000),
                "height": rng.randint(1, 4000)}
    if r < 0.75:
        return {"format": "jpg", "width": f"{rng.randint(1, 900)}px", "height": "480px"}
    choices = [{"format": "JPEG"}, {"format": None}, {"width": 0}, {"width": -3}, {"width": 2 ** 60},
               {"height": 640.0}, {"height": True}, {"width": "0400px"}, {"width": "400px\n"}, {"width": "400"},
               {"format": "bmp", "height": 2}, {}, {"width": 5, "dpi": 72}, {"Format": "jpg"}]
    return rng.choice(choices + [None, [], "jpg"])


def _box(rng: random.Random):
    x0, x1 = sorted(round(rng.random(), 4) for _ in range(2))
    y0, y1 = sorted(round(rng.random(), 4) for _ in range(2))
    box = {"label": rng.choice(CLASSES[:3]) if rng.random() < 0.85 else rng.choice(CLASSES),
           "topX": x0, "topY": y0, "bottomX": x1, "bottomY": y1}
    if rng.random() < 0.5:
        box["isCrowd"] = rng.choice([0, 0, 0, 1, True, False, 2, "1", None, 1.0])
    if rng.random() < 0.15:
        box[rng.choice(["topX", "topY", "bottomX", "bottomY"])] = rng.choice(ODD)
    if rng.random() < 0.05:
        box["topX"], box["bottomX"] = box["bottomX"], box["topX"]
    if rng.random() < 0.04:
        del box[rng.choice(list(box))]
    if rng.random() < 0.04:
        box[rng.choice(["polygon", "score", "label2"])] = [[0.1, 0.1, 0.2, 0.1, 0.2, 0.2]]
    if rng.random() < 0.03:
        box["topX"] = 0
        box["bottomX"] = 1
    return box


def _segment(rng: random.Random) -> list:
    n = rng.randint(3, 12)
    cx, cy, rad = 0.2 + 0.6 * rng.random(), 0.2 + 0.6 * rng.random(), 0.02 + 0.15 * rng.random()
    angles = sorted(rng.random() * 2 * math.pi for _ in range(n))
    seg = []
    for a in angles:
        rr = rad * (0.5 + 0.5 * rng.random())
        seg += [round(min(max(cx + rr * math.cos(a), 0), 1), 4), round(min(max(cy + rr * math.sin(a), 0), 1), 4)]
    r = rng.random()
    if r < 0.05:
        seg[2 * rng.randrange(n)] = 0.99  # maybe a stray vertex
    elif r < 0.08:
        seg += seg[:2]  # a closed ring
    elif r < 0.11:
        seg[rng.randrange(len(seg))] = rng.choice(ODD)
    elif r < 0.13:
        seg = seg[:-1]
    elif r < 0.15:
        x = rng.random()
        seg = [v for k in range(n) for v in (x, rng.random())]  # zero width
    elif r < 0.17:
        seg = [v for t in sorted(rng.random() for _ in range(n)) for v in (t, t)]  # collinear
    elif r < 0.19:
        seg = [v for _ in range(n) for v in (1, 0)] + [0.5, 0.5]
    return seg


def _instance(rng: random.Random):
    inst = {"label": rng.choice(CLASSES[:3]) if rng.random() < 0.85 else rng.choice(CLASSES),
            "polygon": [_segment(rng) for _ in range(1 if rng.random() < 0.8 else 2)]}
    if rng.random() < 0.5:
        inst["isCrowd"] = rng.choice([0, 0, 1, True, False, 2, "0"])
    r = rng.random()
    if r < 0.03:
        inst["polygon"] = []
    elif r < 0.05:
        inst["polygon"] = inst["polygon"][0]
    elif r < 0.07:
        inst["topX"] = 0.1
    elif r < 0.09:
        del inst["label"]
    return inst


def _record(task: str, rng: random.Random, i: int) -> dict:
    rec: dict = {}
    if rng.random() < 0.97:
        rec["image_url"] = _url(rng, i) if rng.random() < 0.97 else rng.choice([None, 5, ""])
    if rng.random() < 0.7:
        rec["image_details"] = _details(rng)
    if task == "multiclass":
        label = rng.choice(CLASSES[:3]) if rng.random() < 0.85 else rng.choice(CLASSES + [3, None, ["cat"], True])
    elif task == "multilabel":
        label = rng.sample(CLASSES[:3], rng.randint(0, 3))
        if rng.random() < 0.15:
            label.append(rng.choice(CLASSES + [1, None, ["cat"], True, 2.5, "cat"]))
        if rng.random() < 0.03:
            label = rng.choice(["cat", None, {"a": 1}])
    elif task == "object-detection":
        label = [_box(rng) for _ in range(rng.choice([0, 1, 1, 2, 3, 5]))]
    else:
        label = [_instance(rng) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
    if rng.random() < 0.97:
        rec["label"] = label
    if rng.random() < 0.03:
        rec[rng.choice(["extra", "score", "Label"])] = 1
    return rec


def _line(rec: dict, rng: random.Random) -> str:
    text = json.dumps(rec, separators=(",", ":")) if rng.random() < 0.7 else json.dumps(rec)
    r = rng.random()
    if r < 0.02 and text.startswith('{"'):  # a duplicate key, which the parser merges
        key = next(iter(rec))
        text = "{" + json.dumps(key) + ":" + json.dumps(rec[key]) + "," + text[1:]
    elif r < 0.03:
        text = text.replace('":', '" :', 1)
    elif r < 0.04:
        text = text.replace("a", "\\u0061", 1)
    elif r < 0.05:
        text = " " + text + "\t"
    return text


def _write(tmp_path, task: str, seed: int, n: int = 1500) -> str:
    rng = random.Random(seed)
    lines = [_line(_record(task, rng, i), rng) for i in range(n)]
    path = tmp_path / f"{task}-{seed}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _facts(result) -> tuple:
    s = result.state
    return ([p.to_dict() for p in result.problems], [p.to_dict() for p in result.ignored], result.records,
            result.rows, result.lines, s.records, s.kept, s.objects, s.background_images, s.empty_label_lines,
            s.mixed_type_lines, s.crowd_only_images, list(s.classes.items()), list(s.class_lines.items()),
            list(s.type_lines.items()), list(s.url_hashes), list(s.url_lines), dict(s.format_case),
            s.format_case_line, sorted(s.acft_groups, key=str),
            [getattr(result.omitted, k) for k in type(result.omitted).__slots__] if result.omitted else None)


def _lint(path: str, task: str, monkeypatch, lane: bool, **settings) -> tuple:
    monkeypatch.setattr(engine, "EXPRESS", lane)
    return _facts(engine.lint_file(path, Settings(task=task, jobs=1, **settings)))


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("seed", [1, 2])
def test_same_result_with_and_without_the_express_lane(tmp_path, monkeypatch, task, seed):
    path = _write(tmp_path, task, seed)
    assert _lint(path, task, monkeypatch, True) == _lint(path, task, monkeypatch, False)


@pytest.mark.parametrize("seed", [1, 2])
def test_same_result_without_the_c_helper(tmp_path, monkeypatch, seed):
    """Where automl_lint._speedups is not built, the lane checks every polygon segment in Python."""
    monkeypatch.setattr(express, "plain_segment", None)
    path = _write(tmp_path, "instance-segmentation", seed)
    assert _lint(path, "instance-segmentation", monkeypatch, True) == \
        _lint(path, "instance-segmentation", monkeypatch, False)


@pytest.mark.parametrize("task", ["object-detection", "instance-segmentation"])
@pytest.mark.parametrize("settings", [{"runtime": "mmdet"}, {"validation_metric": "coco"},
                                      {"model_names": ("yolov5", "some/mmdet-model")}, {"max_problems": 20}],
                         ids=["mmdet", "coco", "both-runtimes", "capped"])
def test_same_result_under_other_runtimes(tmp_path, monkeypatch, task, settings):
    path = _write(tmp_path, task, 3, 800)
    assert _lint(path, task, monkeypatch, True, **settings) == _lint(path, task, monkeypatch, False, **settings)


@pytest.mark.parametrize("task", TASKS)
def test_same_result_with_images_listed(tmp_path, monkeypatch, task):
    path = _write(tmp_path, task, 4, 600)
    results = []
    for lane in (True, False):
        monkeypatch.setattr(engine, "EXPRESS", lane)
        r = engine.lint_file(path, Settings(task=task, jobs=1, images="header"))
        results.append((_facts(r), _typed(r.image_refs)))
    assert results[0] == results[1]


def _typed(refs: list) -> list:
    """The references with the type of every value: 640 == 640.0 and 1 == True, yet the image rules tell them apart."""
    return [(line, url, details, boxes, [type(v) for v in details or ()], [type(v) for v in boxes])
            for line, url, details, boxes in refs]


@pytest.mark.parametrize("task", TASKS)
def test_same_result_in_worker_processes(tmp_path, monkeypatch, task):
    path = _write(tmp_path, task, 5, 3000)
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(engine, "CHUNK_MIN_BYTES", 1024)
    facts = {}
    for lane in (True, False):
        for jobs in (1, 2, 3):
            monkeypatch.setattr(engine, "EXPRESS", lane)
            facts[lane, jobs] = _facts(engine.lint_file(path, Settings(task=task, jobs=jobs)))
    assert len({repr(f) for f in facts.values()}) == 1


def test_the_lane_flushes_in_line_order_across_many_lines(tmp_path, monkeypatch):
    # More lines than one flush holds (16,384), new classes and invalid lines on the way.
    rng = random.Random(9)
    lines = []
    for i in range(40000):
        label = f"c{i // 5000}" if i % 97 else rng.choice([" x", 7, None])
        lines.append(json.dumps({"image_url": f"AmlDatastore://ds/{i % 30000}.jpg", "label": label}))
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert _lint(str(path), "multiclass", monkeypatch, True) == _lint(str(path), "multiclass", monkeypatch, False)


def _objects(task: str, rng: random.Random, n: int):
    """(index, line, parsed object) of the generated lines that parse to a JSON object."""
    for i in range(n):
        raw = _line(_record(task, rng, i), rng).encode()
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if type(value) is dict:
            yield i, raw, value


@pytest.mark.parametrize("task", TASKS)
def test_every_record_the_lane_takes_is_valid_and_plain(tmp_path, task):
    rng = random.Random(11)
    checker = engine.RecordChecker(task, Settings(task=task, jobs=1))
    state = dataset.DatasetState()
    express_fn, flush = express.build(checker, state, [])
    validator = schema.validator(task)
    family = "classification" if task in ("multiclass", "multilabel") else "detection"
    taken = 0
    for i, raw, value in _objects(task, rng, 4000):
        if express_fn(value, raw, i + 1):
            taken += 1
            assert validator.is_valid(value), raw
            assert plain_record(value, family), raw
        else:
            flush()
            checker.check(value, raw, state, [])  # learns classes and counts them, as the engine would
    assert taken > 500  # the lane is exercised, not bypassed


def test_the_lane_reports_stray_vertices_as_the_full_check_does():
    task = "instance-segmentation"
    settings = Settings(task=task, jobs=1)
    rng = random.Random(12)
    checker = engine.RecordChecker(task, settings)
    state = dataset.DatasetState()
    found: list = []
    express_fn, flush = express.build(checker, state, found)
    reported = 0
    for i, raw, value in _objects(task, rng, 4000):
        if express_fn(value, raw, i + 1):
            if found:
                reported += 1
                full: list = []
                engine.RecordChecker(task, settings).check(value, raw, dataset.DatasetState(), full)
                assert found == full, raw
                assert {f[0].code for f in found} == {"AML510"}
                found.clear()
        else:
            assert not found  # a record the lane refuses leaves nothing behind
            flush()
            checker.check(value, raw, state, [])
    assert reported > 20  # stray vertices are reported by the lane, not only by the full check
