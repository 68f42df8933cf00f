"""AML510 polygon-stray-vertex: a spike to a far point is found; real outlines and regular shapes are not."""

import math

import pytest

from automl_lint.rules.polygon import stray_vertex


def _regular(n: int, closed: bool = False) -> list:
    seg = [v for k in range(n) for v in (0.5 + 0.3 * math.cos(2 * math.pi * k / n),
                                         0.5 + 0.3 * math.sin(2 * math.pi * k / n))]
    return seg + seg[:2] if closed else seg


@pytest.mark.parametrize("n", [4, 5, 6, 8, 40])
def test_regular_polygons_have_no_stray_vertex(n):
    assert stray_vertex(_regular(n)) is None
    assert stray_vertex(_regular(n, closed=True)) is None


def test_spurious_origin_before_an_outline_is_found():
    outline = _regular(30)
    assert stray_vertex([0.0, 0.0, *outline]) == 0
    assert stray_vertex([*outline[:20], 0.98, 0.02, *outline[20:]]) == 10


def test_thin_long_object_is_not_a_spike():
    # A pencil: four corners, two short and two long edges; every corner has a neighbour close by.
    assert stray_vertex([0.1, 0.1, 0.12, 0.1, 0.92, 0.5, 0.9, 0.5]) is None


def test_triangles_are_never_judged():
    assert stray_vertex([0.0, 0.0, 0.5, 0.5, 0.52, 0.5]) is None


def test_flagged_at_the_vertex_on_a_kept_annotation_only(run_json, tmp_path):
    f = tmp_path / "is.jsonl"
    spike = [0.0, 0.0, *_regular(12)]
    f.write_text(
        '{"image_url": "AmlDatastore://ds/a.jpg", "label": [{"label": "can", "polygon": [%s]}]}\n'
        '{"image_url": "AmlDatastore://ds/b.jpg", "label": [{"label": "can", "polygon": [%s, [0.1, 0.1]]}]}\n'
        '{"image_url": "AmlDatastore://ds/c.jpg", "label": [{"label": "can", "polygon": [%s]}]}\n'
        % (spike, _regular(12), [v * 3 for v in spike]))
    _, doc = run_json(f, "--task", "is", "--select", "AML5")
    found = [(p["line"], p["code"], p["pointer"]) for p in doc["files"][0]["problems"]]
    assert (1, "AML510", "/label/0/polygon/0/0") in found
    # Line 2: a clean outline next to a short segment AutoML deletes; line 3: a dropped annotation (out of range).
    assert [x for x in found if x[0] != 1 and x[1] == "AML510"] == []
