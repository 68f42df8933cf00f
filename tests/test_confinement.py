"""What a run may read: the folder named on the command line, or the MLTable's folder. Links and MLTable paths
leading anywhere else are refused (AML903) and never opened, so a secret planted outside never reaches any output
format; walks are bounded (no loop on self-links, no walk of the whole disk)."""

from __future__ import annotations

import json
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from automl_lint import confine, mltable
from automl_lint.cli import main
from automl_lint.reporters import FORMATS

SECRET = "SECRET-7f3a9c-TOKEN"
LINE = json.dumps({"image_url": "AmlDatastore://ds/a.jpg", "label": "cat"}) + "\n"
HEADER = ("transformations:\n  - read_json_lines: {encoding: utf8, invalid_lines: error}\n"
          "  - convert_column_types:\n      - {columns: image_url, column_type: stream_info}\n")


@pytest.fixture
def secrets(tmp_path):
    """Files outside the linted tree whose lines carry a secret in every place a message could quote."""
    out = tmp_path / "outside"
    out.mkdir()
    lines = [json.dumps({"image_url": f"AmlDatastore://ds/{SECRET}.jpg", "label": SECRET}),
             json.dumps({"image_url": f"{SECRET}.jpg", "label": [{"label": SECRET, "topX": 2}]}),
             f'{{"image_url": "a.jpg"}} {SECRET}', f"{SECRET} is not JSON", json.dumps({SECRET: 1})]
    for name in ("secret.jsonl", "id_rsa.jsonl", "env.json"):
        (out / name).write_text("\n".join(lines) + "\n")
    (out / "nested").mkdir()
    (out / "nested" / "deep.jsonl").write_text("\n".join(lines) + "\n")
    return out


def _run_every_format(capsys, *args) -> list[tuple[str, int, str]]:
    runs = []
    for fmt in FORMATS:
        rc = main([*map(str, args), "--format", fmt, "--jobs", "1"])
        out, err = capsys.readouterr()
        assert rc in (1, 2), (fmt, err)
        assert "Traceback" not in err and "internal error" not in err
        runs.append((fmt, rc, out + err))
    return runs


def _assert_no_secret(runs) -> None:
    for fmt, _, text in runs:
        assert SECRET not in text, fmt


def _codes(capsys, *args) -> list[tuple[str, str]]:
    rc = main([*map(str, args), "--format", "json", "--jobs", "1"])
    out = capsys.readouterr().out
    assert rc in (0, 1), out
    return [(p["code"], p["message"]) for f in json.loads(out)["files"] for p in f["problems"]]


# --- a folder named on the command line --------------------------------------------------------------------------

def test_jsonl_links_and_linked_folders_leading_out_of_a_walked_folder_are_refused(tmp_path, secrets, capsys):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "ok.jsonl").write_text(LINE * 12)
    os.symlink(secrets / "secret.jsonl", data / "leak.jsonl")                  # absolute link
    os.symlink("../../outside/id_rsa.jsonl", data / "sub" / "rel.jsonl")       # relative link
    os.symlink(secrets, data / "linked-folder")                                # a folder link
    os.symlink(secrets / "nested", data / "sub" / "deeper")
    os.symlink("ok.jsonl", data / "inside.jsonl")                              # stays inside: read
    _assert_no_secret(_run_every_format(capsys, data))
    found = _codes(capsys, data)
    refused = sorted(m.split(":")[0] for c, m in found if c == "AML903")
    assert len(refused) == 4, found
    rc = main([str(data), "--format", "json", "--jobs", "1"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    read = {os.path.realpath(f["path"]) for f in doc["files"] if f["kind"] != "not-read"}
    assert read == {os.path.realpath(data / "ok.jsonl")}  # the link inside the folder is read (once: same file)
    not_read = {os.path.relpath(os.path.abspath(f["path"]), data) for f in doc["files"] if f["kind"] == "not-read"}
    assert not_read == {"leak.jsonl", "linked-folder", "sub/rel.jsonl", "sub/deeper"}


def test_allow_outside_reads_what_links_lead_to(tmp_path, secrets, capsys):
    data = tmp_path / "data"
    data.mkdir()
    os.symlink(secrets / "secret.jsonl", data / "leak.jsonl")
    assert main([str(data), "--format", "concise", "--allow-outside", "--jobs", "1"]) == 1
    assert SECRET in capsys.readouterr().out


def test_a_file_named_on_the_command_line_is_read_even_through_a_link(tmp_path, secrets, capsys):
    os.symlink(secrets / "secret.jsonl", tmp_path / "named.jsonl")
    assert main([str(tmp_path / "named.jsonl"), "--format", "concise", "--jobs", "1"]) == 1
    assert SECRET in capsys.readouterr().out  # the user named it: that is the tree


def test_a_folder_that_cannot_be_listed_is_reported_not_skipped(tmp_path, capsys, monkeypatch):
    data = tmp_path / "data"
    (data / "locked").mkdir(parents=True)
    (data / "ok.jsonl").write_text(LINE * 12)
    real_scandir = os.scandir

    def scandir(path):
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(confine.os, "scandir", scandir)
    found = _codes(capsys, data)
    assert [c for c, m in found if c == "AML903" and "cannot be read (Permission denied)" in m], found


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists every folder")
def test_a_folder_without_read_permission_is_reported(tmp_path, capsys):
    data = tmp_path / "data"
    (data / "locked").mkdir(parents=True)
    (data / "ok.jsonl").write_text(LINE * 12)
    (data / "locked").chmod(0)
    try:
        assert any(c == "AML903" for c, _ in _codes(capsys, data))
    finally:
        (data / "locked").chmod(0o755)


def test_a_walk_stops_after_its_entry_budget_and_says_so(tmp_path, capsys, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(30):
        (data / f"f{i:02}.txt").write_text("")
    (data / "ok.jsonl").write_text(LINE * 12)
    monkeypatch.setattr(confine, "MAX_ENTRIES", 10)
    monkeypatch.setattr(confine.data_files, "__defaults__", (False, 10))
    found = _codes(capsys, data)
    assert any(c == "AML903" and "entries" in m for c, m in found), found


# --- an MLTable ---------------------------------------------------------------------------------------------------

ESCAPES = [
    "file: {outside}/secret.jsonl", "file: ../outside/secret.jsonl", "file: ./../outside/id_rsa.jsonl",
    "folder: ../outside", "folder: {outside}", "pattern: {outside}/*.jsonl", "pattern: /etc/*",
    "pattern: ../**/*.jsonl", "pattern: '*/../../outside/*.jsonl'", "pattern: '../outside/**'",
    "pattern: '{outside}/**/*'", "pattern: '**/*.jsonl'", "folder: ./linked", "file: ./linked/secret.jsonl",
    "file: ./leak.jsonl", "pattern: './linked/*'", "pattern: '/**/*.jsonl'", "pattern: '[.][.]/outside/*'",
]


@pytest.mark.parametrize("entry", ESCAPES)
def test_mltable_paths_leading_outside_its_folder_are_refused(entry, tmp_path, secrets, capsys):
    table = tmp_path / "table"
    table.mkdir()
    (table / "train.jsonl").write_text(LINE * 12)
    os.symlink(secrets, table / "linked")
    os.symlink(secrets / "secret.jsonl", table / "leak.jsonl")
    (table / "MLTable").write_text("paths:\n  - file: ./train.jsonl\n  - "
                                   + entry.format(outside=secrets) + "\n" + HEADER)
    start = time.monotonic()
    runs = _run_every_format(capsys, table)
    assert time.monotonic() - start < 60
    _assert_no_secret(runs)
    loaded = mltable.load(str(table / "MLTable"))
    assert all(confine.inside(p, str(table)) for p in loaded.jsonl), loaded.jsonl
    if "[.][.]" not in entry:  # a pattern whose '..' is itself a wildcard matches nothing: nothing to refuse
        assert any(f[0].code == "AML903" for f in loaded.findings), loaded.findings


def test_allow_outside_lets_an_mltable_read_an_absolute_path(tmp_path, secrets, capsys):
    table = tmp_path / "table"
    table.mkdir()
    (table / "MLTable").write_text(f"paths:\n  - file: {secrets}/secret.jsonl\n" + HEADER)
    assert main([str(table), "--format", "concise", "--allow-outside", "--jobs", "1"]) == 1
    assert SECRET in capsys.readouterr().out
    assert mltable.load(str(table / "MLTable"), allow_outside=True).jsonl == [f"{secrets}/secret.jsonl"]


def test_an_mltable_file_linked_from_elsewhere_is_not_read_through_its_folder(tmp_path, secrets, capsys):
    (secrets / "MLTable").write_text("paths:\n  - file: ./secret.jsonl\n" + HEADER)
    table = tmp_path / "table"
    table.mkdir()
    os.symlink(secrets / "MLTable", table / "MLTable")
    _assert_no_secret(_run_every_format(capsys, table))
    assert [f[0].code for f in mltable.load(str(table / "MLTable")).findings] == ["AML903"]


def test_mltable_patterns_over_self_links_end_quickly_without_duplicates(tmp_path, capsys):
    table = tmp_path / "table"
    folder = table
    for depth in range(6):  # every level links to itself and to the top twice: naive globbing explodes
        (folder / "x").mkdir(parents=True)
        (folder / f"d{depth}.jsonl").write_text(LINE)
        for name in ("self", "again"):
            os.symlink(".", folder / name)
        os.symlink(table, folder / "top")
        folder = folder / "x"
    (table / "MLTable").write_text("paths:\n  - pattern: '**/*.jsonl'\n  - pattern: '*/*/*/*/*/*/*/*.jsonl'\n"
                                   + HEADER)
    start = time.monotonic()
    loaded = mltable.load(str(table / "MLTable"))
    assert time.monotonic() - start < 10
    real = [os.path.realpath(p) for p in loaded.jsonl]
    assert sorted(os.path.basename(p) for p in set(real)) == [f"d{i}.jsonl" for i in range(6)]
    assert len(real) <= 2 * 6  # each of the two patterns lists a file once, under its first spelling


def test_a_pattern_walking_the_whole_disk_is_refused_without_walking(tmp_path, capsys):
    table = tmp_path / "table"
    table.mkdir()
    (table / "MLTable").write_text("paths:\n  - pattern: '/**/*.jsonl'\n  - pattern: '../../../../**'\n" + HEADER)
    start = time.monotonic()
    loaded = mltable.load(str(table / "MLTable"))
    assert time.monotonic() - start < 2
    assert loaded.jsonl == [] and [f[0].code for f in loaded.findings].count("AML903") == 2


def test_a_folder_linking_inside_the_mltable_folder_is_followed_once(tmp_path):
    table = tmp_path / "table"
    (table / "real").mkdir(parents=True)
    (table / "real" / "a.jsonl").write_text(LINE)
    os.symlink("real", table / "alias")
    (table / "MLTable").write_text("paths:\n  - pattern: 'alias/*.jsonl'\n" + HEADER)
    loaded = mltable.load(str(table / "MLTable"))
    assert [os.path.basename(p) for p in loaded.jsonl] == ["a.jsonl"] and not loaded.findings[:0]


segments = st.sampled_from(["..", ".", "*", "**", "?", "a", "out", "link", "loop", "etc", "[a-z]*", "*.jsonl",
                            "secret.jsonl", ""])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(segments, min_size=1, max_size=6), absolute=st.booleans(), kind=st.sampled_from(
    ["file", "folder", "pattern"]))
def test_no_generated_mltable_path_reads_outside_its_folder(parts, absolute, kind, tmp_path_factory):
    base = tmp_path_factory.getbasetemp() / "gen"
    table = base / "table"
    if not table.exists():
        (base / "out").mkdir(parents=True)
        (base / "out" / "secret.jsonl").write_text(SECRET + "\n")
        (table / "a").mkdir(parents=True)
        (table / "a" / "ok.jsonl").write_text(LINE)
        os.symlink(base / "out", table / "link")
        os.symlink(base / "out" / "secret.jsonl", table / "a" / "secret.jsonl")
        os.symlink(".", table / "loop")
    value = ("/" if absolute else "") + "/".join(parts)
    (table / "MLTable").write_text(f"paths:\n  - {kind}: {json.dumps(value)}\n" + HEADER)
    loaded = mltable.load(str(table / "MLTable"))
    root = os.path.realpath(table)
    assert all(confine.inside(p, root) for p in loaded.jsonl), (value, loaded.jsonl)
