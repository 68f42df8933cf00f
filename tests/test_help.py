"""--help as a person reads it: grouped options, real metavars, the terminal's width; --list-rules as JSON."""

import json
import re

import pytest

from automl_lint.cli import main

GROUPS = ["Input:", "Task and runtime:", "Rules:", "Output:", "Images:", "Configuration:", "Information:"]


def _help(capsys, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["--help"]) == 0
    return capsys.readouterr().out


def test_help_groups_the_options_and_shows_real_metavars(capsys, monkeypatch):
    text = _help(capsys, monkeypatch, 100)
    positions = [text.index(g) for g in GROUPS]
    assert positions == sorted(positions)
    assert "<list[str]>" not in text and "<int range>" not in text and "<str>" not in text
    assert "--task TASK" in text and "--image-root DIR" in text and "--kind {training,predictions}" in text
    assert "--output-format" in text and "--jobs N" in text


@pytest.mark.parametrize("columns, used", [(80, 80), (100, 100), (200, 120)])  # at most 120: long lines tire
def test_help_wraps_to_the_terminal_width(capsys, monkeypatch, columns, used):
    lines = _help(capsys, monkeypatch, columns).splitlines()
    assert used - 12 < max(len(line) for line in lines) <= used


def test_help_is_given_before_any_other_option_is_checked(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["--task", "nonsense", "-h"]) == 0
    assert "Usage: automl-lint" in capsys.readouterr().out


def test_output_format_is_an_alias_of_format(tmp_path, capsys):
    path = tmp_path / "a.jsonl"
    path.write_text('{"image_url": "AmlDatastore://ds/a.jpg", "label": "can"}\n')
    main([str(path), "--output-format", "json", "--isolated"])
    assert json.loads(capsys.readouterr().out)["summary"]["records"] == 1


@pytest.mark.parametrize("option", ["--format", "--output-format"])
def test_list_rules_in_json(capsys, option):
    assert main(["--list-rules", option, "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert {"code", "name", "severity", "consequence", "summary"} <= set(rules[0])
    assert all(re.match(r"^AML\d{3}$", r["code"]) for r in rules)
