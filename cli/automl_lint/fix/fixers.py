"""The fixes, keyed by rule code: from a parsed record and a finding's JSON pointer to text operations.

A fixer is called as ``fixer(record, pointer, task, image)`` and returns ``(safety, operations)`` or None when it
cannot know the intended value. ``image`` is what ``--images`` learned about the record's image (an
:class:`~automl_lint.fix.images.Image`), None without ``--images`` or when no size is known, or
:data:`~automl_lint.fix.images.UNPROBED` when the image pass has not checked the record's image (it keeps no
record AutoML skips; a fix may have rewritten the ``image_url``): it is checked before the next round. Operations name values by JSON pointer; :mod:`automl_lint.fix.line` turns them into text edits on the line:

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
from automl_lint.fix.images import UNPROBED
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
def _bom(value, pointer, task, image=None):
    return SAFE, [("strip_bom",)]


@fixer("AML007", "AML013")
def _blank(value, pointer, task, image=None):
    return SAFE, [("delete_line",)]


# --- documented schema --------------------------------------------------------------------------------------

_CROWD_SPELLINGS = {"true": "1", "True": "1", "1": "1", "false": "0", "False": "0", "0": "0"}
_FORMATS = ("jpg", "jpeg", "png", "jpe", "jfif", "bmp", "tif", "tiff")


@fixer("AML102")
def _documented_type(value, pointer, task, image=None):
    if not pointer.endswith("/isCrowd"):
        return None
    crowd = get(value, pointer)
    if type(crowd) is str and crowd in _CROWD_SPELLINGS:  # AutoML reads exactly these as 1 / 0
        return SAFE, [("replace", pointer, _CROWD_SPELLINGS[crowd])]
    return None


@fixer("AML103", "AML107")
def _documented_value(value, pointer, task, image=None):
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
def _normalised_url(value, pointer, task, image=None):
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
def _short_form_url(value, pointer, task, image=None):
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
def _duplicate_class(value, pointer, task, image=None):
    return SAFE, [("delete", pointer)]


@fixer("AML304")
def _class_whitespace(value, pointer, task, image=None):
    name = get(value, pointer)
    if type(name) is not str or not name.strip():
        return None
    return UNSAFE, [("replace", pointer, _dumps(name.strip()))]


# --- annotations --------------------------------------------------------------------------------------------

@fixer("AML401")
def _wrap_annotation(value, pointer, task, image=None):
    if pointer != "/label" or type(value.get("label")) is not dict:
        return None
    return UNSAFE, [("wrap", "/label")]


@fixer("AML405")
def _coerced(value, pointer, task, image=None):
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
def _clip(value, pointer, task, image=None):
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
def _swap(value, pointer, task, image=None):
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
def _crowd(value, pointer, task, image=None):
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


def _frame(value: dict, image) -> tuple[float, float] | None:
    """The width and height pixel coordinates are divided by, or None when they cannot be known.

    AutoML never reads ``image_details``: it multiplies the fractions by the size of the decoded image. With
    ``--images`` that real size is used, unless ``image_details`` states another size (the coordinates may have been
    drawn on another version of the image: a person must say which) or an EXIF rotation by 90 degrees makes the
    PIL-based models and YOLOv5 see the image in different frames. Without a known real size (no ``--images``, or
    the image missing, undecodable or not located), ``image_details``; never guessed.
    """
    if image is UNPROBED:
        return None  # not checked by the image pass yet: it is before the next round
    details = value.get("image_details")
    width = height = None
    if type(details) is dict:
        width, height = _size(details.get("width")), _size(details.get("height"))
    if image is not None:
        if image.orientation >= 5 and image.width != image.height:
            return None
        if width is not None and width != image.width or height is not None and height != image.height:
            return None
        return float(image.width), float(image.height)
    if width is None or height is None:
        return None
    return width, height


@fixer("AML415")
def _pixels(value, pointer, task, image=None):
    ann = get(value, pointer)
    box = _box(ann) if type(ann) is dict else None
    frame = _frame(value, image) if box is not None else None
    if frame is None:
        return None  # never guessed
    width, height = frame
    scaled = [box[0] / width, box[1] / height, box[2] / width, box[3] / height]
    x0, y0, x1, y1 = scaled
    if not (all(0.0 <= v <= 1.0 for v in scaled) and x0 < x1 and y0 < y1):
        return None
    return UNSAFE, [("replace", f"{pointer}/{k}", number_text(v)) for k, v in zip(_BOX_KEYS, scaled)]


def _pixel_polygon(poly) -> bool:
    """Every value a number, none negative, some above 1.5: pixel coordinates (as AML415 judges a box)."""
    if type(poly) is not list or not poly:
        return False
    values = []
    for segment in poly:
        if type(segment) is not list or len(segment) % 2:
            return False
        for v in segment:
            if type(v) not in (int, float) or not math.isfinite(v):
                return False
            values.append(v)
    return bool(values) and min(values) >= 0 and max(values) > 1.5


@fixer("AML505")
def _polygon_pixels(value, pointer, task, image=None):
    if not pointer.endswith("/polygon"):
        return None
    poly = get(value, pointer)
    if not _pixel_polygon(poly):
        return None  # an empty polygon, or one whose valid segments were removed: nothing to scale
    frame = _frame(value, image)
    if frame is None:
        return None
    width, height = frame
    ops = []
    for j, segment in enumerate(poly):
        for k, v in enumerate(segment):
            scaled = v / (width if k % 2 == 0 else height)
            if not 0.0 <= scaled <= 1.0:
                return None  # not pixels of an image of this size
            ops.append(("replace", f"{pointer}/{j}/{k}", number_text(scaled)))
    return UNSAFE, ops


# --- image_details from the real image (--images) -----------------------------------------------------------

def _looks_like_pixels(value: dict) -> bool:
    """Some annotation holds a coordinate above 1.5 (numbers or numeric strings): pixel coordinates, whose
    scale ``image_details`` may be the only record of."""
    labels = value.get("label")
    for ann in labels if type(labels) is list else [labels]:
        if type(ann) is not dict:
            continue
        coords = [ann.get(k) for k in _BOX_KEYS]
        poly = ann.get("polygon")
        if type(poly) is list:
            coords += [v for s in poly if type(s) is list for v in s]
        for v in coords:
            try:
                if type(v) in (int, float, str) and float(v) > 1.5:
                    return True
            except ValueError:
                continue
    return False


@fixer("AML704")
def _real_size(value, pointer, task, image=None):
    if image is None or image is UNPROBED or pointer not in ("/image_details/width", "/image_details/height"):
        return None
    if _looks_like_pixels(value):
        return None  # the declared size may be the one the pixels were drawn at: a person must say
    real = image.width if pointer.endswith("/width") else image.height
    return UNSAFE, [("replace", pointer, str(real))]


# Pillow's format name -> the documented image_details.format spellings (the first is written by default).
_DOCUMENTED = {"JPEG": ("jpg", "jpeg", "jpe", "jfif"), "MPO": ("jpg", "jpeg", "jpe", "jfif"), "PNG": ("png",),
               "BMP": ("bmp",), "TIFF": ("tiff", "tif")}


@fixer("AML703")
def _real_format(value, pointer, task, image=None):
    from automl_lint.rules.images import _format_name

    details = value.get("image_details")
    if image is None or image is UNPROBED or type(details) is not dict or "format" not in details:
        return None
    spellings = _DOCUMENTED.get(image.format)
    declared = _format_name(details["format"])
    if spellings is None or declared is None or declared == _format_name(spellings[0]):
        return None  # GIF, WEBP...: not a documented format; or nothing to correct
    url = value.get("image_url")
    ext = url.split("?", 1)[0].rsplit(".", 1)[-1].lower() if type(url) is str else ""
    return UNSAFE, [("replace", "/image_details/format", _dumps(ext if ext in spellings else spellings[0]))]


# --- polygons -----------------------------------------------------------------------------------------------

@fixer("AML503", "AML504")
def _segment(value, pointer, task, image=None):
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
def _duplicates(value, pointer, task, image=None):
    return None  # a file-level finding: merged by automl_lint.fix.duplicates after the line fixes
