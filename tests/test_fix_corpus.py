"""The fix corpus (tests/fix_corpus): fixable and unfixable lines of every task, with the stored fixed files.

The same checks as ``scripts/fix_oracle_check.py`` minus Microsoft's reader (run that script by hand against
../shared/oracle to see every fixed line accepted as written): --diff writes nothing and patches into the fixed
file, --fix and --fix --unsafe-fixes give the stored outputs, lines without a fix stay byte-identical, a second
run changes nothing, a read-only folder exits 2 with the input unchanged.
"""

import importlib.util
import json
import os
import shutil

import pytest

from automl_lint.fix.line import LineFixer
from automl_lint.settings import Settings
from automl_lint.tasks import normalise
from conftest import ROOT

_spec = importlib.util.spec_from_file_location("fix_oracle_check", ROOT / "scripts" / "fix_oracle_check.py")
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)
CORPUS = ROOT / "tests" / "fix_corpus"

needs_patch = pytest.mark.skipif(shutil.which("patch") is None and not os.environ.get("CI"),
                                 reason="GNU patch is not installed")


@needs_patch
@pytest.mark.parametrize("task", check.TASKS)
def test_fix_corpus_holds_every_guarantee(task, tmp_path):
    assert check.check_task(task, str(tmp_path)) == []


@needs_patch
@pytest.mark.parametrize("task", check.IMAGE_TASKS)
def test_image_fix_corpus_holds_every_guarantee_with_the_intended_values(task, tmp_path):
    """tests/fix_corpus/images with --images, on images made with Pillow: the same guarantees, and every fixed line
    holds the real image's size (coordinates times it give the pixels written before; image_details state it)."""
    assert check.check_task(task, str(tmp_path), images=True) == []


def test_the_intended_values_check_fails_on_a_wrong_division():
    old = b'{"image_url": "AmlDatastore://ds/a.jpg", "label": [{"label": "cat", "topX": 40, "topY": 20, ' \
          b'"bottomX": 200, "bottomY": 100}]}'
    right = old.replace(b"40, ", b"0.1, ").replace(b"20, ", b"0.1, ").replace(b"200, ", b"0.5, ") \
        .replace(b"100}", b"0.5}")
    assert check._intended(old, right) == []
    assert check._intended(old, right.replace(b'"topY": 0.1', b'"topY": 0.05')) != []  # divided by the width


@pytest.mark.parametrize("task", check.TASKS)
def test_a_fix_never_adds_a_finding_to_its_line(task):
    marks = json.loads((CORPUS / "cases.json").read_text())[task]
    full = normalise(task)
    fixer = LineFixer(full, Settings(task=full), lambda code: True, unsafe=True)
    lines = (CORPUS / f"{task}.jsonl").read_bytes().splitlines(keepends=True)
    assert len(lines) == len(marks)
    for n, (raw, mark) in enumerate(zip(lines, marks), start=1):
        before = {f[0] for f in fixer.findings(raw, n == 1)[1]}
        result = fixer.fix(raw, n == 1)
        if mark == "keep":
            assert result.raw == raw, n
        if result.raw:
            after = {f[0] for f in fixer.findings(result.raw, n == 1)[1]}
            assert after <= before, (n, after - before)
            if mark == "fix":
                assert not after, (n, after)  # every fixable line is left clean (duplicates: by the merge)
