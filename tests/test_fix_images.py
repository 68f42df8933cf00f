"""--fix with --images: pixel coordinates divided by the real image size, image_details corrected from the real
image, rounds (the image of a record AutoML skips, or of a rewritten image_url, is checked before its fixes), and
a second --fix that changes nothing. Images are made here with Pillow."""

import gzip
import json
import subprocess
import sys

import pytest
from PIL import Image

from automl_lint import api
from automl_lint.cli import main
from automl_lint.fix import images as facts_module
from automl_lint.fix.images import UNPROBED, ImageFacts, UrlSpool
from automl_lint.images.probe import MISSING, Probe


def line(url, label, details=None) -> bytes:
    record = {"image_url": url}
    if details is not None:
        record["image_details"] = details
    record["label"] = label
    return json.dumps(record).encode() + b"\n"


def box(x0, y0, x1, y1, name="cat"):
    return {"label": name, "topX": x0, "topY": y0, "bottomX": x1, "bottomY": y1}


@pytest.fixture
def images(tmp_path):
    """DIR/ds/...: a.jpg 400x200, b.png 300x300, c.jpg 100x50, p.png 200x100, r.jpg 400x200 with EXIF rotation 6."""
    folder = tmp_path / "imgs" / "ds"
    folder.mkdir(parents=True)
    Image.new("RGB", (400, 200), "red").save(folder / "a.jpg")
    Image.new("RGB", (300, 300), "blue").save(folder / "b.png")
    Image.new("RGB", (100, 50), "green").save(folder / "c.jpg")
    Image.new("RGB", (200, 100), "white").save(folder / "p.png")
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (400, 200), "gray").save(folder / "r.jpg", exif=exif.tobytes())
    return tmp_path / "imgs"


def cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "automl_lint", *map(str, args), "--isolated", "-q", "-f", "concise",
                           "--image-cache="], capture_output=True, cwd=cwd)


def lint(*args) -> int:
    return main([*map(str, args), "--isolated", "-q", "-f", "concise", "--image-cache="])


def settings(images, task="od", probe="header"):
    return api.configure(config=False, task=task, images=probe, image_root=[str(images)], image_cache="")[0]


PIXELS = line("AmlDatastore://ds/a.jpg", [box(40, 20, 200, 100)])
PIXELS_FIXED = line("AmlDatastore://ds/a.jpg", [box(0.1, 0.1, 0.5, 0.5)])


def test_pixel_box_is_divided_by_the_real_image_size_only_with_images(images, tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_bytes(PIXELS)
    # Without --images and without image_details, the size is unknown: never guessed.
    assert lint(data, "--task", "od", "--fix", "--unsafe-fixes") == 1
    assert data.read_bytes() == PIXELS
    # --fix alone: the division is unsafe.
    lint(data, "--task", "od", "--fix", "--images", "--image-root", images)
    assert data.read_bytes() == PIXELS
    assert lint(data, "--task", "od", "--fix", "--unsafe-fixes", "--images", "--image-root", images) in (0, 1)
    assert data.read_bytes() == PIXELS_FIXED
    report = api.run([str(data)], settings(images))
    assert not [p.code for p in report.results[0].problems if p.code in ("AML415", "AML416")]


def test_image_details_stating_another_size_leave_pixels_to_a_person(images, tmp_path):
    # The details may be the size the pixels were drawn at (another version of the image): no fix either way, and
    # the details are not "corrected" either (that would make the next run divide by the real size).
    raw = line("AmlDatastore://ds/c.jpg", [box(10, 10, 50, 40)], {"format": "jpg", "width": 1000, "height": 500})
    data = tmp_path / "d.jsonl"
    data.write_bytes(raw)
    report = api.fix([str(data)], settings(images), unsafe=True)
    assert data.read_bytes() == raw
    assert "AML415" in {p.code for p in report.results[0].problems}
    # Without --images the declared size is all there is: it is used.
    report = api.fix([str(data)], settings(images, probe=None), unsafe=True)
    assert json.loads(data.read_bytes())["label"][0] == box(0.01, 0.02, 0.05, 0.08)


def test_image_details_agreeing_with_the_real_image_are_used(images, tmp_path):
    raw = line("AmlDatastore://ds/c.jpg", [box(10, 10, 50, 40)], {"width": "100px", "height": 50})
    data = tmp_path / "d.jsonl"
    data.write_bytes(raw)
    api.fix([str(data)], settings(images), unsafe=True)
    assert data.read_bytes() == raw.replace(b'"topX": 10, "topY": 10, "bottomX": 50, "bottomY": 40',
                                            b'"topX": 0.1, "topY": 0.2, "bottomX": 0.5, "bottomY": 0.8')


def test_image_details_are_corrected_from_the_real_image_as_an_unsafe_fix(images, tmp_path, capsys):
    raw = line("AmlDatastore://ds/b.png", [box(0.1, 0.1, 0.5, 0.5)], {"format": "jpg", "width": 300, "height": 333})
    data = tmp_path / "d.jsonl"
    data.write_bytes(raw)
    lint(data, "--task", "od", "--fix", "--images", "--image-root", images)
    assert data.read_bytes() == raw
    assert "2 more can be fixed with --unsafe-fixes" in capsys.readouterr().err
    lint(data, "--task", "od", "--fix", "--unsafe-fixes", "--images", "--image-root", images)
    fixed = raw.replace(b'"format": "jpg"', b'"format": "png"').replace(b'"height": 333', b'"height": 300')
    assert data.read_bytes() == fixed
    report = api.run([str(data)], settings(images))
    assert not {"AML703", "AML704"} & {p.code for p in report.results[0].problems}


def test_a_jpeg_format_takes_the_spelling_of_the_url_extension(images, tmp_path):
    (images / "ds" / "x.jpeg").write_bytes((images / "ds" / "a.jpg").read_bytes())
    raw = line("AmlDatastore://ds/x.jpeg", [box(0.1, 0.1, 0.5, 0.5)], {"format": "png"})
    data = tmp_path / "d.jsonl"
    data.write_bytes(raw)
    api.fix([str(data)], settings(images), unsafe=True)
    assert data.read_bytes() == raw.replace(b'"png"', b'"jpeg"')


def test_pixel_polygon_is_divided_by_the_real_image_size(images, tmp_path):
    raw = line("AmlDatastore://ds/p.png", [{"label": "cat", "polygon": [[20, 10, 100, 10, 100, 50, 20, 50]]}])
    data = tmp_path / "d.jsonl"
    data.write_bytes(raw)
    report = api.fix([str(data)], settings(images, task="is"), unsafe=True)
    assert json.loads(data.read_bytes())["label"][0]["polygon"] == [[0.1, 0.1, 0.5, 0.1, 0.5, 0.5, 0.1, 0.5]]
    assert report.fixes.fixed >= 2
    assert not {p.code for p in report.results[0].problems if p.line is not None}


def test_a_fix_never_makes_an_image_finding_appear(images, tmp_path):
    # A 1.5-pixel box is a box of 1.5 pixels once divided: the fix would make AML710 appear, so it is not made.
    raw = line("AmlDatastore://ds/a.jpg", [box(40, 20, 41.5, 21.5)])
    data = tmp_path / "d.jsonl"
    data.write_bytes(raw)
    report = api.fix([str(data)], settings(images), unsafe=True)
    assert data.read_bytes() == raw
    assert "AML710" not in {p.code for p in report.results[0].problems}


def test_an_image_rotated_by_exif_keeps_its_pixel_boxes(images, tmp_path):
    # PIL-based models see 400x200, YOLOv5 200x400: which frame the pixels are in cannot be known.
    raw = line("AmlDatastore://ds/r.jpg", [box(40, 20, 100, 100)])
    data = tmp_path / "d.jsonl"
    data.write_bytes(raw)
    api.fix([str(data)], settings(images), unsafe=True)
    assert data.read_bytes() == raw


MIXED = b"".join([
    PIXELS,
    line("AmlDatastore://ds/b.png", [box(0.1, 0.1, 0.5, 0.5)], {"format": "jpg", "width": 300, "height": 333}),
    # The short form: AutoML does not resolve it, the image pass cannot locate it; rewritten, then its image is
    # checked and its pixels divided in a second round (and the line then merges with line 1's image).
    line("azureml://datastores/ds/paths/c.jpg", [box(10, 10, 50, 40, "dog")]),
    # A doubled slash AutoML collapses and a numeric string: fixed, then divided.
    line("AmlDatastore://ds//p.png", [box("20", 10, 100, 50)]),
    line("AmlDatastore://ds/missing.jpg", [box(40, 20, 200, 100)]),  # no size known: left
])


def test_fix_with_images_takes_rounds_and_a_second_fix_changes_nothing(images, tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_bytes(MIXED)
    proc = cli(data, "--task", "od", "--fix", "--unsafe-fixes", "--images", "--image-root", images)
    assert proc.returncode in (0, 1), proc.stderr
    assert b"in 2 rounds" in proc.stderr
    once = data.read_bytes()
    rows = [json.loads(x) for x in once.splitlines()]
    assert rows[0] == json.loads(PIXELS_FIXED)
    assert rows[1]["image_details"] == {"format": "png", "width": 300, "height": 300}
    assert rows[2] == {"image_url": "AmlDatastore://ds/c.jpg", "label": [box(0.1, 0.2, 0.5, 0.8, "dog")]}
    assert rows[3] == {"image_url": "AmlDatastore://ds/p.png", "label": [box(0.1, 0.1, 0.5, 0.5)]}
    assert once.splitlines()[4] == MIXED.splitlines()[4]
    proc = cli(data, "--task", "od", "--fix", "--unsafe-fixes", "--images", "--image-root", images)
    assert data.read_bytes() == once
    assert b"fixed 0 finding(s)" in proc.stderr
    # --diff gives the same file through patch, and writes nothing.
    data.write_bytes(MIXED)
    proc = cli(data, "--task", "od", "--diff", "--unsafe-fixes", "--images", "--image-root", images)
    assert proc.returncode == 1 and data.read_bytes() == MIXED
    patched = tmp_path / "patched.jsonl"
    patched.write_bytes(MIXED)
    subprocess.run(["patch", "--quiet", str(patched)], input=proc.stdout, check=True)
    assert patched.read_bytes() == once
    # --jobs, gzip and --fix-output give the same result.
    data.write_bytes(MIXED)
    assert cli(data, "--task", "od", "--fix", "--unsafe-fixes", "--images", "--image-root", images,
               "--jobs", "2").returncode in (0, 1)
    assert data.read_bytes() == once
    packed = tmp_path / "d.jsonl.gz"
    packed.write_bytes(gzip.compress(MIXED))
    cli(packed, "--task", "od", "--fix", "--unsafe-fixes", "--images", "--image-root", images)
    assert gzip.decompress(packed.read_bytes()) == once
    out = tmp_path / "out.jsonl"
    data.write_bytes(MIXED)
    cli(data, "--task", "od", "--fix-output", out, "--unsafe-fixes", "--images", "--image-root", images)
    assert out.read_bytes() == once and data.read_bytes() == MIXED


def test_mltable_files_and_validation_files_are_fixed_with_images(images, tmp_path):
    folder = tmp_path / "table"
    folder.mkdir()
    (folder / "part1.jsonl").write_bytes(PIXELS)
    (folder / "part2.jsonl").write_bytes(line("AmlDatastore://ds/p.png", [box(20, 10, 100, 50)]))
    (folder / "MLTable").write_text("paths:\n  - file: ./part1.jsonl\n  - file: ./part2.jsonl\n"
                                    "transformations:\n  - read_json_lines:\n      encoding: utf8\n"
                                    "      invalid_lines: error\n      include_path_column: false\n"
                                    "  - convert_column_types:\n      - columns: image_url\n"
                                    "        column_type: stream_info\n")
    valid = tmp_path / "valid.jsonl"
    valid.write_bytes(line("AmlDatastore://ds/c.jpg", [box(10, 10, 50, 40)]))
    report = api.fix([str(folder)], settings(images), validation=str(valid), unsafe=True)
    assert (folder / "part1.jsonl").read_bytes() == PIXELS_FIXED
    assert json.loads((folder / "part2.jsonl").read_bytes())["label"] == [box(0.1, 0.1, 0.5, 0.5)]
    assert json.loads(valid.read_bytes())["label"] == [box(0.1, 0.2, 0.5, 0.8)]
    assert report.fixes.fixed >= 3


def test_image_facts_keep_size_format_and_orientation_per_url():
    facts = ImageFacts()
    facts.add("AmlDatastore://ds/a.jpg", Probe(width=640, height=480, format="JPEG", orientation=6))
    facts.add("AmlDatastore://ds/gone.jpg", MISSING)
    facts.add("AmlDatastore://ds/broken.jpg", Probe(width=None, error="truncated"))
    facts.add("AmlDatastore://ds/unlocated.jpg", None)
    facts.add("AmlDatastore://ds/a.jpg", Probe(width=640, height=480, format="JPEG", orientation=6))
    got = facts.get("AmlDatastore://ds/a.jpg")
    assert (got.width, got.height, got.format, got.orientation) == (640, 480, "JPEG", 6)
    for url, code in (("gone", "AML701"), ("broken", "AML702"), ("unlocated", "AML700")):
        assert facts.get(f"AmlDatastore://ds/{url}.jpg") is None
        assert facts.finding(f"AmlDatastore://ds/{url}.jpg") == code
    assert facts.finding("AmlDatastore://ds/a.jpg") is None
    assert facts.get("AmlDatastore://ds/never-seen.jpg") is UNPROBED
    assert len(facts) == 4


def test_urls_whose_hashes_collide_get_no_size(monkeypatch):
    monkeypatch.setattr(facts_module, "_key", lambda url: 7)
    facts = ImageFacts()
    facts.add("AmlDatastore://ds/a.jpg", Probe(width=640, height=480, format="JPEG"))
    facts.add("AmlDatastore://ds/b.jpg", Probe(width=100, height=100, format="PNG"))
    assert facts.get("AmlDatastore://ds/a.jpg") is None and facts.get("AmlDatastore://ds/b.jpg") is None


def test_urls_to_check_wait_on_disk_and_come_back_in_bounded_batches(monkeypatch):
    monkeypatch.setattr(UrlSpool, "BATCH", 2)
    urls = ["AmlDatastore://ds/a.jpg", "AmlDatastore://ds/b\nc.jpg", "AmlDatastore://ds/\ud800.jpg"]
    spool = UrlSpool()
    for url in [urls[0], urls[0], urls[1], urls[2], urls[0]]:
        spool.add(url)
    batches = list(spool.batches())
    spool.close()
    assert all(len(b) <= 2 for b in batches) and set().union(*batches) == set(urls)


def test_an_image_url_is_not_rewritten_to_name_a_missing_image(images, tmp_path):
    # AutoML cannot resolve the short form; rewritten, it would name a file that does not exist: AML701 would
    # appear. Without --images nothing is known of the file, and the URL is rewritten.
    short = line("azureml://datastores/ds/paths/nothere.jpg", [box(0.1, 0.1, 0.5, 0.5)])
    # The doubled slash names the same missing file before and after: rewritten either way.
    doubled = line("AmlDatastore://ds//nothere2.jpg", [box(0.1, 0.1, 0.5, 0.5)])
    data = tmp_path / "d.jsonl"
    data.write_bytes(short + doubled)
    report = api.fix([str(data)], settings(images), unsafe=True)
    assert data.read_bytes() == short + doubled.replace(b"ds//", b"ds/")
    assert "AML701" not in {p.code for p in report.results[0].problems if p.line == 1}
    data.write_bytes(short + doubled)
    api.fix([str(data)], settings(images, probe=None), unsafe=True)
    assert data.read_bytes().splitlines()[0] == short.replace(b"azureml://datastores/ds/paths/",
                                                              b"AmlDatastore://ds/").rstrip()
