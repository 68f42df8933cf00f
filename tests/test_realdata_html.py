"""Opt-in (pytest -m realdata): the HTML report of Microsoft's fridge segmentation sample, with its images,
opened in headless Chromium. It must draw exactly the annotations of the flagged lines it shows."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.realdata

REAL = ROOT.parent / "shared" / "realdata"
DATA = (REAL / "Azure__azureml-examples" / "tree@6c4286354" / "cli" / "jobs" / "automl-standalone-jobs"
        / "cli-automl-image-instance-segmentation-task-fridge-items" / "data")
if not DATA.is_dir():
    pytest.skip("../shared/realdata is not available", allow_module_level=True)

from test_html_browser import Opened, browser, _report  # noqa: E402,F401  (the browser fixture)


def _annotations(path: Path) -> dict[int, int]:
    return {n: len(json.loads(line)["label"]) for n, line in enumerate(path.read_text().splitlines(), 1)}


def test_fridge_segmentation_report_draws_exactly_the_annotations_of_the_lines_it_shows(browser, tmp_path):
    train = DATA / "training-mltable-folder"
    first = json.loads(next(train.glob("*.jsonl")).read_text().splitlines()[0])["image_url"]
    prefix = re.match(r"^(.*?/paths/LocalUpload/[0-9a-f]+/)", first).group(1)
    report = _report(tmp_path, train, "--validation", DATA / "validation-mltable-folder", "--images", "--map",
                     f"{prefix}={DATA}", "--image-cache", tmp_path / "cache", "--gallery-per-rule", "8")
    assert report.stat().st_size < 1_500_000
    page = Opened(browser, report)
    assert page.console == [] and page.requests == [page.url]
    cards = page.page.evaluate("""Array.from(document.querySelectorAll('figure.card-image')).map(c => [
        c.dataset.file, Number(c.dataset.line), c.dataset.rules,
        Array.from(c.querySelectorAll('.ann')).filter(a => a.dataset.line === c.dataset.line).length,
        c.querySelectorAll('.ann').length, c.querySelectorAll('svg image').length])""")
    flagged = [c for c in cards if c[2]]
    assert len(flagged) == 16  # 8 per file; the few lines without a stray vertex are sampled as clean
    for path, line, rules, by_data_line, drawn, images in cards:
        assert rules in ("AML510", "") and images == 1
        assert by_data_line == drawn == _annotations(Path(path))[line], (path, line)
    # The spurious origins are drawn as flagged annotations AutoML uses as written (the spike to the corner).
    assert page.page.locator(".card-image .ann.flagged[data-consequence='none']").count() >= 16
    assert Counter(c[0].split("/")[-2] for c in flagged) == {"training-mltable-folder": 8,
                                                             "validation-mltable-folder": 8}
    page.screenshot(tmp_path, "html-fridge.png")
