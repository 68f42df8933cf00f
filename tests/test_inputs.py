"""Inputs as a person gives them: one path style, each file linted once, a progress bar only for a person."""

import json

import pytest

from automl_lint import api, engine, progress
from automl_lint.cli import main

LINE = '{"image_url": "AmlDatastore://d/%d.jpg", "label": "can"}'


def _json(capsys, *args):
    main([*map(str, args), "--format", "json", "--isolated"])
    return json.loads(capsys.readouterr().out)


def test_paths_are_relative_to_the_working_directory_and_a_file_is_linted_once(tmp_path, capsys, monkeypatch):
    (tmp_path / "data").mkdir()
    f = tmp_path / "data" / "a.jsonl"
    f.write_text("\n".join(LINE % i for i in range(12)) + "\n")
    monkeypatch.chdir(tmp_path)
    doc = _json(capsys, "data/a.jsonl", f, "./data/a.jsonl", "data")
    assert [x["path"] for x in doc["files"]] == ["data/a.jsonl"]


def test_files_outside_the_working_directory_are_shown_absolute(tmp_path, capsys, monkeypatch):
    f = tmp_path / "a.jsonl"
    f.write_text(LINE % 1 + "\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert _json(capsys, "../a.jsonl")["files"][0]["path"] == str(f)


def test_a_jsonl_file_given_with_its_mltable_is_linted_through_the_mltable(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "train"
    folder.mkdir()
    (folder / "train.jsonl").write_text("\n".join(LINE % i for i in range(12)) + "\n")
    (folder / "MLTable").write_text("paths:\n  - file: ./train.jsonl\ntransformations:\n  - read_json_lines:\n"
                                    "      encoding: utf8\n      invalid_lines: error\n      include_path_column: false\n"
                                    "  - convert_column_types:\n      - columns: image_url\n"
                                    "        column_type: stream_info\n")
    monkeypatch.chdir(tmp_path)
    doc = _json(capsys, "train/train.jsonl", "train")
    assert [x["path"] for x in doc["files"]] == ["train/MLTable", "train/train.jsonl"]


def test_progress_bar_only_for_a_person_at_a_terminal(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert not progress.wanted()
    monkeypatch.delenv("CI")
    for name in ("GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI"):
        monkeypatch.delenv(name, raising=False)
    assert not progress.wanted()  # under pytest stderr is not a terminal


def test_long_runs_report_lines_read_to_the_progress_bar(tmp_path, monkeypatch):
    f = tmp_path / "a.jsonl"
    f.write_text("\n".join(LINE % i for i in range(40_000)) + "\n")
    seen = []
    monkeypatch.setattr(progress.RunProgress, "_update", lambda self, count: seen.append((self.path, count)))
    settings, _ = api.configure(config=False, jobs=1)
    report = api.run([str(f)], settings, progress=True)
    assert report.summary["records"] == 40_000
    assert [c for _, c in seen] == [0, 16384, 32768] and engine.LINE_HOOK is None
