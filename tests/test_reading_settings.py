"""The reader setting (--invalid-lines, --encoding, an MLTable's read_json_lines) decides the reading consequences."""

import json

from automl_lint.cli import main

GOOD = '{"image_url": "AmlDatastore://ds/%s.jpg", "label": "%s"}'


def _lines(*middle: str) -> str:
    return "\n".join([GOOD % ("a", "cat"), *middle, GOOD % ("z", "dog")]) + "\n"


def _problems(run_json, *args):
    rc, doc = run_json(*args, "--isolated", "--task", "mc")
    return rc, [p for f in doc["files"] for p in f["problems"] if p["code"].startswith(("AML0", "AML8"))]


def test_an_invalid_line_fails_the_job_under_error_and_drops_the_image_under_drop(tmp_path, run_json):
    path = tmp_path / "d.jsonl"
    path.write_text(_lines("{bad"))
    _, [error] = _problems(run_json, path)
    assert (error["code"], error["line"], error["consequence"]) == ("AML002", 2, "fails-job")
    assert "invalid_lines: error" in error["message"]
    _, [drop] = _problems(run_json, path, "--invalid-lines", "drop")
    assert (drop["code"], drop["consequence"]) == ("AML002", "drops-image")
    assert "invalid_lines: drop" in drop["message"]


def test_whitespace_only_line_is_invalid_but_an_empty_line_is_skipped(tmp_path, run_json):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\r\n".join([(GOOD % ("a", "cat")).encode(), b"", (GOOD % ("b", "dog")).encode()]) + b"\r\n"
                     + b"\n" + (GOOD % ("c", "cat")).encode() + b"\n")
    _, found = _problems(run_json, path)
    assert {(p["line"], p["code"], p["consequence"]) for p in found} == {(2, "AML013", "fails-job"),
                                                                          (4, "AML007", "drops-image")}


def test_invalid_utf8_fails_even_under_drop(tmp_path, run_json):
    path = tmp_path / "d.jsonl"
    path.write_bytes(_lines().encode() + b'{"image_url": "AmlDatastore://ds/caf\xe9.jpg", "label": "cat"}\n')
    _, [p] = _problems(run_json, path, "--invalid-lines", "drop")
    assert (p["code"], p["consequence"]) == ("AML001", "fails-job")


def test_every_line_dropped_leaves_no_row_and_fails_the_job(tmp_path, run_json):
    path = tmp_path / "d.jsonl"
    path.write_text("{bad\n[1]\n")
    _, found = _problems(run_json, path, "--invalid-lines", "drop")
    assert [p["consequence"] for p in found if p["line"] is not None] == ["drops-image", "drops-image"]
    [empty] = [p for p in found if p["line"] is None]
    assert empty["code"] == "AML008" and empty["consequence"] == "fails-job" and "drop" in empty["message"]


def test_utf16_declared_is_read_and_undeclared_fails(tmp_path, run_json):
    path = tmp_path / "d.jsonl"
    path.write_bytes(_lines().encode("utf-16"))
    rc, found = _problems(run_json, path, "--encoding", "utf16")
    assert found == []
    _, found = _problems(run_json, path)
    assert found[0]["code"] == "AML001" and found[0]["consequence"] == "fails-job"


def test_latin1_spelling_reads_windows_1252_and_says_so(tmp_path, run_json):
    path = tmp_path / "d.jsonl"
    path.write_bytes(_lines().encode() + b'{"image_url": "AmlDatastore://ds/\x80.jpg", "label": "cat"}\n')
    _, [p] = _problems(run_json, path, "--encoding", "latin1")
    assert (p["code"], p["line"], p["consequence"]) == ("AML015", 3, "alters-value")
    assert "0x80" in p["message"] and "\u20ac" in p["message"]
    _, found = _problems(run_json, path, "--encoding", "windows-1252")
    assert found == []


def test_an_encoding_the_engine_rejects_is_a_finding_that_fails_the_job(tmp_path, run_json):
    path = tmp_path / "d.jsonl"
    path.write_text(_lines())
    _, [p] = _problems(run_json, path, "--encoding", "utf32")
    assert p["code"] == "AML807" and p["consequence"] == "fails-job" and "utf-8 bom" in p["message"]


def test_show_settings_shows_the_documented_mltable_reader_and_the_configuration_changes_it(tmp_path, capsys):
    assert main(["--show-settings", "--isolated"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["invalid-lines"] == "error" and shown["encoding"] == "utf8"
    config = tmp_path / "automl-lint.toml"
    config.write_text('invalid-lines = "drop"\nencoding = "utf16"\n')
    assert main(["--show-settings", "--config", str(config)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["invalid-lines"] == "drop" and shown["encoding"] == "utf16"
    config.write_text('invalid-lines = "skip"\n')
    assert main(["--show-settings", "--config", str(config)]) == 2


def test_an_mltable_uses_its_own_read_options(tmp_path, run_json):
    (tmp_path / "d.jsonl").write_text(_lines("{bad", GOOD % ("b", "cat"), GOOD % ("c", "dog")))
    mltable = ("paths:\n  - file: ./d.jsonl\ntransformations:\n  - read_json_lines:\n      encoding: utf8\n"
               "      invalid_lines: drop\n  - take: 3\n  - convert_column_types:\n      - columns: image_url\n"
               "        column_type: stream_info\n")
    (tmp_path / "MLTable").write_text(mltable)
    _, found = _problems(run_json, tmp_path, "--invalid-lines", "error")
    per_line = {(p["line"], p["code"], p["consequence"]) for p in found if p["line"] is not None
                and p["path"].endswith("d.jsonl")}
    # drop: the bad line is no row, so take: 3 keeps lines 1, 3, 4 and leaves line 5 out
    assert per_line == {(2, "AML002", "drops-image"), (5, "AML814", "drops-image")}


def test_bom_on_the_first_line_does_not_hide_its_schema_findings(tmp_path, run_json):
    path = tmp_path / "d.jsonl"
    record = '{"image_url": "AmlDatastore://ds/a.jpg", "label": "cat", "image_details": {"format": "gif"}}'
    path.write_bytes(b"\xef\xbb\xbf" + record.encode() + b"\n" + record.replace("a.jpg", "b.jpg").encode() + b"\n")
    rc, doc = run_json(path, "--isolated", "--task", "mc")
    codes = {(p["line"], p["code"]) for f in doc["files"] for p in f["problems"]}
    assert {(1, "AML006"), (1, "AML103"), (2, "AML103")} <= codes


def test_glued_records_lose_the_second_and_plain_trailing_text_is_ignored(tmp_path, run_json):
    path = tmp_path / "d.jsonl"
    path.write_text(_lines(GOOD % ("b", "cat") + GOOD % ("c", "dog"), GOOD % ("d", "cat") + " x"))
    _, found = _problems(run_json, path)
    assert {(p["line"], p["code"], p["consequence"]) for p in found} == {(2, "AML009", "drops-image"),
                                                                          (3, "AML009", "none")}


def test_integers_the_engine_changes(tmp_path, run_json):
    path = tmp_path / "d.jsonl"
    path.write_text(_lines('{"image_url": "AmlDatastore://ds/b.jpg", "label": "cat", "n": 12345678901234567890}',
                           '{"image_url": "AmlDatastore://ds/c.jpg", "label": "cat", "n": 123456789012345678901234}',
                           '{"image_url": "AmlDatastore://ds/d.jpg", "label": "cat", "n": 9223372036854775807}',
                           '{"image_url": "AmlDatastore://ds/e.jpg", "label": "cat", "n": [9007199254740993]}'))
    _, found = _problems(run_json, path)
    messages = {p["line"]: p["message"] for p in found if p["code"] == "AML010"}
    assert "-6101065172474983726" in messages[2] and "the float 1.23456789012345" in messages[3]
    assert "lacks 'n'" in messages[4] and 5 not in messages


def test_nesting_beyond_the_engines_table_schema_fails_even_under_drop(tmp_path, run_json):
    path = tmp_path / "d.jsonl"
    deep = '{"image_url": "AmlDatastore://ds/b.jpg", "label": "cat", "x": ' + "[" * 60 + "]" * 60 + "}"
    path.write_text(_lines(deep))
    _, [p] = _problems(run_json, path, "--invalid-lines", "drop")
    assert (p["code"], p["consequence"]) == ("AML012", "fails-job")
