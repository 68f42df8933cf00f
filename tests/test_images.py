"""--images: the files behind image_url are found, probed with Pillow, cached, and never modified."""

import hashlib
import shutil

import pytest

from automl_lint.images.locate import Locator
from automl_lint.images.probe import probe_bytes
from conftest import FIXTURES

IMAGES = FIXTURES / "images"
TRAIN = IMAGES / "train.jsonl"
VALID = IMAGES / "validation.jsonl"

# line -> image rule the fixture line exists for (see fixtures/images/make_images.py)
EXPECTED_FULL = {
    (3, "AML712"), (4, "AML703"), (5, "AML702"), (6, "AML702"), (7, "AML702"), (8, "AML705"), (9, "AML706"),
    (10, "AML706"), (11, "AML706"), (12, "AML707"), (13, "AML709"), (14, "AML704"), (14, "AML710"),
    (14, "AML711"), (15, "AML708"), (16, "AML701"),
}


def _image_codes(doc, role=None):
    return {(p["line"], p["code"]) for f in doc["files"] if role in (None, f["role"])
            for p in f["problems"] if p["code"].startswith("AML7")}


def test_full_decoding_finds_every_fixture_problem(run_json, tmp_path):
    rc, doc = run_json(TRAIN, "--images=full", "--image-root", IMAGES, "--image-cache", tmp_path)
    assert rc == 1
    assert _image_codes(doc) == EXPECTED_FULL


def test_header_probing_misses_only_the_truncated_jpeg(run_json, tmp_path):
    rc, doc = run_json(TRAIN, "--images", "--image-root", IMAGES, "--image-cache", tmp_path)
    assert _image_codes(doc) == EXPECTED_FULL - {(5, "AML702")}


def test_gif_is_only_an_error_when_yolov5_may_train(run_json, tmp_path):
    _, doc = run_json(TRAIN, "--images", "--image-root", IMAGES, "--image-cache", "", "--model", "fasterrcnn")
    codes = _image_codes(doc)
    assert (12, "AML707") not in codes and (14, "AML711") not in codes
    assert (14, "AML710") in codes


def test_content_leakage_between_training_and_validation(run_json, tmp_path):
    _, doc = run_json(TRAIN, "--validation", VALID, "--images", "--image-root", IMAGES, "--image-cache", tmp_path)
    # validation line 1 is ok_copy.png: same bytes as training's ok.png under another image_url
    assert _image_codes(doc, "validation") == {(1, "AML713")}


def test_datastore_and_map_options_resolve_like_image_root(run_json, tmp_path):
    _, by_root = run_json(TRAIN, "--images", "--image-root", IMAGES, "--image-cache", "")
    _, by_ds = run_json(TRAIN, "--images", "--datastore", f"fixtures={IMAGES}", "--image-cache", "")
    _, by_map = run_json(TRAIN, "--images", "--map", f"AmlDatastore://fixtures/img/={IMAGES / 'img'}",
                         "--image-cache", "")
    assert _image_codes(by_root) == _image_codes(by_ds) == _image_codes(by_map)


def test_longest_map_prefix_wins():
    loc = Locator([], {}, {"AmlDatastore://ds/": "/a", "AmlDatastore://ds/sub/": "/b"})
    assert loc.locate("AmlDatastore://ds/sub/x%20y.jpg?sv=1") == ["/b/x y.jpg"]
    assert loc.locate("AmlDatastore://ds/other/x.jpg") == ["/a/other/x.jpg"]
    assert loc.locate("AmlDatastore://elsewhere/x.jpg") == []


def test_unmapped_image_url_is_reported_as_not_checked(run_json):
    _, doc = run_json(TRAIN, "--images", "--map", "AmlDatastore://nowhere/=/tmp", "--image-cache", "")
    assert {c for _, c in _image_codes(doc)} == {"AML700"}


def test_images_needs_a_location_and_a_valid_mode(capsys):
    from automl_lint.cli import main

    assert main([str(TRAIN), "--images"]) == 2
    assert main([str(TRAIN), "--images=fast", "--image-root", "."]) == 2
    assert main([str(TRAIN), "--images", "--map", "noequals"]) == 2


def test_second_run_uses_the_cache(run_json, tmp_path, monkeypatch):
    run_json(TRAIN, "--images", "--image-root", IMAGES, "--image-cache", tmp_path)
    import automl_lint.images.check as check

    def boom(*args, **kwargs):
        raise AssertionError("probed again although cached")

    monkeypatch.setattr(check, "probe_bytes", boom)
    _, doc = run_json(TRAIN, "--images", "--image-root", IMAGES, "--image-cache", tmp_path)
    assert _image_codes(doc) == EXPECTED_FULL - {(5, "AML702")}


def test_cache_is_invalidated_when_the_file_changes(run_json, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(IMAGES / "img", root / "img")
    args = (TRAIN, "--images", "--datastore", f"fixtures={root}", "--image-cache", tmp_path / "cache")
    assert (4, "AML703") in _image_codes(run_json(*args)[1])
    shutil.copy(root / "img" / "ok.jpg", root / "img" / "webp_named.jpg")
    assert (4, "AML703") not in _image_codes(run_json(*args)[1])


def test_a_header_cache_entry_does_not_answer_a_full_decode(run_json, tmp_path):
    run_json(TRAIN, "--images", "--image-root", IMAGES, "--image-cache", tmp_path)
    _, doc = run_json(TRAIN, "--images=full", "--image-root", IMAGES, "--image-cache", tmp_path)
    assert (5, "AML702") in _image_codes(doc)


def test_reading_images_never_modifies_them(run_json, tmp_path):
    def digest():
        return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
                for p in sorted((IMAGES / "img").iterdir())}

    before = digest()
    run_json(TRAIN, "--images=full", "--image-root", IMAGES, "--image-cache", tmp_path)
    assert digest() == before


def test_polygon_extents_count_as_boxes():
    from automl_lint.images.refs import image_ref

    ref = image_ref(7, "AmlDatastore://d/a.png", {"label": [{"label": "x", "polygon": [[0.1, 0.2, 0.3, 0.2,
                                                                                          0.3, 0.5]]}]})
    assert ref[0] == 7 and ref[3] == [pytest.approx((0.2, 0.3))]


def test_probe_reports_exif_orientation_and_format():
    p = probe_bytes((IMAGES / "img" / "rotated.jpg").read_bytes(), full=True)
    assert (p.format, p.width, p.height, p.orientation, p.error) == ("JPEG", 64, 48, 6, None)


def test_image_options_can_live_in_the_configuration(run_json, tmp_path, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(IMAGES, project / "imgs")
    (project / "automl-lint.toml").write_text(
        'images = "full"\nimage-root = ["imgs"]\nimage-cache = ".cache"\n')
    monkeypatch.chdir(project)
    rc, doc = run_json(project / "imgs" / "train.jsonl")
    assert rc == 1
    assert _image_codes(doc) == EXPECTED_FULL
    assert (project / ".cache").is_dir()  # relative to the configuration file
