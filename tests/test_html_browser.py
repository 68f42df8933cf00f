"""--format html in a real headless Chromium (Debian's, driven by Playwright): the page a person opens.

Locally the tests skip when Chromium or Playwright is missing; under CI=true (.ci/run installs both) they fail.
Screenshots go to the test's tmp_path, or to $AUTOML_LINT_SCREENSHOTS when set, to be looked at.
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from automl_lint.cli import main
from conftest import FIXTURES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing(what: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing: .ci/run installs it")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package")
    if not os.access(CHROMIUM, os.X_OK):
        _missing("Debian's chromium")
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=FLAGS, headless=True,
                                                       viewport={"width": 1280, "height": 900})
        yield context
        context.close()


class Opened:
    """A page opened from a file, with every console message and every request it made."""

    def __init__(self, context, path: Path) -> None:
        self.page = context.new_page()
        self.console: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.console.append(("pageerror", str(e))))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_load_state("load")

    def visible(self, selector: str) -> int:
        return self.page.evaluate(f"Array.from(document.querySelectorAll({json.dumps(selector)}))"
                                  ".filter(e => !e.closest('[hidden]')).length")

    def screenshot(self, tmp_path: Path, name: str) -> Path:
        folder = Path(os.environ.get("AUTOML_LINT_SCREENSHOTS") or tmp_path)
        folder.mkdir(parents=True, exist_ok=True)
        shot = folder / name
        self.page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        return shot


def _report(tmp_path: Path, *args) -> Path:
    out = tmp_path / "report.html"
    main([*map(str, args), "--format", "html", "-o", str(out), "--isolated"])
    return out


def _annotations(path: Path) -> int:
    total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        label = json.loads(line).get("label")
        total += len(label) if isinstance(label, list) else 1
    return total


@pytest.mark.parametrize("fixture, task", [(FIXTURES / "html" / "detection.jsonl", "od"),
                                           (FIXTURES / "invalid" / "AML510-polygon-stray-vertex.jsonl", "is")],
                         ids=["detection", "segmentation"])
def test_page_opens_without_error_or_request_and_draws_every_annotation(browser, tmp_path, fixture, task):
    page = Opened(browser, _report(tmp_path, fixture, "--task", task))
    assert page.console == []
    assert page.requests == [page.url]
    assert page.page.locator(".ann[data-line][data-consequence]").count() == _annotations(fixture)
    page.screenshot(tmp_path, f"html-{task}.png")


def test_filters_and_search_change_what_is_shown(browser, tmp_path):
    page = Opened(browser, _report(tmp_path, FIXTURES / "html" / "detection.jsonl", "--task", "od"))
    everything = page.visible(".item")
    page.page.select_option("#f-rule", "AML408")
    assert page.visible(".item") == 2  # the finding and its drawing
    assert page.visible(".rule-group") == 1
    page.page.select_option("#f-rule", "")
    page.page.select_option("#f-consequence", "alters-value")
    assert page.visible(".item") == 2 and page.visible(".card-image .ann.altered") == 1
    page.page.select_option("#f-consequence", "")
    page.page.fill("#f-search", "pixel coordinates")
    assert page.visible(".item") == 2
    page.page.fill("#f-search", "")
    page.page.select_option("#f-class", "carton")
    shown = page.visible(".item")
    # Lines 1, 2, 6 and 9 draw a carton; no listed finding is about one (line 2's is about its can).
    assert shown == 4 and page.visible(".finding") == 0
    assert f"{shown} of {everything}" in page.page.inner_text("#f-count")
    page.screenshot(tmp_path, "html-filtered.png")
    assert page.console == []


def test_thumbnails_load_from_the_page_itself(browser, tmp_path):
    report = _report(tmp_path, FIXTURES / "images" / "train.jsonl", "--images", "--image-root", FIXTURES / "images",
                     "--image-cache", tmp_path / "cache")
    page = Opened(browser, report)
    assert page.console == [] and page.requests == [page.url]
    # Each thumbnail decodes in the browser (the page's policy allows data: images and nothing else).
    widths = page.page.evaluate("""Promise.all(Array.from(document.querySelectorAll('svg.draw image')).map(
        e => new Promise(done => { const i = new Image(); i.onload = () => done(i.naturalWidth);
                                   i.onerror = () => done(0); i.src = e.getAttribute('href'); })))""")
    assert widths and all(w > 0 for w in widths)
    page.screenshot(tmp_path, "html-images.png")
