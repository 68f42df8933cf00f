"""The warm image pass: cached images are answered from a look-up in their checked folder, never opened, and the
answers are the ones opening each file gives (same findings, same refusals of what leads outside)."""

import os
import re
import shutil

import pytest

from automl_lint.images import storage
from automl_lint.images.storage import ImageUnreadable, OutsideRoot, folder_absent, open_local, stat_local
from conftest import FIXTURES

IMAGES = FIXTURES / "images"
TRAIN = IMAGES / "train.jsonl"
OD = {"image_details": {"format": "jpg", "width": 64, "height": 48},
      "label": [{"label": "thing", "topX": 0.1, "topY": 0.1, "bottomX": 0.6, "bottomY": 0.6, "isCrowd": 0}]}


def _opened(location, root):
    """What opening the file tells: (size, version), or None (missing, refused, unreadable, not a file)."""
    try:
        opened = open_local(location, root)
    except (OutsideRoot, ImageUnreadable):
        return None
    if opened is None:
        return None
    with opened:
        return opened.size, opened.version


# Every kind of name a folder can hold: files in and below it, a folder, a FIFO, links to files and folders in
# and out, and (in each test's list) missing files, a file used as a folder and a NUL byte.
NAMES = ["sub/a.png", "b.jpg", "dir.jpg", "fifo.jpg", "link-out.jpg", "link-in.jpg", "folder-out/secret.jpg",
         "folder-in/a.png", "missing.jpg", "nofolder/x.jpg", "b.jpg/x.jpg", "nul\0.jpg"]


def _tree(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.png").write_bytes(b"png bytes")
    (root / "b.jpg").write_bytes(b"jpg")
    (root / "dir.jpg").mkdir()
    os.mkfifo(root / "fifo.jpg")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jpg").write_bytes(b"secret")
    os.symlink(outside / "secret.jpg", root / "link-out.jpg")
    os.symlink(root / "b.jpg", root / "link-in.jpg")
    os.symlink(outside, root / "folder-out")
    os.symlink(root / "sub", root / "folder-in")
    return root


def test_stat_local_tells_what_opening_tells_or_nothing(tmp_path):
    root = _tree(tmp_path)
    refs = [(os.path.join(root, n), str(root)) for n in NAMES]
    told = dict(zip(NAMES, stat_local(refs)))
    for location, root_ in refs:
        name = os.path.relpath(location, root)
        if told[name] is not None:
            assert told[name] == _opened(location, root_), name
    # Regular files in checked folders are told; everything else is left to opening (which refuses or probes it).
    assert {n for n, t in told.items() if t is not None} == {"sub/a.png", "b.jpg", "folder-in/a.png"}
    assert _opened(str(root / "link-in.jpg"), str(root)) is not None  # opened instead, and found inside


def test_stat_local_answers_each_file_in_any_order_of_folders_and_roots(tmp_path, monkeypatch):
    """Files are grouped by folder and root as they come (a folder's files usually come together): the answers are
    each file's own however folders, roots and relative names interleave."""
    import random

    root = _tree(tmp_path)
    (root / "sub" / "b.jpg").write_bytes(b"other")
    refs = [(os.path.join(root, n), str(root)) for n in ("b.jpg", "sub/a.png", "sub/b.jpg", "link-in.jpg")]
    refs += [(os.path.join(root, "sub", "a.png"), str(root / "sub")), (os.path.join(root, "b.jpg"), str(root / "sub"))]
    monkeypatch.chdir(root)  # relative locations: in the current folder, and in a folder named relative to it
    refs += [("b.jpg", str(root)), ("sub/a.png", str(root)), ("./b.jpg", str(root)), (str(root) + "//b.jpg", str(root))]
    # A name without a folder is in the current folder, one in "/" is not: the same "" before the last "/".
    name = f"automl-lint-{os.getpid()}-{id(refs)}.jpg"
    (root / name).write_bytes(b"here")
    assert not os.path.exists("/" + name)
    refs += [("/" + name, "/"), (name, "/")]
    alone = [stat_local([ref])[0] for ref in refs]
    assert [i for i, answer in enumerate(alone) if answer is None] == [3, 5, 10]  # a link; outside its root; none
    rng = random.Random(7)
    for _ in range(50):
        order = [rng.randrange(len(refs)) for _ in range(rng.randrange(1, 20))]
        assert stat_local([refs[i] for i in order]) == [alone[i] for i in order]


def test_a_folder_is_absent_only_when_no_path_in_it_can_be_opened(tmp_path):
    root = _tree(tmp_path)
    os.symlink(root / "nowhere", root / "dangling")
    absent = {n: folder_absent(str(root / n)) for n in
              ("sub", "folder-in", "folder-out", "missing", "b.jpg", "missing/deeper", "b.jpg/deeper", "dangling",
               "fifo.jpg", "nul\0")}
    # folder-out exists (outside the root): opening its files is what refuses them, so it is not "absent".
    assert {n for n, a in absent.items() if a} == {"missing", "b.jpg", "missing/deeper", "b.jpg/deeper", "dangling",
                                                    "fifo.jpg"}
    for name in ("missing", "b.jpg", "dangling", "fifo.jpg"):  # opening a file in it: missing, as the look-up said
        assert _opened(str(root / name / "x.jpg"), str(root)) is None


def _opened_in_folders(location, root, folders):
    try:
        opened = open_local(location, root, folders)
    except (OutsideRoot, ImageUnreadable) as exc:
        return type(exc)
    if opened is None:
        return None
    with opened:
        return opened.size, opened.version, opened.read(0, 100)


def test_opening_in_a_checked_folder_finds_what_opening_alone_finds(tmp_path):
    """A batch opens each folder once and each file in it without following a link: the same answers (sizes,
    bytes, missing files, refusals of links leading out) as opening each path and reading its real path."""
    root = _tree(tmp_path)
    os.symlink(root / "nowhere", root / "dangling.jpg")
    names = [*NAMES, "dangling.jpg", "sub/."]
    folders: dict = {}
    alone = {n: _opened_in_folders(os.path.join(root, n), str(root), None) for n in names}
    together = {n: _opened_in_folders(os.path.join(root, n), str(root), folders) for n in names}
    assert together == alone
    assert alone["link-out.jpg"] is OutsideRoot and alone["folder-out/secret.jpg"] is OutsideRoot
    assert alone["fifo.jpg"] is ImageUnreadable and alone["b.jpg"][2] == b"jpg"
    # The checked folders were opened once each; one that leads out is never used.
    assert set(folders) == {(str(root / d), str(root)) for d in (".", "sub", "folder-out", "folder-in", "nofolder",
                                                                  "b.jpg")}
    assert type(folders[(str(root), str(root))]) is int and type(folders[(str(root / "sub"), str(root))]) is int
    assert folders[(str(root / "folder-out"), str(root))] is None
    storage.close_folders(folders)
    assert folders == {}


def test_a_file_this_process_may_not_read_is_left_to_opening(tmp_path, monkeypatch):
    """(The Python look-ups: test_speedups asks the C ones as another user.)"""
    monkeypatch.setattr(storage, "_stat_names", storage._stat_names_py)
    (tmp_path / "a.png").write_bytes(b"png")
    ref = [(str(tmp_path / "a.png"), str(tmp_path))]
    assert stat_local(ref)[0] is not None
    monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 12345)  # not the owner: permission is asked
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    assert stat_local(ref) == [None]


def _copy_fixtures(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(IMAGES / "img", root / "img")
    return root


def _run(run_json, root, cache, *extra):
    rc, doc = run_json(TRAIN, "--images", "--datastore", f"fixtures={root}", "--image-cache", cache, *extra)
    return rc, [(p["line"], p["code"], p["message"]) for f in doc["files"] for p in f["problems"]]


def _record_image_opens(monkeypatch) -> list:
    """Paths automl-lint tries to open, folders (opened for look-ups) left out."""
    opened = []
    real_open = os.open

    def recording_open(path, flags, *args, dir_fd=None, **kwargs):
        if dir_fd is not None:  # a file opened in an opened folder
            path = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)
        if not os.path.isdir(path):
            opened.append(str(path))
        return real_open(path, flags, *args, dir_fd=dir_fd, **kwargs)
    monkeypatch.setattr(os, "open", recording_open)
    return opened


def test_a_warm_run_opens_no_cached_image_and_finds_the_same(run_json, tmp_path, monkeypatch):
    root = _copy_fixtures(tmp_path)
    uncached = _run(run_json, root, "")
    cold = _run(run_json, root, tmp_path / "cache")
    opened = _record_image_opens(monkeypatch)
    warm = _run(run_json, root, tmp_path / "cache")
    assert warm == cold == uncached
    images = [p for p in opened if p.startswith(str(root))]
    # Only the image not found (line 16) is looked for by opening: every other image was cached.
    assert images == [str(root / "img" / "missing.jpg")]


def test_a_changed_file_is_probed_again_on_a_warm_run(run_json, tmp_path):
    root = _copy_fixtures(tmp_path)
    cache = tmp_path / "cache"
    assert not [p for p in _run(run_json, root, cache)[1] if p[0] == 1]
    ok = root / "img" / "ok.png"
    st = ok.stat()
    ok.write_bytes(b"\0" * st.st_size)  # the same size, a new modification time
    os.utime(ok, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert [p[1] for p in _run(run_json, root, cache)[1] if p[0] == 1] == ["AML702"]
    shutil.copy(root / "img" / "tiny.png", ok)  # another size
    os.utime(ok, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert "AML709" in [p[1] for p in _run(run_json, root, cache)[1] if p[0] == 1]  # tiny: re-probed


def _pretend_unchanged(path, like):
    """Give ``path`` the size and modification time of ``like`` (which the cache holds)."""
    shutil.copyfile(like, path)
    st = os.stat(like)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("replaced", ["file", "folder"])
def test_a_cached_image_replaced_by_a_link_out_is_refused_on_a_warm_run(run_json, tmp_path, replaced, image_reads):
    root = _copy_fixtures(tmp_path)
    cache = tmp_path / "cache"
    cold = _run(run_json, root, cache)[1]
    assert not [p for p in cold if p[0] == 1]
    outside = tmp_path / "outside"
    shutil.copytree(root / "img", outside)
    for name in os.listdir(outside):  # the same sizes and times as the cached images: only the links tell
        _pretend_unchanged(outside / name, root / "img" / name)
    if replaced == "file":
        os.remove(root / "img" / "ok.png")
        os.symlink(outside / "ok.png", root / "img" / "ok.png")
    else:
        shutil.rmtree(root / "img")
        os.symlink(outside, root / "img")
    reads = image_reads
    warm = _run(run_json, root, cache)[1]
    assert [p[1] for p in warm if p[0] == 1] == ["AML714"]
    assert not [r for r in reads if r.startswith(str(outside))]


def test_cold_runs_in_worker_processes_and_warm_runs_find_the_same(run_json, tmp_path, monkeypatch):
    from automl_lint.images import check

    monkeypatch.setattr(check, "PROCESS_MIN", 1)  # the cold run probes in forked workers
    root = _copy_fixtures(tmp_path)
    cache = tmp_path / "cache"
    runs = [_run(run_json, root, cache, "--jobs", jobs) for jobs in ("2", "2", "1")]
    assert runs[0] == runs[1] == runs[2] == _run(run_json, root, "", "--jobs", "1")


def test_joining_a_location_and_a_tail_is_os_path_join_of_its_parts():
    import itertools

    from automl_lint.images.locate import _join, inside

    for location, tail in itertools.product(["/r", "/r/", "r", "/", "./r", "r//"],
                                            ["a", "a/b.jpg", "ds/", "/", "", "a//b", "/a", "a/./b", "x y/é.png"]):
        assert _join(location, tail) == os.path.join(location, *tail.split("/")), (location, tail)
    assert not inside("/r", "a/../../b") and not inside("/r", "..") and not inside("/r", "a\0b")
    assert inside("/r", "a..b/c..") and inside("/r", "...")


def test_a_folders_candidates_serve_its_plain_names_exactly(monkeypatch):
    """Locator.candidates, and candidates_of a whole run of URLs, give each URL's own answer."""
    import itertools

    from automl_lint.images import locate

    folders = ["AmlDatastore://ds", "AmlDatastore://ds/img", "AmlDatastore:/", "AmlDatastore:", "AmlDatastore://",
               "AmlDatastore://ds/a%2Fb", "AmlDatastore://ds//img", "AmlDatastore://ds/..", "AmlDatastore://ds/i?x=1",
               "azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/ds/paths",
               "azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/ds/paths/img",
               "azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/ds", "azureml:/", " AmlDatastore://ds",
               "AmlDatastore://ds\\x", "AmlDatastore://other/img", "x://a", "x://a/b", "x:/", "AmlDatastore://ds/%2e%2e",
               "AmlDatastore://ds/img/sub%20dir", "AmlDatastore://ds/img/a", ""]
    names = ["a.jpg", "img_001.png", "ds", "paths", "..", ".", "a b.jpg", "a%41.jpg", "a?b", "x ", "(1)+=,@~.jpg", "",
             "-x", "a..b"]
    setups = [([], {"ds": "/d"}, {}), (["/r1", "/r2/"], {}, {}),
              (["/r"], {"other": "az://c/p"}, {"x://a/": "/m", "x://": "az://c"}),
              ([], {}, {"AmlDatastore://ds/img/a": "/long"}), (["/r"], {"": "/empty"}, {"AmlDatastore://ds/": "/m/"})]
    for roots, datastores, maps in setups:
        remembering = locate.Locator(roots, datastores, maps)
        answers = {}
        for folder, name in itertools.product(folders, names):
            url = f"{folder}/{name}"
            with monkeypatch.context() as m:
                m.setattr(locate, "FOLDER_MEMO", 0)  # nothing remembered: each URL resolved on its own
                m.setattr(locate, "_PLAIN_NAME", re.compile("(?!)"))
                alone = locate.Locator(roots, datastores, maps)
                expected = answers[url] = alone.candidates(url), alone.outside.get(url)
            assert (remembering.candidates(url), remembering.outside.get(url)) == expected, url
        # All at once, folder by folder (each folder's names in a row), then again in reverse and repeated: the same.
        urls = list(answers)
        for batch in (urls, urls[::-1] + urls):
            together = locate.Locator(roots, datastores, maps)
            got = together.candidates_of(iter(batch))
            assert list(got) == list(dict.fromkeys(batch))
            assert {url: (got[url], together.outside.get(url)) for url in got} == answers
    assert len(remembering._folders) < len(folders)  # the folders were remembered, not each URL
