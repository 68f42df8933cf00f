"""The fast path for schema-valid records never changes a result: same problems, same dataset facts."""

import json
import random
from pathlib import Path

import pytest

from automl_lint import engine
from automl_lint.settings import Settings
from conftest import FIXTURES, ROOT

TASK_OF = {"mc": "multiclass", "ml": "multilabel", "od": "object-detection", "is": "instance-segmentation",
           "auto": "auto"}
ORACLE = ROOT / "tests" / "oracle_cases"


def _files():
    manifest = json.loads((FIXTURES / "invalid" / "expected.json").read_text())
    for name, case in sorted(manifest.items()):
        yield FIXTURES / "invalid" / name, TASK_OF[case["task"]]
    for path in sorted(ORACLE.glob("*.jsonl")):
        yield path, TASK_OF[path.name.split("_")[0].split(".")[0]]


def _lint(path: Path, task: str, fast: bool, monkeypatch) -> tuple:
    if not fast:
        original = engine.RecordChecker.__init__

        def no_fast(self, *args, **kwargs):
            original(self, *args, **kwargs)
            self.fast = None

        monkeypatch.setattr(engine.RecordChecker, "__init__", no_fast)
    result = engine.lint_file(str(path), Settings(task=task, jobs=1))
    monkeypatch.undo()
    state = result.state
    return ([p.to_dict() for p in result.problems], state.kept, state.objects, state.background_images,
            state.class_counts(), sorted(state.class_lines.items(), key=str), list(state.url_lines))


@pytest.mark.parametrize("path, task", list(_files()), ids=lambda x: getattr(x, "name", x))
def test_fast_path_gives_the_same_result_as_the_full_check(path, task, monkeypatch):
    assert _lint(path, task, True, monkeypatch) == _lint(path, task, False, monkeypatch)


def test_fast_path_on_many_random_valid_and_broken_records(tmp_path, monkeypatch):
    rng = random.Random(7)
    lines = []
    for i in range(3000):
        boxes = []
        for _ in range(rng.randint(0, 4)):
            x0, x1 = sorted(rng.random() for _ in range(2))
            y0, y1 = sorted(rng.random() for _ in range(2))
            box = {"label": rng.choice(["can", "carton", " milk", "--bg--", "Can"]), "topX": x0, "topY": y0,
                   "bottomX": x1, "bottomY": y1, "isCrowd": rng.choice([0, 1, True])}
            if rng.random() < 0.1:
                box["topX"], box["bottomX"] = x1, x0
            if rng.random() < 0.05:
                box["polygon"] = [[x0, y0, x1, y0, x1, y1]]
            boxes.append(box)
        url = f"AmlDatastore://ds/{rng.choice(['a', 'b', 'a//c'])}/img_{rng.randint(0, 2500)}.jpg"
        lines.append(json.dumps({"image_url": url, "label": boxes}))
    f = tmp_path / "random.jsonl"
    f.write_text("\n".join(lines) + "\n")
    assert _lint(f, "object-detection", True, monkeypatch) == _lint(f, "object-detection", False, monkeypatch)


def test_fast_path_on_random_polygons(tmp_path, monkeypatch):
    rng = random.Random(11)
    lines = []
    for i in range(2000):
        objects = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.random()
            n = rng.randint(3, 8)
            if kind < 0.1:  # all on one vertical line: zero width
                x = rng.random()
                seg = [v for _ in range(n) for v in (x, rng.random())]
            elif kind < 0.2:  # on a diagonal: collinear, zero-area mask
                seg = [v for t in sorted(rng.random() for _ in range(n)) for v in (t, t)]
            elif kind < 0.25:  # repeated first point, then a real outline
                p = [rng.random(), rng.random()]
                seg = p + p + [rng.random() for _ in range(2 * n)]
            else:
                seg = [rng.random() for _ in range(2 * n)]
            if rng.random() < 0.05:
                seg = seg[:-1]  # odd count
            objects.append({"label": rng.choice(["can", "carton"]), "isCrowd": 0, "polygon": [seg]})
        lines.append(json.dumps({"image_url": f"AmlDatastore://ds/is/{i}.jpg", "label": objects}))
    f = tmp_path / "polygons.jsonl"
    f.write_text("\n".join(lines) + "\n")
    task = "instance-segmentation"
    assert _lint(f, task, True, monkeypatch) == _lint(f, task, False, monkeypatch)
