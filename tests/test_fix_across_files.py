"""AML604 across the JSONL files of one MLTable: AutoML reads them as one table, so the lines of one image_url in
different files are merged as within one file (detection: annotations join the first line; classification: the
last line stays), unless take/skip or a column transformation would change what a moved line becomes."""

import json
import shutil
import subprocess
import sys

import pytest

from automl_lint import api

MLTABLE = ("paths:\n  - file: ./p1.jsonl\n  - file: ./p2.jsonl\ntransformations:\n  - read_json_lines:\n"
           "      encoding: utf8\n      invalid_lines: error\n      include_path_column: false\n{extra}"
           "  - convert_column_types:\n      - columns: image_url\n        column_type: stream_info\n")


def rec(url, label) -> str:
    return json.dumps({"image_url": f"AmlDatastore://ds/{url}", "label": label})


def box(name, x0):
    return {"label": name, "topX": x0, "topY": 0.1, "bottomX": x0 + 0.2, "bottomY": 0.5}


def table(folder, p1, p2, extra=""):
    folder.mkdir()
    (folder / "MLTable").write_text(MLTABLE.format(extra=extra))
    (folder / "p1.jsonl").write_text("".join(line + "\n" for line in p1))
    (folder / "p2.jsonl").write_text("".join(line + "\n" for line in p2))
    return folder


def cli(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "automl_lint", *map(str, args), "--isolated", "-q", "-f", "concise"],
                          capture_output=True, cwd=cwd)


def test_detection_lines_of_one_image_in_two_files_become_one_line(tmp_path):
    p1 = [rec("a.jpg", [box("cat", 0.1)]), rec("b.jpg", [box("dog", 0.1)])]
    p2 = [rec("c.jpg", [box("dog", 0.2)]), rec("a.jpg", [box("dog", 0.6)])]
    folder = table(tmp_path / "t", p1, p2)
    original = {name: (folder / name).read_bytes() for name in ("p1.jsonl", "p2.jsonl")}
    proc = cli("t", "--task", "od", "--diff", cwd=tmp_path)
    assert proc.returncode == 1 and {n: (folder / n).read_bytes() for n in original} == original
    proc_fix = cli("t", "--task", "od", "--fix", cwd=tmp_path)
    assert b"fixed 1 finding(s) on 2 line(s) in 2 file(s)" in proc_fix.stderr
    assert (folder / "p1.jsonl").read_text().splitlines() == [rec("a.jpg", [box("cat", 0.1), box("dog", 0.6)]),
                                                               p1[1]]
    assert (folder / "p2.jsonl").read_text().splitlines() == [p2[0]]
    assert b"AML604" not in proc_fix.stdout
    fixed = {n: (folder / n).read_bytes() for n in original}
    cli("t", "--task", "od", "--fix", cwd=tmp_path)  # a second --fix changes nothing
    assert {n: (folder / n).read_bytes() for n in original} == fixed
    # The diff, applied with patch, gives the fixed files.
    shutil.rmtree(folder)
    folder = table(tmp_path / "t", p1, p2)
    subprocess.run(["patch", "-s", "-p0"], input=proc.stdout, cwd=tmp_path, check=True)
    assert {n: (folder / n).read_bytes() for n in original} == fixed


def test_classification_keeps_the_last_line_across_files(tmp_path):
    folder = table(tmp_path / "t", [rec("a.jpg", "cat"), rec("b.jpg", "dog")], [rec("a.jpg", "dog")])
    report = api.fix([str(folder)], api.configure(config=False, task="mc")[0])
    assert (folder / "p1.jsonl").read_text().splitlines() == [rec("b.jpg", "dog")]
    assert (folder / "p2.jsonl").read_text().splitlines() == [rec("a.jpg", "dog")]
    assert report.fixes.fixed == 1
    assert "AML604" not in {p.code for r in report.results for p in r.problems}


@pytest.mark.parametrize("extra", ["  - take: 10\n", "  - drop_columns: [image_details]\n"])
def test_no_merge_across_files_when_the_mltable_takes_rows_or_changes_columns(tmp_path, extra):
    p1, p2 = [rec("a.jpg", [box("cat", 0.1)])], [rec("a.jpg", [box("dog", 0.6)])]
    folder = table(tmp_path / "t", p1, p2, extra)
    report = api.fix([str(folder)], api.configure(config=False, task="od")[0])
    assert (folder / "p1.jsonl").read_text().splitlines() == p1
    assert (folder / "p2.jsonl").read_text().splitlines() == p2
    assert "AML604" in {p.code for r in report.results for p in r.problems}


def test_a_line_autoML_does_not_read_as_written_keeps_its_group_apart(tmp_path):
    p1 = [rec("a.jpg", [box("cat", 0.1)])]
    p2 = [rec("a.jpg", [box("dog", 0.6), {"label": "dog", "topX": 0.9, "topY": 0.1, "bottomX": 0.2,
                                           "bottomY": 0.5}])]  # an inverted box AutoML drops
    folder = table(tmp_path / "t", p1, p2)
    api.fix([str(folder)], api.configure(config=False, task="od")[0])
    assert (folder / "p1.jsonl").read_text().splitlines() == p1
    assert (folder / "p2.jsonl").read_text().splitlines() == p2


def test_no_merge_within_a_file_an_mltable_reads_through_take(tmp_path):
    # take: 1 reads the first line only: merging the second into it would add a box AutoML never trains on.
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "MLTable").write_text(MLTABLE.replace("  - file: ./p2.jsonl\n", "").format(extra="  - take: 1\n"))
    lines = [rec("a.jpg", [box("cat", 0.1)]), rec("a.jpg", [box("dog", 0.6)])]
    (folder / "p1.jsonl").write_text("".join(line + "\n" for line in lines))
    api.fix([str(folder)], api.configure(config=False, task="od")[0])
    assert (folder / "p1.jsonl").read_text().splitlines() == lines
