"""Bounded time and memory on hostile input, and exact counts past --max-problems.

Costs are pinned by counting the work done (never by timing); memory by running the CLI in a fresh process under
RLIMIT_AS and reading its peak resident size."""

from __future__ import annotations

import gzip
import json
import os
import resource
import subprocess
import sys

import pytest

from automl_lint import reader
from automl_lint.cli import main
from automl_lint.rules.dataset import DatasetState

BOX_INVERTED = {"label": "cat", "topX": 0.5, "topY": 0.1, "bottomX": 0.1, "bottomY": 0.5}


def _json(capsys, *args):
    rc = main([*map(str, args), "--format", "json", "--jobs", "1"])
    out = capsys.readouterr().out
    assert rc in (0, 1), out
    return json.loads(out)


# --- counts past --max-problems stay exact ------------------------------------------------------------------------

def _mixed_file(path):
    bad = json.dumps({"image_url": "AmlDatastore://ds/a.jpg", "label": [BOX_INVERTED]})
    lines = [bad.replace("a.jpg", f"{i}.jpg") for i in range(5)] + ["", "   ", "\t"] * 20 + ["{nope"] * 3
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("cap", ["1", "5", "6"])
def test_blank_lines_past_the_limit_stay_in_the_totals(cap, tmp_path, capsys):
    """Past the limit only blank lines remain: their findings used to vanish from the summary."""
    f = tmp_path / "f.jsonl"
    _mixed_file(f)
    full = _json(capsys, f, "--task", "od", "--max-problems", "0")
    capped = _json(capsys, f, "--task", "od", "--max-problems", cap)
    for key in ("errors", "warnings"):
        assert capped["summary"][key] == full["summary"][key], key
    assert capped["summary"]["infos"] == full["summary"]["infos"] + 1  # AML902 itself
    assert capped["summary"]["automl"] == full["summary"]["automl"]


def test_statistics_count_every_rule_past_the_limit(tmp_path, capsys):
    f = tmp_path / "f.jsonl"
    _mixed_file(f)

    def rows(*extra):
        rc = main([str(f), "--task", "od", "--statistics", "--format", "json", "--jobs", "1", *extra])
        assert rc == 1
        return {r["code"]: r["count"] for r in json.loads(capsys.readouterr().out)}

    full, capped = rows("--max-problems", "0"), rows("--max-problems", "2")
    assert capped.pop("AML902") == 1
    assert capped == full


def test_a_predictions_document_respects_max_problems(tmp_path, capsys):
    prediction = {"filename": "a.jpg", "boxes": [{"box": {"topX": 2, "topY": 0, "bottomX": 1, "bottomY": 1},
                                                  "label": "cat", "score": 3}]}
    f = tmp_path / "predictions.json"
    f.write_text(json.dumps([prediction] * 3000, indent=1))
    full = _json(capsys, f, "--kind", "predictions", "--max-problems", "0")
    capped = _json(capsys, f, "--kind", "predictions", "--max-problems", "10")
    assert len(capped["files"][0]["problems"]) == 11  # 10 listed and AML902
    assert capped["summary"]["errors"] == full["summary"]["errors"] == len(full["files"][0]["problems"])


# --- linear, whatever the input -------------------------------------------------------------------------------------

class _CountingDecoder:
    def __init__(self, decoder):
        self.decoder, self.calls = decoder, 0

    def raw_decode(self, text, i=0):
        self.calls += 1
        return self.decoder.raw_decode(text, i)


@pytest.mark.parametrize("boxes", [500, 4000])
def test_many_findings_on_one_long_line_scan_it_once(boxes, tmp_path, capsys, monkeypatch):
    """Each finding's column used to be found by scanning the line from its start: quadratic."""
    counting = _CountingDecoder(reader._DECODER)
    monkeypatch.setattr(reader, "_DECODER", counting)
    f = tmp_path / "f.jsonl"
    f.write_text(json.dumps({"image_url": "AmlDatastore://ds/a.jpg", "label": [BOX_INVERTED] * boxes}) + "\n")
    doc = _json(capsys, f, "--task", "od")
    findings = len(doc["files"][0]["problems"])
    assert findings >= boxes
    assert counting.calls <= 8 * findings  # values skipped: a constant per finding, not per finding and element


def test_column_lookups_in_any_order_stay_bounded():
    line = json.dumps({"label": list(range(10_000))}).encode()
    starts, at = [], len('{"label": [') + 1
    for j in range(10_000):
        starts.append(at)
        at += len(str(j)) + 2
    counting = _CountingDecoder(reader._DECODER)
    columns = reader.ValueColumns(line)
    old, reader._DECODER = reader._DECODER, counting
    try:
        for i in list(range(0, 10_000, 7)) + list(range(9_999, 0, -13)):
            assert columns.column(f"/label/{i}") == starts[i]
    finally:
        reader._DECODER = old
    assert counting.calls <= 10_000 + 64 * 2_200


def test_a_found_members_value_is_skipped_only_when_the_object_is_searched_past_it():
    text = '{"image_url": "x", "label": [[1, 2], [3, 4]], "image_details": {"width": 4}}'
    counting = _CountingDecoder(reader._DECODER)
    columns = reader.ValueColumns(text.encode())
    old, reader._DECODER = reader._DECODER, counting
    try:
        assert columns.column("/label") == text.index("[[") + 1
        assert counting.calls == 1  # only image_url's value: the label's is not decoded to find its start
        assert columns.column("/label/1/0") == text.index("3") + 1
        assert columns.column("/image_details/width") == text.index("4}") + 1
        assert columns.column("/label/0/1") == text.index("2") + 1
        assert columns.column("/image_url") == text.index('"x"') + 1
    finally:
        reader._DECODER = old


class _CountingDict(dict):
    touched = 0

    def __contains__(self, key):
        _CountingDict.touched += 1
        return super().__contains__(key)

    def __iter__(self):
        for key in super().__iter__():
            _CountingDict.touched += 1
            yield key


def test_many_unique_class_names_are_counted_in_linear_work():
    """Each new class used to walk every class seen so far: quadratic in the number of classes."""
    state = DatasetState()
    state.class_lines = _CountingDict()
    _CountingDict.touched = 0
    n = 20_000
    for i in range(n):
        state.line = i + 1
        state.count_str_classes([f"class-{i}", "common"])
    assert len(state.class_lines) == n + 1 and state.class_lines["class-7"] == 8
    assert _CountingDict.touched <= 4 * n


def test_huge_class_names_are_kept_under_bounded_keys():
    state = DatasetState()
    huge = "x" * 5_000_000
    for i in range(3):
        state.line = i + 1
        state.count_str_classes([huge + str(i % 2), huge + str(i % 2)])
    assert sum(state.classes.values()) == 6 and len(state.classes) == 2
    assert all(len(k) < 400 for k in state.classes) and all(len(k) < 400 for k in state.class_lines)


# --- memory: a fresh process under a hard limit ----------------------------------------------------------------------

LIMIT = 1536 * 2**20  # address space; the peak resident sizes asserted below are far lower

RUN = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from automl_lint.cli import main
rc = main(sys.argv[1:])
try:  # this process's own peak: ru_maxrss also counts the parent's, whose memory the exec replaced (Linux)
    with open("/proc/self/status") as status:
        print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(rc)
"""


def _peak_kib(*args) -> int:
    proc = subprocess.run([sys.executable, "-c", RUN.format(limit=LIMIT), *map(str, args), "-o", os.devnull],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(int(proc.stdout.split()[-1]), 0) if proc.stdout.strip() else children


def test_a_huge_image_url_is_not_copied_into_every_finding(tmp_path):
    """A 0.8 MB line: a 700 KB image_url and 1000 findings. The JSON report held the URL once per finding
    (0.7 GB) and the run crashed under the limit."""
    f = tmp_path / "f.jsonl"
    f.write_text(json.dumps({"image_url": "AmlDatastore://ds/" + "u" * 700_000 + ".jpg",
                             "label": [BOX_INVERTED] * 1000}) + "\n")
    assert _peak_kib(f, "--format", "json", "--jobs", "1", "--task", "od") < 300 * 1024


def test_splitting_a_file_with_a_huge_line_for_workers_reads_it_in_chunks(tmp_path):
    """Finding line boundaries for --jobs 2 used readline(): a 600 MB line was read whole."""
    f = tmp_path / "sparse.jsonl"
    line = json.dumps({"image_url": "AmlDatastore://ds/a.jpg", "label": "cat"}).encode() + b"\n"
    with open(f, "wb") as fh:
        fh.write(line)
        fh.truncate(600 * 2**20)  # a hole: 600 MB of NUL bytes on one line, nothing on disk
        fh.seek(0, 2)
        fh.write(b"\n" + line)
    assert _peak_kib(f, "--jobs", "2", "--max-line-bytes", "1000000", "--format", "concise") < 300 * 1024


@pytest.mark.parametrize("mode", ["--fix", "--diff"])
def test_fixing_a_file_with_a_huge_line_never_holds_it_whole(mode, tmp_path):
    """The first pass of --fix copies an over-long line in pieces; merging one image's lines (AML604), --diff and
    the count of changed lines read the file again, and held a 200 MB line whole (three times for --diff)."""
    f = tmp_path / "sparse.jsonl"
    first = json.dumps({"image_url": "AmlDatastore://ds/a.jpg", "label": [BOX_INVERTED | {"topX": 0.05}]})
    with open(f, "wb") as fh:
        fh.write(first.encode() + b"\n" + first.replace("cat", "dog").encode() + b"\n")  # one image: merged
        start = fh.tell()
        fh.truncate(start + 200 * 2**20)  # a hole: 200 MB of NUL bytes on one line, nothing on disk
        fh.seek(0, 2)
        fh.write(b"\n" + first.replace("a.jpg", "b.jpg").encode() + b"\n")
    out = tmp_path / "diff.txt"
    with open(out, "wb") as sink:  # the diff (with the huge line as context) goes to standard output
        proc = subprocess.run([sys.executable, "-c", RUN.format(limit=LIMIT), str(f), mode, "--task", "od",
                               "--max-line-bytes", "1000000", "-o", os.devnull, "--isolated", "-q"],
                              stdout=sink, stderr=subprocess.PIPE, text=False, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert b"Traceback" not in proc.stderr
    peak = int(out.read_bytes().rsplit(b"\n", 2)[-2]) if mode == "--diff" else int(out.read_text().split()[-1])
    assert peak < 150 * 1024
    if mode == "--fix":
        with open(f, "rb") as fh:
            head = fh.readline()
        assert b'"cat"' in head and b'"dog"' in head and fh.closed  # the two lines of a.jpg merged
    else:
        assert out.stat().st_size > 200 * 2**20  # the huge line is in the diff, as context


def test_huge_unique_class_names_in_a_gzip_file_stay_bounded(tmp_path):
    """Each unique class name was kept whole: 6 names of 20 MB from a 0.2 MB .gz file."""
    f = tmp_path / "names.jsonl.gz"
    with gzip.open(f, "wt", compresslevel=1) as fh:
        for i in range(6):
            fh.write(json.dumps({"image_url": f"AmlDatastore://ds/{i}.jpg", "label": f"{i}" + "x" * 20_000_000}))
            fh.write("\n")
    assert _peak_kib(f, "--jobs", "1", "--format", "concise") < 500 * 1024


# --- MLTable bombs, FIFOs ---------------------------------------------------------------------------------------

HEADER = ("transformations:\n  - read_json_lines: {encoding: utf8, invalid_lines: error}\n"
          "  - convert_column_types:\n      - {columns: image_url, column_type: stream_info}\n")
BOMB = "".join(f"{a}: &{a} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
               for p, a in zip([""] + list("abcdefgh"), "abcdefghi"))


@pytest.mark.parametrize("where", ["paths: *i\ntransformations: *i\n", "paths: [{file: *i}]\n" + HEADER,
                                   "paths: [{file: ./a.jsonl}]\nmetadata: *i\n" + HEADER])
def test_an_mltable_alias_bomb_is_one_finding(where, tmp_path, capsys):
    (tmp_path / "MLTable").write_text(BOMB + where)
    doc = _json(capsys, tmp_path)
    codes = [p["code"] for f in doc["files"] for p in f["problems"]]
    assert codes == ["AML801"], codes
    assert "alias" in doc["files"][0]["problems"][0]["message"]


def test_an_mltable_with_a_few_anchors_is_still_read(tmp_path, capsys):
    (tmp_path / "a.jsonl").write_text(json.dumps({"image_url": "AmlDatastore://ds/a.jpg", "label": "cat"}) + "\n")
    (tmp_path / "MLTable").write_text("paths:\n  - &f {file: ./a.jsonl}\n" + HEADER)
    doc = _json(capsys, tmp_path)
    assert [f["path"].endswith("a.jsonl") for f in doc["files"]] == [False, True]


def test_a_huge_mltable_is_not_read(tmp_path, capsys):
    (tmp_path / "MLTable").write_text("paths:\n  - file: ./a.jsonl\n" + "# padding\n" * 200_000 + HEADER)
    doc = _json(capsys, tmp_path)
    assert [p["code"] for p in doc["files"][0]["problems"]] == ["AML801"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("args", [["--format", "sarif"], ["--format", "gitlab"], ["--write-baseline", "{tmp}/b.json"],
                                  ["--format", "sarif", "--baseline", "{tmp}/empty.json"]])
def test_a_fifo_input_is_read_once_for_every_format_and_baseline(args, tmp_path):
    """Fingerprints and baselines re-opened the input to hash lines without an image_url: a FIFO hung."""
    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)
    (tmp_path / "empty.json").write_text(json.dumps({"tool": "automl-lint", "version": 1, "entries": []}))
    data = (json.dumps({"label": "cat"}) + "\n{oops\n").encode() * 50
    proc = subprocess.Popen([sys.executable, "-m", "automl_lint", str(fifo), "--jobs", "1",
                             *[a.format(tmp=tmp_path) for a in args]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open(fifo, "wb") as fh:  # a writer that writes once, as a pipe does
        fh.write(data)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == (0 if "--write-baseline" in args else 1), err
    assert b"Traceback" not in err
