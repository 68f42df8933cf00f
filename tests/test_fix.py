"""--fix, --unsafe-fixes, --diff, --fix-output: what is written, where, and what is left alone."""

import gzip
import json
import os
import stat
import subprocess
import sys

import pytest

from automl_lint import api
from automl_lint.cli import main
from automl_lint.fix import catalog, fixers
from automl_lint.fix.line import LineFixer
from automl_lint.rules import REGISTRY, all_rules

COERCED = b'{"image_url": "AmlDatastore://ds/a.jpg", "label": [{"label": "cat", "topX": "0.1", "topY": 0.1, ' \
          b'"bottomX": 0.5, "bottomY": 0.5}]}\n'
COERCED_FIXED = COERCED.replace(b'"0.1"', b"0.1")
PIXELS = b'{"image_url": "AmlDatastore://ds/b.jpg", "image_details": {"width": 200, "height": 100}, "label": ' \
         b'[{"label": "cat", "topX": 20, "topY": 10, "bottomX": 100, "bottomY": 50}]}\n'
PIXELS_FIXED = PIXELS.replace(b'"topX": 20, "topY": 10, "bottomX": 100, "bottomY": 50',
                              b'"topX": 0.1, "topY": 0.1, "bottomX": 0.5, "bottomY": 0.5')
CLEAN = b'{"image_url": "AmlDatastore://ds/c.jpg", "label": [{"label": "cat", "topX": 0.1, "topY": 0.1, ' \
        b'"bottomX": 0.5, "bottomY": 0.5}]}\n'


def lint(*args) -> int:
    return main([*map(str, args), "--isolated", "-q", "-f", "concise"])


def cli(*args, input: bytes | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "automl_lint", *map(str, args), "--isolated", "-q", "-f",
                           "concise"], input=input, capture_output=True, cwd=cwd)


def write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_every_rule_with_a_fix_has_a_fixer_and_says_whether_it_is_safe():
    assert set(catalog.FIXES) == set(fixers.FIXERS)
    assert set(catalog.FIXES) <= set(REGISTRY)
    for r in all_rules():
        assert r.fix_safety == catalog.safety(r.code)
        assert "Automatic fix: " in r.explain()
    assert REGISTRY["AML405"].fix_safety == "safe" and REGISTRY["AML415"].fix_safety == "unsafe"
    assert REGISTRY["AML002"].fix_safety is None


def test_list_rules_shows_fix_safety(capsys):
    assert main(["--list-rules"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "fix: safe" in lines["AML405"] and "fix: unsafe" in lines["AML408"]
    assert "fix:" not in lines["AML404"]


def test_fix_applies_safe_fixes_only_and_reports_what_remains(tmp_path, capsys):
    f = write(tmp_path / "d.jsonl", COERCED + PIXELS + CLEAN)
    rc = lint(f, "--task", "od", "--fix")
    captured = capsys.readouterr()
    assert f.read_bytes() == COERCED_FIXED + PIXELS + CLEAN
    assert "fixed 1 finding(s)" in captured.err and "more can be fixed with --unsafe-fixes" in captured.err
    assert "AML415" in captured.out and "AML405" not in captured.out
    assert rc == 1  # the pixel box remains


def test_unsafe_fixes_apply_too_and_the_exit_code_follows_what_remains(tmp_path, capsys):
    f = write(tmp_path / "d.jsonl", COERCED + PIXELS + CLEAN)
    rc = lint(f, "--task", "od", "--fix", "--unsafe-fixes", "--ignore", "AML6")
    assert f.read_bytes() == COERCED_FIXED + PIXELS_FIXED + CLEAN
    assert rc == 0
    assert "0 remain" in capsys.readouterr().err


def test_second_fix_changes_nothing_and_keeps_the_file_untouched(tmp_path):
    f = write(tmp_path / "d.jsonl", COERCED + PIXELS)
    lint(f, "--task", "od", "--fix", "--unsafe-fixes")
    fixed = f.read_bytes()
    before = os.stat(f)
    lint(f, "--task", "od", "--fix", "--unsafe-fixes")
    assert f.read_bytes() == fixed
    assert os.stat(f).st_ino == before.st_ino  # not even rewritten


def test_lines_without_a_fix_are_byte_identical(tmp_path):
    odd = b'{ "label" : [ {"bottomY":0.50,"label":"cat","topY":1E-1,"topX":0.1,"bottomX":0.5} ],' \
          b'"image_url":"AmlDatastore://ds/z.jpg" }\r\n'
    last = b'{"image_url": "AmlDatastore://ds/y.jpg", "label": [{"label": "cat", "topX": null, "topY": 0.1, ' \
           b'"bottomX": 0.5, "bottomY": 0.5}]}'  # unfixable, no final newline
    f = write(tmp_path / "d.jsonl", odd + COERCED.replace(b"\n", b"\r\n") + last)
    lint(f, "--task", "od", "--fix")
    assert f.read_bytes() == odd + COERCED_FIXED.replace(b"\n", b"\r\n") + last


def test_fixed_line_keeps_key_order_and_every_other_value_as_written():
    raw = b'{"label": [{"bottomY": 0.50, "isCrowd": "TRUE", "topX": "1e-1", "label": "cat", "topY": 1E-1, ' \
          b'"bottomX": 5e-1}], "extra": {"a": [1, 2.0]}, "image_url": "AmlDatastore://ds/x.jpg"}\n'
    fixer = LineFixer("object-detection", api.configure(config=False, task="od")[0], lambda c: True, unsafe=True)
    assert fixer.fix(raw, True).raw == raw.replace(b'"TRUE"', b"1").replace(b'"1e-1"', b"1e-1")


def test_a_line_autoML_still_skips_is_left_for_a_person(tmp_path, capsys):
    mixed = b'{"image_url": "AmlDatastore://ds/m.jpg", "label": [{"label": "cat", "topX": "0.3", "topY": 0.1, ' \
            b'"bottomX": 0.5, "bottomY": 0.5}, {"label": "cat", "topX": null, "topY": 0.1, "bottomX": 0.5, ' \
            b'"bottomY": 0.5}]}\n'
    f = write(tmp_path / "d.jsonl", mixed + COERCED)
    lint(f, "--task", "od", "--fix", "--unsafe-fixes")
    assert f.read_bytes() == mixed + COERCED_FIXED
    assert "1 line(s) left as they were" in capsys.readouterr().err


def test_bom_and_blank_lines_are_removed(tmp_path):
    f = write(tmp_path / "d.jsonl", b"\xef\xbb\xbf" + CLEAN + b"\n  \r\n" + CLEAN.replace(b"c.jpg", b"d.jpg"))
    lint(f, "--task", "od", "--fix")
    assert f.read_bytes() == CLEAN + CLEAN.replace(b"c.jpg", b"d.jpg")


def test_diff_writes_nothing_and_patch_gives_the_fixed_file(tmp_path):
    data = b"\xef\xbb\xbf" + COERCED + CLEAN * 8 + b"\n" + PIXELS.rstrip(b"\n")
    f = write(tmp_path / "d.jsonl", data)
    proc = cli("d.jsonl", "--task", "od", "--diff", "--unsafe-fixes", cwd=tmp_path)
    assert proc.returncode == 1
    assert f.read_bytes() == data and sorted(os.listdir(tmp_path)) == ["d.jsonl"]
    assert proc.stdout.startswith(b"--- d.jsonl\n+++ d.jsonl\n@@ -1,")
    if subprocess.run(["which", "patch"], capture_output=True).returncode == 0 or os.environ.get("CI"):
        subprocess.run(["patch", "--quiet", "d.jsonl"], input=proc.stdout, cwd=tmp_path, check=True)
        fixed = tmp_path / "e.jsonl"
        fixed.write_bytes(data)
        cli("e.jsonl", "--task", "od", "--fix", "--unsafe-fixes", cwd=tmp_path)
        assert f.read_bytes() == fixed.read_bytes()


def test_diff_exits_0_when_nothing_would_change(tmp_path):
    f = write(tmp_path / "d.jsonl", CLEAN)
    proc = cli(f, "--task", "od", "--diff")
    assert proc.returncode == 0 and proc.stdout == b""


def test_permissions_are_kept_and_no_temporary_file_is_left(tmp_path):
    f = write(tmp_path / "d.jsonl", COERCED)
    os.chmod(f, 0o640)
    lint(f, "--task", "od", "--fix")
    assert f.read_bytes() == COERCED_FIXED
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o640
    assert os.listdir(tmp_path) == ["d.jsonl"]


def test_an_interruption_while_fixing_leaves_the_original(tmp_path, monkeypatch):
    f = write(tmp_path / "d.jsonl", COERCED * 5)
    calls = []

    def interrupted(self, raw, first, hide=None):
        calls.append(raw)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, raw, first, hide)

    original = LineFixer.fix
    monkeypatch.setattr(LineFixer, "fix", interrupted)
    assert lint(f, "--task", "od", "--fix") == 130
    assert f.read_bytes() == COERCED * 5
    assert os.listdir(tmp_path) == ["d.jsonl"]


def test_read_only_folder_or_file_is_one_clear_error(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    f = write(folder / "d.jsonl", COERCED)
    os.chmod(folder, 0o555)
    try:
        assert lint(f, "--task", "od", "--fix") == 2
    finally:
        os.chmod(folder, 0o755)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "read-only" in err[0] and "Traceback" not in err[0]
    assert f.read_bytes() == COERCED and os.listdir(folder) == ["d.jsonl"]
    os.chmod(f, 0o444)
    assert lint(f, "--task", "od", "--fix") == 2
    assert f.read_bytes() == COERCED


def test_gzip_input_stays_gzip(tmp_path):
    f = tmp_path / "d.jsonl.gz"
    f.write_bytes(gzip.compress(COERCED + CLEAN))
    lint(f, "--task", "od", "--fix")
    assert f.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(f.read_bytes()) == COERCED_FIXED + CLEAN


def test_mltable_folder_fixes_the_jsonl_files_it_reads(tmp_path):
    table = tmp_path / "train"
    table.mkdir()
    write(table / "a.jsonl", COERCED)
    write(table / "b.jsonl", PIXELS)
    (table / "MLTable").write_text("paths:\n  - file: ./a.jsonl\n  - file: ./b.jsonl\ntransformations:\n"
                                   "  - read_json_lines:\n      encoding: utf8\n      invalid_lines: error\n"
                                   "      include_path_column: false\n  - convert_column_types:\n"
                                   "      - columns: image_url\n        column_type: stream_info\n")
    lint(table, "--task", "od", "--fix", "--unsafe-fixes")
    assert (table / "a.jsonl").read_bytes() == COERCED_FIXED
    assert (table / "b.jsonl").read_bytes() == PIXELS_FIXED


def test_validation_file_is_fixed_too(tmp_path):
    train = write(tmp_path / "train.jsonl", COERCED)
    valid = write(tmp_path / "valid.jsonl", COERCED.replace(b"a.jpg", b"v.jpg"))
    lint(train, "--task", "od", "--validation", valid, "--fix")
    assert train.read_bytes() == COERCED_FIXED
    assert valid.read_bytes() == COERCED_FIXED.replace(b"a.jpg", b"v.jpg")


def test_fix_output_writes_elsewhere_and_leaves_the_input(tmp_path, capsys):
    f = write(tmp_path / "d.jsonl", COERCED + CLEAN)
    out = tmp_path / "fixed.jsonl.gz"
    lint(f, "--task", "od", "--fix-output", out)
    assert f.read_bytes() == COERCED + CLEAN
    assert gzip.decompress(out.read_bytes()) == COERCED_FIXED + CLEAN
    assert str(out) in capsys.readouterr().out or True  # the report is about the fixed file


def test_fix_output_never_overwrites_another_input(tmp_path, capsys):
    train = write(tmp_path / "train.jsonl", COERCED)
    other = write(tmp_path / "other.jsonl", CLEAN)
    assert lint(train, other, "--task", "od", "--fix-output", other) == 2
    assert lint(train, "--task", "od", "--validation", other, "--fix-output", other) == 2
    assert train.read_bytes() == COERCED and other.read_bytes() == CLEAN
    assert capsys.readouterr().err.count("automl-lint: error:") == 2


def test_stdin_fixed_jsonl_goes_to_stdout_and_the_report_to_stderr():
    proc = cli("-", "--task", "od", "--fix", "--unsafe-fixes", input=COERCED + PIXELS + b"\n")
    assert proc.stdout == COERCED_FIXED + PIXELS_FIXED
    assert b"fixed 4 finding(s) on 3 line(s)" in proc.stderr  # a blank line too


def test_select_ignore_and_config_decide_which_fixes_apply(tmp_path):
    data = COERCED + PIXELS
    f = write(tmp_path / "d.jsonl", data)
    lint(f, "--task", "od", "--fix", "--unsafe-fixes", "--ignore", "AML405")
    assert f.read_bytes() == COERCED + PIXELS_FIXED
    write(f, data)
    (tmp_path / "automl-lint.toml").write_text('unfixable = ["AML415"]\nunsafe-fixes = true\n')
    main([str(f), "--task", "od", "--fix", "--config", str(tmp_path / "automl-lint.toml"), "-q"])
    assert f.read_bytes() == COERCED_FIXED + PIXELS
    write(f, data)
    (tmp_path / "automl-lint.toml").write_text('fixable = ["AML415"]\n')
    main([str(f), "--task", "od", "--fix", "--unsafe-fixes", "--config", str(tmp_path / "automl-lint.toml"), "-q"])
    assert f.read_bytes() == COERCED + PIXELS_FIXED


def test_a_baselined_finding_is_not_fixed(tmp_path):
    f = write(tmp_path / "d.jsonl", PIXELS)
    baseline = tmp_path / "baseline.json"
    lint(f, "--task", "od", "--write-baseline", baseline)
    write(f, PIXELS + COERCED)
    lint(f, "--task", "od", "--fix", "--unsafe-fixes", "--baseline", baseline)
    assert f.read_bytes() == PIXELS + COERCED_FIXED


def test_over_long_lines_are_copied_as_they_are(tmp_path):
    long = b'{"image_url": "AmlDatastore://ds/l.jpg", "pad": "' + b"x" * 300 + b'", "label": []}\n'
    second = COERCED.replace(b"a.jpg", b"a2.jpg")
    f = write(tmp_path / "d.jsonl", COERCED + long + second)
    lint(f, "--task", "od", "--fix", "--max-line-bytes", "200")
    assert f.read_bytes() == COERCED_FIXED + long + second.replace(b'"0.1"', b"0.1")


@pytest.mark.parametrize("piece", [1, 7, 1 << 20])
def test_over_long_lines_pass_in_pieces_through_merging_and_diffs(piece, tmp_path, monkeypatch, capsysbinary):
    """The passes after the first (merging one image's lines, --diff, counting changed lines) read an over-long line
    in pieces, as the first does: the fixed file and the diff are the same whatever the size of a piece."""
    from automl_lint.fix import files

    monkeypatch.setattr(files, "PIECE", piece)
    long = b'{"image_url": "AmlDatastore://ds/l.jpg", "pad": "' + b"x" * 300 + b'", "label": []}'
    dog = COERCED_FIXED.replace(b'"cat"', b'"dog"')
    data = COERCED + long + b"\r\n" + dog + long + b"\n" + CLEAN + long  # no line end after the last
    merged = COERCED_FIXED.replace(b"}]}", b"}, " + dog[dog.index(b'{"label"'):dog.rindex(b"]")] + b"]}")
    expected = merged + long + b"\r\n" + long + b"\n" + CLEAN + long
    f = write(tmp_path / "d.jsonl", data)
    assert main([str(f), "--task", "od", "--diff", "--max-line-bytes", "200", "--isolated", "-q"]) == 1
    diff = capsysbinary.readouterr().out
    assert diff.count(long) == 3 and diff.endswith(b"\n\\ No newline at end of file\n")  # each is context
    assert f.read_bytes() == data
    lint(f, "--task", "od", "--fix", "--max-line-bytes", "200")
    assert f.read_bytes() == expected
    if subprocess.run(["which", "patch"], capture_output=True).returncode == 0 or os.environ.get("CI"):
        g = write(tmp_path / "e.jsonl", data)
        subprocess.run(["patch", "--quiet", str(g)], input=diff.replace(b"d.jsonl", b"e.jsonl"), check=True)
        assert g.read_bytes() == expected


def test_jobs_give_the_same_result(tmp_path):
    lines = [COERCED.replace(b"a.jpg", b"%d.jpg" % i) if i % 3 else PIXELS.replace(b"b.jpg", b"%d.jpg" % i)
             for i in range(30000)]
    data = b"".join(lines)
    assert len(data) > 4 * 1024 * 1024  # large enough to be split among workers
    one, two = write(tmp_path / "one.jsonl", data), write(tmp_path / "two.jsonl", data)
    r1 = cli(one, "--task", "od", "--fix", "--unsafe-fixes", "--jobs", "1")
    r2 = cli(two, "--task", "od", "--fix", "--unsafe-fixes", "--jobs", "2")
    assert one.read_bytes() == two.read_bytes() != data
    assert r1.returncode == r2.returncode
    assert r1.stderr == r2.stderr


def test_api_fix_returns_what_remains_and_what_was_fixed(tmp_path):
    f = write(tmp_path / "d.jsonl", COERCED + PIXELS)
    settings, _ = api.configure(config=False, task="od")
    report = api.fix([str(f)], settings, unsafe=False)
    assert report.fixes.fixed == 1 and report.fixes.unsafe_available == 1
    assert {p.code for p in report.problems} >= {"AML415"}
    assert json.loads(json.dumps(report.summary))["problems"] == report.fixes.remaining


def test_lines_of_one_image_are_merged_for_detection(tmp_path):
    other = CLEAN.replace(b"c.jpg", b"c2.jpg")
    again = b'{"image_url": "AmlDatastore://ds//c.jpg", "label": [{"label": "dog", "topX": 0.2, "topY": 0.2, ' \
            b'"bottomX": 0.6, "bottomY": 0.6}]}\n'
    f = write(tmp_path / "d.jsonl", CLEAN + other + again)
    lint(f, "--task", "od", "--fix")
    merged = CLEAN.replace(b"0.5}]}", b'0.5}, {"label": "dog", "topX": 0.2, "topY": 0.2, "bottomX": 0.6, '
                                      b'"bottomY": 0.6}]}')
    assert f.read_bytes() == merged + other


def test_classification_keeps_the_last_line_of_an_image(tmp_path):
    first = b'{"image_url": "AmlDatastore://ds/a.jpg", "label": "cat"}\n'
    other = b'{"image_url": "AmlDatastore://ds/b.jpg", "label": "cat"}\n'
    last = b'{"image_url": "AmlDatastore://ds/a.jpg", "label": "dog"}\n'
    f = write(tmp_path / "d.jsonl", first + other + last)
    lint(f, "--task", "mc", "--fix")
    assert f.read_bytes() == other + last


def test_a_background_line_is_not_merged(tmp_path):
    background = b'{"image_url": "AmlDatastore://ds/c.jpg", "label": []}\n'
    f = write(tmp_path / "d.jsonl", CLEAN + background)
    lint(f, "--task", "od", "--fix")
    assert f.read_bytes() == CLEAN + background  # AutoML counts the background line as an image of its own
