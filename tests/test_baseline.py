"""Baselines: --write-baseline records findings, --baseline hides them even after lines are inserted,
removed or reordered, and entries whose finding disappeared are reported as stale (AML901)."""

import json

import pytest

from automl_lint.cli import main


def od(i: int, bad: bool = False) -> str:
    top_x, bottom_x = (0.7, 0.2) if bad else (0.1, 0.6)
    return json.dumps({"image_url": f"AmlDatastore://ds/img_{i}.jpg", "label": [
        {"label": "cat", "topX": top_x, "topY": 0.1, "bottomX": bottom_x, "bottomY": 0.6}]})


GOOD = [od(i) for i in range(20)]


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def lint(capsys, *args) -> tuple[int, list[dict]]:
    rc = main([*map(str, args), "--task", "od", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    return rc, [p for f in doc["files"] for p in f["problems"]]


def test_written_baseline_hides_the_same_findings_after_lines_are_inserted_above(project, capsys):
    lines = GOOD[:5] + [od(100, bad=True), "not json at all"] + GOOD[5:10] + [od(101, bad=True)]
    data = write(project / "train.jsonl", lines)
    rc, before = lint(capsys, data)
    assert rc == 1 and {p["code"] for p in before} >= {"AML408", "AML002"}
    rc, after_write = lint(capsys, data, "--write-baseline", "baseline.json")
    assert rc == 0 and after_write == []
    entries = json.loads((project / "baseline.json").read_text())["entries"]
    assert len(entries) == len(before)
    assert all("line" in e and e["path"] == "train.jsonl" for e in entries)

    write(data, GOOD[10:] + lines)  # ten lines inserted above every finding
    assert lint(capsys, data)[0] == 1
    rc, hidden = lint(capsys, data, "--baseline", "baseline.json")
    assert rc == 0 and hidden == []


def test_baseline_survives_reordering_and_removed_lines(project, capsys):
    lines = GOOD[:5] + [od(100, bad=True), od(101, bad=True)]
    data = write(project / "train.jsonl", lines)
    main([str(data), "--task", "od", "--write-baseline", "baseline.json", "--quiet"])
    capsys.readouterr()
    write(data, [od(101, bad=True)] + GOOD[2:5] + [od(100, bad=True)])
    rc, left = lint(capsys, data, "--baseline", "baseline.json", "--fail-on", "warning", "--ignore", "AML6")
    assert rc == 0 and left == []


def test_new_findings_are_still_reported(project, capsys):
    data = write(project / "train.jsonl", GOOD + [od(100, bad=True)])
    main([str(data), "--task", "od", "--write-baseline", "baseline.json", "--quiet"])
    capsys.readouterr()
    write(data, GOOD + [od(100, bad=True), od(200, bad=True)])
    rc, left = lint(capsys, data, "--baseline", "baseline.json")
    assert rc == 1
    assert {p["image_url"] for p in left} == {"AmlDatastore://ds/img_200.jpg"}
    assert "AML408" in {p["code"] for p in left}


def test_fixed_findings_become_stale_entries(project, capsys):
    data = write(project / "train.jsonl", GOOD + [od(100, bad=True)])
    main([str(data), "--task", "od", "--write-baseline", "baseline.json", "--quiet"])
    capsys.readouterr()
    write(data, GOOD + [od(100)])
    rc, left = lint(capsys, data, "--baseline", "baseline.json")
    assert rc == 0  # AML901 is a warning
    # The inverted box was AML408, and AML416 because it was the image's only annotation.
    assert [p["code"] for p in left] == ["AML901", "AML901"]
    assert any("AML408" in p["message"] for p in left)
    assert all("img_100.jpg" in p["message"] and p["path"] == "train.jsonl" for p in left)  # relative to the working directory
    # Fail on stale entries in CI with --fail-on warning.
    assert lint(capsys, data, "--baseline", "baseline.json", "--fail-on", "warning")[0] == 1


def test_entries_for_files_not_linted_are_not_stale(project, capsys):
    a = write(project / "a.jsonl", GOOD + [od(100, bad=True)])
    b = write(project / "b.jsonl", GOOD + [od(101, bad=True)])
    main([str(a), str(b), "--task", "od", "--write-baseline", "baseline.json", "--quiet"])
    capsys.readouterr()
    rc, left = lint(capsys, a, "--baseline", "baseline.json")  # pre-commit passes only changed files
    assert rc == 0 and left == []


def test_records_without_image_url_are_keyed_by_their_content(project, capsys):
    lines = GOOD + ["{broken", '{"label": []}']
    data = write(project / "train.jsonl", lines)
    main([str(data), "--task", "od", "--write-baseline", "baseline.json", "--quiet"])
    capsys.readouterr()
    write(data, ["{broken"] + GOOD[:3] + ['{"label": []}'] + GOOD[3:])
    assert lint(capsys, data, "--baseline", "baseline.json")[1] == []
    write(data, GOOD + ["{broken differently"])
    left = lint(capsys, data, "--baseline", "baseline.json")[1]
    assert "AML002" in [p["code"] for p in left] and "AML901" in [p["code"] for p in left]


def test_baseline_path_keys_are_relative_to_the_baseline_file(project, capsys, monkeypatch):
    (project / "data").mkdir()
    data = write(project / "data" / "train.jsonl", GOOD + [od(100, bad=True)])
    main([str(data), "--task", "od", "--write-baseline", "baseline.json", "--quiet"])
    capsys.readouterr()
    monkeypatch.chdir(project / "data")
    rc, left = lint(capsys, "train.jsonl", "--baseline", "../baseline.json")
    assert rc == 0 and left == []


@pytest.mark.parametrize("content, needle", [
    (None, "no such baseline file"),
    ("[1, 2]", "not an automl-lint baseline file"),
    ("{", "not a baseline file"),
])
def test_unusable_baseline_exits_2(project, capsys, content, needle):
    data = write(project / "train.jsonl", GOOD)
    if content is not None:
        (project / "baseline.json").write_text(content)
    assert main([str(data), "--baseline", "baseline.json"]) == 2
    assert needle in capsys.readouterr().err
