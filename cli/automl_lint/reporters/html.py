"""``--format html``: one self-contained page (inline CSS, JS and SVG; no request of any kind) to look at.

At the top, AutoML's verdict for each file and the findings per rule; then class, box and image size
distributions; then every finding grouped by rule, filterable and searchable; then a gallery of the flagged
lines (and a sample of clean ones) with their annotations drawn, on the image when ``--images`` located it.

The page is bounded whatever the input: at most ``gallery-per-rule`` lines per rule in the gallery and
MAX_ROWS_PER_RULE findings listed per rule (the rest counted), distributions computed on at most
STATS_SAMPLE records per file (evenly spread). The JSONL file is read once more, line by line, to draw
the chosen lines; standard input cannot be, so its lines are listed but not drawn.

Everything from the data is escaped; no data-derived URL is ever emitted (images are inline ``data:``
thumbnails made here), and a Content-Security-Policy forbids loading anything else.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import math
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TextIO

import orjson

from automl_lint import __version__
from automl_lint.engine import FileResult
from automl_lint.escape import html_text
from automl_lint.problem import Consequence, Problem, Severity
from automl_lint.reporters import annotations_svg as svg
from automl_lint.verdict import file_summary, hidden_sentence, total_summary, verdict_sentence

MAX_ROWS_PER_RULE = 200
STATS_SAMPLE = 50_000
MAX_CARDS_PER_FILE = 400
DEFAULT_GALLERY_PER_RULE = 12
_CONSEQUENCES = [c.value for c in Consequence]
_SEVERITIES = [s.value for s in Severity]


def esc(text) -> str:
    """Text or a quoted attribute value of the page: escape.html_text (control characters shown as escapes,
    no CI command can be formed when the page is printed into a log)."""
    return html_text(text)


def report(results: list[FileResult], out: TextIO, options: dict) -> None:
    out.write(render(results, options.get("settings")))


@dataclass
class _View:
    """What the page shows of one file."""

    result: FileResult
    by_line: dict = field(default_factory=lambda: defaultdict(list))  # listed findings
    every_by_line: dict = field(default_factory=lambda: defaultdict(list))  # hidden ones too: what AutoML does
    chosen: dict = field(default_factory=dict)     # line -> codes it was chosen for ("" for a clean sample)
    left_out: Counter = field(default_factory=Counter)  # code -> flagged lines not in the gallery
    records: dict = field(default_factory=dict)    # line -> parsed record (chosen and listed lines)
    sizes: Counter = field(default_factory=Counter)    # box size bin -> boxes
    aspects: Counter = field(default_factory=Counter)  # box aspect bin -> boxes
    declared: Counter = field(default_factory=Counter)
    sampled: int = 0
    note: str | None = None


def render(results: list[FileResult], settings=None, *, fragment: bool = False) -> str:
    """The page (or, with ``fragment``, its body for a notebook)."""
    per_rule = getattr(settings, "gallery_per_rule", DEFAULT_GALLERY_PER_RULE) if settings else \
        DEFAULT_GALLERY_PER_RULE
    views = [_view(r, per_rule, settings) for r in results]
    thumbs = None
    if settings is not None and settings.images:
        from automl_lint.reporters.thumbnails import Thumbnails

        thumbs = Thumbnails(settings)
    body = "".join([
        _header(results),
        _verdict_cards(results),
        _rule_table(results),
        _distributions(views, settings),
        _filters(results, views),
        _findings(results, views),
        _gallery(views, thumbs, per_rule),
    ])
    style, script = _STYLE, _SCRIPT
    if fragment:
        return f'<div class="automl-lint-report"><style>{style}</style>{body}<script>{script}</script></div>'
    policy = (f"default-src 'none'; img-src data:; style-src '{_hash(style)}'; script-src '{_hash(script)}'; "
              "base-uri 'none'; form-action 'none'")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>automl-lint report</title><style>{style}</style></head>"
            f'<body><div class="automl-lint-report">{body}</div><script>{script}</script></body></html>\n')


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


# --- what to show ------------------------------------------------------------------------------------------

def _view(result: FileResult, per_rule: int, settings) -> _View:
    v = _View(result)
    lines_of: dict[str, list[int]] = defaultdict(list)
    for p in result.problems:
        if p.line is None:
            continue
        v.by_line[p.line].append(p)
        lines = lines_of[p.code]
        if not lines or lines[-1] != p.line:
            lines.append(p.line)
    for group in (result.problems, result.ignored, result.baselined, result.superseded):
        for p in group:
            if p.line is not None:
                v.every_by_line[p.line].append(p)
    drawable = result.kind == "training" and result.task is not None
    if drawable:
        for code in sorted(lines_of):
            lines = lines_of[code]
            shown = 0
            for line in lines:
                if shown >= per_rule or len(v.chosen) >= MAX_CARDS_PER_FILE and line not in v.chosen:
                    break
                v.chosen.setdefault(line, set()).add(code)
                shown += 1
            v.left_out[code] = len(lines) - shown
    listed = {p.line for code, ps in _rows_by_rule([result]).items() for p, _ in ps if p.line is not None}
    wanted = listed | set(v.chosen)
    if result.path == "<stdin>":
        v.note = "standard input cannot be read a second time: its lines are listed, not drawn"
    elif os.path.isfile(result.path) and (drawable or wanted):
        _scan(v, wanted, per_rule if drawable else 0, settings)
    elif drawable:
        v.note = "the file cannot be read again: its lines are listed, not drawn"
    return v


def _scan(v: _View, wanted: set, clean_wanted: int, settings) -> None:
    """Read the file once more: the wanted records, a sample of clean ones, and the distributions' sample."""
    from automl_lint.reader import DEFAULT_MAX_LINE_BYTES, open_source

    r = v.result
    # Lines past --max-problems may have findings that were not kept: clean samples come from before them.
    limit = r.omitted.first_line if r.omitted is not None and r.omitted.first_line else r.lines + 1
    every = max(1, math.ceil(max(r.records, 1) / STATS_SAMPLE))
    targets = [1 + (limit - 1) * k // max(clean_wanted, 1) for k in range(clean_wanted)] if clean_wanted else []
    next_target = 0
    detection = r.task in ("object-detection", "instance-segmentation")
    max_bytes = settings.max_line_bytes if settings is not None else DEFAULT_MAX_LINE_BYTES
    try:
        stream = open_source(r.path)
    except Exception as exc:  # noqa: BLE001 - the page still shows the findings
        v.note = f"the file cannot be read again ({exc}): its lines are listed, not drawn"
        return
    loads = orjson.loads
    with stream:
        try:
            for line, raw in enumerate(_lines(stream, max_bytes, settings), 1):
                if raw is None:
                    continue
                record = None
                if line in wanted:
                    record = v.records[line] = _parse(raw, line)
                elif next_target < len(targets) and line >= targets[next_target] and line < limit and \
                        line not in v.every_by_line and raw.strip():
                    record = _parse(raw, line)
                    if type(record) is dict:
                        v.records[line] = record
                        v.chosen[line] = set()
                        next_target += 1
                        while next_target < len(targets) and targets[next_target] <= line:
                            next_target += 1
                if line % every == 0 and detection:
                    if record is None:
                        try:
                            record = loads(raw)
                        except orjson.JSONDecodeError:
                            continue
                    _sample(v, record)
        except Exception as exc:  # noqa: BLE001 - an unreadable tail leaves what was read
            v.note = f"the file could not be read to its end again ({type(exc).__name__})"


def _lines(stream, max_bytes: int, settings):
    """The file's lines as UTF-8, decoded as the run decoded them (the reader setting's encoding)."""
    from automl_lint import encoding
    from automl_lint.reader import iter_lines

    declared = getattr(settings, "encoding", None) or "utf8"
    family = encoding.family(declared)
    if family == encoding.UTF16:
        return encoding.utf16_lines(stream, max_bytes)
    lines = iter_lines(stream, max_line_bytes=max_bytes)
    if family == encoding.LATIN:
        return encoding.latin_lines(lines, encoding.is_iso_8859_1(declared))
    return lines


def _parse(raw: bytes, line: int):
    if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def _sample(v: _View, record) -> None:
    if type(record) is not dict or type(record.get("label")) is not list:
        return
    v.sampled += 1
    details = record.get("image_details")
    width = height = None
    if type(details) is dict:
        width, height = _number(details.get("width")), _number(details.get("height"))
        if width and height:
            v.declared[(int(width), int(height))] += 1
    for ann in record["label"]:
        if type(ann) is dict and "polygon" not in ann and type(ann.get("topX")) is float and \
                type(ann.get("bottomX")) is float and type(ann.get("topY")) is float and type(ann.get("bottomY")) is float:
            w, h = ann["bottomX"] - ann["topX"], ann["bottomY"] - ann["topY"]  # as written: inverted stays so
        else:
            rings = svg.shapes_of(ann)
            if not rings:
                continue
            xs = [x for ring in rings for x, _ in ring]
            ys = [y for ring in rings for _, y in ring]
            if type(ann) is dict and "polygon" not in ann:
                w, h = xs[1] - xs[0], ys[2] - ys[1]
            else:
                w, h = max(xs) - min(xs), max(ys) - min(ys)
        v.sizes[_bin(math.sqrt(w * h) if w > 0 and h > 0 else -1, _SIZE_BINS, _SIZE_NAMES)] += 1
        aspect = (w * width) / (h * height) if width and height and h > 0 else (w / h if h > 0 else -1)
        v.aspects[_bin(aspect if w > 0 else -1, _ASPECT_BINS, _ASPECT_NAMES)] += 1


def _number(value) -> float | None:
    if type(value) in (int, float) and value > 0:
        return float(value)
    if type(value) is str:
        try:
            f = float(value.lower().removesuffix("px"))
            return f if f > 0 and math.isfinite(f) else None
        except ValueError:
            return None
    return None


def _rows_by_rule(results: list[FileResult]) -> dict[str, list[tuple[Problem, FileResult]]]:
    rows: dict[str, list] = defaultdict(list)
    for r in results:
        for p in r.problems:
            rows[p.code].append((p, r))
    return rows


# --- page parts --------------------------------------------------------------------------------------------

def _header(results: list[FileResult]) -> str:
    total = total_summary(results)
    sentence = verdict_sentence(total["automl"], results)
    return (f'<header><h1>automl-lint report</h1><p class="verdict{" fails" if total["automl"]["fails_job"] else ""}">'
            f'{esc(sentence)}</p><p class="muted">{total["problems"]} finding(s) ({total["errors"]} error(s), '
            f'{total["warnings"]} warning(s), {total["infos"]} info) in {total["records"]} record(s) of '
            f'{total["files"]} file(s); automl-lint {esc(__version__)}</p>'
            f'{"<p class=muted>" + esc(hidden_sentence(total)) + "</p>" if hidden_sentence(total) else ""}</header>')


def _verdict_cards(results: list[FileResult]) -> str:
    cards = []
    for r in results:
        s = file_summary(r)
        a = s["automl"]
        fails = a["fails_job"]
        what = "predictions" if r.kind == "predictions" else (r.role if r.kind != "mltable" else "MLTable")
        facts = [("fails the job", "YES" if fails else "no", fails), ("images dropped", a["images_dropped"], 0),
                 ("annotations dropped", a["annotations_dropped"], 0), ("values altered", a["values_altered"], 0),
                 ("used as written", a["lines_used_as_written"], 0)]
        rows = "".join(f'<div class="fact{" bad" if (v and k != "used as written" and v != "no") else ""}">'
                       f'<b>{esc(v)}</b><span>{esc(k)}</span></div>' for k, v, _ in facts)
        cards.append(f'<section class="card verdict-card{" fails" if fails else ""}" data-file="{esc(r.path)}">'
                     f'<h3 title="{esc(r.path)}">{esc(_short_path(r.path))}</h3>'
                     f'<p class="muted">{esc(what)} \u00b7 {esc(r.task or "task unknown")} \u00b7 '
                     f'{s["records"]} record(s) \u00b7 {s["errors"]} error(s), {s["warnings"]} warning(s)</p>'
                     f'<div class="facts">{rows}</div></section>')
    return f'<h2>AutoML\'s verdict per file</h2><div class="cards">{"".join(cards)}</div>'


def _short_path(path: str) -> str:
    return path if len(path) <= 70 else "\u2026" + path[-69:]


def _rule_table(results: list[FileResult]) -> str:
    rows = _rows_by_rule(results)
    if not rows:
        return "<h2>Findings per rule</h2><p>No finding.</p>"
    order = sorted(rows, key=lambda c: (-max(p.consequence.rank for p, _ in rows[c]), -len(rows[c]), c))
    body = []
    for code in order:
        ps = rows[code]
        p = ps[0][0]
        files = len({r.path for _, r in ps})
        body.append(f'<tr><td><a href="#rule-{esc(code)}">{esc(code)}</a></td><td>{esc(p.name)}</td>'
                    f'<td class="num">{len(ps)}</td><td><span class="sev {esc(p.severity.value)}">'
                    f'{esc(p.severity.value)}</span></td><td><span class="csq {esc(p.consequence.value)}">'
                    f'{esc(p.consequence.value)}</span></td><td class="num">{files}</td></tr>')
    omitted = [r for r in results if r.omitted is not None]
    note = ""
    if omitted:
        n = sum(r.omitted.problems for r in omitted)
        note = (f'<p class="muted">{n} more finding(s) past --max-problems are counted in the verdict but not '
                "listed.</p>")
    return ('<h2>Findings per rule</h2><table class="rules"><thead><tr><th>rule</th><th>name</th><th>findings</th>'
            f'<th>severity</th><th>AutoML</th><th>files</th></tr></thead><tbody>{"".join(body)}</tbody></table>'
            f"{note}")


# --- distributions -----------------------------------------------------------------------------------------

def _fmt_edge(e: float, ratio: bool) -> str:
    return f"1/{1 / e:g}" if ratio and e < 1 else f"{e:g}"


def _labels(edges: list[float], ratio: bool = False) -> list[str]:
    """Bin names in order: empty or inverted boxes, then each interval."""
    names = ["0 (empty or inverted)", f"< {_fmt_edge(edges[0], ratio)}"]
    names += [f"{_fmt_edge(a, ratio)}\u2013{_fmt_edge(b, ratio)}" for a, b in zip(edges, edges[1:])]
    return names + [f"\u2265 {_fmt_edge(edges[-1], ratio)}"]


def _bin(value: float, edges: list[float], names: list[str]) -> str:
    return names[0] if value <= 0 else names[1 + bisect.bisect_right(edges, value)]


_SIZE_BINS = [0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0]
_ASPECT_BINS = [0.25, 0.5, 0.8, 1.25, 2.0, 4.0]
_SIZE_NAMES, _ASPECT_NAMES = _labels(_SIZE_BINS), _labels(_ASPECT_BINS, ratio=True)


def _distributions(views: list[_View], settings) -> str:
    parts = []
    datasets = [v for v in views if v.result.part_of is None and v.result.kind != "predictions"]
    by_role: dict[str, Counter] = {"training": Counter(), "validation": Counter()}
    for v in datasets:
        if v.result.role in by_role:
            by_role[v.result.role].update({str(k): n for k, n in v.result.state.class_counts().items()})
    series = [(role, counts) for role, counts in by_role.items() if counts]
    if series:
        classes = sorted({c for _, counts in series for c in counts}, key=lambda c: (-sum(s[c] for _, s in series), c))
        more = f"; {len(classes) - 40} less frequent class(es) not shown" if len(classes) > 40 else ""
        unit = "objects" if any(v.result.task in ("object-detection", "instance-segmentation") for v in datasets) \
            else "images"
        parts.append(f'<figure class="chart"><figcaption>Class distribution ({unit} AutoML keeps), training and '
                     f"validation side by side{more}</figcaption>{_bars(classes[:40], series)}</figure>")
    size_series, aspect_series, declared_series = [], [], []
    sampled = 0
    for role in ("training", "validation"):
        mine = [v for v in views if v.result.role == role]
        sampled += sum(v.sampled for v in mine)
        sizes, aspects = Counter(), Counter()
        for v in mine:
            sizes.update(v.sizes)
            aspects.update(v.aspects)
        if sizes:
            size_series.append((role, sizes))
            aspect_series.append((role, aspects))
        declared = Counter()
        for v in mine:
            declared.update(v.declared)
        if declared:
            declared_series.append((f"{role} (declared)", Counter({f"{w}\u00d7{h}": n for (w, h), n in declared.items()})))
    if size_series:
        parts.append('<figure class="chart"><figcaption>Box size: \u221a(width \u00d7 height) as a fraction of the '
                     f"image</figcaption>{_bars(_SIZE_NAMES, size_series)}</figure>")
        parts.append('<figure class="chart"><figcaption>Box aspect: width \u00f7 height (in pixels where image_details '
                     f"gives the size)</figcaption>{_bars(_ASPECT_NAMES, aspect_series)}</figure>")
    probed = _probed_sizes(views, settings)
    size_rows = declared_series + ([("probed", probed)] if probed else [])
    if size_rows:
        sizes = sorted({c for _, s in size_rows for c in s}, key=lambda c: (-sum(s[c] for _, s in size_rows), c))
        what = "" if probed else ": as declared in image_details (--images probes the files)"
        more = f"; {len(sizes) - 15} other size(s) not shown" if len(sizes) > 15 else ""
        parts.append(f'<figure class="chart"><figcaption>Image sizes, width \u00d7 height{what}{more}</figcaption>'
                     f"{_bars(sizes[:15], size_rows)}</figure>")
    if not parts:
        return ""
    note = (f'<p class="muted">Box and declared image size distributions from {sampled} record(s) (at most '
            f"{STATS_SAMPLE} per file, evenly spread).</p>" if size_series or declared_series else "")
    return f'<h2>Distributions</h2><div class="charts">{"".join(parts)}</div>{note}'


def _bars(categories: list[str], series: list[tuple[str, Counter]]) -> str:
    """A horizontal bar chart: one row per category, one bar per series (training, validation, ...)."""
    width, label_w, bar_h, gap = 560, 170, 11, 7
    top = max((counts.get(key, 0) for key in categories for _, counts in series), default=0) or 1
    rows = []
    y = 18
    legend, x = [], label_w
    for i, (name, _) in enumerate(series):
        legend.append(f'<rect class="s{i}" x="{x}" y="2" width="10" height="10"/><text x="{x + 14}" y="11">'
                      f"{esc(name)}</text>")
        x += 30 + 6.5 * len(name)
    legend = "".join(legend)
    for key in categories:
        label = key
        shown = label if len(label) <= 26 else label[:25] + "\u2026"
        rows.append(f'<text class="cat" x="{label_w - 6}" y="{y + bar_h * len(series) / 2 + 4:.0f}" '
                    f'text-anchor="end"><title>{esc(label)}</title>{esc(shown)}</text>')
        for i, (name, counts) in enumerate(series):
            n = counts.get(key, 0)
            w = (width - label_w - 60) * n / top
            rows.append(f'<rect class="s{i}" x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 1}">'
                        f'<title>{esc(name)}: {n}</title></rect><text class="n" x="{label_w + w + 4:.1f}" '
                        f'y="{y + bar_h - 2}">{n}</text>')
            y += bar_h
        y += gap
    return (f'<svg class="bars" viewBox="0 0 {width} {y + 4}" width="{width}" height="{y + 4}" role="img">'
            f'{legend}{"".join(rows)}</svg>')


def _probed_sizes(views: list[_View], settings, limit: int = 50_000) -> Counter:
    """Real sizes of the images the image pass just probed (read back from its cache), for at most ``limit``."""
    if settings is None or not settings.images:
        return Counter()
    from automl_lint.images.cache import ProbeCache
    from automl_lint.images.locate import Locator

    urls = list(dict.fromkeys(ref[1] for v in views for ref in (v.result.image_refs or [])))
    urls = urls[::max(1, len(urls) // limit)]
    locator = Locator(settings.image_root, settings.datastores, settings.image_maps)
    candidates = {url: locator.locate(url) for url in urls}
    locations = list(dict.fromkeys(c for cs in candidates.values() for c in cs))
    cache = ProbeCache(settings.image_cache)
    try:
        cached = dict(zip(locations, cache.probes(locations)))
    finally:
        cache.close()
    sizes: Counter = Counter()
    for cs in candidates.values():
        probe = next((cached[c] for c in cs if cached[c] is not None), None)
        if probe is not None and probe.width and probe.height:
            sizes[f"{probe.width}\u00d7{probe.height}"] += 1
    return sizes


# --- findings ----------------------------------------------------------------------------------------------

def _classes_of_problem(p: Problem, record, task) -> list[str]:
    anns = svg.annotations_of(record, task)
    i = svg.annotation_index(p.pointer)
    if i is not None and i < len(anns):
        cls = svg.class_of(anns[i])
        return [cls] if cls is not None else []
    return sorted({c for c in map(svg.class_of, anns) if c is not None})


def _filters(results: list[FileResult], views: list[_View]) -> str:
    rows = _rows_by_rule(results)
    if not rows:
        return ""
    classes: set[str] = set()
    for v in views:
        classes.update(str(k) for k in v.result.state.class_counts())
        for record in v.records.values():
            classes.update(c for c in map(svg.class_of, svg.annotations_of(record, v.result.task)) if c is not None)
    consequences = [c for c in _CONSEQUENCES if any(p.consequence.value == c for ps in rows.values() for p, _ in ps)]
    severities = [s for s in _SEVERITIES if any(p.severity.value == s for ps in rows.values() for p, _ in ps)]

    def select(name: str, label: str, values) -> str:
        options = "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in values)
        return (f'<label>{esc(label)} <select id="f-{name}" data-filter="{name}"><option value="">all</option>'
                f"{options}</select></label>")

    return ('<h2 id="filters">Filter</h2><div class="filters">'
            + select("consequence", "AutoML", consequences) + select("severity", "severity", severities)
            + select("rule", "rule", sorted(rows)) + select("class", "class", sorted(classes)[:500])
            + '<label>search <input id="f-search" type="search" placeholder="text, path, line"></label>'
            '<span id="f-count" class="muted"></span></div>')


def _item_attrs(problems: list[Problem], classes) -> str:
    return (f'data-rules="{esc(" ".join(sorted({p.code for p in problems})))}" '
            f'data-severities="{esc(" ".join(sorted({p.severity.value for p in problems})))}" '
            f'data-consequences="{esc(" ".join(sorted({p.consequence.value for p in problems})))}" '
            f'data-classes="{chr(10).join(esc(c) for c in sorted(set(classes)))}"')  # esc() leaves no newline


def _findings(results: list[FileResult], views: list[_View]) -> str:
    rows = _rows_by_rule(results)
    if not rows:
        return ""
    records = {v.result.path: v for v in views}
    groups = []
    for code in sorted(rows):
        ps = rows[code]
        p0 = ps[0][0]
        items = []
        for p, r in ps[:MAX_ROWS_PER_RULE]:
            v = records.get(r.path)
            record = v.records.get(p.line) if v is not None and p.line is not None else None
            classes = _classes_of_problem(p, record, r.task) if record is not None else []
            # A finding about the whole file points at its first line, as in the terminal and in CI annotations.
            where = f"{r.path}:{p.line if p.line is not None else 1}:{p.column or 1}"
            whole = ' <span class="muted">(whole file)</span>' if p.line is None else ""
            pointer = f' <code>{esc(p.pointer)}</code>' if p.pointer else ""
            cls = f' <span class="cls">{esc(", ".join(classes))}</span>' if classes else ""
            items.append(f'<li class="item finding" {_item_attrs([p], classes)} data-line="{p.line or 0}">'
                         f'<span class="where">{esc(where)}</span>{whole} <span class="sev {esc(p.severity.value)}">'
                         f'{esc(p.severity.value)}</span> <span class="csq {esc(p.consequence.value)}">'
                         f"{esc(p.consequence.value)}</span> {esc(p.message)}{pointer}{cls}</li>")
        more = len(ps) - MAX_ROWS_PER_RULE
        tail = f'<p class="muted">{more} more finding(s) of {esc(code)} not listed.</p>' if more > 0 else ""
        groups.append(f'<details class="rule-group" id="rule-{esc(code)}" open><summary><b>{esc(code)}</b> '
                      f'{esc(p0.name)} \u00b7 {len(ps)} finding(s) \u00b7 <span class="sev {esc(p0.severity.value)}">'
                      f'{esc(p0.severity.value)}</span> \u00b7 <span class="csq {esc(p0.consequence.value)}">'
                      f"{esc(p0.consequence.value)}</span></summary><ul>{''.join(items)}</ul>{tail}</details>")
    return f'<h2>Findings by rule</h2>{"".join(groups)}'


# --- gallery -----------------------------------------------------------------------------------------------

_LEGEND = ('<p class="legend"><span class="key dropped">\u2717 dropped by AutoML (dashed)</span>'
           '<span class="key altered">~ altered by AutoML (dotted)</span>'
           '<span class="key flagged">! flagged, used as written (thick)</span>'
           '<span class="key clean">clean (thin)</span></p>')


def _gallery(views: list[_View], thumbs, per_rule: int) -> str:
    sections = []
    for v in views:
        r = v.result
        if not v.chosen and not v.note:
            continue
        cards = []
        for line in sorted(v.chosen):
            if line not in v.records:
                continue
            cards.append(_card(v, line, thumbs))
        left = [f"{n} of {esc(code)}" for code, n in sorted(v.left_out.items()) if n]
        notes = []
        if v.note:
            notes.append(esc(v.note))
        if left:
            notes.append(f"flagged lines left out (at most {per_rule} per rule, --gallery-per-rule): "
                         + ", ".join(left))
        clean = sum(1 for codes in v.chosen.values() if not codes)
        frame = ("on the images" if thumbs is not None else
                 "on empty frames of the declared image size (--images with --image-root, --datastore or --map "
                 "draws them on the images)")
        sections.append(f'<section class="gallery-file"><h3>{esc(_short_path(r.path))}</h3>'
                        f'<p class="muted">{len(cards)} line(s) drawn {frame}, {clean} of them a sample of clean '
                        f"lines.</p>{''.join(f'<p class=note>{n}</p>' for n in notes)}"
                        f'<div class="gallery">{"".join(cards)}</div></section>')
    if not sections:
        return ""
    return f'<h2>Gallery</h2>{_LEGEND}{"".join(sections)}'


def _card(v: _View, line: int, thumbs) -> str:
    r = v.result
    record = v.records[line]
    problems = v.by_line.get(line, [])
    width = height = None
    image = None
    why = None
    if type(record) is dict:
        details = record.get("image_details")
        if type(details) is dict:
            width, height = _number(details.get("width")), _number(details.get("height"))
        if thumbs is not None:
            got = thumbs.get(record.get("image_url"))
            if type(got) is tuple:
                image, width, height = got
            else:
                why = got
    # Drawn as AutoML treats it: findings hidden by --select/--ignore or the baseline still count.
    drawing, undrawn = svg.draw(record, line, v.every_by_line.get(line, []), r.task, svg.frame_size(width, height),
                                image, esc)
    anns = svg.annotations_of(record, r.task)
    classes = [c for c in map(svg.class_of, anns) if c is not None]
    badges = []
    if record is None:
        badges.append('<span class="badge bad">not a JSON object: nothing to draw</span>')
    elif type(record) is dict and record.get("label") == []:
        badges.append('<span class="badge bg">background image (no objects)</span>')
    if why:
        badges.append(f'<span class="badge">{esc(why)}</span>')
    if not v.every_by_line.get(line):
        badges.append('<span class="badge ok">clean sample</span>')
    url = record.get("image_url") if type(record) is dict else None
    findings = "".join(f'<li><b>{esc(p.code)}</b> <span class="csq {esc(p.consequence.value)}">'
                       f'{esc(p.consequence.value)}</span> {esc(p.message)}</li>' for p in problems)
    return (f'<figure class="item card-image" {_item_attrs(problems, classes)} data-line="{line}" '
            f'data-file="{esc(r.path)}">{drawing}<figcaption><div class="where" title="{esc(r.path)}">'
            f"{esc(os.path.basename(r.path) or r.path)}:{line}</div>"
            f'<div class="url">{esc(url if type(url) is str else "(no image_url)")}</div>{"".join(badges)}'
            f'{"<ul class=undrawn>" + "".join(undrawn) + "</ul>" if undrawn else ""}'
            f'{"<ul class=why>" + findings + "</ul>" if findings else ""}</figcaption></figure>')


_STYLE = """
.automl-lint-report{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;max-width:1400px;margin:0 auto;padding:0 16px 48px}
.automl-lint-report h1{font-size:22px;margin:18px 0 4px}.automl-lint-report h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #d5dbe3;padding-bottom:4px}
.automl-lint-report h3{font-size:15px;margin:6px 0;word-break:break-all}
.muted{color:#5b6675}.verdict{font-size:16px;font-weight:600;color:#176b3a}.verdict.fails{color:#b3261e}
[hidden]{display:none!important}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #d5dbe3;border-radius:8px;padding:10px 12px;background:#fbfcfd;min-width:300px;flex:1 1 320px}
.verdict-card.fails{border-color:#b3261e;border-width:2px}
.facts{display:flex;gap:10px;flex-wrap:wrap}.fact{display:flex;flex-direction:column;min-width:90px}.fact b{font-size:20px}.fact.bad b{color:#b3261e}.fact span{font-size:12px;color:#5b6675}
table.rules{border-collapse:collapse}table.rules td,table.rules th{border-bottom:1px solid #e3e7ee;padding:3px 10px;text-align:left}td.num{text-align:right}
.sev,.csq{font-size:12px;border-radius:4px;padding:0 5px;border:1px solid #ccd3dc}.sev.error{background:#fde8e6;border-color:#b3261e}.sev.warning{background:#fff4d6;border-color:#a86b00}
.csq.fails-job,.csq.drops-image,.csq.drops-annotation{background:#fde8e6;font-weight:600}.csq.alters-value{background:#fff4d6}
.charts{display:flex;flex-wrap:wrap;gap:18px}.chart{margin:0}.chart figcaption{font-weight:600;margin-bottom:4px;max-width:560px}
svg.bars text{font-size:11px;fill:#1d2733}svg.bars .s0{fill:#3b6ea8}svg.bars .s1{fill:#d98b2b}svg.bars .s2{fill:#6a9a4b}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:center;position:sticky;top:0;background:#fff;padding:8px 0;z-index:2;border-bottom:1px solid #e3e7ee}
.filters select,.filters input{font:inherit;padding:2px 4px}
.rule-group{margin:6px 0}.rule-group summary{cursor:pointer}.rule-group ul{margin:4px 0 8px;padding-left:18px}.finding{margin:2px 0}
.where{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#34495e;word-break:break-all}.cls{font-size:12px;color:#5b6675}
code{font-size:12px;background:#f0f3f7;padding:0 3px;border-radius:3px}
.legend{display:flex;gap:18px;flex-wrap:wrap}.key{padding:1px 6px;border:2px solid #555}.key.dropped{border-style:dashed;border-color:#b3261e}.key.altered{border-style:dotted;border-color:#a86b00}.key.flagged{border-width:3px;border-color:#6b3fa0}.key.clean{border-width:1px;border-color:#176b3a}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:12px}
.card-image{margin:0;border:1px solid #d5dbe3;border-radius:8px;padding:8px;background:#fff}
svg.draw{width:100%;height:auto;max-height:300px;background:#eef1f5;display:block}
svg.draw .frame{fill:none;stroke:#556;stroke-width:1;stroke-dasharray:1 2;vector-effect:non-scaling-stroke}
svg.draw .ann polygon{fill:none;stroke-width:2;vector-effect:non-scaling-stroke}
svg.draw .ann text{paint-order:stroke;stroke:#fff;stroke-width:3px;font-weight:600;font-family:system-ui,sans-serif}
svg.draw .dropped polygon{stroke:#d0312d;stroke-dasharray:7 4;fill:rgba(208,49,45,.08)}svg.draw .dropped text{fill:#b3261e}
svg.draw .altered polygon{stroke:#e69500;stroke-dasharray:2 3;stroke-width:2.5}svg.draw .altered text{fill:#8a5a00}
svg.draw .flagged polygon{stroke:#7b3fc4;stroke-width:3.5}svg.draw .flagged text{fill:#5a2d91}
svg.draw .clean polygon{stroke:#1e9e50;stroke-width:1.5}svg.draw .clean text{fill:#176b3a}
.url{font-size:11px;color:#5b6675;word-break:break-all}.badge{display:inline-block;font-size:11px;border:1px solid #ccd3dc;border-radius:4px;padding:0 4px;margin:2px 4px 0 0}
.badge.bg{background:#e8f0fb;border-color:#3b6ea8}.badge.ok{background:#e6f5ec;border-color:#1e9e50}.badge.bad{background:#fde8e6;border-color:#b3261e}
ul.why,ul.undrawn{margin:4px 0 0;padding-left:16px;font-size:12px}.note{background:#fff8e1;border-left:3px solid #a86b00;padding:4px 8px}
"""

_SCRIPT = """
(function () {
  var root = document.currentScript ? document.currentScript.parentNode : document;
  function all(sel) { return Array.prototype.slice.call(root.querySelectorAll(sel)); }
  var selects = all('select[data-filter]'), search = root.querySelector('#f-search'), count = root.querySelector('#f-count');
  function has(list, value, sep) { return list ? list.split(sep).indexOf(value) >= 0 : false; }
  function apply() {
    var want = {};
    selects.forEach(function (s) { want[s.getAttribute('data-filter')] = s.value; });
    var text = search ? search.value.trim().toLowerCase() : '';
    var shown = 0, total = 0;
    all('.item').forEach(function (item) {
      var d = item.dataset, ok = true;
      if (want.consequence) ok = has(d.consequences, want.consequence, ' ');
      if (ok && want.severity) ok = has(d.severities, want.severity, ' ');
      if (ok && want.rule) ok = has(d.rules, want.rule, ' ');
      if (ok && want['class']) ok = has(d.classes, want['class'], '\\n');
      if (ok && text) ok = item.textContent.toLowerCase().indexOf(text) >= 0;
      item.hidden = !ok;
      total += 1; if (ok) shown += 1;
    });
    all('.rule-group').forEach(function (g) { g.hidden = !g.querySelector('.item:not([hidden])'); });
    if (count) count.textContent = shown + ' of ' + total + ' findings and drawings shown';
  }
  selects.forEach(function (s) { s.addEventListener('change', apply); });
  if (search) search.addEventListener('input', apply);
  apply();
})();
"""
