"""MLTable folders and files: the YAML is checked, then every JSONL it reads is linted."""

import shutil

from automl_lint import mltable
from conftest import FIXTURES

MLT = FIXTURES / "mltable"


def _codes(doc, name="MLTable"):
    return sorted(p["code"] for f in doc["files"] if f["path"].endswith(name) for p in f["problems"])


def _linted(doc):
    return sorted(f["path"].rsplit("/", 1)[-1] for f in doc["files"] if f["kind"] != "mltable")


def test_classic_mltable_folder_is_clean_and_its_jsonl_is_linted(run_json):
    rc, doc = run_json(MLT / "classic")
    assert rc == 0
    assert _codes(doc) == []
    assert _linted(doc) == ["train_annotations.jsonl"]
    assert doc["files"][0]["path"].endswith("classic/MLTable")


def test_newer_serialisation_with_workspace_bound_stream_info_is_accepted(run_json):
    rc, doc = run_json(MLT / "newer" / "MLTable")
    assert rc == 0 and _codes(doc) == []
    assert _linted(doc) == ["train_annotations.jsonl"]


def test_missing_stream_info_conversion_fails_the_job(run_json):
    rc, doc = run_json(MLT / "no_stream")
    assert rc == 1
    [problem] = [p for p in doc["files"][0]["problems"]]
    assert problem["code"] == "AML806" and problem["consequence"] == "fails-job"
    assert "STREAM" in problem["message"]


def test_misspelt_paths_bad_encoding_drop_and_non_boolean_option(run_json):
    rc, doc = run_json(MLT / "broken")
    assert rc == 1
    assert _codes(doc) == ["AML802", "AML807", "AML808"]  # 'utf-8' is one of the engine's spellings
    lines = {p["code"]: p["line"] for p in doc["files"][0]["problems"]}
    assert lines["AML802"] == 2 and lines["AML808"] == 6
    assert _linted(doc) == []  # nothing to read without 'paths'


def test_pattern_expands_and_missing_file_is_reported(run_json):
    rc, doc = run_json(MLT / "pattern")
    assert _codes(doc) == ["AML804"]
    assert _linted(doc) == ["part_1.jsonl", "part_2.jsonl"]


def test_invalid_yaml_and_non_mapping(tmp_path):
    (tmp_path / "MLTable").write_text("paths:\n  - file: a.jsonl\n transformations: [\n")
    assert [f[0].code for f in mltable.load(str(tmp_path / "MLTable")).findings] == ["AML801"]
    (tmp_path / "MLTable").write_text("- just\n- a list\n")
    assert [f[0].code for f in mltable.load(str(tmp_path / "MLTable")).findings] == ["AML801"]


def test_missing_read_json_lines_and_other_reader(tmp_path):
    shutil.copy(MLT / "classic" / "train_annotations.jsonl", tmp_path)
    (tmp_path / "MLTable").write_text("paths:\n  - file: train_annotations.jsonl\ntransformations:\n"
                                      "  - read_delimited:\n      delimiter: ','\n")
    codes = sorted(f[0].code for f in mltable.load(str(tmp_path / "MLTable")).findings)
    assert codes == ["AML805", "AML806"]


def test_bom_with_utf8_encoding_is_reported(tmp_path):
    data = (MLT / "classic" / "train_annotations.jsonl").read_bytes()
    (tmp_path / "train_annotations.jsonl").write_bytes(b"\xef\xbb\xbf" + data)
    shutil.copy(MLT / "classic" / "MLTable", tmp_path)
    assert [f[0].code for f in mltable.load(str(tmp_path / "MLTable")).findings] == ["AML811"]


def test_cloud_path_is_not_linted_but_noted(tmp_path):
    (tmp_path / "MLTable").write_text(
        "paths:\n  - file: azureml://datastores/workspaceblobstore/paths/train.jsonl\ntransformations:\n"
        "  - read_json_lines: {encoding: utf8}\n  - convert_column_types:\n"
        "      - {columns: image_url, column_type: stream_info}\n")
    table = mltable.load(str(tmp_path / "MLTable"))
    assert [f[0].code for f in table.findings] == ["AML810"] and table.jsonl == []


def test_validation_mltable_reading_the_training_jsonl_is_an_error(run_json, tmp_path):
    (tmp_path / "MLTable").write_text((MLT / "classic" / "MLTable").read_text().replace(
        "./train_annotations.jsonl", str(MLT / "classic" / "train_annotations.jsonl")))
    # The validation MLTable reads a file outside its folder: only with --allow-outside (else AML903).
    rc, doc = run_json(MLT / "classic", "--validation", tmp_path, "--allow-outside")
    assert rc == 1
    valid = [f for f in doc["files"] if f["role"] == "validation" and f["kind"] == "mltable"]
    assert [p["code"] for p in valid[0]["problems"]] == ["AML812"]


def test_malformed_path_entries_and_unknown_keys(tmp_path):
    shutil.copy(MLT / "classic" / "train_annotations.jsonl", tmp_path)
    (tmp_path / "MLTable").write_text(
        "paths:\n"
        "  - file: train_annotations.jsonl\n"
        "  - file: a.jsonl\n    folder: b\n"      # two kinds in one entry
        "  - just-a-string\n"
        "transformations:\n"
        "  - read_json_lines:\n      encoding: utf8\n      invalid_lines: error\n"
        "  - convert_column_types:\n      - columns: image_url\n        column_type: stream_info\n"
        "colums: [label]\n")                      # a misspelt top-level key
    codes = sorted(f[0].code for f in mltable.load(str(tmp_path / "MLTable")).findings)
    assert codes == ["AML803", "AML803", "AML809"]


def _od(i, boxes):
    import json

    return json.dumps({"image_url": f"AmlDatastore://ds/img_{i}.jpg", "label": [
        {"label": c, "topX": 0.1, "topY": 0.1, "bottomX": 0.5, "bottomY": 0.5} for c in boxes]})


def test_several_jsonl_files_are_one_dataset(run_json, tmp_path):
    # Shard 1 holds only background images: alone it would "fail the job"; AutoML reads both shards as one.
    (tmp_path / "shard_1.jsonl").write_text("\n".join(_od(i, []) for i in range(6)) + "\n")
    (tmp_path / "shard_2.jsonl").write_text("\n".join(_od(i, ["can", "carton"]) for i in range(10, 20))
                                            + "\n" + _od(3, ["can"]) + "\n")  # img_3 is also in shard 1
    shutil.copy(MLT / "pattern" / "MLTable", tmp_path / "MLTable")
    (tmp_path / "MLTable").write_text((MLT / "pattern" / "MLTable").read_text().replace(
        "./part_*.jsonl", "./shard_*.jsonl").replace("  - file: ./missing.jsonl\n", ""))
    rc, doc = run_json(tmp_path, "--task", "od")
    by_file = {f["path"].rsplit("/", 1)[-1]: f for f in doc["files"]}
    assert set(by_file) == {"MLTable", "shard_1.jsonl", "shard_2.jsonl"}
    assert not [p for p in by_file["shard_1.jsonl"]["problems"] if p["line"] is None]  # no per-shard verdict
    table = {p["code"]: p for p in by_file["MLTable"]["problems"]}
    assert "AML601" not in table  # the whole dataset has objects
    assert "AML604" in table and "shard_1.jsonl 1-6, shard_2.jsonl 7-17" in table["AML604"]["message"]
    assert "lines 4, 17" in table["AML604"]["message"]
    assert rc == 0


def _mltable(tmp_path, transformations="", paths="  - file: ./d.jsonl\n", top="", invalid_lines="error"):
    (tmp_path / "d.jsonl").write_text(
        '{"image_url": "AmlDatastore://ds/a.jpg", "label": "cat"}\n'
        '{"image_url": "AmlDatastore://ds/b.jpg", "label": "dog"}\n')
    (tmp_path / "MLTable").write_text(
        top + "paths:\n" + paths + "transformations:\n  - read_json_lines:\n      encoding: utf8\n"
        f"      invalid_lines: {invalid_lines}\n  - convert_column_types:\n      - columns: image_url\n"
        "        column_type: stream_info\n" + transformations)


def _all(doc):
    return {(f["path"].rsplit("/", 1)[-1], p["line"], p["code"], p["consequence"]) for f in doc["files"]
            for p in f["problems"] if p["code"].startswith("AML8")}


def test_content_the_engine_rejects_fails_the_job(run_json, tmp_path):
    _mltable(tmp_path, "  - frobnicate: 1\n  - take: -1\n", top="type: uri_file\n")
    rc, doc = run_json(tmp_path, "--task", "mc", "--isolated")
    assert [c for c in _all(doc) if c[2] == "AML813"] and {c[3] for c in _all(doc) if c[2] == "AML813"} == {
        "fails-job"}
    assert len([c for c in _all(doc) if c[2] == "AML813"]) == 3


def test_dropped_or_converted_columns_alter_every_line(run_json, tmp_path):
    _mltable(tmp_path, "  - drop_columns: label\n")
    rc, doc = run_json(tmp_path, "--task", "mc", "--isolated")
    assert _all(doc) == {("d.jsonl", 1, "AML816", "alters-value"), ("d.jsonl", 2, "AML816", "alters-value")}


def test_a_folder_holding_the_mltable_reads_it_as_json_lines(run_json, tmp_path):
    _mltable(tmp_path, paths="  - folder: ./\n")
    rc, doc = run_json(tmp_path, "--task", "mc", "--isolated")
    assert ("MLTable", None, "AML815", "fails-job") in _all(doc)
    _mltable(tmp_path, paths="  - folder: ./\n", invalid_lines="drop")
    rc, doc = run_json(tmp_path, "--task", "mc", "--isolated")
    assert ("MLTable", None, "AML815", "none") in _all(doc)


def test_a_gzip_file_is_not_decompressed_by_the_engine(run_json, tmp_path):
    import gzip

    _mltable(tmp_path, paths="  - file: ./d.jsonl.gz\n")
    (tmp_path / "d.jsonl.gz").write_bytes(gzip.compress((tmp_path / "d.jsonl").read_bytes()))
    rc, doc = run_json(tmp_path, "--task", "mc", "--isolated")
    assert ("MLTable", None, "AML815", "fails-job") in _all(doc)
