"""The express lane: one function per task for the overwhelmingly common record, valid and plain.

:meth:`automl_lint.engine.RecordChecker.check` takes a record through the task's JSON Schema validator, the
engine-reading check (:func:`automl_lint.reader.plain_record`) and the task's fast path before any rule. An
express function does the same for the usual record in one Python call, with no validator: it accepts a record
only when

- its types and values satisfy the task's schema (``schemas/training-*.json``) by construction: every check below
  is at least as strict as the schema, and anything it is not sure of (a float width, a boolean where a number is
  expected, an unknown key) answers False;
- :func:`~automl_lint.reader.plain_record` holds (only the schema's keys, image dimensions within 2**53);
- the task's fast path (``classification.fast_*``, ``annotation.fast_*`` with what ``runtime.fast_path`` adds)
  would accept it, and then it records exactly what that fast path records in the dataset state. One exception:
  an instance segmentation record that the fast path refuses only for stray vertices is taken too, and the lane
  reports those (AML510) as the full check words them (``annotation.stray_vertex_finding``).

A record it does not accept goes the usual way, so an express function is never different in outcome.
``tests/test_express.py`` pins this: on generated records of every task the results with and without the express
lane are identical, the lane's stray-vertex findings equal the full check's, and every record it accepts is valid
for the schema.
"""

from __future__ import annotations

import re
from struct import pack

from automl_lint.reader import EXACT_FLOAT
from automl_lint.rules import dataset
from automl_lint.rules import polygon as poly_rules
from automl_lint.rules.annotation import _varies, stray_vertex_finding
from automl_lint.rules.schema import FORMATS

try:  # optional, built from _speedups.c where a C compiler is at hand: the same answers, faster
    from automl_lint._speedups import plain_segment
except ImportError:  # pragma: no cover - a build without it
    plain_segment = None

try:  # Counter.update's C helper: counts a list of names without a Python-level call per name
    from _collections import _count_elements
except ImportError:  # pragma: no cover - other interpreters
    def _count_elements(counts, names):
        for name in names:
            counts[name] = counts.get(name, 0) + 1

_FORMATS = frozenset(FORMATS)
_DETAIL_KEYS = frozenset(("format", "width", "height"))
_DIMENSION = re.compile(r"[1-9][0-9]*px").fullmatch  # the schema's '^[1-9][0-9]*px$' (ECMA: $ is the end)


def _details_ok(details) -> bool:
    """``image_details`` valid for the schema and plain (a subset of what the schema allows: anything unusual is
    left to the validator)."""
    if type(details) is not dict or not details.keys() <= _DETAIL_KEYS:
        return False
    f = details.get("format", "jpg")
    if type(f) is not str or f not in _FORMATS:
        return False
    for d in (details.get("width", 1), details.get("height", 1)):
        if type(d) is int:
            if not 1 <= d <= EXACT_FLOAT:
                return False
        elif type(d) is not str or _DIMENSION(d) is None:
            return False
    return True


def segment_ok(segment: list):
    """True for numbers in [0, 1] (the schema's coordinate) and no stray vertex; the index of the stray vertex
    (AML510) when there is one; False for anything else. Sorts each axis once. (``_speedups.plain_segment``, when
    built, answers the common case first: where it says True, so would this.)"""
    n = len(segment) // 2
    if segment[0] == segment[2 * n - 2] and segment[1] == segment[2 * n - 1]:
        n -= 1  # a closed ring repeats its first point (as stray_vertex counts it)
        sx, sy = segment[0:2 * n:2], segment[1:2 * n:2]
    else:
        sx, sy = segment[0::2], segment[1::2]
    try:
        sx.sort()  # a TypeError on a string, null or object among numbers
        sy.sort()
        x0, x1, y0, y1 = sx[0], sx[-1], sy[0], sy[-1]
        if not (0.0 < x0 and x1 < 1.0 and 0.0 < y0 and y1 < 1.0):  # a TypeError on strings or lists
            if x0 < 0.0 or x1 > 1.0 or y0 < 0.0 or y1 > 1.0:
                return False
            # On the edge: a boolean compares as 0 or 1, and could be there (so could 0 and 1: then the
            # validator decides).
            if True in segment or False in segment:
                return False
    except TypeError:
        return False
    if n < 4:
        return True
    # stray_vertex's own first test, with its arithmetic: no extreme stands apart, so no stray vertex
    gap_x, gap_y = (x1 - x0) * 0.2, (y1 - y0) * 0.2
    if sx[1] - x0 <= gap_x and x1 - sx[-2] <= gap_x and sy[1] - y0 <= gap_y and y1 - sy[-2] <= gap_y:
        return True
    k = poly_rules.stray_vertex(segment)
    return True if k is None else k


def build(checker, state, out: list):
    """The express lane of a checker over ``state``: ``(express, flush)``, or None (the task has no fast path).

    ``express(value, raw, line)`` is True when the record is checked and the full check would say nothing about
    it, or (instance segmentation) only that vertices are stray (AML510): then it appends those findings to
    ``out``, exactly as the full check words them, for the caller to report. The caller still counts the record
    in ``records``, ``rows`` and ``kept``. What it records in the dataset state (URL hash
    and line, class counts, object counts) is buffered: ``flush()`` moves it into ``state``, and must be called
    before any other record is checked into ``state`` (so that the state is built in line order, as without
    the express lane), at least every 16,384 lines (bounded memory) and at the end.
    """
    if checker.fast is None:
        return None
    from automl_lint import runtime

    task = checker.task
    ok = checker.ok_classes  # plain class names (strings only), learned by the checker
    ready: set = set()  # those already counted in state.classes, hence registered with their first line
    plain = checker.plain_url
    last = plain.last  # the folder of the last plain URL (shared with the checker's fast path)
    url_hash = dataset.url_hash  # read now: a Dask run swaps it for a process-independent hash
    counts = state.classes
    refs = checker.image_refs
    image_ref = checker._image_ref if refs is not None else None
    if refs is not None:
        from automl_lint.images.refs import ref_details
    urls: list = []
    lines: list = []
    names: list = []
    push_url, push_line, push_name, push_names = urls.append, lines.append, names.append, names.extend
    objects = background = crowd_only = empty = 0
    prefix_seen, prefix_colons = None, 0

    def admit(name) -> bool:
        """A plain class that the state has counted (and registered) already: the lane may count it."""
        if name in ok and name in counts:
            ready.add(name)
            return True
        return False  # new to this state or not plain: the full check registers or reports it

    def flush() -> None:
        nonlocal objects, background, crowd_only, empty
        n = len(urls)
        if n:
            state.url_hashes.frombytes(pack(f"{n}q", *map(url_hash, urls)))
            state.url_lines.frombytes(pack(f"{n}I", *lines))
            urls.clear()
            lines.clear()
        if names:
            _count_elements(counts, names)  # every name is a key of counts already: no new key, same order
            names.clear()
        if objects or background or crowd_only or empty:
            state.objects += objects
            state.background_images += background
            state.crowd_only_images += crowd_only
            state.empty_label_lines += empty
            objects = background = crowd_only = empty = 0

    def url_colons(url: str) -> int:
        """The ':' count of a plain URL, or -1 when it is not plain (``image_url.plain_url_checker``'s answer;
        the caller has made sure that the line holds no backslash)."""
        nonlocal prefix_seen, prefix_colons
        prefix = last[0]
        if not url.startswith(prefix):
            return url.count(":") if plain(url) else -1
        name = url[len(prefix):]
        if name == "" or "/" in name or "?" in name or "%" in name or name.strip() != name:
            return -1
        if prefix_seen is not prefix:
            prefix_seen, prefix_colons = prefix, prefix.count(":")
        return prefix_colons + name.count(":") if ":" in name else prefix_colons

    def top(value: dict) -> int:
        """Keys of a plain record (image_url, label, maybe image_details and its keys), or 0."""
        n = len(value)
        if n == 2:
            return 2 if "image_details" not in value else 0
        if n != 3:
            return 0
        details = value.get("image_details")
        if type(details) is not dict:
            return 0
        if len(details) == 3:  # the usual {"format": "jpg", "width": 640, "height": 480}
            f, w, h = details.get("format"), details.get("width"), details.get("height")
            if type(f) is str and type(w) is int and type(h) is int and f in _FORMATS and 0 < w <= EXACT_FLOAT \
                    and 0 < h <= EXACT_FLOAT:
                return 6
        return 3 + len(details) if _details_ok(details) else 0

    if task == "multiclass":
        def express(value: dict, raw: bytes, line: int) -> bool:
            nonlocal prefix_seen, prefix_colons
            try:
                url = value["image_url"]
                label = value["label"]
                if type(url) is not str or type(label) is not str or label not in ready and not admit(label):
                    return False
            except (KeyError, TypeError):
                return False
            # A backslash anywhere: an escape may hide a key or a ':' from the colon count below. partition() takes
            # its argument without find()'s argument parsing (half the time on a typical line).
            if raw.partition(b"\\")[1]:
                return False
            details = value.get("image_details")
            if details is not None and len(value) == 3 and type(details) is dict and len(details) == 3 and \
                    type(f := details.get("format")) is str and type(w := details.get("width")) is int and \
                    type(h := details.get("height")) is int and f in _FORMATS and 0 < w <= EXACT_FLOAT and \
                    0 < h <= EXACT_FLOAT:
                nkeys = 6  # the usual image_details, as top() would say
            else:
                nkeys = top(value)
                if not nkeys:
                    return False
            prefix = last[0]
            if url.startswith(prefix):  # url_colons(), inline
                name = url[len(prefix):]
                if name == "" or "/" in name or "?" in name or "%" in name or name.strip() != name:
                    return False
                if prefix_seen is not prefix:
                    prefix_seen, prefix_colons = prefix, prefix.count(":")
                n = prefix_colons + name.count(":") if ":" in name else prefix_colons
            else:
                n = url_colons(url)
                if n < 0:
                    return False
            if raw.count(b":") != nkeys + n:  # else maybe a duplicate key: the full check decides
                return False
            push_url(url)
            push_line(line)
            push_name(label)
            if refs is not None:
                refs.append(image_ref(line, url, value))
            return True

        return express, flush

    if task == "multilabel":
        def express(value: dict, raw: bytes, line: int) -> bool:
            nonlocal empty, prefix_seen, prefix_colons
            try:
                url = value["image_url"]
                label = value["label"]
                if type(url) is not str or type(label) is not list:
                    return False
                for c in label:  # ready and ok hold strings only
                    if c not in ready and not admit(c):
                        return False
            except (KeyError, TypeError):  # TypeError: an unhashable item, not a string
                return False
            k = len(label)
            if k > 1 and len(set(label)) != k or raw.partition(b"\\")[1]:
                return False
            details = value.get("image_details")
            if details is not None and len(value) == 3 and type(details) is dict and len(details) == 3 and \
                    type(f := details.get("format")) is str and type(w := details.get("width")) is int and \
                    type(h := details.get("height")) is int and f in _FORMATS and 0 < w <= EXACT_FLOAT and \
                    0 < h <= EXACT_FLOAT:
                nkeys = 6  # the usual image_details, as top() would say
            else:
                nkeys = top(value)
                if not nkeys:
                    return False
            prefix = last[0]
            if url.startswith(prefix):  # url_colons(), inline
                name = url[len(prefix):]
                if name == "" or "/" in name or "?" in name or "%" in name or name.strip() != name:
                    return False
                if prefix_seen is not prefix:
                    prefix_seen, prefix_colons = prefix, prefix.count(":")
                n = prefix_colons + name.count(":") if ":" in name else prefix_colons
            else:
                n = url_colons(url)
                if n < 0:
                    return False
            if raw.count(b":") != nkeys + n:  # else maybe a duplicate key: the full check decides
                return False
            push_url(url)
            push_line(line)
            if k:
                push_names(label)
            else:
                empty += 1
            if refs is not None:
                refs.append(image_ref(line, url, value))
            return True

        return express, flush

    if task not in ("object-detection", "instance-segmentation"):
        return None
    need_labels = "mmdet" in runtime.runtimes_for(checker.settings, task)  # see runtime.fast_path
    count_crowd = runtime.counts_crowd(checker.settings, task)
    collinear = poly_rules.is_collinear
    native = plain_segment  # read now (tests swap it out)

    def commit(value: dict, url: str, labels: list, classes: list, crowd: bool, line: int, boxes: bool) -> bool:
        """``boxes``: every label is a box of four numbers (none a boolean), as the object detection lane checked."""
        nonlocal objects, background, crowd_only
        push_url(url)
        push_line(line)
        if labels:
            push_names(classes)
            objects += len(labels)
            if crowd and count_crowd:
                crowd_only += 1
        else:
            background += 1
        if refs is not None:
            if boxes:  # image_ref's answer, without its checks of each label
                sizes: list = []
                for a in labels:
                    sizes += (a["bottomX"] - a["topX"], a["bottomY"] - a["topY"])
                refs.append((line, url, ref_details(value), tuple(sizes)))
            else:
                refs.append(image_ref(line, url, value))
        return True

    if task == "object-detection":
        def express(value: dict, raw: bytes, line: int) -> bool:
            try:
                url = value["image_url"]
                labels = value["label"]
            except KeyError:
                return False
            if type(url) is not str or type(labels) is not list or need_labels and not labels or \
                    raw.partition(b"\\")[1]:
                return False
            nkeys = top(value)
            if not nkeys:
                return False
            classes = []
            crowd = True
            try:
                for a in labels:
                    if type(a) is not dict:
                        return False
                    k = len(a)
                    if k == 5:  # label and the four coordinates (a KeyError below if one is missing)
                        crowd = False
                    elif k == 6:  # and isCrowd: 0, 1, false or true
                        c = a["isCrowd"]
                        t = type(c)
                        if t is bool:
                            crowd = crowd and c
                        elif t is int and (c == 0 or c == 1):
                            crowd = crowd and c == 1
                        else:
                            return False
                    else:
                        return False
                    nkeys += k
                    cls = a["label"]
                    if cls not in ready and not admit(cls):
                        return False
                    tx, ty, bx, by = a["topX"], a["topY"], a["bottomX"], a["bottomY"]
                    if not (0.0 <= tx < bx <= 1.0 and 0.0 <= ty < by <= 1.0):  # float constants: float comparisons
                        return False
                    # A boolean compares as 0 or 1: only a box on the image's edge can hold one.
                    if (not tx or not ty or bx == 1.0 or by == 1.0) and (
                            type(tx) is bool or type(ty) is bool or type(bx) is bool or type(by) is bool):
                        return False
                    classes.append(cls)
            except (KeyError, TypeError):  # a missing key; a string, null, list or object where a number is
                return False
            n = url_colons(url)
            if n < 0 or raw.count(b":") != nkeys + n:
                return False
            return commit(value, url, labels, classes, crowd, line, True)

        return express, flush

    def express(value: dict, raw: bytes, line: int) -> bool:
        try:
            url = value["image_url"]
            labels = value["label"]
        except KeyError:
            return False
        if type(url) is not str or type(labels) is not list or need_labels and not labels or \
                raw.partition(b"\\")[1]:
            return False
        nkeys = top(value)
        if not nkeys:
            return False
        classes = []
        crowd = True
        strays = None  # (annotation, segment, vertex) of each stray vertex
        try:
            for a in labels:
                if type(a) is not dict:
                    return False
                k = len(a)
                if k == 2:  # label and polygon (a KeyError below if one is missing)
                    crowd = False
                elif k == 3:  # and isCrowd
                    c = a["isCrowd"]
                    t = type(c)
                    if t is bool:
                        crowd = crowd and c
                    elif t is int and (c == 0 or c == 1):
                        crowd = crowd and c == 1
                    else:
                        return False
                else:
                    return False
                nkeys += k
                cls = a["label"]
                if cls not in ready and not admit(cls):
                    return False
                poly = a["polygon"]
                if type(poly) is not list or not poly:
                    return False
                for segment in poly:
                    if native is not None and native(segment):
                        continue  # the C helper's common case (a list of 6 or more): segment_ok would say True
                    if type(segment) is not list or len(segment) < 6 or len(segment) & 1:
                        return False
                    ok = segment_ok(segment)
                    if ok is not True:
                        if ok is False:
                            return False
                        if strays is None:
                            strays = []
                        strays.append((a, segment, ok))
                # AutoML's box is the polygon's extent, and the mask needs an area (annotation.fast_segmentation).
                ax, ay, bx, by, cx, cy = poly[0][:6]
                if abs((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)) <= 1e-12 and (
                        not (_varies(poly, 0) and _varies(poly, 1)) or collinear(poly)):
                    return False
                classes.append(cls)
        except (KeyError, TypeError):
            return False
        n = url_colons(url)
        if n < 0 or raw.count(b":") != nkeys + n:
            return False
        if strays is not None:  # rare: every object and segment found by identity
            for a, segment, k in strays:
                i = next(i for i, b in enumerate(labels) if b is a)
                j = next(j for j, s in enumerate(a["polygon"]) if s is segment)
                out.append(stray_vertex_finding(segment, k, i, j))
        return commit(value, url, labels, classes, crowd, line, False)

    return express, flush
