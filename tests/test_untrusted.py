"""automl-lint on untrusted data in CI: it never overwrites its inputs, and every failure of the tool itself is one
honest line with exit code 2 (wrong configuration values, bad baselines, out-of-range options, a closed stdout)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from automl_lint.cli import main

LINE = json.dumps({"image_url": "AmlDatastore://ds/a.jpg", "label": "cat"}) + "\n"


def _digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("automl-lint: error: "), err
    assert "Traceback" not in err and "internal error" not in err, err
    return err


# --- item 4: -o and --write-baseline never replace an input ---------------------------------------------------

@pytest.mark.parametrize("spelling", ["same", "dot", "symlink", "hardlink", "absolute"])
@pytest.mark.parametrize("option", ["-o", "--output-file", "--write-baseline"])
def test_an_output_naming_an_input_in_any_spelling_is_refused(spelling, option, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "train.jsonl"
    data.write_text(LINE * 3)
    before = _digest(data)
    target = {"same": "train.jsonl", "dot": "./sub/../train.jsonl", "absolute": str(data),
              "symlink": "link.jsonl", "hardlink": "hard.jsonl"}[spelling]
    (tmp_path / "sub").mkdir()
    os.symlink("train.jsonl", tmp_path / "link.jsonl")
    os.link(data, tmp_path / "hard.jsonl")
    assert main(["train.jsonl", option, target]) == 2
    assert "refusing to overwrite" in _one_error_line(capsys)
    assert _digest(data) == before


def test_the_report_may_not_replace_a_file_an_mltable_reads(tmp_path, capsys):
    (tmp_path / "train.jsonl").write_text(LINE * 3)
    (tmp_path / "MLTable").write_text("paths:\n  - file: ./train.jsonl\ntransformations:\n  - read_json_lines: {}\n")
    before = _digest(tmp_path / "train.jsonl"), _digest(tmp_path / "MLTable")
    for target in ("train.jsonl", "MLTable"):
        assert main([str(tmp_path), "-o", str(tmp_path / target)]) == 2
        _one_error_line(capsys)
    assert (_digest(tmp_path / "train.jsonl"), _digest(tmp_path / "MLTable")) == before


def test_the_report_may_not_replace_the_baseline_or_the_new_baseline(tmp_path, capsys):
    data = tmp_path / "train.jsonl"
    data.write_text(LINE)
    base = tmp_path / "baseline.json"
    assert main([str(data), "--write-baseline", str(base), "--baseline", str(base)]) in (0, 1)  # allowed
    before = _digest(base)
    capsys.readouterr()
    assert main([str(data), "--baseline", str(base), "-o", str(base)]) == 2
    _one_error_line(capsys)
    assert main([str(data), "--write-baseline", str(tmp_path / "new.json"), "-o", str(tmp_path / "new.json")]) == 2
    _one_error_line(capsys)
    assert _digest(base) == before and not (tmp_path / "new.json").exists()


def test_the_report_may_not_replace_the_validation_file(tmp_path, capsys):
    (tmp_path / "t.jsonl").write_text(LINE)
    (tmp_path / "v.jsonl").write_text(LINE)
    assert main([str(tmp_path / "t.jsonl"), "--validation", str(tmp_path / "v.jsonl"),
                 "-o", str(tmp_path / "v.jsonl")]) == 2
    _one_error_line(capsys)
    assert (tmp_path / "v.jsonl").read_text() == LINE


# --- items 9 and 10: honest failures ---------------------------------------------------------------------------

IMAGE_STARTS = {
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "gif": b"GIF89a\x01\x00\x01\x00", "bmp": b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00",
    "tif": b"II*\x00\x08\x00\x00\x00", "tiff": b"MM\x00*\x00\x00\x00\x08", "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
}


@pytest.mark.parametrize("kind", sorted(IMAGE_STARTS))
@pytest.mark.parametrize("option", ["-o", "--write-baseline", "--fix-output"])
def test_an_output_naming_an_image_file_is_refused(kind, option, tmp_path, capsys, monkeypatch):
    """-o img/cat.jpg beside --images would replace a picture of the dataset with the report."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.jsonl").write_text(LINE * 3)
    image = tmp_path / f"cat.{kind}"
    image.write_bytes(IMAGE_STARTS[kind] + bytes(64))
    before = _digest(image)
    assert main(["train.jsonl", option, image.name]) == 2
    err = _one_error_line(capsys)
    assert "is an image file" in err and image.name in err
    assert _digest(image) == before


def test_a_report_that_starts_like_an_image_signature_may_be_replaced(tmp_path, capsys, monkeypatch):
    """Only an image's bytes are refused: the concise report of BMW.jsonl starts with "BM", like a bitmap."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "BMW.jsonl").write_text(LINE * 3)
    for _ in range(2):
        assert main(["BMW.jsonl", "-o", "report.txt", "-f", "concise"]) == 0
    assert (tmp_path / "report.txt").read_text().startswith("BMW.jsonl:")
    assert main(["BMW.jsonl", "--write-baseline", "report.txt"]) == 0  # a report file may become a baseline


def test_a_pyproject_that_is_not_toml_is_a_configuration_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.jsonl").write_text(LINE)
    (tmp_path / "pyproject.toml").write_text("[tool.automl-lint\nselect = ['AML2']\n")
    assert main(["d.jsonl"]) == 2
    assert "pyproject.toml: invalid TOML" in _one_error_line(capsys)


@pytest.mark.parametrize("body", [
    "[tool]\nautoml-lint = 1\n", "[tool]\nautoml-lint = [1]\n", "max-imbalance-ratio = nan", "max-imbalance-ratio = inf",
    "max-line-bytes = 9223372036854775807", "jobs = 100000000", "min-images = -1", "severity = {AML604 = []}",
    "severity = 1", "per-file-ignores = {\"a\" = [1]}", "tasks = {\"a\" = [\"od\"]}", "datastores = {a = 1}",
    "maps = [1]", "image-root = [1]", "images = 2", "select = [[1]]", "ignore = {a = 1}", "image-cache = 1",
    "fail-on = [\"error\"]", "model = 1", "task = {}", "kind = []", "min-images = 1.5",
])
def test_configuration_values_of_the_wrong_type_or_range_are_one_error_line(body, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.jsonl").write_text(LINE)
    name = "pyproject.toml" if body.startswith(("[tool]", "tool")) else "automl-lint.toml"
    (tmp_path / name).write_text(body + "\n")
    assert main(["d.jsonl"]) == 2
    _one_error_line(capsys)


def test_a_configuration_found_in_a_parent_directory_is_named(tmp_path, capsys, monkeypatch):
    (tmp_path / "automl-lint.toml").write_text("min-images = 50\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.jsonl").write_text(LINE)
    monkeypatch.chdir(tmp_path / "sub")
    main(["d.jsonl", "--format", "concise"])
    err = capsys.readouterr().err
    assert f"using the configuration in {tmp_path / 'automl-lint.toml'}" in err
    main(["d.jsonl", "--format", "concise", "--min-images", "1"])  # it changes nothing: not named
    assert "configuration" not in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    main(["sub/d.jsonl", "--format", "concise"])  # the working directory's own file: expected, not named
    assert "configuration" not in capsys.readouterr().err


@pytest.mark.parametrize("entry", [
    {"path": ["x"], "code": "AML1", "record": "", "pointer": "", "occurrence": 0},
    {"path": "d.jsonl", "code": {"a": 1}, "record": "", "pointer": "", "occurrence": 0},
    {"path": "d.jsonl", "code": "AML202", "record": 5, "pointer": "", "occurrence": 0},
    {"path": "d.jsonl", "code": "AML202", "record": "", "pointer": None, "occurrence": 0},
    {"path": "d.jsonl", "code": "AML202", "record": "", "pointer": "", "occurrence": "0"},
    {"path": "d.jsonl", "code": "AML202", "record": "", "pointer": "", "occurrence": [0]},
])
def test_a_baseline_with_fields_of_the_wrong_type_is_one_error_line(entry, tmp_path, capsys):
    (tmp_path / "d.jsonl").write_text(LINE)
    base = tmp_path / "b.json"
    base.write_text(json.dumps({"tool": "automl-lint", "version": 1, "entries": [entry]}))
    assert main([str(tmp_path / "d.jsonl"), "--baseline", str(base)]) == 2
    assert "entry 0" in _one_error_line(capsys)


@pytest.mark.parametrize("args", [["--max-line-bytes", "99999999999999999999"], ["--max-line-bytes", "0"],
                                  ["--jobs", "100000000"], ["--jobs", "-1"]])
def test_out_of_range_limits_are_usage_errors(args, tmp_path, capsys):
    (tmp_path / "d.jsonl").write_text(LINE)
    assert main([str(tmp_path / "d.jsonl"), *args]) == 2
    _one_error_line(capsys)


@pytest.mark.parametrize("redirect", ["closed", "full"])
def test_a_closed_or_full_stdout_is_one_error_line(redirect, tmp_path):
    (tmp_path / "d.jsonl").write_text(LINE * 100)
    code = ("import os, sys\n"
            + ("os.close(1)\n" if redirect == "closed" else "os.dup2(os.open('/dev/full', os.O_WRONLY), 1)\n")
            + "from automl_lint.cli import run\nsys.argv = ['automl-lint', sys.argv[1], '--format', 'concise']\nrun()\n")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "d.jsonl")], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("automl-lint: error: "), proc.stderr
