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
