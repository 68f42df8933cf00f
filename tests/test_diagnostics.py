"""Diagnostics that point the right way: near-miss MLTable keys, class statistics, the line of AML603."""

import json

from automl_lint.cli import main


def _json(capsys, *args):
    main([*map(str, args), "--format", "json", "--isolated"])
    return json.loads(capsys.readouterr().out)


def test_a_near_miss_transformation_gets_a_did_you_mean(tmp_path, capsys):
    (tmp_path / "train.jsonl").write_text('{"image_url": "AmlDatastore://d/a.jpg", "label": "can"}\n')
    (tmp_path / "MLTable").write_text("paths:\n  - file: ./train.jsonl\ntransformations:\n  - read_json_lines:\n"
                                      "      encoding: utf8\n  - convert_column_type:\n      - columns: image_url\n"
                                      "        column_type: stream_info\npath: x\ntranformations: []\n")
    doc = _json(capsys, tmp_path)
    messages = [p["message"] for f in doc["files"] for p in f["problems"]]
    assert any("convert_column_type" in m and "did you mean 'convert_column_types'?" in m for m in messages)
    assert any("'tranformations'" in m and "did you mean 'transformations'?" in m for m in messages)


def test_class_statistics_leave_out_classes_that_exist_only_because_of_another_finding(tmp_path, capsys):
    lines = ['{"image_url": "AmlDatastore://d/%d.jpg", "label": "%s"}' % (i, ("can", "carton")[i % 2])
             for i in range(40)]
    lines.append('{"image_url": "AmlDatastore://d/x.jpg", "label": "Can "}')  # a variant of "can" (AML612)
    (tmp_path / "mc.jsonl").write_text("\n".join(lines) + "\n")
    doc = _json(capsys, tmp_path / "mc.jsonl", "--task", "mc")
    codes = {p["code"] for p in doc["files"][0]["problems"]}
    assert {"AML304", "AML612"} <= codes  # the variant itself is reported (whitespace, case variant)
    assert not {"AML609", "AML610"} & codes  # but is not a class with 1 example, nor a 20:1 imbalance


def test_a_real_rare_class_is_still_reported(tmp_path, capsys):
    lines = ['{"image_url": "AmlDatastore://d/%d.jpg", "label": "can"}' % i for i in range(40)]
    lines.append('{"image_url": "AmlDatastore://d/x.jpg", "label": "milk"}')
    (tmp_path / "mc.jsonl").write_text("\n".join(lines) + "\n")
    codes = {p["code"] for p in _json(capsys, tmp_path / "mc.jsonl", "--task", "mc")["files"][0]["problems"]}
    assert {"AML609", "AML610"} <= codes


def test_mixed_class_types_point_at_the_line_where_mixing_starts(tmp_path, capsys):
    lines = ['{"image_url": "AmlDatastore://d/%d.jpg", "label": "can"}' % i for i in range(4)]
    lines.append('{"image_url": "AmlDatastore://d/x.jpg", "label": 7}')
    (tmp_path / "mc.jsonl").write_text("\n".join(lines) + "\n")
    p = next(p for p in _json(capsys, tmp_path / "mc.jsonl", "--task", "mc")["files"][0]["problems"]
             if p["code"] == "AML603")
    assert p["line"] == 5 and "first on line 5" in p["message"]


def test_file_level_findings_use_line_1_in_concise_output(tmp_path, capsys):
    (tmp_path / "one.jsonl").write_text('{"image_url": "AmlDatastore://d/a.jpg", "label": "can"}\n')
    main([str(tmp_path / "one.jsonl"), "--format", "concise", "--isolated", "--task", "mc"])
    rows = [line for line in capsys.readouterr().out.splitlines() if "AML607" in line]
    assert rows and rows[0].split(":")[1:3] == ["1", "1"]
