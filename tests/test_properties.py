"""Properties of the reader and the rules over arbitrary input (hypothesis): any bytes end in exit 0, 1 or 2 with
no traceback; reported lines exist; JSON output is valid; runs are deterministic; splitting a file keeps its
per-line findings; a parallel run equals --jobs 1."""

from __future__ import annotations

import json
import os
import tempfile

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from automl_lint import engine
from automl_lint.cli import main

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
WORK = tempfile.mkdtemp(prefix="automl-lint-props-")

numbers = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2 ** 70), 2 ** 70),
                    st.sampled_from([0, 1, 0.5, -0.1, 1.5]))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=12)
boxes = st.fixed_dictionaries({"label": st.sampled_from(["cat", "dog", "Cat", ""]), "topX": numbers, "topY": numbers,
                               "bottomX": numbers, "bottomY": numbers},
                              optional={"isCrowd": st.sampled_from([0, 1, 2, True]),
                                        "polygon": st.lists(st.lists(numbers, max_size=8), max_size=2)})
records = st.fixed_dictionaries(
    {"image_url": st.one_of(st.sampled_from(["AmlDatastore://ds/a.jpg", "AmlDatastore://ds/b.jpg", "a.jpg",
                                             "AmlDatastore://ds//c%20d.jpg?x", "azureml://datastores/x/paths/y"]),
                            json_values)},
    optional={"label": st.one_of(st.lists(boxes, max_size=3), st.sampled_from(["cat", ["cat", "dog"]]), json_values),
              "image_details": json_values})


def _encode(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")


def _mutate(data: bytes, cut: int, byte: int) -> bytes:
    if not data:
        return data
    i = cut % len(data)
    return data[:i] + bytes([byte]) + data[i + 1:] if byte < 256 else data[:i]


record_lines = st.builds(_encode, records)
lines = st.one_of(
    record_lines,
    record_lines,
    st.builds(_mutate, record_lines, st.integers(0, 10_000), st.integers(0, 300)),
    st.builds(_encode, json_values),
    st.binary(max_size=40),
    st.sampled_from([b"", b"  ", b"\xef\xbb\xbf{}", b"NaN", b'{"a": 1, "a": 2}', b"9" * 400, b"[" * 2000,
                     b'{"image_url": "AmlDatastore://ds/a.jpg", "label": "cat"} trailing', b"\xff\xfe"]),
)
files = st.builds(lambda ls, sep, end: sep.join(ls) + (sep if end and ls else b""),
                  st.lists(lines, max_size=8), st.sampled_from([b"\n", b"\r\n"]), st.booleans())


def _write(name: str, data: bytes) -> str:
    path = os.path.join(WORK, name)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _lint(capsys, path: str, *args: str) -> tuple[int, dict | None]:
    rc = main([path, "--format", "json", "--jobs", "1", *args])
    out, err = capsys.readouterr()
    assert rc in (0, 1, 2)
    assert "Traceback" not in err and "internal error" not in err, err
    if rc == 2:
        assert err.count("\n") == 1
        return rc, None
    return rc, json.loads(out)


def _line_count(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _per_line(doc: dict, families=("AML0", "AML1", "AML2", "AML3", "AML4", "AML5")) -> list[tuple]:
    return sorted((p["line"], p["code"], p["pointer"], p["message"]) for f in doc["files"] for p in f["problems"]
                  if p["line"] is not None and p["code"].startswith(families))


@FAST
@given(data=st.one_of(st.binary(max_size=600), files))
def test_any_bytes_end_in_a_report_with_lines_that_exist(capsys, data):
    path = _write("any.jsonl", data)
    rc, doc = _lint(capsys, path)
    assert rc in (0, 1)   # a readable file always gets a report
    count = _line_count(data)
    assert all(1 <= p["line"] <= count for f in doc["files"] for p in f["problems"] if p["line"] is not None)
    with open(path, "rb") as fh:
        assert fh.read() == data


@FAST
@given(data=files, task=st.sampled_from(["auto", "od", "is", "mc", "ml"]))
def test_linting_twice_gives_the_same_result(capsys, data, task):
    path = _write("twice.jsonl", data)
    assert _lint(capsys, path, "--task", task) == _lint(capsys, path, "--task", task)


@FAST
@given(parts=st.tuples(files, files), task=st.sampled_from(["od", "is", "mc", "ml"]))
def test_splitting_a_file_keeps_its_per_line_findings(capsys, parts, task):
    first, second = parts
    if first and not first.endswith(b"\n"):
        first += b"\n"
    assume(not second.startswith(b"\xef\xbb\xbf"))  # a BOM is only allowed at the start of a file
    _, whole = _lint(capsys, _write("whole.jsonl", first + second), "--task", task)
    _, one = _lint(capsys, _write("first.jsonl", first), "--task", task)
    _, two = _lint(capsys, _write("second.jsonl", second), "--task", task)
    # A wrong --task (AML106) or another format (AML016) is decided for a whole file from its first lines and
    # replaces the per-line findings: a part can be decided differently from the whole.
    whole_file = {"AML016", "AML106"}
    assume(not any(p["code"] in whole_file for doc in (whole, one, two) for f in doc["files"] for p in f["problems"]))
    k = _line_count(first)
    expected = _per_line(one) + [(line + k, *rest) for line, *rest in _per_line(two)]
    assert _per_line(whole) == sorted(expected)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(lines, min_size=20, max_size=60).map(lambda ls: b"\n".join(ls) + b"\n"),
       task=st.sampled_from(["auto", "od", "mc"]))
def test_parallel_run_equals_jobs_1(capsys, monkeypatch, data, task):
    path = _write("parallel.jsonl", data)
    rc_one, one = _lint(capsys, path, "--task", task)
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 1)
    rc = main([path, "--format", "json", "--jobs", "2", "--task", task])
    out, err = capsys.readouterr()
    monkeypatch.undo()
    assert "Traceback" not in err
    assert rc == rc_one and json.loads(out) == one
