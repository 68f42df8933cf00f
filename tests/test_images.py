"""--images: the files behind image_url are found, probed with Pillow, cached, and never modified."""

import hashlib
import shutil

import pytest

from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from automl_lint.images.locate import Locator, _join, inside
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
    import automl_lint.images.batch as batch

    def boom(*args, **kwargs):
        raise AssertionError("probed again although cached")

    monkeypatch.setattr(batch, "probe_bytes", boom)
    monkeypatch.setattr(batch, "probe_head", boom)
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


_URL_PARTS = st.sampled_from(["a", "b.jpg", "..", ".", "", "x%2Fy", "sp ace", "q?sv=1", "ds", "c:", "\0", "a..b",
                              "%2E%2E", "img_1.png", "-x", "~", "é.jpg"])


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(folders=st.lists(st.lists(_URL_PARTS, min_size=0, max_size=3), min_size=1, max_size=3),
       names=st.lists(_URL_PARTS, min_size=1, max_size=4),
       scheme=st.sampled_from(["AmlDatastore://ds/", "azureml://subscriptions/s/resourcegroups/r/workspaces/w/"
                               "datastores/ds/paths/", "https://acc.blob.core.windows.net/c/", "x://", "AmlDatastore://"]),
       setup=st.sampled_from(["roots", "datastore", "map", "blob map", "map deep"]))
def test_candidates_of_a_folder_memo_are_those_of_each_url(folders, names, scheme, setup):
    """Plain names are located from their folder's remembered answer: the same candidates (and the same refusals)
    as locating each image_url on its own."""
    config = {"roots": (["/r1", "/r2/"], {}, {}), "datastore": ([], {"ds": "/d"}, {}),
              "map": ([], {}, {"AmlDatastore://ds/": "/m", "x://": "/x/"}),
              "blob map": ([], {}, {"x://": "az://cont/pre", "AmlDatastore://ds/a/": "az://c2"}),
              "map deep": ([], {}, {"AmlDatastore://ds/a/b.jpg/": "/deep", "x://a": "/xa"})}[setup]
    shared = Locator(*config)
    for parts in folders:
        for name in names:
            url = scheme + "/".join(parts + [name])
            pairs = Locator(*config)._pairs(url)
            bad = next((loc for loc, tail in pairs if not inside(loc, tail)), None)
            expected = [] if bad is not None else [(_join(loc, tail), loc) for loc, tail in pairs]
            assert shared.candidates(url) == expected, url
            assert shared.outside.get(url) == bad, url


def test_polygon_extents_count_as_boxes():
    from automl_lint.images.refs import image_ref

    ref = image_ref(7, "AmlDatastore://d/a.png", {"label": [{"label": "x", "polygon": [[0.1, 0.2, 0.3, 0.2,
                                                                                          0.3, 0.5]]}]})
    assert ref[0] == 7 and ref[3] == pytest.approx((0.2, 0.3))


def test_image_ref_keeps_what_the_rules_read():
    from automl_lint.images.refs import image_ref

    record = {"image_details": {"format": "png", "width": "64px", "other": 1},
              "label": [{"topX": 0.1, "topY": 0.2, "bottomX": 0.4, "bottomY": 0.6}, "junk", {"topX": 0.1},
                        {"polygon": [[0.5, 0.5, 0.7, 0.5, 0.7, 0.9]]}, {"topX": "0.1", "topY": 0, "bottomX": 1,
                                                                           "bottomY": 1}]}
    line, url, details, boxes = image_ref(3, "u", record)
    assert (line, url, details) == (3, "u", ("png", "64px", None))
    assert boxes == pytest.approx((0.3, 0.4, 0.2, 0.4))
    assert image_ref(1, "u", {"image_details": {}, "label": "cat"}) == (1, "u", None, ())
    assert image_ref(1, "u", {"image_details": [1], "label": []})[2:] == (None, ())


@pytest.mark.parametrize("url", ["a/b.jpg", "a/.jpg", "a/..jpg", "a/b..JPG", "a.b/c", "x", ".", "..", "a/b.",
                                 "a/b.c?x=1.png", "az://x/y/z.PnG", "a/...x.gif", "/.a.b", "a/b.tar.gz", "a./b", "",
                                 "a/b?c", "?a.jpg", "a/ .jpg", "a/b.jpg/", "abc.jpg", "a/b.j%70g", "a/b.JPEG?"])
def test_the_extension_is_splitexts(url):
    import os

    from automl_lint.rules.images import _extension

    assert _extension(url) == os.path.splitext(url.split("?", 1)[0])[1].lstrip(".").lower()


@hypothesis_settings(max_examples=400, deadline=None)
@given(url=st.one_of(st.sampled_from(["a/b.jpg", "a/.jpg", "a/..jpg", "a/b..JPG", ".png", "a/b.PNG?x=.gif", "b.gif",
                                      "a/.x.gif", "a/..x.webp", "x", "a/b.jpg/"]),
                     st.text(alphabet="a./?JPGjpngif ", max_size=12)))
def test_the_rules_read_the_extension_as_extension_does(url):
    """check_image reads the usual extension inline: its finding is the one ``_extension`` gives, for any URL."""
    from automl_lint.images.probe import Probe
    from automl_lint.rules.images import _SAME_AS, EXTENSION_FORMATS, FORMAT_MISMATCH, _extension, check_image

    for real in ("JPEG", "PNG"):
        out: list = []
        check_image((1, url, None, ()), Probe(format=real, width=64, height=48, mode="RGB"), "", "object-detection",
                    None, out, False)
        said = EXTENSION_FORMATS.get(_extension(url))
        expected = [] if said is None or said == _SAME_AS.get(real, real) else [
            (FORMAT_MISMATCH, "/image_url", f"the file is {real} but its extension says {said}")]
        assert out == expected


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


# --- header mode reads headers; identical content is confirmed only for candidates -----------------------------

def _photo(path, fmt, size=(1200, 900), seed=0, exif=True):
    """A photo-like image of a few hundred KB (noise defeats compression), JPEG with an EXIF block or PNG."""
    import random

    from PIL import Image

    rnd = random.Random(seed)
    im = Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))
    kwargs = {}
    if fmt == "JPEG" and exif:
        e = Image.Exif()
        e[0x0112] = 6
        e[0x9286] = "x" * 20000  # a large EXIF block: the header runs past the first 16 KiB
        kwargs["exif"] = e.tobytes()
    im.save(path, fmt, **kwargs)
    return path


def _count_reads(monkeypatch) -> dict:
    """Bytes read from each local image file, by real path."""
    import os

    from automl_lint.images import storage

    counts: dict = {}
    real = storage._pread

    def pread(fd):
        read = real(fd)
        name = os.readlink(f"/proc/self/fd/{fd}")

        def counted(offset, n):
            data = read(offset, n)
            counts[name] = counts.get(name, 0) + len(data)
            return data
        return counted
    monkeypatch.setattr(storage, "_pread", pread)
    return counts


def test_header_mode_reads_the_head_not_the_file(tmp_path, monkeypatch):
    from automl_lint.images.batch import probe_batch
    from automl_lint.images.probe import HEAD_BYTES
    from automl_lint.settings import Settings

    files = [_photo(tmp_path / "a.jpg", "JPEG"), _photo(tmp_path / "b.png", "PNG", seed=1),
             _photo(tmp_path / "c.jpg", "JPEG", seed=2, exif=False)]
    counts = _count_reads(monkeypatch)
    probes = probe_batch([(str(f), str(tmp_path), None) for f in files], Settings(images="header"))
    assert [(p.format, p.width, p.height) for p in probes] == [("JPEG", 1200, 900), ("PNG", 1200, 900),
                                                               ("JPEG", 1200, 900)]
    assert probes[0].orientation == 6  # found in an EXIF block that ends past the head
    sizes = {str(f): f.stat().st_size for f in files}
    assert all(s > 300_000 for s in sizes.values())
    # The head, plus what the parser needs beyond it (the 20 kB EXIF block): a few tens of kB, never the file.
    assert counts[str(files[0])] <= HEAD_BYTES + 32 * 1024
    assert counts[str(files[1])] == HEAD_BYTES and counts[str(files[2])] == HEAD_BYTES


def test_png_exif_orientation_is_read_without_decoding_the_pixels(tmp_path, monkeypatch):
    from PIL import Image

    from automl_lint.images.batch import probe_batch
    from automl_lint.settings import Settings

    e = Image.Exif()
    e[0x0112] = 3
    path = tmp_path / "r.png"
    Image.new("RGB", (64, 48)).save(path, "PNG", exif=e.tobytes())  # eXIf chunk before the pixels
    monkeypatch.setattr(Image.Image, "load", lambda self: pytest.fail("pixels decoded in header mode"))
    [p] = probe_batch([(str(path), str(tmp_path), None)], Settings(images="header"))
    assert (p.format, p.orientation) == ("PNG", 3)


def test_identical_images_are_confirmed_by_whole_hash_only_among_candidates(run_json, tmp_path, monkeypatch):
    import json

    img = tmp_path / "ds"
    img.mkdir()
    a = _photo(img / "a.png", "PNG", size=(200, 150))
    (img / "a_copy.png").write_bytes(a.read_bytes())
    # Same size and same first 16 KiB as a.png, different tail: a candidate that the whole hash rejects.
    data = bytearray(a.read_bytes())
    data[-20] ^= 0xFF
    (img / "a_tail.png").write_bytes(bytes(data))
    _photo(img / "other.png", "PNG", size=(200, 150), seed=5)
    names = ["a.png", "a_copy.png", "a_tail.png", "other.png"]
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps({"image_url": f"AmlDatastore://ds/{n}", "label": "x"}) + "\n"
                             for n in names))
    counts = _count_reads(monkeypatch)
    _, doc = run_json(train, "--task", "mc", "--images", "--image-root", tmp_path, "--image-cache", "")
    dup = [(p["line"], p["message"]) for f in doc["files"] for p in f["problems"] if p["code"] == "AML712"]
    assert [line for line, _ in dup] == [2] and "a.png" in dup[0][1]
    size = a.stat().st_size
    assert size > 40_000
    # Candidates (a, a_copy, a_tail) were read whole once more; the image with no twin only for its head.
    from automl_lint.images.probe import HEAD_BYTES

    assert counts[str(img / "other.png")] == HEAD_BYTES
    assert all(counts[str(img / n)] == HEAD_BYTES + size for n in names[:3])


def test_duplicates_are_found_from_the_cache_too(run_json, tmp_path):
    args = (TRAIN, "--images", "--image-root", IMAGES, "--image-cache", tmp_path)
    first = _image_codes(run_json(*args)[1])
    assert (3, "AML712") in first
    assert _image_codes(run_json(*args)[1]) == first


def test_files_sharing_the_head_sample_are_told_apart_by_their_whole_content(run_json, tmp_path):
    """The head hash samples the head: files differing only between the sampled bytes are candidates, and the
    whole-file hash tells them apart; identical files are duplicates, however they differ from the others."""
    import json
    import random

    from automl_lint.images.probe import HEAD_BYTES, HEAD_SAMPLE, head_hash

    data = bytearray(random.Random(7).randbytes(HEAD_BYTES + 5000))
    variants = {"a.png": bytes(data)}
    data[HEAD_SAMPLE + 3] ^= 0xFF  # inside the head, between two sampled bytes
    variants["b.png"] = bytes(data)
    data[HEAD_BYTES + 100] ^= 0xFF  # past the head
    variants["c.png"] = bytes(data)
    variants["a-copy.png"] = variants["a.png"]
    assert len({head_hash(v[:HEAD_BYTES]) for v in variants.values()}) == 1
    (tmp_path / "img").mkdir()
    for name, content in variants.items():
        (tmp_path / "img" / name).write_bytes(content)
    (tmp_path / "train.jsonl").write_text("".join(json.dumps({"image_url": f"AmlDatastore://ds/img/{n}", "label": "a"})
                                                  + "\n" for n in variants))
    for cache in ("", tmp_path / "cache", tmp_path / "cache"):
        _, doc = run_json(tmp_path / "train.jsonl", "--task", "multiclass", "--images", "--datastore",
                          f"ds={tmp_path}", "--image-cache", cache)
        duplicates = [(p["line"], p["message"]) for f in doc["files"] for p in f["problems"] if p["code"] == "AML712"]
        assert duplicates == [(4, "same image content as 'AmlDatastore://ds/img/a.png' (line 1)")]


# --- the probe cache: batched, shared, rebuilt --------------------------------------------------------------

def _run_with_stderr(capsys, *args):
    import json

    from automl_lint.cli import main

    rc = main([*map(str, args), "--format", "json"])
    out, err = capsys.readouterr()
    return rc, json.loads(out), err


def test_corrupt_cache_is_rebuilt_with_a_warning(tmp_path, capsys):
    from automl_lint.images.cache import SCHEMA_VERSION

    db = tmp_path / f"images-v{SCHEMA_VERSION}.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    rc, doc, err = _run_with_stderr(capsys, TRAIN, "--images", "--image-root", IMAGES, "--image-cache", tmp_path)
    assert _image_codes(doc) == EXPECTED_FULL - {(5, "AML702")}
    assert "corrupt" in err and "rebuilt" in err and "Traceback" not in err
    import sqlite3

    assert sqlite3.connect(db).execute("SELECT count(*) FROM probes").fetchone()[0] > 10


def test_foreign_cache_database_is_left_alone(tmp_path, capsys):
    import sqlite3

    from automl_lint.images.cache import SCHEMA_VERSION

    db = tmp_path / f"images-v{SCHEMA_VERSION}.sqlite3"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE probes (something TEXT)")
    con.execute("INSERT INTO probes VALUES ('precious')")
    con.commit()
    con.close()
    rc, doc, err = _run_with_stderr(capsys, TRAIN, "--images", "--image-root", IMAGES, "--image-cache", tmp_path)
    assert _image_codes(doc) == EXPECTED_FULL - {(5, "AML702")}
    assert "not written by automl-lint" in err
    assert sqlite3.connect(db).execute("SELECT * FROM probes").fetchall() == [("precious",)]


def test_cache_entries_this_version_cannot_read_are_probed_again(run_json, tmp_path):
    import sqlite3

    from automl_lint.images.cache import SCHEMA_VERSION

    run_json(TRAIN, "--images", "--image-root", IMAGES, "--image-cache", tmp_path)
    con = sqlite3.connect(tmp_path / f"images-v{SCHEMA_VERSION}.sqlite3")
    con.execute("UPDATE probes SET result = '{\"garbage\": 1'")
    con.commit()
    con.close()
    _, doc = run_json(TRAIN, "--images", "--image-root", IMAGES, "--image-cache", tmp_path)
    assert _image_codes(doc) == EXPECTED_FULL - {(5, "AML702")}


@pytest.mark.parametrize("way", ["json", "chunks", "scan"])
def test_cache_probes_are_each_locations_own_in_order(tmp_path, monkeypatch, way):
    """One statement left-joining a JSON array of the locations (its rows in the array's order), statements of 500
    locations (SQLite without JSON functions), or the whole table read at once (a table small beside the locations
    asked): the same probes every way, each at its location's place, None where nothing is cached or the entry
    cannot be read."""
    import sqlite3

    from automl_lint.images import cache as cache_module
    from automl_lint.images.cache import ProbeCache
    from automl_lint.images.probe import Probe

    monkeypatch.setattr(cache_module, "SCAN_ROWS_PER_LOCATION", 10**6 if way == "scan" else 0)
    json_functions = way == "json"

    odd = ["/d/a'b.jpg", '/d/q"uote.png', "/d/\\back.jpg", "/d/ünï cödé 🖼.jpg", "/d/new\nline.jpg", "/d/x,y].jpg"]
    cached = odd + [f"/d/img_{i}.jpg" for i in range(1200)]
    cache = ProbeCache(str(tmp_path))
    for i, loc in enumerate(cached):
        cache.put(loc, Probe(bytes=100 + i, version=str(i), head="h", format="JPEG", width=1, height=2, mode="RGB"))
    cache.close()
    with sqlite3.connect(next(tmp_path.glob("*.sqlite3"))) as db:  # an entry another version wrote
        db.execute("UPDATE probes SET result = '{\"old\": 1}' WHERE location = ?", (cached[3],))
    cache = ProbeCache(str(tmp_path))
    if way == "chunks":
        cache._json_each = False
    wanted = cached[::-2] + ["/d/not cached.jpg", "/d/img_1.jpg ", "/d/IMG_2.jpg", cached[-2]]
    found = cache.probes(wanted)
    if way == "scan":
        assert cache._json_each is None  # no look-up was made
    elif sqlite3.sqlite_version_info >= (3, 38):  # JSON functions are built in from 3.38 on
        assert cache._json_each is json_functions
    assert len(found) == len(wanted)
    for loc, p in zip(wanted, found):
        if loc not in cached or loc == cached[3]:
            assert p is None, loc
        else:
            i = cached.index(loc)
            assert (p.bytes, p.version, p.full, p.width) == (100 + i, str(i), False, 1), loc
    assert cache.probes([]) == []
    assert cache.probes(["/d/nowhere.jpg"]) == [None]
    cache.close()


def test_cache_read_whole_only_when_its_rowids_bound_it_small(tmp_path):
    """The table is read whole when its rowids bound it to at most SCAN_ROWS_PER_LOCATION rows per location asked: a
    cache whose rows carry rowids far apart (say a crafted one, its largest rowid small and millions of rows below
    zero) is looked up per location instead, never loaded whole."""
    import sqlite3

    from automl_lint.images.cache import ProbeCache
    from automl_lint.images.probe import Probe

    cache = ProbeCache(str(tmp_path))
    for i in range(3):
        cache.put(f"/d/{i}.jpg", Probe(bytes=i + 1, version="v", head="h", format="JPEG", width=1, height=1, mode="L"))
    cache.close()
    cache = ProbeCache(str(tmp_path))
    assert [p.bytes for p in cache.probes([f"/d/{i}.jpg" for i in range(3)])] == [1, 2, 3]
    assert cache._json_each is None  # 3 rows for 3 locations: read whole, no look-up
    cache.close()
    with sqlite3.connect(next(tmp_path.glob("*.sqlite3"))) as db:
        db.execute("UPDATE probes SET rowid = -1000000 WHERE location = '/d/0.jpg'")
    cache = ProbeCache(str(tmp_path))
    found = cache.probes([f"/d/{i}.jpg" for i in range(3)])
    assert [p.bytes for p in found] == [1, 2, 3]
    if sqlite3.sqlite_version_info >= (3, 38):
        assert cache._json_each is True  # rowids 1,000,002 apart: looked up
    cache.close()


def test_cached_probes_decoded_together_are_each_entrys_own():
    import orjson

    from automl_lint.images.cache import ProbeCache
    from automl_lint.images.probe import Probe

    good = [Probe(bytes=i, version=str(i), head="h", format="PNG", width=i, height=1) for i in range(4)]
    docs = [orjson.dumps(p.to_json()) for p in good]
    assert ProbeCache.decode(docs) == good
    damaged = [docs[0], b'{"garbage": 1', docs[1], b"1],[2", '["text"]', orjson.dumps([1, 2]), docs[2], b"", docs[3]]
    assert ProbeCache.decode(damaged) == [good[0], None, good[1], None, None, None, good[2], None, good[3]]
    assert ProbeCache.decode([b"[1]],[[2]"]) == [None] and ProbeCache.decode([]) == []


def test_two_runs_sharing_a_cache_both_finish_and_leave_it_correct(tmp_path):
    import subprocess
    import sys

    cache = tmp_path / "cache"
    cmd = [sys.executable, "-m", "automl_lint", str(TRAIN), "--images", "--image-root", str(IMAGES),
           "--image-cache", str(cache), "--format", "json"]
    runs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in runs]
    import json

    docs = [json.loads(out) for out, _ in outs]
    assert all(p.returncode == 1 for p in runs), [err for _, err in outs]
    assert all(_image_codes(d) == EXPECTED_FULL - {(5, "AML702")} for d in docs)
    again = json.loads(subprocess.run(cmd, capture_output=True, timeout=120).stdout)
    assert _image_codes(again) == EXPECTED_FULL - {(5, "AML702")}


# --- a wrong image location is the user's mistake, not AutoML's drops --------------------------------------

@pytest.mark.parametrize("option", ["--image-root", "--datastore", "--map"])
def test_a_location_that_does_not_exist_is_an_error(option, tmp_path, capsys):
    from automl_lint.cli import main

    value = {"--image-root": str(tmp_path / "nope"), "--datastore": f"fixtures={tmp_path / 'nope'}",
             "--map": f"AmlDatastore://fixtures/={tmp_path / 'nope'}"}[option]
    assert main([str(TRAIN), "--images", option, value, "--image-cache", ""]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "nope" in err and "Traceback" not in err


def test_a_wrong_root_is_reported_once_and_not_counted_as_drops(run_json, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    rc, doc = run_json(TRAIN, "--images", "--image-root", tmp_path / "elsewhere", "--image-cache", "")
    [f] = doc["files"]
    image = [p for p in f["problems"] if p["code"].startswith("AML7")]
    assert [p["code"] for p in image] == ["AML716"]
    assert "16 of 16 located images" in image[0]["message"] and "looked up at" in image[0]["message"]
    assert "--map 'AmlDatastore://fixtures/img/=FOLDER'" in image[0]["message"]
    assert f["summary"]["automl"]["images_dropped"] == 0
    assert rc == 1


def test_a_folder_differing_only_by_case_is_suggested(run_json, tmp_path):
    shutil.copytree(IMAGES / "img", tmp_path / "fixtures" / "IMG")
    _, doc = run_json(TRAIN, "--images", "--image-root", tmp_path, "--image-cache", "")
    [msg] = [p["message"] for f in doc["files"] for p in f["problems"] if p["code"] == "AML716"]
    assert "IMG exists and differs only by letter case from 'img'" in msg


def test_a_few_missing_images_are_still_reported_one_by_one(run_json, tmp_path):
    _, doc = run_json(TRAIN, "--images", "--image-root", IMAGES, "--image-cache", "")
    codes = {c for _, c in _image_codes(doc)}
    assert "AML701" in codes and "AML716" not in codes


def test_progress_counts_images_not_candidate_paths(tmp_path):
    from automl_lint.engine import lint_file
    from automl_lint.images.check import check_images
    from automl_lint.settings import Settings

    # --image-root gives two candidate paths per image_url (with and without the datastore folder).
    settings = Settings(images="header", image_root=[str(IMAGES)], image_cache="", task="object-detection")
    result = lint_file(str(TRAIN), settings)
    calls = []
    check_images([result], settings, progress=lambda done, total: calls.append((done, total)))
    urls = {ref[1] for ref in result.image_refs}
    assert calls[-1] == (len(urls), len(urls))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# --- many images: read ahead in a window, probed in worker processes -----------------------------------------

def test_a_batch_larger_than_the_read_ahead_window_keeps_order_and_closes_every_file(tmp_path, monkeypatch):
    import os

    from automl_lint.images import batch
    from automl_lint.images.batch import probe_batch
    from automl_lint.settings import Settings

    monkeypatch.setattr(batch, "PREFETCH", 3)
    root = tmp_path / "root"
    root.mkdir()
    secret = tmp_path / "secret.png"
    _photo(secret, "PNG", size=(40, 30))
    refs, expected = [], []
    for i in range(20):
        path = root / f"{i}.png"
        kind = i % 5
        if kind == 0:
            _photo(path, "PNG", size=(10 + i, 20), seed=i)
            expected.append(("PNG", 10 + i))
        elif kind == 1:
            expected.append("missing")                 # never created
        elif kind == 2:
            os.symlink(secret, path)                   # leaves the root: never read
            expected.append("outside")
        elif kind == 3:
            os.mkfifo(path)                            # not a regular file: unreadable, never read
            expected.append("unreadable")
        else:
            path.write_bytes(b"not an image")
            expected.append("error")
        refs.append((str(path), str(root), None))
    fds = len(os.listdir("/proc/self/fd"))
    probes = probe_batch(refs, Settings(images="header"))
    assert len(os.listdir("/proc/self/fd")) == fds

    def kind(p):
        if p.outside:
            return "outside"
        if p.unreadable:
            return "unreadable"
        if not p.exists:
            return "missing"
        return "error" if p.error else (p.format, p.width)
    assert [kind(p) for p in probes] == expected
    one_by_one = [probe_batch([ref], Settings(images="header"))[0] for ref in refs]
    assert [kind(p) for p in one_by_one] == expected


def test_probing_in_worker_processes_gives_what_one_process_gives(run_json, tmp_path, monkeypatch):
    import json

    from automl_lint.images import check

    _, alone = run_json(TRAIN, "--images", "--image-root", IMAGES, "--image-cache", "", "--jobs", "1")
    monkeypatch.setattr(check, "PROCESS_MIN", 1)
    monkeypatch.setattr(check, "LOCAL_BATCH", 3)
    pooled_batches = []
    real = check._pooled
    monkeypatch.setattr(check, "_pooled", lambda batches, *a: (pooled_batches.append(len(batches)),
                                                                real(batches, *a)))
    for cache in ("", tmp_path / "cache"):
        _, pooled = run_json(TRAIN, "--images", "--image-root", IMAGES, "--image-cache", cache, "--jobs", "2")
        assert json.dumps(pooled["files"], sort_keys=True) == json.dumps(alone["files"], sort_keys=True)
    assert pooled_batches and pooled_batches[0] > 2


def test_a_candidate_folder_that_does_not_exist_is_told_missing_without_opening_its_images(run_json, monkeypatch):
    # With --image-root an image_url has two candidate locations: the fixtures' images are under IMAGES/img, so the
    # one that keeps the datastore's name (IMAGES/fixtures/img) is absent for every image. One look-up of that
    # folder says so; no path in it is opened, and the report is the one that opening every path gives.
    import os

    from automl_lint.images import check

    opened = []
    real_open = os.open

    def recording_open(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording_open)
    args = (TRAIN, "--images", "--image-root", IMAGES, "--image-cache", "", "--jobs", "1")
    rc, doc = run_json(*args)
    absent = str(IMAGES / "fixtures") + os.sep
    assert opened and not [p for p in opened if p.startswith(absent)]
    monkeypatch.setattr(check, "folder_absent", lambda folder: False)  # every path opened, as before
    opened.clear()
    rc_each, doc_each = run_json(*args)
    assert [p for p in opened if p.startswith(absent)]  # the recording sees such opens when they happen
    assert (rc, doc) == (rc_each, doc_each)
    assert _image_codes(doc) == EXPECTED_FULL - {(5, "AML702")}


def test_shared_image_details_keep_each_records_own_types():
    """References share equal (format, width, height) tuples of a string and two ints only: 480.0 and True are equal
    to 480 and 1 but the rules tell them apart (a float or boolean size is a finding)."""
    from automl_lint.images.refs import image_ref

    def details(**kw):
        return image_ref(1, "a.jpg", {"image_url": "a.jpg", "image_details": kw, "label": []})[2]

    first = details(format="jpg", width=640, height=480)
    assert details(format="jpg", width=640, height=480) is first
    for odd in (details(format="jpg", width=640, height=480.0), details(format="jpg", width=640.0, height=480)):
        assert odd == first and odd is not first and {type(v) for v in odd} == {str, int, float}
    assert [type(v) for v in details(format="jpg", width=True, height=1)] == [str, bool, int]
    assert details(format="jpg") == ("jpg", None, None)
    assert image_ref(1, "a.jpg", {"image_url": "a.jpg", "image_details": {}, "label": []})[2] is None


def test_image_findings_point_at_the_column_of_their_value(run_json, tmp_path):
    """Image findings are made after the file is read: their columns are found in a second pass over it."""
    rc, doc = run_json(TRAIN, "--images", "--image-root", IMAGES, "--image-cache", tmp_path)
    lines = TRAIN.read_text(encoding="utf-8").splitlines()
    found = {(p["line"], p["code"]): p["column"] for f in doc["files"] for p in f["problems"]}
    line14 = lines[13]
    assert found[(14, "AML704")] == line14.index('"height": 1500') + len('"height": ') + 1
    second_box = line14.index('{"label": "thing", "topX": 0.2') + 1
    assert found[(14, "AML710")] == found[(14, "AML711")] == second_box
    assert found[(8, "AML705")] == lines[7].index('"AmlDatastore://') + 1
