"""Verdicts that never mislead: hiding findings does not change what AutoML would do; counts are complete."""

import json

from automl_lint.cli import main

INVERTED = ('{"image_url": "azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/d/paths/%d.jpg", '
            '"label": [{"label": "cat", "topX": 0.5, "topY": 0.1, "bottomX": 0.2, "bottomY": 0.9}, '
            '{"label": "dog", "topX": 0.1, "topY": 0.1, "bottomX": 0.4, "bottomY": 0.9}]}')


def _write(tmp_path, lines, name="od.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _json(capsys, *args):
    rc = main([*map(str, args), "--format", "json", "--isolated"])
    return rc, json.loads(capsys.readouterr().out)


def test_ignored_rules_still_count_in_automls_verdict(tmp_path, capsys):
    path = _write(tmp_path, [INVERTED % i for i in range(12)])
    rc, full = _json(capsys, path, "--task", "od")
    assert rc == 1 and full["summary"]["automl"]["annotations_dropped"] == 12
    rc, hidden = _json(capsys, path, "--task", "od", "--ignore", "AML4")
    assert rc == 0 and hidden["summary"]["problems"] == 0
    assert hidden["summary"]["automl"] == full["summary"]["automl"]
    assert hidden["summary"]["hidden"] == {"configuration": 12, "baseline": 0}
    main([str(path), "--task", "od", "--ignore", "AML4", "--format", "concise", "--isolated"])
    out = capsys.readouterr().out
    assert "drop 12 annotation(s)" in out and "12 finding(s) not listed" in out
    assert "use every record as written" not in out


def test_baseline_hides_findings_but_not_the_verdict(tmp_path, capsys):
    path = _write(tmp_path, [INVERTED % i for i in range(12)])
    baseline = tmp_path / "baseline.json"
    assert main([str(path), "--task", "od", "--write-baseline", str(baseline), "--isolated", "-q"]) == 0
    capsys.readouterr()
    rc, doc = _json(capsys, path, "--task", "od", "--baseline", baseline)
    assert rc == 0 and doc["summary"]["problems"] == 0
    assert doc["summary"]["hidden"]["baseline"] == 12
    assert doc["summary"]["automl"]["annotations_dropped"] == 12


def test_hidden_findings_past_the_listing_limit_still_count(tmp_path, capsys):
    path = _write(tmp_path, [INVERTED % i for i in range(30)])
    rc, doc = _json(capsys, path, "--task", "od", "--ignore", "AML4", "--max-problems", "5")
    assert doc["summary"]["automl"]["annotations_dropped"] == 30
    assert doc["summary"]["hidden"]["configuration"] == 30


def test_statistics_count_findings_past_max_problems(tmp_path, capsys):
    path = _write(tmp_path, [INVERTED % i for i in range(30)])
    main([str(path), "--task", "od", "--statistics", "--max-problems", "5", "--isolated"])
    first = capsys.readouterr().out.splitlines()[0].split("\t")
    assert first[0].strip() == "30" and first[1] == "AML408"


def test_a_message_has_one_shape_pointer_message_consequence(tmp_path, capsys):
    path = _write(tmp_path, [INVERTED % 1])
    main([str(path), "--task", "od", "--format", "concise", "--isolated"])
    line = next(s for s in capsys.readouterr().out.splitlines() if "AML408" in s)
    assert " AML408 [error] /label/0/bottomX: box of annotation 0 is inverted" in line
    assert line.endswith(" [drops-annotation]")
    assert "(none)" not in line
