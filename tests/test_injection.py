"""Output injection: strings from the data (file names, image_url, class names, pointers, MLTable paths, baseline
fields, messages quoting any of them) never become a CI command, a terminal escape, markup or broken XML, in any
output format. Generated strings go into every field of every format; then real files carry the same strings
through the whole CLI."""

from __future__ import annotations

import io
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from automl_lint import escape
from automl_lint.cli import main
from automl_lint.engine import FileResult
from automl_lint.problem import Consequence, Problem, Severity
from automl_lint.reporters import FORMATS, get
from automl_lint.reporters import github as github_report
from automl_lint.reporters import statistics as statistics_report

INJECTIONS = [
    "\n::error file=x,line=1::pwned", "\r\n::set-output name=x::y", "::add-mask::secret", "  ::warning::w",
    "##vso[task.setvariable variable=PWNED]1", "\n##vso[task.complete result=Succeeded;]", "##[error]x", "###",
    "\x1b[2J\x1b[H", "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\", "\x9b2J", "\x07\x08\x7f\x00",
    "[/x]", "[bold red]x[/]", "[link=https://evil.example]x[/link]", ":smile:", "\u202eevil\u202c", "\u2028\u2029",
    "](javascript:alert(1))", "![x](https://evil.example/t.png)", "<script>alert(1)</script>", "`code`|cell|",
    "%0A::error::x", "%25", "]]>", "&amp;", "\ud800", "\udce9", "\ufffe\uffff", "\U0001f600", ":", "#", "",
]
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(INJECTIONS),
    st.lists(st.one_of(st.sampled_from(INJECTIONS), st.text(max_size=6)), max_size=4).map("".join),
)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
SGR = re.compile(r"\x1b\[[0-9;]*m")


def _result(path: str, pointer: str, message: str, url: str, n: int = 2) -> FileResult:
    r = FileResult(path, "object-detection", True, "training", records=n)
    severities = [Severity.ERROR, Severity.WARNING, Severity.INFO]
    for i in range(n):
        r.problems.append(Problem(path, i + 1, pointer, f"AML40{i % 3 + 1}", "box-inverted", severities[i % 3],
                                  Consequence.DROPS_IMAGE, message, 1, url))
    r.problems.append(Problem(path, None, "", "AML901", "baseline-stale-entry", Severity.WARNING, Consequence.NONE,
                              message))
    return r


def _render(fmt: str, results: list[FileResult], monkeypatch, tmp_path) -> str:
    out = io.StringIO()
    if fmt == "statistics":
        statistics_report.report(results, out, {"format": "concise"})
    elif fmt == "github-summary":
        return github_report.step_summary(results, str(tmp_path))
    else:
        monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        get(fmt)(results, out, {"format": fmt})
    return out.getvalue()


def assert_safe_output(fmt: str, text: str, problems: int) -> None:
    """What every output line must respect, whatever the data."""
    for line in text.split("\n"):
        allowed = "\t" if fmt == "statistics" else ""  # its own columns are tab-separated
        bad = {c for c in SGR.sub("", line) if not c.isprintable() and c not in allowed}
        assert not bad, (fmt, line)
        assert "##[" not in line, (fmt, line)
        stripped = line.lstrip()
        ours = (fmt == "azure" and line.startswith("##vso[task.logissue ")
                or fmt == "github-summary" and line == "## automl-lint")
        if ours:
            assert line.count("##vso[") <= 1 and "##" not in line[2:], line
        else:
            assert "##vso[" not in line and not stripped.startswith("##"), (fmt, line)
        if fmt == "github" and stripped.startswith("::"):
            # One of our own annotations: a known command whose message and properties hold no further '::'.
            assert re.fullmatch(r"::(error|warning|notice) file=[^,:]*(,line=\d+)?(,col=\d+)?,title=[^,:]*::.*",
                                line), line
            assert "::" not in line.split("::", 2)[2], line
        else:
            assert not stripped.startswith("::"), (fmt, line)
    if fmt == "github":
        assert sum(1 for line in text.split("\n") if line.startswith("::")) <= 30
    if fmt == "azure":
        assert text.count("##vso[") == problems


@pytest.mark.parametrize("fmt", [*FORMATS, "statistics", "github-summary"])
@FAST
@given(path=texts, pointer=texts, message=texts, url=texts)
def test_generated_strings_in_every_field_stay_inert(fmt, path, pointer, message, url, monkeypatch, tmp_path):
    results = [_result(path or "x", pointer, message, url), _result("ok.jsonl", "/label", "fine", "a.jpg", 1)]
    problems = sum(len(r.problems) for r in results)
    text = _render(fmt, results, monkeypatch, tmp_path)
    assert_safe_output(fmt, text, problems)
    if fmt in ("json", "jsonl", "sarif", "gitlab"):
        docs = [json.loads(line) for line in text.splitlines()] if fmt == "jsonl" else [json.loads(text)]
        if fmt == "json":  # values are exact: the escaping is JSON's own
            got = docs[0]["files"][0]["problems"][0]
            if "\ud800" not in path + pointer + message + url and "\udce9" not in path + pointer + message + url:
                assert (got["path"], got["pointer"], got["message"], got["image_url"]) == (path or "x", pointer,
                                                                                        message, url)
    if fmt == "junit":
        ET.fromstring(text.split("\n", 1)[1])  # well-formed XML, whatever the control characters
    if fmt == "github-summary":
        for row in text.splitlines():
            cells = [c.strip() for c in row.split("|")[1:-1]]  # data never holds a raw '|'
            if len(cells) == 10 and cells[1] == "object-detection":
                data = cells[0]  # the file
            elif len(cells) == 5 and cells[0].startswith("AML"):
                data = cells[4]  # where the rule was first found
            else:
                continue
            assert not re.search(r"[<>\[\]()!`*_\\]", data), row


@FAST
@given(text=texts)
def test_each_escaping_function_keeps_its_context_inert(text):
    for f in (escape.plain, escape.github_data, escape.github_property, escape.azure_data, escape.azure_property,
              escape.xml_text, escape.markdown_cell, escape.html_text, escape.sarif_text):
        out = f(text)
        assert out.isprintable() or all(c.isprintable() for c in out), (f, out)
        assert "::" not in out and "##" not in out and not out.lstrip().startswith(":")
    assert not re.search(r"[<>\[\]()!`*_|\\]", escape.markdown_cell(text))
    assert not re.search(r"[<>\"']", escape.html_text(text))
    assert not re.search(r"[,:%]", escape.github_property(text).replace("%25", "").replace("%3A", "")
                         .replace("%2C", "")) or "%" not in text
    assert "\\[" in escape.sarif_text("[") and "[" not in escape.sarif_text(text).replace("\\[", "")


def test_table_never_interprets_markup_or_emoji(monkeypatch):
    """`[/x]` used to crash rich; `[bold]` and `:smile:` must print as written."""
    monkeypatch.setenv("COLUMNS", "300")
    r = _result("[/x]data.jsonl", "/label/[/y]", "class '[bold]cat[/bold]' :smile: [link=http://e]x[/link]", "u")
    out = io.StringIO()
    get("table")([r], out, {"format": "table"})
    text = out.getvalue()
    assert "[/x]data.jsonl" in text and "[bold]cat[/bold]" in text and ":smile:" in text and "😄" not in text


def test_table_on_a_colour_terminal_emits_only_its_own_colours():
    from rich.console import Console

    import automl_lint.reporters.table as table

    r = _result("a\x1b[2Jb.jsonl", "/\x1b]8;;http://e\x07", "\x9b2J \x1b[31m", "u")
    out = io.StringIO()
    original = table.Console
    try:
        table.Console = lambda **kw: original(**{**kw, "force_terminal": True, "color_system": "truecolor"})
        table.report([r], out, {"format": "table"})
    finally:
        table.Console = original
    text = out.getvalue()
    assert "\x1b[" in text  # colours are on
    # The table's own OSC 8 links to the file: their URL is percent-encoded, so the data cannot end them early.
    links = re.compile(r"\x1b\]8;(id=\d+)?;(file://[!-~]*)?\x1b\\")
    assert all("\x1b" not in url and "%1B" in url for _, url in links.findall(text) if url)
    assert not links.sub("", SGR.sub("", text)).count("\x1b") and "\x9b" not in text
    assert "\\x1b[2J" in text


# --- end to end: the strings arrive in real files ----------------------------------------------------------------

HOSTILE = "::error::x ##vso[task.setvariable variable=P]1 \x1b[2J \u202e [/x] ![i](https://e/t.png)"


def _dataset(tmp_path):
    (tmp_path / "d[").mkdir()
    f = tmp_path / "d[" / "x]\n::error file=x::pwned\x1b[31m`|##vso[.jsonl"  # the path holds '[/x]' 
    lines = [
        {"image_url": "AmlDatastore://ds/a%0A::error::x%1b[2J.jpg", "label": [{"label": HOSTILE, "topX": 0.5,
                                                                              "topY": 0.1, "bottomX": 0.1,
                                                                              "bottomY": 0.5}]},
        {"image_url": "\n##vso[task.setvariable variable=X]1", "label": "cat"},
        {"image_url": "AmlDatastore://ds/b.jpg", "label": [{"label": "dog", "topX": 0.1, "topY": 0.1,
                                                            "bottomX": 0.5, "bottomY": 0.5}], HOSTILE: 1},
        {"image_url": "AmlDatastore://ds/c.jpg", "label": [{"label": " " + HOSTILE + " ", "topX": 0.1,
                                                            "topY": 0.1, "bottomX": 0.5, "bottomY": 0.5}]},
    ]
    f.write_bytes(b"".join(json.dumps(x).encode() + b"\n" for x in lines) + b"{]\n" + HOSTILE.encode() + b"\n")
    return f


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_file_names_and_values_stay_inert_in_every_format(fmt, tmp_path, capsys, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    f = _dataset(tmp_path)
    rc = main([str(f), "--format", fmt, "--jobs", "1", "--task", "od"])
    out, err = capsys.readouterr()
    assert rc == 1, err
    assert_safe_output(fmt, out, out.count("##vso[") if fmt == "azure" else 0)
    assert_safe_output("stderr", err, 0)
    if fmt == "github":
        text = summary.read_text()
        assert_safe_output("github-summary", text, 0)
        assert "&#96;&#124;" in text  # the file name's backquote and bar, as literal characters


def test_hostile_strings_in_an_error_line_stay_inert(tmp_path, capsys):
    missing = tmp_path / "no\n::error::x\x1b[2J.jsonl"
    rc = main([str(missing), "--format", "github"])
    out, err = capsys.readouterr()
    assert rc == 2 and err.count("\n") == 1
    assert_safe_output("stderr", err, 0)


# Generated strings as class names, image_url values, keys and file names of a real file, through the whole CLI.


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(cls=texts, url=texts, key=texts, name=st.text(st.characters(blacklist_characters="/\x00",
                                                                  blacklist_categories=("Cs",)), min_size=1,
                                                     max_size=20))
def test_generated_strings_in_a_real_file_stay_inert_in_every_format(cls, url, key, name, tmp_path_factory,
                                                                      capsys, monkeypatch):
    folder = tmp_path_factory.mktemp("gen")
    path = folder / (name + ".jsonl")
    try:
        path.write_text("", encoding="utf-8")
    except (OSError, UnicodeEncodeError, ValueError):
        return  # a name the file system refuses
    records = [{"image_url": url, "label": [{"label": cls, "topX": 0.5, "topY": 0.1, "bottomX": 0.1,
                                             "bottomY": 0.5}], key: 1},
               {"image_url": "AmlDatastore://ds/" + url, "label": cls}]
    path.write_bytes(b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n"
                              for r in records))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(folder / "summary.md"))
    for fmt in FORMATS:
        rc = main([str(path), "--format", fmt, "--jobs", "1", "--task", "od"])
        out, err = capsys.readouterr()
        assert rc in (0, 1), err
        assert_safe_output(fmt, out, out.count("##vso[") if fmt == "azure" else 0)
        assert_safe_output("stderr", err, 0)
    assert_safe_output("github-summary", (folder / "summary.md").read_text(), 0)
