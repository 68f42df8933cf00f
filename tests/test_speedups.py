"""The optional C helper (cli/automl_lint/_speedups.c) answers exactly as its Python statement, and never says
True where the express lane's Python check would not."""

from __future__ import annotations

import ast
import math
import os
import random
import socket
import sys
from pathlib import Path

import pytest

from hypothesis import example, given, settings as hypothesis_settings, strategies as st

from automl_lint import express

try:
    from automl_lint import _speedups as native
except ImportError:  # built where a C compiler was at hand when the package was installed
    native = None

# Skipped without the helper, except in CI, which has a compiler: there a missing helper fails.
needs_native = pytest.mark.skipif(native is None and not os.environ.get("CI"), reason="the C helper is not built here")


def test_the_helper_is_used_where_it_is_built_and_built_in_ci():
    """CI installs with a C compiler: there the helper must be built. Wherever it is, the express lane and the
    dataset rules use it; where it is not, both do the same work in Python."""
    from automl_lint.images import storage
    from automl_lint.rules import dataset

    if os.environ.get("CI"):
        assert native is not None, "automl_lint._speedups was not built (pip install -e . with a C compiler)"
    if native is not None:
        assert express.plain_segment is native.plain_segment and dataset._distinct is native.distinct
    else:
        assert express.plain_segment is None and dataset._distinct is None
    if native is not None and sys.platform.startswith("linux"):
        assert storage._stat_names is native.stat_names
    else:
        assert storage._stat_names is storage._stat_names_py


def _plain_segment(segment) -> bool:
    """plain_segment's statement: exact floats strictly inside (0, 1), and stray_vertex's first test passes (no
    extreme of either axis apart from the next value by more than a fifth of the span) over the segment's points."""
    if type(segment) is not list or len(segment) < 6 or len(segment) % 2:
        return False
    if not all(type(v) is float and 0.0 < v < 1.0 for v in segment):
        return False
    n = len(segment) // 2
    if segment[0] == segment[-2] and segment[1] == segment[-1]:
        n -= 1
    if n < 4:
        return True
    for axis in (sorted(segment[0:2 * n:2]), sorted(segment[1:2 * n:2])):
        gap = (axis[-1] - axis[0]) * 0.2
        if not (axis[1] - axis[0] <= gap and axis[-1] - axis[-2] <= gap):
            return False
    return True


GRID = [0.1, 0.2, 0.25, 0.3, 0.5, 0.6, 0.7, 0.75, 0.9, 0.3000000000000001, 1e-300, 0.9999999999999999]
VALUES = st.one_of(st.sampled_from(GRID), st.floats(0.0, 1.0), st.sampled_from(
    [0.0, 1.0, 0, 1, True, False, -0.1, 1.5, math.nan, math.inf, None, "0.5", [0.5], 2 ** 70]))


@st.composite
def segments(draw):
    points = draw(st.lists(st.tuples(VALUES, VALUES), min_size=2, max_size=12))
    flat = [v for point in points for v in point]
    if draw(st.booleans()) and flat:
        flat += flat[:2]  # a closed ring
    if draw(st.integers(0, 9)) == 0:
        flat.append(draw(VALUES))  # an odd count
    return flat


@needs_native
@hypothesis_settings(max_examples=800, deadline=None)
@given(segments())
@example([0.1, 0.1, 0.2, 0.1, 0.2, 0.2, 0.1, 0.2])
@example([0.1, 0.1, 0.2, 0.1, 0.2, 0.2, 0.1, 0.2, 0.1, 0.1])  # closed
@example([0.5, 0.5, 0.6, 0.5, 0.6, 0.6, 0.5, 0.6, 0.9, 0.55])  # a vertex far right: not sure
@example([0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2])  # repeated extremes are also the second ones
@example([0.1, 0.5, 0.2, 0.5, 0.3, 0.5, 0.35, 0.5])  # gap of exactly a fifth, in floats
def test_the_helper_answers_as_its_statement_and_only_where_the_python_check_says_true(segment):
    fast = native.plain_segment(segment)
    assert fast is _plain_segment(segment)
    if fast:
        assert express.segment_ok(list(segment)) is True


@needs_native
def test_the_helper_refuses_what_is_not_a_list_of_six_or_more():
    for value in ((0.1,) * 8, [0.1] * 4, [0.1] * 7, None, "0.1"):
        assert native.plain_segment(value) is False


@needs_native
@pytest.mark.parametrize("seed", range(5))
def test_on_polygons_like_real_masks_it_agrees_with_the_python_check(seed):
    """Rings traced around a centre (as mask-to-polygon conversion makes them), some with a stray vertex added."""
    rng = random.Random(seed)
    agree = 0
    for _ in range(2000):
        cx, cy, r = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.01, 0.19)
        k = rng.randint(3, 60)
        segment = []
        for i in range(k):
            a = 2 * math.pi * i / k
            segment += [round(cx + r * rng.uniform(0.7, 1.0) * math.cos(a), 4),
                        round(cy + r * rng.uniform(0.7, 1.0) * math.sin(a), 4)]
        if rng.random() < 0.2:
            j = 2 * rng.randrange(k)
            segment[j:j + 2] = [0.001, 0.001]  # a spurious origin-like vertex
        if rng.random() < 0.5:
            segment += segment[:2]
        fast = native.plain_segment(segment)
        assert fast is _plain_segment(segment)
        if fast:
            assert express.segment_ok(segment) is True
            agree += 1
    assert agree > 1000  # the common case is taken


INT64 = st.integers(-2**63, 2**63 - 1)


@needs_native
@hypothesis_settings(max_examples=800, deadline=None)
@given(st.lists(st.one_of(INT64, st.sampled_from([0, 1, -1, -2**63, 2**63 - 1])), max_size=3000), st.data())
@example([], None)
@example([0, 0], None)
@example([0, 5, 0], None)
@example([-2**63, 2**63 - 1], None)
def test_distinct_answers_as_a_set_does(values, data):
    from array import array

    if data is not None and values and data.draw(st.booleans()):
        values.insert(data.draw(st.integers(0, len(values))), data.draw(st.sampled_from(values)))  # a repeat
    hashes = array("q", values)
    assert native.distinct(hashes) is (len(set(values)) == len(values))


@needs_native
@pytest.mark.parametrize("n", [2049, 100_000, 1_000_000])
def test_distinct_on_many_hashes_finds_one_repeat_wherever_it_is(n):
    """Enough hashes to be spread over many buckets, then keys that all fall in one."""
    from array import array

    rng = random.Random(n)
    hashes = array("q", (rng.getrandbits(64) - 2**63 for _ in range(n)))
    assert native.distinct(hashes) is (len(set(hashes)) == len(hashes))
    for i, j in ((0, n - 1), (n // 2, n // 2 + 1), (rng.randrange(n), rng.randrange(n))):
        repeated = array("q", hashes)
        repeated[j] = repeated[i]
        assert native.distinct(repeated) is (i == j and len(set(hashes)) == n)
    same_top = array("q", ((7 << 40) + k for k in range(n)))
    assert native.distinct(same_top) is True
    same_top.append(7 << 40)
    assert native.distinct(same_top) is False


@needs_native
def test_distinct_takes_only_buffers_of_8_byte_integers():
    from array import array

    with pytest.raises(TypeError):
        native.distinct(array("i", [1, 2]))
    with pytest.raises(TypeError):
        native.distinct(5)


def test_repeated_urls_across_worker_ranges_are_found_with_and_without_the_helper(tmp_path, monkeypatch):
    """Without the helper the parent counts a set of every URL hash as ranges come; with it the merged array is
    checked when the dataset rules ask: the findings are the same."""
    from automl_lint import engine
    from automl_lint.rules import dataset
    from automl_lint.settings import Settings

    line = '{"image_url": "AmlDatastore://ds/img_%d.jpg", "label": "%s"}\n'
    lines = [line % (i, "cat" if i % 2 else "dog") for i in range(120_000)]
    lines[100_000] = line % (7, "cat")  # the URL of line 8, far into another range
    path = tmp_path / "d.jsonl"
    path.write_text("".join(lines))
    assert path.stat().st_size > engine.PARALLEL_MIN_BYTES
    parallel = []
    real = engine._lint_parallel
    monkeypatch.setattr(engine, "_lint_parallel", lambda *a: parallel.append(1) or real(*a))

    def findings():
        result = engine.lint_file(str(path), Settings(task="multiclass", jobs=2))
        return sorted((p.line, p.code, p.message) for p in result.problems)

    with_helper = findings()
    monkeypatch.setattr(dataset, "_distinct", None)
    assert findings() == with_helper
    assert any(code == dataset.DUPLICATE_IMAGE_URL.code for _, code, _ in with_helper)
    assert parallel == [1, 1]  # both runs split the file between workers


needs_native_stat = pytest.mark.skipif(not hasattr(native, "stat_names"), reason="the C helper's stat_names is "
                                       "built on Linux only")


def _every_kind_of_name(folder) -> list:
    """A folder holding every kind of entry an image's name can meet, and the names to ask for (str, as
    ``stat_local`` has them: undecodable bytes as surrogate escapes)."""
    from automl_lint.images import storage

    (folder / "a.jpg").write_bytes(b"jpeg bytes")
    (folder / "empty.png").write_bytes(b"")
    (folder / "sub").mkdir()
    os.mkfifo(folder / "fifo.jpg")
    os.symlink(folder / "a.jpg", folder / "link.jpg")
    os.symlink(folder / "nowhere", folder / "dangling.jpg")
    (folder / "old.jpg").write_bytes(b"x")
    os.utime(folder / "old.jpg", ns=(0, -1_500_000_001))  # before 1970, with nanoseconds
    (folder / "ns.jpg").write_bytes(b"xy")
    os.utime(folder / "ns.jpg", ns=(0, 1_700_000_000_123_456_789))
    names = ["a.jpg", "empty.png", "sub", "fifo.jpg", "link.jpg", "dangling.jpg", "old.jpg", "ns.jpg", "missing.jpg",
             "", ".", "..", "nul\0.jpg", "\ud800.jpg", "sub/../a.jpg"]
    far = folder / "far.jpg"  # a time past 2262: more than 64 bits of nanoseconds, where the file system keeps it
    far.write_bytes(b"far")
    try:
        os.utime(far, ns=(0, 13_569_465_600 * 10**9 + 7))
        names.append("far.jpg")
    except (OSError, OverflowError):
        pass
    odd = os.fsdecode(b"\xff\xfe.jpg")  # a name that is not UTF-8
    try:
        (folder / odd).write_bytes(b"odd")
        names.append(odd)
    except (OSError, UnicodeEncodeError):
        pass
    if len(str(folder / "s.sock")) < 100:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(folder / "s.sock"))
        server.close()
        names.append("s.sock")
    assert storage._stat_names_py(os.open(folder, os.O_RDONLY), ["a.jpg"])[0] == (10, str(os.stat(folder / "a.jpg")
                                                                                            .st_mtime_ns))
    return names


@needs_native_stat
def test_stat_names_answers_as_the_python_look_ups(tmp_path):
    """The C look-up gives the Python one's answer for every kind of name: regular files (sizes, and versions
    before 1970 and past 64 bits of nanoseconds), and None for folders, FIFOs, sockets, links, missing names, a
    NUL byte and an unencodable name."""
    from automl_lint.images import storage

    names = _every_kind_of_name(tmp_path)
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        expected = storage._stat_names_py(fd, names)
        assert native.stat_names(fd, names) == expected
        told = {n for n, answer in zip(names, expected) if answer is not None}
        assert {"a.jpg", "empty.png", "old.jpg", "ns.jpg", "sub/../a.jpg"} <= told
        assert not told & {"sub", "fifo.jpg", "link.jpg", "dangling.jpg", "missing.jpg", "", ".", "..", "nul\0.jpg",
                           "\ud800.jpg", "s.sock"}
        assert dict(zip(names, expected))["old.jpg"][1] == "-1500000001"
        if "far.jpg" in names:
            assert dict(zip(names, expected))["far.jpg"] == (3, str(13_569_465_600 * 10**9 + 7))
        assert native.stat_names(fd, []) == []
        with pytest.raises(TypeError):
            native.stat_names(fd, [b"a.jpg"])
        with pytest.raises(TypeError):
            native.stat_names(fd, ("a.jpg",))
        assert native.stat_names(-1, ["a.jpg"]) == [None]  # a closed folder: nothing told
    finally:
        os.close(fd)


@needs_native_stat
def test_stat_names_asks_permission_for_a_file_someone_else_owns():
    """The owner's read bit answers for the owner; anyone else is asked of the system (faccessat), in C as in
    Python. As root, a child process that has become another user asks; else the file is this user's, unreadable."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:  # not below pytest's folder: another user may enter it
        _ask_as_another_user(Path(folder))


def _ask_as_another_user(tmp_path) -> None:
    from automl_lint.images import storage

    (tmp_path / "closed.jpg").write_bytes(b"secret")
    (tmp_path / "open.jpg").write_bytes(b"public")
    os.chmod(tmp_path / "closed.jpg", 0)
    os.chmod(tmp_path / "open.jpg", 0o644)
    os.chmod(tmp_path, 0o755)
    names = ["closed.jpg", "open.jpg"]
    assert os.stat(tmp_path.parent).st_mode & 0o005 == 0o005
    if os.geteuid() != 0:
        fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            answers = native.stat_names(fd, names), storage._stat_names_py(fd, names)
        finally:
            os.close(fd)
    else:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: another user, then both look-ups (or why it could not make them)
            try:
                os.close(read)
                os.setgid(65534)
                os.setuid(65534)
                fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
                message = repr((native.stat_names(fd, names), storage._stat_names_py(fd, names)))
            except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the test with it
                message = f"child failed: {exc!r}"
            finally:
                os.write(write, message.encode())
                os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            text = pipe.read()
        os.waitpid(pid, 0)
        assert not text.startswith("child failed"), text
        answers = ast.literal_eval(text)  # the repr of two lists of tuples and None
    c, py = answers
    assert c == py
    assert c[0] is None and c[1] is not None
