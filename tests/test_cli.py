"""The command line end to end: exit codes, tool errors, inputs, formats."""

import gzip
import json
import subprocess
import sys

import pytest

from automl_lint.cli import main
from conftest import FIXTURES, codes_at

OD_OK = FIXTURES / "valid" / "object-detection.jsonl"
OD_BAD = FIXTURES / "invalid" / "AML408-box-inverted.jsonl"


def test_clean_file_exits_0_and_error_file_exits_1(run_json):
    assert run_json(OD_OK, "--task", "od")[0] == 0
    assert run_json(OD_BAD, "--task", "od")[0] == 1


def test_exit_zero_forces_0(run_json):
    assert run_json(OD_BAD, "--exit-zero")[0] == 0


def test_fail_on_warning_makes_warnings_fail(run_json):
    assert run_json(OD_OK, "--fail-on", "warning")[0] == 1


@pytest.mark.parametrize("args, needle", [
    (["/no/such/file.jsonl"], "no such file"),
    (["--task", "banana", str(OD_OK)], "unknown task"),
    (["--bogus-option"], "No such option"),
    ([], "no input"),
    (["--explain", "AML999"], "unknown rule"),
    (["--select", "XYZ", str(OD_OK)], "unknown rule code"),
])
def test_tool_errors_exit_2_with_one_line(args, needle, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_directory_is_searched_for_jsonl(tmp_path, run_json):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.jsonl").write_bytes(OD_OK.read_bytes())
    (tmp_path / "b.jsonl").write_bytes(OD_BAD.read_bytes())
    (tmp_path / "notes.txt").write_text("not jsonl")
    rc, doc = run_json(tmp_path, "--task", "od")
    assert rc == 1 and [f["path"].rsplit("/", 1)[-1] for f in doc["files"]] == ["b.jsonl", "a.jsonl"]


def test_gzip_input(tmp_path, run_json):
    gz = tmp_path / "bad.jsonl.gz"
    gz.write_bytes(gzip.compress(OD_BAD.read_bytes()))
    rc, doc = run_json(gz, "--task", "od")
    assert rc == 1 and (1, "AML408") in codes_at(doc)


def test_stdin_input():
    proc = subprocess.run([sys.executable, "-m", "automl_lint", "-", "--task", "od", "--format", "json"],
                          input=OD_BAD.read_bytes(), capture_output=True)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["files"][0]["path"] == "<stdin>" and (1, "AML408") in codes_at(doc)


def test_crlf_and_missing_final_newline_are_fine(tmp_path, run_json):
    lines = OD_OK.read_text().splitlines()
    f = tmp_path / "crlf.jsonl"
    f.write_bytes("\r\n".join(lines).encode())
    rc, doc = run_json(f)
    assert rc == 0 and doc["files"][0]["records"] == 3
    assert not [p for p in doc["files"][0]["problems"] if p["code"].startswith("AML0")]


def test_json_output_shape(run_json):
    _, doc = run_json(OD_BAD, "--task", "od")
    f = doc["files"][0]
    assert set(f) >= {"path", "task", "records", "problems"}
    p = f["problems"][0]
    assert set(p) >= {"line", "pointer", "code", "name", "severity", "consequence", "message"}
    assert p["consequence"] in {"fails-job", "drops-image", "drops-annotation", "alters-value", "none"}
    assert set(doc["summary"]["automl"]) >= {"fails_job", "images_dropped", "annotations_dropped", "values_altered"}
    file_level = [p for p in f["problems"] if p["line"] is None]
    assert all(p["pointer"] == "" for p in file_level)


def test_json_pointer_names_the_exact_value(tmp_path, run_json):
    f = tmp_path / "x.jsonl"
    f.write_text(json.dumps({"image_url": "AmlDatastore://ds/a.jpg", "label": [
        {"label": "a", "topX": 0.1, "topY": 0.1, "bottomX": 0.5, "bottomY": 0.5},
        {"label": "a", "topX": "0.1", "topY": 0.1, "bottomX": 0.5, "bottomY": 0.5}]}) + "\n")
    _, doc = run_json(f, "--task", "od")
    assert ("/label/1/topX", "AML405") in {(p["pointer"], p["code"]) for p in doc["files"][0]["problems"]}


def test_invalid_json_reports_the_column(tmp_path, run_json):
    f = tmp_path / "x.jsonl"
    f.write_text('{"image_url": "AmlDatastore://ds/a.jpg" "label": "a"}\n')
    _, doc = run_json(f, "--task", "mc")
    p = next(p for p in doc["files"][0]["problems"] if p["code"] == "AML002")
    assert p["line"] == 1 and p["column"] == 41 and "column 41" in p["message"]


@pytest.mark.parametrize("end", ["\n", "\r\n", ""])
def test_a_truncated_line_is_placed_just_after_its_last_character(tmp_path, run_json, end):
    """orjson runs past the line end and says line 2, column 1: the column is the line's own, not 1."""
    f = tmp_path / "x.jsonl"
    line = '{"image_url": "AmlDatastore://ds/é.jpg", "label": "a"'
    f.write_bytes(('{"image_url": "AmlDatastore://ds/a.jpg", "label": "a"}\n' + line + end).encode())
    _, doc = run_json(f, "--task", "mc")
    p = next(p for p in doc["files"][0]["problems"] if p["code"] == "AML002")
    assert p["line"] == 2 and p["column"] == len(line) + 1 and f"column {len(line) + 1}" in p["message"]


def test_task_aliases_are_equivalent(run_json):
    docs = [run_json(OD_BAD, "--task", t)[1] for t in ("od", "object-detection", "image-object-detection")]
    assert docs[0]["files"][0]["problems"] == docs[1]["files"][0]["problems"] == docs[2]["files"][0]["problems"]


def test_auto_task_is_inferred_and_said(run_json):
    _, doc = run_json(FIXTURES / "valid" / "instance-segmentation.jsonl")
    assert doc["files"][0]["task"] == "instance-segmentation" and doc["files"][0]["task_inferred"]


def test_auto_reports_records_of_another_shape(tmp_path, run_json):
    f = tmp_path / "mixed.jsonl"
    lines = [json.dumps({"image_url": f"AmlDatastore://ds/{i}.jpg", "label": "can"}) for i in range(5)]
    lines.append(json.dumps({"image_url": "AmlDatastore://ds/x.jpg", "label": ["can"]}))
    f.write_text("\n".join(lines) + "\n")
    _, doc = run_json(f)
    assert doc["files"][0]["task"] == "multiclass"
    assert (6, "AML104") in codes_at(doc) and (6, "AML301") in codes_at(doc)


def test_model_narrows_model_dependent_rules(run_json):
    f = FIXTURES / "invalid" / "AML414-class-label-integer.jsonl"
    assert (1, "AML414") in codes_at(run_json(f, "--task", "od")[1])
    assert (1, "AML414") not in codes_at(run_json(f, "--task", "od", "--model", "yolov5")[1])


def test_select_and_ignore(run_json):
    _, doc = run_json(OD_BAD, "--task", "od", "--ignore", "AML4")
    assert not [c for _, c in codes_at(doc) if c.startswith("AML4")]
    _, doc = run_json(OD_BAD, "--task", "od", "--select", "AML408")
    assert {c for _, c in codes_at(doc)} == {"AML408"}


def test_print_schema_prints_the_shipped_schema(capsys):
    assert main(["--print-schema", "od"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].endswith("2020-12/schema") and "examples" in schema


def test_explain_and_list_rules(capsys):
    assert main(["--explain", "AML407"]) == 0
    text = capsys.readouterr().out
    assert "box-out-of-range" in text and "## Example" in text and "drops-annotation" in text
    assert main(["--list-rules"]) == 0
    assert "AML001" in capsys.readouterr().out


def test_concise_format_is_parsable(capsys):
    main([str(OD_BAD), "--task", "od", "--format", "concise"])
    first = capsys.readouterr().out.splitlines()[0]
    path, line, col, rest = first.split(":", 3)
    assert path.endswith("AML408-box-inverted.jsonl") and line == "1" and rest.strip().startswith("AML408 [error]")


def test_table_format_shows_the_verdict(capsys):
    main([str(OD_BAD), "--task", "od", "--format", "table"])
    out = capsys.readouterr().out
    assert "AML408" in out and "drops-annotation" in out and "AutoML would" in out


def test_python_dash_m_works():
    proc = subprocess.run([sys.executable, "-m", "automl_lint", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("automl-lint ")


def test_output_file(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main([str(OD_BAD), "--task", "od", "--format", "json", "--output-file", str(out)]) == 1
    assert json.loads(out.read_text())["files"][0]["problems"]
    assert main([str(OD_BAD), "--output-file", str(tmp_path / "no" / "dir" / "r.json")]) == 2


def test_predictions_as_one_json_document(tmp_path, run_json):
    preds = json.loads((FIXTURES / "predictions" / "object-detection.jsonl").read_text().splitlines()[0])
    bad = json.loads(json.dumps(preds))
    bad["boxes"][0]["score"] = 1.5
    f = tmp_path / "preds.json"
    f.write_text(json.dumps([preds, bad], indent=2))
    rc, doc = run_json(f, "--kind", "predictions")
    assert rc == 1 and doc["files"][0]["task"] == "object-detection" and doc["files"][0]["records"] == 2
    assert {(p["pointer"], p["code"]) for p in doc["files"][0]["problems"]} == {("/1/boxes/0/score", "AML152")}
    f.write_text(json.dumps(preds, indent=2))
    assert run_json(f, "--kind", "predictions")[0] == 0


def test_predictions_document_larger_than_the_line_limit_is_refused(tmp_path, run_json):
    f = tmp_path / "preds.json"
    f.write_text(json.dumps([{"filename": "a", "probs": [0.5], "labels": ["x"]}] * 50, indent=2))
    rc, doc = run_json(f, "--kind", "predictions", "--task", "mc", "--max-line-bytes", "100")
    assert rc == 1 and [p["code"] for p in doc["files"][0]["problems"]] == ["AML011"]


def test_prediction_records_missing_documented_keys(tmp_path, run_json):
    f = tmp_path / "preds.jsonl"
    f.write_text(json.dumps({"filename": "a.jpg", "boxes": [{"box": {"topX": 0.1, "topY": 0.1, "bottomX": 0.5,
                                                                      "bottomY": 0.5}, "label": "can"}]}) + "\n")
    rc, doc = run_json(f, "--kind", "predictions", "--task", "od")
    assert rc == 1
    assert {(p["line"], p["pointer"], p["code"]) for p in doc["files"][0]["problems"]} == {
        (1, "/boxes/0/score", "AML151")}
