"""Configuration: discovery from the working directory upward, validation (exit 2), CLI precedence,
per-file task patterns and ignores, --show-settings, --isolated."""

import json

import pytest

from automl_lint.cli import main
from automl_lint.config import ConfigError, find, load


def od(i: int, top_x=0.1, bottom_x=0.6, label="cat") -> str:
    return json.dumps({"image_url": f"AmlDatastore://ds/img_{i}.jpg", "label": [
        {"label": label, "topX": top_x, "topY": 0.1, "bottomX": bottom_x, "bottomY": 0.6}]})


def mc(i: int, label="cat") -> str:
    return json.dumps({"image_url": f"AmlDatastore://ds/img_{i}.jpg", "label": label})


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def codes(capsys, *args) -> tuple[int, list[str]]:
    rc = main([*map(str, args), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    return rc, [p["code"] for f in doc["files"] for p in f["problems"]]


# Few images: AML608 (warning) fires with the default min-images of 10.
SMALL_OD = [od(i) for i in range(3)]


def test_pyproject_table_is_found_from_a_subdirectory(project, capsys, monkeypatch):
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.automl-lint]\nignore = ["AML608"]\n')
    data = write(project / "data" / "train.jsonl", SMALL_OD)
    monkeypatch.chdir(project / "data")
    assert find() == str(project / "pyproject.toml")
    assert "AML608" not in codes(capsys, data.name, "--task", "od")[1]


def test_automl_lint_toml_wins_over_pyproject_in_the_same_directory(project):
    (project / "pyproject.toml").write_text('[tool.automl-lint]\nfail-on = "info"\n')
    (project / "automl-lint.toml").write_text('fail-on = "warning"\n')
    assert load().values["fail_on"] == "warning"


def test_pyproject_without_the_table_is_passed_over(project, tmp_path_factory, monkeypatch):
    (project / "automl-lint.toml").write_text("min-images = 1\n")
    (project / "sub").mkdir()
    (project / "sub" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    monkeypatch.chdir(project / "sub")
    assert find() == str(project / "automl-lint.toml")


def test_thresholds_and_fail_on_from_the_file(project, capsys):
    data = write(project / "train.jsonl", SMALL_OD)
    assert codes(capsys, data, "--task", "od")[0] == 0  # AML608 is a warning
    (project / "automl-lint.toml").write_text('fail-on = "warning"\n')
    assert codes(capsys, data, "--task", "od")[0] == 1
    (project / "automl-lint.toml").write_text('fail-on = "warning"\nmin-images = 2\n')
    rc, found = codes(capsys, data, "--task", "od")
    assert "AML608" not in found


def test_command_line_overrides_the_file(project, capsys):
    data = write(project / "train.jsonl", SMALL_OD)
    (project / "automl-lint.toml").write_text('fail-on = "warning"\nmin-images = 2\n')
    rc, found = codes(capsys, data, "--task", "od", "--fail-on", "error", "--min-images", "10")
    assert rc == 0 and "AML608" in found


def test_isolated_ignores_the_file(project, capsys):
    data = write(project / "train.jsonl", SMALL_OD)
    (project / "automl-lint.toml").write_text('ignore = ["AML6"]\n')
    assert "AML608" not in codes(capsys, data, "--task", "od")[1]
    assert "AML608" in codes(capsys, data, "--task", "od", "--isolated")[1]


def test_explicit_config_path(project, capsys):
    data = write(project / "train.jsonl", SMALL_OD)
    cfg = project / "elsewhere" / "lint.toml"
    cfg.parent.mkdir()
    cfg.write_text('ignore = ["AML608"]\n')
    assert "AML608" not in codes(capsys, data, "--task", "od", "--config", cfg)[1]


def test_task_per_file_pattern_and_per_file_ignores(project, capsys):
    boxes = write(project / "data" / "boxes" / "train.jsonl", [od(1, top_x=0.7, bottom_x=0.2)] + SMALL_OD)
    classes = write(project / "data" / "classes" / "train.jsonl", [mc(i, ["cat", "dog"][i % 2]) for i in range(12)])
    (project / "automl-lint.toml").write_text(
        '[tasks]\n"data/boxes/*.jsonl" = "od"\n"data/classes/*.jsonl" = "multiclass"\n\n'
        '[per-file-ignores]\n"data/boxes/*" = ["AML408"]\n')
    main([str(boxes), str(classes), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert [f["task"] for f in doc["files"]] == ["object-detection", "multiclass"]
    assert all(not f["task_inferred"] for f in doc["files"])
    assert "AML408" not in [p["code"] for p in doc["files"][0]["problems"]]
    # An explicit --task wins over the patterns.
    main([str(classes), "--task", "od", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["files"][0]["task"] == "object-detection"


def test_severity_override(project, capsys):
    data = write(project / "train.jsonl", SMALL_OD)
    (project / "automl-lint.toml").write_text('[severity]\nAML608 = "error"\n')
    rc = main([str(data), "--task", "od", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert {p["code"]: p["severity"] for p in doc["files"][0]["problems"]}["AML608"] == "error"


@pytest.mark.parametrize("text, needle", [
    ('selct = ["AML1"]\n', "unknown key 'selct'"),
    ('select = ["AML999"]\n', "unknown rule code or prefix 'AML999'"),
    ('ignore = ["E501"]\n', "unknown rule code or prefix 'E501'"),
    ('fail-on = "fatal"\n', "'fatal' is not one of error, warning, info"),
    ('min-images = "ten"\n', "expected an integer"),
    ('[severity]\nAML408 = "loud"\n', "'loud' is not one of"),
    ('[tasks]\n"*.jsonl" = "segmentation-ish"\n', "unknown task"),
    ('[per-file-ignores]\n"*.jsonl" = ["AML9999"]\n', "unknown rule code"),
    ("select = [\n", "invalid TOML"),
])
def test_invalid_configuration_exits_2_with_a_clear_message(project, capsys, text, needle):
    data = write(project / "train.jsonl", SMALL_OD)
    (project / "automl-lint.toml").write_text(text)
    assert main([str(data)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("automl-lint: error: ") and needle in err and "automl-lint.toml" in err
    assert err.count("\n") == 1


def test_unknown_key_in_pyproject_names_the_table(project, capsys):
    (project / "pyproject.toml").write_text('[tool.automl-lint]\nbogus = 1\n')
    with pytest.raises(ConfigError, match=r"\[tool.automl-lint\]: unknown key 'bogus'"):
        load()


def test_missing_config_file_exits_2(project, capsys):
    assert main(["x.jsonl", "--config", "nope.toml"]) == 2
    assert "no such configuration file" in capsys.readouterr().err


def test_show_settings_prints_the_effective_configuration(project, capsys):
    (project / "automl-lint.toml").write_text('ignore = ["AML6"]\nmin-images = 3\n[severity]\nAML604 = "error"\n')
    assert main(["--show-settings", "--min-images", "7"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["config-file"] == str(project / "automl-lint.toml")
    assert shown["ignore"] == ["AML6"] and shown["min-images"] == 7
    assert shown["severity"] == {"AML604": "error"}
    assert "AML608" not in shown["enabled-rules"] and "AML408" in shown["enabled-rules"]
