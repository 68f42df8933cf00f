"""The fixes, keyed by rule code: from a parsed record and a finding's JSON pointer to text operations.

A fixer returns ``(safety, operations)`` or None when it cannot know the intended value. Operations name
values by JSON pointer; :mod:`automl_lint.fix.line` turns them into text edits on the line:

    ("replace", pointer, json_text)   write json_text in place of the value
    ("copy", pointer, from_pointer)   write the other value's text as written (swapping corners)
    ("delete", pointer)               remove an array element
    ("wrap", pointer)                 put the value in a list: [value]
    ("strip_bom",) / ("delete_line",)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import orjson

from automl_lint.fix.catalog import CLIP_TOLERANCE, SAFE, UNSAFE
from automl_lint.fix.spans import tokens

Fixer = Callable[[dict, str, str], "tuple[str, list] | None"]
FIXERS: dict[str, Fixer] = {}

_BOX_KEYS = ("topX", "topY", "bottomX", "bottomY")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_INT64 = 2 ** 63


def fixer(*codes: str):
    def register(fn: Fixer) -> Fixer:
        for code in codes:
            FIXERS[code] = fn
        return fn
    return register


def get(value, pointer: str):
    for t in tokens(pointer):
        if type(value) is dict:
            value = value[t]
        elif type(value) is list and t.isdigit():
            value = value[int(t)]
        else:
            raise KeyError(pointer)
    return value


def number_text(x: float) -> str:
    """JSON text for a finite float (Python's shortest repr is valid JSON)."""
    return repr(float(x))


def _parent(pointer: str) -> str:
    return pointer.rpartition("/")[0]


def _dumps(s: str) -> str:
    return orjson.dumps(s).decode()


# --- reading the file -------------------------------------------------------------------------------------

@fixer("AML006")
def _bom(value, pointer, task):
    return SAFE, [("strip_bom",)]


@fixer("AML007", "AML013")
def _blank(value, pointer, task):
    return SAFE, [("delete_line",)]


# --- documented schema --------------------------------------------------------------------------------------

_CROWD_SPELLINGS = {"true": "1", "True": "1", "1": "1", "false": "0", "False": "0", "0": "0"}
_FORMATS = ("jpg", "jpeg", "png", "jpe", "jfif", "bmp", "tif", "tiff")


@fixer("AML102")
def _documented_type(value, pointer, task):
    if not pointer.endswith("/isCrowd"):
        return None
    crowd = get(value, pointer)
    if type(crowd) is str and crowd in _CROWD_SPELLINGS:  # AutoML reads exactly these as 1 / 0
        return SAFE, [("replace", pointer, _CROWD_SPELLINGS[crowd])]
    return None


@fixer("AML103", "AML107")
def _documented_value(value, pointer, task):
    if pointer == "/image_details/format":
        fmt = get(value, pointer)
        if type(fmt) is not str:
            return None
        spelled = fmt.strip().lower().removeprefix("image/").lstrip(".")
        if spelled in _FORMATS and spelled != fmt:
            return SAFE, [("replace", pointer, _dumps(spelled))]
        return None
    if pointer in ("/image_details/width", "/image_details/height"):
        size = get(value, pointer)
        if type(size) is str and size.strip().isdigit() and size.strip().isascii() and int(size) > 0:
            return SAFE, [("replace", pointer, str(int(size)))]
    return None


# --- image_url ----------------------------------------------------------------------------------------------

_SHORT_FORM = re.compile(r"azureml://datastores/([^/]+)/paths/(.+)")


@fixer("AML205")
def _normalised_url(value, pointer, task):
    from automl_lint.rules import image_url

    url = value.get("image_url")
    resolved = image_url.resolve(url) if type(url) is str else None
    if resolved is None:
        return None
    datastore, path = resolved
    if url.startswith("AmlDatastore://"):
        new = f"AmlDatastore://{datastore}/{path}"
    else:
        head = url[:url.index("/paths/") + len("/paths/")]
        new = head + path
    if new == url or not image_url.is_plain(new) or image_url.resolve(new) != resolved:
        return None
    return SAFE, [("replace", "/image_url", _dumps(new))]


@fixer("AML202")
def _short_form_url(value, pointer, task):
    from automl_lint.rules import image_url

    url = value.get("image_url")
    m = _SHORT_FORM.fullmatch(url) if type(url) is str else None
    if m is None:
        return None
    new = f"AmlDatastore://{m.group(1)}/{m.group(2)}"
    if not image_url.is_plain(new):
        return None  # it would need more rewriting: leave it to the person
    return UNSAFE, [("replace", "/image_url", _dumps(new))]


# --- classes ------------------------------------------------------------------------------------------------

@fixer("AML303")
def _duplicate_class(value, pointer, task):
    return SAFE, [("delete", pointer)]


@fixer("AML304")
def _class_whitespace(value, pointer, task):
    name = get(value, pointer)
    if type(name) is not str or not name.strip():
        return None
    return UNSAFE, [("replace", pointer, _dumps(name.strip()))]


# --- annotations --------------------------------------------------------------------------------------------

@fixer("AML401")
def _wrap_annotation(value, pointer, task):
    if pointer != "/label" or type(value.get("label")) is not dict:
        return None
    return UNSAFE, [("wrap", "/label")]


@fixer("AML405")
def _coerced(value, pointer, task):
    v = get(value, pointer)
    if type(v) is bool:
        return SAFE, [("replace", pointer, "1.0" if v else "0.0")]
    if type(v) is not str:
        return None
    try:
        f = float(v)
    except ValueError:
        return None
    if not math.isfinite(f):
        return None
    literal = v.strip()
    if _JSON_NUMBER.fullmatch(literal) and float(literal) == f and not (
            literal.lstrip("-").isdigit() and abs(int(literal)) >= _INT64):
        return SAFE, [("replace", pointer, literal)]
    return SAFE, [("replace", pointer, number_text(f))]


def _box(ann: dict) -> list[float] | None:
    try:
        coords = [ann[k] for k in _BOX_KEYS]
    except KeyError:
        return None
    if any(type(c) not in (int, float) for c in coords):
        return None  # strings are converted first (AML405), in an earlier pass
    return [float(c) for c in coords]


@fixer("AML407")
def _clip(value, pointer, task):
    ann_ptr = _parent(pointer)
    if pointer.endswith("/polygon"):
        return None
    ann = get(value, ann_ptr)
    box = _box(ann) if type(ann) is dict and "polygon" not in ann else None
    if box is None:
        return None
    ops, clipped = [], []
    for k, v in zip(_BOX_KEYS, box):
        if v < -CLIP_TOLERANCE or v > 1 + CLIP_TOLERANCE:
            return None
        c = min(max(v, 0.0), 1.0)
        clipped.append(c)
        if c != v:
            ops.append(("replace", f"{ann_ptr}/{k}", number_text(c)))
    x0, y0, x1, y1 = clipped
    if not ops or x0 == x1 or y0 == y1:
        return None  # clipping would leave no box (an inverted one is swapped by AML408's fix)
    return UNSAFE, ops


@fixer("AML408")
def _swap(value, pointer, task):
    ann_ptr = _parent(pointer)
    ann = get(value, ann_ptr)
    box = _box(ann) if type(ann) is dict else None
    if box is None:
        return None
    x0, y0, x1, y1 = box
    ops = []
    if x0 > x1:
        ops += [("copy", f"{ann_ptr}/topX", f"{ann_ptr}/bottomX"), ("copy", f"{ann_ptr}/bottomX", f"{ann_ptr}/topX")]
    if y0 > y1:
        ops += [("copy", f"{ann_ptr}/topY", f"{ann_ptr}/bottomY"), ("copy", f"{ann_ptr}/bottomY", f"{ann_ptr}/topY")]
    if not ops or x0 == x1 or y0 == y1:
        return None
    return UNSAFE, ops


_CROWD_TRUE_LIKE = frozenset(("true", "t", "yes", "y", "on", "1", "1.0", "crowd"))
_CROWD_FALSE_LIKE = frozenset(("false", "f", "no", "n", "off", "0", "0.0", "none", "null", ""))


@fixer("AML411")
def _crowd(value, pointer, task):
    crowd = get(value, pointer)
    if crowd is None or type(crowd) is bool and not crowd:
        return SAFE, [("replace", pointer, "0")]
    if type(crowd) is not str:
        return None  # 2, 0.5: what was meant cannot be known
    word = crowd.strip().lower()
    if word in _CROWD_FALSE_LIKE:
        return SAFE, [("replace", pointer, "0")]  # AutoML reads 0 already
    if word in _CROWD_TRUE_LIKE:
        return UNSAFE, [("replace", pointer, "1")]
    return None


_PIXELS = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*")


def _size(v) -> float | None:
    if type(v) in (int, float):
        f = float(v)
    elif type(v) is str and _PIXELS.fullmatch(v):
        f = float(_PIXELS.fullmatch(v).group(1))
    else:
        return None
    return f if math.isfinite(f) and f > 0 else None


@fixer("AML415")
def _pixels(value, pointer, task):
    ann = get(value, pointer)
    details = value.get("image_details")
    box = _box(ann) if type(ann) is dict else None
    if box is None or type(details) is not dict:
        return None
    width, height = _size(details.get("width")), _size(details.get("height"))
    if width is None or height is None:
        return None  # never guessed
    scaled = [box[0] / width, box[1] / height, box[2] / width, box[3] / height]
    x0, y0, x1, y1 = scaled
    if not (all(0.0 <= v <= 1.0 for v in scaled) and x0 < x1 and y0 < y1):
        return None
    return UNSAFE, [("replace", f"{pointer}/{k}", number_text(v)) for k, v in zip(_BOX_KEYS, scaled)]


# --- polygons -----------------------------------------------------------------------------------------------

@fixer("AML503", "AML504")
def _segment(value, pointer, task):
    poly_ptr = _parent(pointer)
    poly = get(value, poly_ptr)
    if type(poly) is not list:
        return None
    try:
        kept = [s for s in poly if type(s) is list and len(s) >= 5 and all(0.0 <= v <= 1.0 for v in s)]
    except TypeError:
        return None
    if not kept:
        return None  # AutoML drops the annotation: removing every segment would say nothing more
    return SAFE, [("delete", pointer)]


@fixer("AML604")
def _duplicates(value, pointer, task):
    return None  # a file-level finding: merged by automl_lint.fix.duplicates after the line fixes
