"""The terminal table as a person reads it: grouped rows, a clickable location first, readable at 80 columns."""

import io
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from automl_lint import api
from automl_lint.reporters import table

JPEG = ('{"image_url": "AmlDatastore://ds/img_%d.jpg", "image_details": {"format": "gif"}, "label": [{"label": "can", '
        '"topX": 0.5, "topY": 0.1, "bottomX": 0.2, "bottomY": 0.9}, {"label": "can", "topX": 0.1, "topY": 0.1, '
        '"bottomX": 0.4, "bottomY": 0.9}]}')
LOCATION = re.compile(r"^(\S+\.jsonl):(\d+):(\d+)(  |$)")


def _render(results, width):
    out = io.StringIO()
    table.report(results, out, {"width": width})
    return out.getvalue()


@pytest.fixture
def many(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "od.jsonl").write_text("\n".join(JPEG % i for i in range(300)) + "\n")
    return api.lint("od.jsonl", task="od", config=False).results


def test_repeated_findings_of_one_rule_are_one_row_with_count_and_lines(many):
    text = _render(many, 200)
    rows = [line for line in text.splitlines() if LOCATION.match(line)]
    codes = [line.split()[1] for line in rows]
    assert len(codes) == len(set(codes)), "one row per rule"
    box = next(line for line in rows if " AML408 " in line)
    assert box.startswith("od.jsonl:1:") and "300 findings, lines 1-300" in box
    assert text.count("box of annotation 0 is inverted") == 1  # one example per row


def test_every_row_starts_with_a_clickable_location_at_80_columns(many):
    text = _render(many, 80)
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines)
    rows = [line for line in lines if LOCATION.match(line)]
    assert rows and all(int(LOCATION.match(line).group(2)) >= 1 for line in rows)
    # The message is readable: wrapped in full lines, not folded into a narrow column.
    body = [line for line in lines if line.startswith("    /label/0/bottomX")]
    assert body and len(body[0]) > 60


def test_a_long_path_is_never_broken_inside_the_location(tmp_path, monkeypatch):
    deep = tmp_path / ("a-rather-long-folder-name-" * 4) / "train_annotations_with_a_long_name.jsonl"
    deep.parent.mkdir()
    deep.write_text(JPEG % 1 + "\n")
    monkeypatch.chdir(tmp_path)
    results = api.lint(str(deep), task="od", config=False).results
    text = _render(results, 80)
    where = os.path.relpath(deep)
    assert f"\n{where}:1:" in text  # printed whole; the terminal wraps it, so it stays one link


def test_file_level_findings_point_at_line_1_and_say_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "one.jsonl").write_text(JPEG % 1 + "\n")
    text = _render(api.lint("one.jsonl", task="od", config=False).results, 80)
    row = next(line for line in text.splitlines() if " AML602 " in line or "AML608" in line)
    assert row.startswith("one.jsonl:1:1  ") and "(whole file)" in row


def test_line_ranges_are_compact():
    assert table.line_ranges([1, 2, 3, 7, 9, 10]) == "1-3, 7, 9-10"
    assert table.line_ranges(list(range(1, 40, 2)), limit=3) == "1, 3, 5 and 17 more ranges"


@pytest.mark.parametrize("width", [80, 200])
def test_in_a_real_terminal(tmp_path, width):
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is missing: .ci/run installs it")
        pytest.skip("tmux is not installed")
    (tmp_path / "od.jsonl").write_text("\n".join(JPEG % i for i in range(50)) + "\n")
    session = f"automl-lint-test-{os.getpid()}-{width}"
    cmd = f"cd {tmp_path} && {sys.executable} -m automl_lint od.jsonl --task od --isolated; echo EXIT=$?"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", str(width), "-y", "60", cmd + "; sleep 120"],
                   check=True, env={**os.environ, "TERM": "xterm-256color"})
    try:
        screen = ""
        for _ in range(600):  # up to a minute on a loaded machine
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                    text=True).stdout
            if "EXIT=" in screen:
                break
            time.sleep(0.1)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    assert "EXIT=1" in screen
    lines = screen.splitlines()
    assert any(line.startswith("od.jsonl:1:") and "AML408 error" in line and "50 findings, lines 1-50" in line
               for line in lines)
    assert "AutoML would" in screen and "Traceback" not in screen
