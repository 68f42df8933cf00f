"""Verdicts that never mislead: hiding findings does not change what AutoML would do; counts are complete."""

import json

import pytest

from automl_lint.cli import main

INVERTED = ('{"image_url": "azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/d/paths/%d.jpg", '
            '"label": [{"label": "cat", "topX": 0.5, "topY": 0.1, "bottomX": 0.2, "bottomY": 0.9}, '
            '{"label": "dog", "topX": 0.1, "topY": 0.1, "bottomX": 0.4, "bottomY": 0.9}]}')


def _write(tmp_path, lines, name="od.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _json(capsys, *args):
    rc = main([*map(str, args), "--format", "json", "--isolated"])
    return rc, json.loads(capsys.readouterr().out)


def test_ignored_rules_still_count_in_automls_verdict(tmp_path, capsys):
    path = _write(tmp_path, [INVERTED % i for i in range(12)])
    rc, full = _json(capsys, path, "--task", "od")
    assert rc == 1 and full["summary"]["automl"]["annotations_dropped"] == 12
    rc, hidden = _json(capsys, path, "--task", "od", "--ignore", "AML4")
    assert rc == 0 and hidden["summary"]["problems"] == 0
    assert hidden["summary"]["automl"] == full["summary"]["automl"]
    assert hidden["summary"]["hidden"] == {"configuration": 12, "baseline": 0, "wrong_task": 0}
    main([str(path), "--task", "od", "--ignore", "AML4", "--format", "concise", "--isolated"])
    out = capsys.readouterr().out
    assert "drop 12 annotation(s)" in out and "12 finding(s) not listed" in out
    assert "use every record as written" not in out


def test_baseline_hides_findings_but_not_the_verdict(tmp_path, capsys):
    path = _write(tmp_path, [INVERTED % i for i in range(12)])
    baseline = tmp_path / "baseline.json"
    assert main([str(path), "--task", "od", "--write-baseline", str(baseline), "--isolated", "-q"]) == 0
    capsys.readouterr()
    rc, doc = _json(capsys, path, "--task", "od", "--baseline", baseline)
    assert rc == 0 and doc["summary"]["problems"] == 0
    assert doc["summary"]["hidden"]["baseline"] == 12
    assert doc["summary"]["automl"]["annotations_dropped"] == 12


def test_hidden_findings_past_the_listing_limit_still_count(tmp_path, capsys):
    path = _write(tmp_path, [INVERTED % i for i in range(30)])
    rc, doc = _json(capsys, path, "--task", "od", "--ignore", "AML4", "--max-problems", "5")
    assert doc["summary"]["automl"]["annotations_dropped"] == 30
    assert doc["summary"]["hidden"]["configuration"] == 30


def test_statistics_count_findings_past_max_problems(tmp_path, capsys):
    path = _write(tmp_path, [INVERTED % i for i in range(30)])
    main([str(path), "--task", "od", "--statistics", "--max-problems", "5", "--isolated"])
    first = capsys.readouterr().out.splitlines()[0].split("\t")
    assert first[0].strip() == "30" and first[1] == "AML408"


def test_a_message_has_one_shape_pointer_message_consequence(tmp_path, capsys):
    path = _write(tmp_path, [INVERTED % 1])
    main([str(path), "--task", "od", "--format", "concise", "--isolated"])
    line = next(s for s in capsys.readouterr().out.splitlines() if "AML408" in s)
    assert " AML408 [error] /label/0/bottomX: box of annotation 0 is inverted" in line
    assert line.endswith(" [drops-annotation]")
    assert "(none)" not in line


EMPTY = '{"image_url": "azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/d/paths/%d.jpg", "label": []}'
BOXES = ('{"image_url": "azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/d/paths/%d.jpg", '
         '"label": [{"label": "can", "topX": 0.1, "topY": 0.1, "bottomX": 0.5, "bottomY": 0.5}]}')


def test_inference_never_passes_a_file_whose_labels_show_no_task(tmp_path, capsys):
    path = _write(tmp_path, [EMPTY % i for i in range(12)])
    rc_given, _ = _json(capsys, path, "--task", "od")
    rc, doc = _json(capsys, path)
    assert rc_given == 1 and rc == 1
    f = doc["files"][0]
    assert f["task"] == "object-detection" and doc["summary"]["automl"]["fails_job"]
    assert {"AML105", "AML601"} <= {p["code"] for p in f["problems"]}


def test_inference_on_standard_input_without_a_task_shape_asks_for_one(tmp_path, capsys, monkeypatch):
    import io
    import sys

    data = ("\n".join(EMPTY % i for i in range(3)) + "\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    rc, doc = _json(capsys, "-")
    assert rc == 1 and [p["code"] for p in doc["files"][0]["problems"]] == ["AML105"]


def test_a_wrong_task_is_one_file_level_error_not_noise_on_every_line(tmp_path, capsys):
    path = _write(tmp_path, [BOXES % i for i in range(40)])
    rc, doc = _json(capsys, path, "--task", "mc")
    problems = doc["files"][0]["problems"]
    assert rc == 1 and [p["code"] for p in problems] == ["AML106"]
    assert "did you mean --task od?" in problems[0]["message"]
    assert doc["summary"]["hidden"]["wrong_task"] >= 40 and doc["summary"]["automl"]["fails_job"]


def test_a_few_records_of_another_task_are_still_reported_per_line(tmp_path, capsys):
    path = _write(tmp_path, [BOXES % i for i in range(10)] + [EMPTY.replace("[]", '"can"') % 99])
    rc, doc = _json(capsys, path, "--task", "od")
    codes = {(p["line"], p["code"]) for p in doc["files"][0]["problems"]}
    assert (11, "AML104") in codes and not any(c == "AML106" for _, c in codes)


COCO = ('{"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": [{"id": 1, "image_id": 1, "bbox": [1, 2, 3, 4], '
        '"category_id": 1}], "categories": [{"id": 1, "name": "can"}]}')


@pytest.mark.parametrize("name, text, what", [
    ("coco.json", COCO, "COCO JSON"),
    ("coco_pretty.json", __import__("json").dumps(__import__("json").loads(COCO), indent=2), "COCO JSON"),
    ("a.xml", "<annotation>\n <filename>a.jpg</filename>\n <object><name>can</name>\n <bndbox><xmin>1</xmin></bndbox>"
     "</object>\n</annotation>", "Pascal VOC XML"),
    ("a.txt", "0 0.5 0.5 0.2 0.3\n1 0.25 0.4 0.1 0.1", "YOLO .txt labels"),
    ("labels.csv", "filename,labels\na.jpg,can milk_bottle\nb.jpg,carton", "CSV table"),
])
def test_other_annotation_formats_get_one_clear_error(tmp_path, capsys, name, text, what):
    path = tmp_path / name
    path.write_text(text + "\n")
    rc, doc = _json(capsys, path)
    problems = doc["files"][0]["problems"]
    assert rc == 1 and len(problems) == 1 and problems[0]["code"] == "AML016"
    assert what in problems[0]["message"] and "image_url and label" in problems[0]["message"]


def test_a_jsonl_file_with_a_few_broken_lines_is_still_checked_line_by_line(tmp_path, capsys):
    path = _write(tmp_path, [BOXES % i for i in range(5)] + ["filename,labels", "0 0.5 0.5 0.2 0.3"])
    rc, doc = _json(capsys, path, "--task", "od")
    codes = {p["code"] for p in doc["files"][0]["problems"]}
    assert "AML016" not in codes and "AML002" in codes
