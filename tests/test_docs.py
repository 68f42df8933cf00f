"""Documentation cannot drift from the code: the README rule table and every rule's doc come from the registry."""

import re
import subprocess
import sys

import jsonschema
import pytest

from automl_lint.rules import all_rules
from automl_lint.rules.schema import load_schema
from conftest import ROOT

CODE = re.compile(r"^AML\d{3}$")
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def test_readme_rule_table_is_generated_from_the_registry():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "rule_table.py"), "--check",
                           str(ROOT / "README.md")])
    assert proc.returncode == 0, "README rule table is stale: python scripts/rule_table.py --write README.md"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_every_rule_is_fully_documented(rule):
    assert CODE.match(rule.code) and NAME.match(rule.name)
    for part in (rule.summary, rule.what, rule.why, rule.example, rule.fix):
        assert part and len(part) > 10
    text = rule.explain()
    assert "## What it does" in text and "## Why it matters" in text and "## Example" in text
    assert "## How to fix" in text and rule.consequence.value in text


@pytest.mark.parametrize("kind", ["training", "predictions"])
@pytest.mark.parametrize("task", ["multiclass", "multilabel", "object-detection", "instance-segmentation"])
def test_schemas_are_valid_draft_2020_12_with_their_examples(task, kind):
    schema = load_schema(task, kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"] and schema["description"] and schema["examples"]
    validator = jsonschema.Draft202012Validator(schema)
    for example in schema["examples"]:
        validator.validate(example)
