"""The Python API: the same run as the command line, as a function returning a Report."""

import pytest

import automl_lint
from automl_lint.api import UsageError, configure

FIXTURES = __import__("pathlib").Path(__file__).resolve().parent.parent / "fixtures"


def test_lint_returns_the_findings_summary_and_exit_code_of_the_command_line(tmp_path):
    bad = tmp_path / "od.jsonl"
    bad.write_text('{"image_url": "azureml://datastores/d/paths/a.jpg", "label": [{"label": "cat", "topX": 0.5, '
                   '"topY": 0.1, "bottomX": 0.2, "bottomY": 0.9}]}\n')
    report = automl_lint.lint(str(bad), task="od", config=False)
    assert [p.code for p in report.problems] and report.exit_code() == 1
    assert report.summary["records"] == 1
    assert report.verdict.startswith("AutoML would")


def test_keyword_settings_are_checked_like_the_configuration_file():
    with pytest.raises(UsageError, match="unknown task"):
        configure(config=False, task="segmentation-ish")
    with pytest.raises(UsageError, match="unknown rule code"):
        configure(config=False, select=["XYZ"])
    settings, path = configure(config=False, fail_on="warning", ignore=["AML6"])
    assert settings.fail_on == "warning" and path is None and not any(c.startswith("AML6") for c in settings.enabled)


def test_images_without_a_location_is_a_usage_error():
    with pytest.raises(UsageError, match="image_root"):
        configure(config=False, images=True)


BOX = ('{"image_url": "azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/d/paths/%d.jpg", '
       '"label": [{"label": "can", "topX": 0.5, "topY": 0.1, "bottomX": 0.2, "bottomY": 0.9}]}')


def test_records_in_memory_are_linted_like_a_file(tmp_path):
    import json

    lines = [BOX % i for i in range(3)]
    (tmp_path / "od.jsonl").write_text("\n".join(lines) + "\n")
    from_file = automl_lint.lint(str(tmp_path / "od.jsonl"), task="od", config=False)
    for records in (lines, [line.encode() for line in lines], [json.loads(line) for line in lines]):
        report = automl_lint.lint_records(records, task="od")
        assert [(p.line, p.code, p.pointer) for p in report.findings] == \
            [(p.line, p.code, p.pointer) for p in from_file.findings]
        assert report.summary["automl"] == from_file.summary["automl"]
        assert {p.path for p in report.findings} == {"<records>"}


def test_a_broken_line_given_as_text_is_reported_as_written():
    report = automl_lint.lint_records(['{"image_url": "AmlDatastore://d/a.jpg", "label": "can"', BOX % 1],
                                      task="od", name="cell 3")
    assert (1, "AML002") in {(p.line, p.code) for p in report.findings}
    assert report.findings[0].path == "cell 3"


def test_records_that_are_neither_dicts_nor_lines_are_a_usage_error():
    with pytest.raises(UsageError, match="dict, a str or bytes"):
        automl_lint.lint_records([3.5], task="od")


def test_report_has_per_file_verdicts_json_and_a_rich_display(tmp_path):
    import io
    import json

    from rich.console import Console

    (tmp_path / "a.jsonl").write_text(BOX % 1 + "\n")
    (tmp_path / "b.jsonl").write_text("".join('{"image_url": "AmlDatastore://d/b%d.jpg", "label": "%s"}\n'
                                              % (i, ("can", "carton")[i % 2]) for i in range(12)))
    report = automl_lint.lint([str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")], config=False)
    a, b = report.files
    assert a.task == "object-detection" and "drop 1 annotation(s)" in a.verdict
    assert b.task == "multiclass" and b.verdict == "AutoML would run and use every record as written."
    assert json.loads(report.to_json())["summary"] == report.summary == report.to_dict()["summary"]
    out = io.StringIO()
    Console(file=out, width=80).print(report)
    assert "AML408" in out.getvalue() and "AutoML would" in out.getvalue()
    assert "AML408 [error]" in report.render("concise") and "problem(s)" in repr(report)


def test_the_command_line_and_the_api_give_the_same_json(tmp_path, capsys, monkeypatch):
    import json

    from automl_lint.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.jsonl").write_text(BOX % 1 + "\n")
    main(["a.jsonl", "--format", "json", "--isolated", "--task", "od"])
    assert json.loads(capsys.readouterr().out) == automl_lint.lint("a.jsonl", task="od", config=False).to_dict()
