"""--format html: what the page holds, checked on its markup (tests/test_html_browser.py opens it in Chromium)."""

import json
from collections import Counter
from html.parser import HTMLParser

import pytest

import automl_lint
from automl_lint.cli import main
from conftest import FIXTURES

DETECTION = FIXTURES / "html" / "detection.jsonl"


class Page(HTMLParser):
    """Every element's tag and attributes, and the page's text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def having(self, css_class: str) -> list[dict]:
        return [a for _, a in self.elements if css_class in (a.get("class") or "").split()]


def annotations_per_line(path) -> dict[int, int]:
    counts = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        label = json.loads(line).get("label")
        counts[n] = len(label) if isinstance(label, list) else 1
    return counts


def render(tmp_path, *args) -> tuple[int, str]:
    out = tmp_path / "report.html"
    rc = main([*map(str, args), "--format", "html", "-o", str(out), "--isolated"])
    return rc, out.read_text(encoding="utf-8")


def test_every_annotation_of_a_drawn_line_is_drawn_once_with_its_line_and_consequence(tmp_path):
    rc, text = render(tmp_path, DETECTION, "--task", "od")
    assert rc == 1
    drawn = Page(text).having("ann")
    assert Counter(int(a["data-line"]) for a in drawn) == +Counter(annotations_per_line(DETECTION))
    consequence = {(int(a["data-line"]), int(a["data-index"])): a["data-consequence"] for a in drawn}
    assert consequence[(1, 0)] == consequence[(1, 1)] == "none"
    assert consequence[(2, 0)] == "drops-annotation" and consequence[(2, 1)] == "none"  # inverted box, clean box
    assert consequence[(3, 0)] == "alters-value"  # "0.25" converted
    assert consequence[(4, 0)] == "drops-image"  # pixel coordinates: the only annotation, so the image goes
    assert consequence[(6, 0)] == consequence[(6, 1)] == "drops-image"  # 'abc' skips the image: both lost
    styles = {(int(a["data-line"]), int(a["data-index"])): a["class"].split()[1] for a in drawn}
    assert styles[(2, 0)] == "dropped" and styles[(3, 0)] == "altered" and styles[(1, 0)] == "clean"
    assert "background image" in text and "cannot be drawn" in text and "reaches beyond the drawing" in text


def test_untrusted_strings_are_escaped_and_no_url_from_the_data_is_emitted(tmp_path):
    _, text = render(tmp_path, DETECTION, "--task", "od")
    page = Page(text)
    assert [tag for tag, _ in page.elements].count("script") == 1  # ours, at the end
    assert not [a for _, a in page.elements for k in a if k.startswith("on")]
    assert not [tag for tag, a in page.elements if "src" in a]
    assert all(a["href"].startswith("#") for tag, a in page.elements if "href" in a)
    assert "<script>alert(3)</script>" in "".join(page.text)  # shown as text, not markup
    policy = next(a["content"] for tag, a in page.elements if a.get("http-equiv") == "Content-Security-Policy")
    assert policy.startswith("default-src 'none'; img-src data:;")


def test_without_images_shapes_are_drawn_on_an_empty_frame_of_the_declared_size(tmp_path):
    _, text = render(tmp_path, DETECTION, "--task", "od")
    page = Page(text)
    frames = [a for tag, a in page.elements if tag == "rect" and a.get("class") == "frame"]
    assert {(f["width"], f["height"]) for f in frames} >= {("240", "180"), ("180", "240")}  # 640x480, 480x640
    assert not [a for tag, a in page.elements if tag == "image"]


def test_gallery_is_bounded_per_rule_and_says_how_many_it_left_out(tmp_path):
    f = tmp_path / "inverted.jsonl"
    box = {"label": "can", "topX": 0.6, "topY": 0.2, "bottomX": 0.3, "bottomY": 0.7}
    f.write_text("".join(json.dumps({"image_url": f"AmlDatastore://d/{i}.jpg", "label": [box]}) + "\n"
                         for i in range(300)))
    _, text = render(tmp_path, f, "--task", "od", "--gallery-per-rule", "5", "--select", "AML408")
    page = Page(text)
    cards = page.having("card-image")
    assert len([c for c in cards if c["data-rules"] == "AML408"]) == 5
    assert "295 of AML408" in text
    assert len(page.having("finding")) == 200 and "100 more finding(s) of AML408 not listed" in text
    assert len(text) < 250_000


def test_clean_lines_are_sampled_across_the_file(tmp_path):
    f = tmp_path / "clean.jsonl"
    box = {"label": "can", "topX": 0.1, "topY": 0.2, "bottomX": 0.3, "bottomY": 0.7}
    f.write_text("".join(json.dumps({"image_url": f"AmlDatastore://d/{i}.jpg", "label": [box]}) + "\n"
                         for i in range(1000)))
    _, text = render(tmp_path, f, "--task", "od", "--gallery-per-rule", "4")
    lines = sorted(int(c["data-line"]) for c in Page(text).having("card-image"))
    assert lines == [1, 251, 501, 751]


def test_images_are_drawn_on_cached_inline_thumbnails(tmp_path):
    args = [FIXTURES / "images" / "train.jsonl", "--images", "--image-root", FIXTURES / "images",
            "--image-cache", tmp_path / "cache"]
    _, first = render(tmp_path, *args)
    thumbs = list((tmp_path / "cache" / "thumbnails").iterdir())
    assert thumbs
    images = [a for tag, a in Page(first).elements if tag == "image"]
    assert images and all(a["href"].startswith("data:image/jpeg;base64,") for a in images)
    assert ">probed</text>" in first  # the image size chart has the sizes the image pass found
    mtimes = {t: t.stat().st_mtime_ns for t in thumbs}
    _, second = render(tmp_path, *args)
    assert second == first and {t: t.stat().st_mtime_ns for t in thumbs} == mtimes  # read from the cache


def test_classification_classes_are_drawn_as_tags(tmp_path):
    path = FIXTURES / "valid" / "multilabel.jsonl"
    _, text = render(tmp_path, path)
    drawn = Page(text).having("ann")
    assert Counter(int(a["data-line"]) for a in drawn) == +Counter(annotations_per_line(path))


def test_standard_input_is_listed_not_drawn(tmp_path, monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DETECTION.read_bytes())))
    _, text = render(tmp_path, "-", "--task", "od")
    assert "standard input cannot be read a second time" in text and not Page(text).having("ann")
    assert Page(text).having("finding")


def test_a_report_in_a_notebook_is_the_same_drawing():
    report = automl_lint.lint(str(DETECTION), task="od", config=False, gallery_per_rule=3)
    fragment = report._repr_html_()
    assert fragment.startswith('<div class="automl-lint-report">') and "<html" not in fragment
    assert Page(fragment).having("ann") and "<script>" in fragment


@pytest.mark.parametrize("value", [-1, "many"])
def test_gallery_per_rule_is_checked_like_any_setting(value):
    with pytest.raises(automl_lint.api.UsageError):
        automl_lint.api.configure(config=False, gallery_per_rule=value)


def test_findings_hidden_by_the_rule_selection_still_decide_how_an_annotation_is_drawn(tmp_path):
    _, text = render(tmp_path, DETECTION, "--task", "od", "--select", "AML415", "--gallery-per-rule", "20")
    drawn = {(int(a["data-line"]), int(a["data-index"])): a["data-consequence"] for a in Page(text).having("ann")}
    # Line 4's box is in pixels (AML415, listed); AML416 (not selected) says AutoML then skips the whole image.
    assert drawn[(4, 0)] == "drops-image"
    assert (6, 0) not in drawn  # line 6 has only hidden findings: neither listed nor a clean sample
    assert "not listed but counted in AutoML" in text


def test_box_distributions_count_every_box_of_the_sample_in_its_bin():
    from automl_lint.reporters import html

    assert html._bin(-1, html._SIZE_BINS, html._SIZE_NAMES) == "0 (empty or inverted)"
    assert html._bin(0.01, html._SIZE_BINS, html._SIZE_NAMES) == "< 0.02"
    assert html._bin(0.02, html._SIZE_BINS, html._SIZE_NAMES) == "0.02\u20130.05"
    assert html._bin(3.0, html._SIZE_BINS, html._SIZE_NAMES) == "\u2265 1"
    assert html._bin(1.0, html._ASPECT_BINS, html._ASPECT_NAMES) == "1/1.25\u20131.25"
    report = automl_lint.lint(str(DETECTION), task="od", config=False)
    view = html._view(report.results[0], 12, report.settings)
    # 9 boxes in label lists can be measured (not line 6's 'abc' box; line 7's label is not a list); line 2's
    # inverted box is empty, line 4's is in pixels.
    assert sum(view.sizes.values()) == sum(view.aspects.values()) == 9
    assert view.sizes["0 (empty or inverted)"] == 1 and view.sizes["\u2265 1"] == 1
    assert view.declared == {(640, 480): 7, (480, 640): 1}


def test_a_finding_about_the_whole_file_points_at_its_first_line(tmp_path):
    path = tmp_path / "few.jsonl"  # two images: too few to train on (AML602, about the whole file)
    path.write_text('{"image_url": "a.jpg", "label": "cat"}\n{"image_url": "b.jpg", "label": "dog"}\n')
    _, text = render(tmp_path, path, "--task", "mc")
    page = Page(text)
    where = [t for t in page.text if t.startswith(str(path))]
    assert f"{path}:1:1" in where and f"{path}:0:1" not in where
    assert "(whole file)" in page.text
