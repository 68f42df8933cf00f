"""AML4xx: object-detection and instance-segmentation annotations, as ``ObjectAnnotation`` reads them.

The check walks a record exactly as AutoML does: the first annotation that raises skips the whole image
(later annotations are not read), an invalid box drops only its annotation, and an image whose
annotations are all invalid is skipped.
"""

from __future__ import annotations

import json
import math
import operator

from automl_lint.problem import Consequence
from automl_lint.rules import polygon as poly_rules
from automl_lint.rules import rule
from automl_lint.problem import quote

F = "annotation"

LABEL_NOT_LIST = rule(
    "AML401", "label-not-a-list", "error", "drops-image",
    "For detection and segmentation, `label` must be a list of annotations.",
    what="Reports a record whose `label` is missing, null, a string or a single object instead of a list.",
    why="AutoML raises 'The provided annotations are not in valid format' and silently skips the image.",
    example='`"label": {"label": "can", "topX": 0.1, ...}` (an object, not a list of objects)',
    fix='Wrap the annotations in a list: `"label": [{...}]`; `[]` marks a background image.',
    family=F,
)
ANNOTATION_NOT_OBJECT = rule(
    "AML402", "annotation-not-an-object", "error", "drops-image",
    "Each annotation must be a JSON object.",
    what="Reports an item of the `label` list that is not an object.",
    why="AutoML raises 'the label column in the dataset should be a dictionary' and skips the whole image, "
    "including its valid annotations.",
    example='`"label": ["can"]` in an object-detection file',
    fix="Write each annotation as an object with `label` and its box or polygon.",
    family=F,
)
ANNOTATION_INCOMPLETE = rule(
    "AML403", "annotation-incomplete", "error", "drops-image",
    "An annotation lacks `label`, or lacks both the four box keys and a `polygon`.",
    what="Reports annotations without a class `label`, or with neither all of `topX`, `topY`, `bottomX`, "
    "`bottomY` nor a `polygon`.",
    why="AutoML raises 'Incomplete Record' and skips the whole image with all its annotations.",
    example='`{"label": "can", "topX": 0.1, "topY": 0.1, "bottomX": 0.5}` (no bottomY)',
    fix="Give every annotation its class and all four box coordinates (or a polygon).",
    family=F,
)
COORDINATE_NOT_NUMERIC = rule(
    "AML404", "coordinate-not-numeric", "error", "drops-image",
    "A box coordinate is not a number AutoML can convert.",
    what="Reports box coordinates that Python's `float()` rejects: null, lists, objects, empty or non-numeric "
    "strings.",
    why="AutoML raises 'Expected int or float types for box coordinates' and skips the whole image.",
    example='`"topX": null`',
    fix="Write coordinates as numbers in [0, 1].",
    family=F,
)
COORDINATE_COERCED = rule(
    "AML405", "coordinate-coerced", "warning", "alters-value",
    "A box coordinate is a string or boolean that AutoML silently converts.",
    what="Reports coordinates given as numeric strings (`\"0.5\"`, `\" 0.5 \"`, `\"1e-1\"`) or booleans, "
    "which AutoML passes through `float()`.",
    why="The documented type is a number; the conversion hides export bugs (`true` becomes 1.0) and other "
    "tools reading the file will not convert.",
    example='`"topX": "0.26"`',
    fix="Write numbers, not strings.",
    family=F,
)
CLASS_LABEL_TYPE = rule(
    "AML406", "class-label-type", "error", "drops-image",
    "An annotation's class `label` must be a string or an integer.",
    what="Reports annotation class labels that are floats (even `2.0`), lists, objects or null.",
    why="The consequence depends on the runtime. Legacy runtime (no `model_name`, or built-in models): AutoML "
    "raises 'Expected a string or an integer for the class field' and skips the whole image. mmdet runtime "
    "(MMDetection models): floats, null and booleans become classes of their own (`true`, `1` and `1.0` are one "
    "class) and MMDetection models that build text prompts from class names need strings; a list or object "
    "fails the job (`TypeError: unhashable type`).",
    example='`{"label": 2.0, "topX": 0.1, ...}`',
    fix='Use class names: `"label": "can"`.',
    family=F,
)
BOX_OUT_OF_RANGE = rule(
    "AML407", "box-out-of-range", "error", "drops-annotation",
    "A box coordinate is outside [0, 1].",
    what="Reports boxes with any coordinate below 0 or above 1 (exactly 0.0 and 1.0 are fine).",
    why="AutoML does not clip: the annotation is silently discarded, even for 1.0000001.",
    example='`"bottomX": 1.02`',
    fix="Clip coordinates to [0, 1] when exporting.",
    family=F,
)
BOX_INVERTED = rule(
    "AML408", "box-inverted", "error", "drops-annotation",
    "The box's bottom-right corner is above or left of its top-left corner.",
    what="Reports boxes with `bottomX < topX` or `bottomY < topY`.",
    why="AutoML does not swap the corners: the annotation is silently discarded.",
    example='`"topX": 0.7, "bottomX": 0.2`',
    fix="Swap the corners (topX/topY is the top-left corner: the smaller values).",
    family=F,
)
BOX_ZERO_SIZE = rule(
    "AML409", "box-zero-size", "error", "drops-annotation",
    "The box has zero width or zero height.",
    what="Reports boxes with `topX == bottomX` or `topY == bottomY`.",
    why="AutoML needs `topX < bottomX` and `topY < bottomY`: the annotation is silently discarded.",
    example='`"topX": 0.4, "bottomX": 0.4`',
    fix="Remove the empty box or fix its coordinates.",
    family=F,
)
BOX_NOT_FINITE = rule(
    "AML410", "box-not-finite", "error", "drops-annotation",
    "A box coordinate converts to NaN or infinity.",
    what='Reports coordinates such as `"nan"` or `"inf"` that `float()` accepts but no box can use.',
    why="The box fails AutoML's range check and the annotation is silently discarded.",
    example='`"topY": "nan"`',
    fix="Compute the real coordinate or drop the annotation.",
    family=F,
)
ISCROWD_READ_AS_ZERO = rule(
    "AML411", "iscrowd-read-as-zero", "error", "alters-value",
    "AutoML reads this `isCrowd` value as 0 (not crowd).",
    what='Reports `isCrowd` values that AutoML silently maps to 0 although they look meant as true: anything '
    'other than `"true"`, `"True"`, `"1"`, `1`, `true` (crowd) or `0`, `false`, `"0"`, `"false"`, `null` '
    '(not crowd), e.g. `"TRUE"`, `"yes"`, `2`.',
    why="AutoML computes `isCrowd in {\"true\", \"True\", \"1\", 1}`; crowd regions are then scored as ordinary "
    "objects in evaluation, lowering the reported mAP.",
    example='`"isCrowd": "TRUE"`',
    fix="Use 0 or 1.",
    family=F,
)
ISCROWD_UNHASHABLE = rule(
    "AML412", "iscrowd-unhashable", "error", "fails-job",
    "`isCrowd` is a list or object: the job crashes.",
    what="Reports `isCrowd` values that are arrays or objects.",
    why="AutoML tests `isCrowd` for membership in a set outside its error handling: `TypeError: unhashable "
    "type` fails the whole job.",
    example='`"isCrowd": []`',
    fix="Use 0 or 1.",
    family=F,
)
POLYGON_OVERRIDES_BOX = rule(
    "AML413", "polygon-overrides-box", "warning", "alters-value",
    "The annotation has a `polygon`, so AutoML ignores its box.",
    what="Reports annotations with both box keys and a `polygon` key (even `null`): AutoML ignores the box and "
    "uses the polygon's extent.",
    why="The box you wrote is not the box that is trained; a null or empty polygon even drops the annotation.",
    example='`{"label": "can", "topX": 0.1, ..., "polygon": [[0.2, 0.2, 0.4, 0.2, 0.4, 0.4]]}`',
    fix="For object detection remove the `polygon` key; for segmentation make the box match the polygon.",
    family=F,
)
CLASS_LABEL_INTEGER = rule(
    "AML414", "class-label-integer", "error", "fails-job",
    "Integer class labels crash the Faster/Mask R-CNN models.",
    what="Reports annotation class labels that are integers (or booleans).",
    why="The R-CNN models add a string '--bg--' class and sort all classes: `TypeError: '<' not supported "
    "between 'int' and 'str'` fails the job. YOLOv5 and RetinaNet accept them.",
    example='`{"label": 3, "topX": 0.1, ...}`',
    fix='Use class names: `"label": "3"` or `"label": "can"`.',
    family=F,
)
BOX_LIKELY_PIXELS = rule(
    "AML415", "box-likely-pixels", "error", "drops-annotation",
    "The box looks like pixel coordinates, not fractions of the image size.",
    what="Reports boxes whose coordinates are well above 1 (all non-negative, some above 1.5).",
    why="AutoML expects fractions in [0, 1] and silently discards the annotation.",
    example='`"topX": 120, "topY": 45, "bottomX": 380, "bottomY": 260`',
    fix="Divide x by the image width and y by the image height.",
    family=F,
)
BACKGROUND_NOT_TRAINED = rule(
    "AML417", "background-image-not-trained", "error", "drops-image",
    "mmdet runtime: a background image (`\"label\": []`) yields no training item.",
    what="Reports, when the data is read by the mmdet runtime (MMDetection models), each line whose `label` is an "
    "empty list.",
    why="The legacy runtime trains background images as negatives. The MMDetection data path returns no item "
    "for an image without a box; its batch is padded with the batch's other images, and a batch holding only "
    "such images fails the job ('All images in the current batch are invalid'). With a batch size of 1 "
    "(instance segmentation's default) every background image is such a batch: the job fails. AML623/AML624 say "
    "whether a failing batch is certain or possible for the whole file.",
    example='`{"image_url": "AmlDatastore://ds/empty_shelf.jpg", "label": []}` with `--runtime mmdet`',
    fix="Remove background images from data for MMDetection models, or annotate them; keep them for the legacy "
    "models.",
    family=F,
)
ALL_ANNOTATIONS_INVALID = rule(
    "AML416", "all-annotations-invalid", "error", "drops-image",
    "Every annotation of the image is invalid, so AutoML skips the image.",
    what="Reports a non-empty `label` list none of whose annotations survives AutoML's checks.",
    why="AutoML logs 'No valid annotations. Skipping image' and drops the image (it is not even kept as a "
    "background image).",
    example='`"label": [{"label": "can", "topX": 0.7, "topY": 0.1, "bottomX": 0.2, "bottomY": 0.5}]`',
    fix="Fix the annotations reported on the same line.",
    family=F,
)

_CROWD_TRUE = frozenset(("true", "True", "1", 1))
# Values read as 0 that plainly mean "not crowd"; anything else read as 0 (null included) is reported.
_CROWD_FALSE_OK = frozenset((0, "0", "false", "False"))
_BOX_KEYS = ("topX", "topY", "bottomX", "bottomY")

VALID, INVALID, SKIP_IMAGE, FAIL = 0, 1, 2, 3


def check_detection(record: dict, out: list, state, segmentation: bool, rcnn: bool, acft=None,
                    count_crowd: bool = False) -> bool:
    """Check one OD/IS record; return True when AutoML keeps the image.

    ``acft`` is None for the legacy runtime, else the mmdet runtime's settings (:class:`automl_lint.runtime.Acft`).
    """
    label = record.get("label")
    if type(label) is not list:
        what = "missing" if "label" not in record else {
            str: "a string", dict: "a single object", type(None): "null"}.get(type(label), type(label).__name__)
        out.append((LABEL_NOT_LIST, "/label", f"label is {what}, not a list of annotations; AutoML skips the image"))
        return False
    if not label:
        state.background_images += 1
        if acft is not None:
            acft.background(out, state)
        return True
    valid_classes = []
    plain_boxes = 0
    for i, ann in enumerate(label):
        outcome = _check_annotation(ann, i, out, segmentation, rcnn, acft)
        if outcome == VALID and acft is not None and type(ann["label"]) in (list, dict):
            out.append((CLASS_LABEL_TYPE, f"/label/{i}/label", f"class label is {_value_desc(ann['label'])}: the "
                        "mmdet runtime adds it to a set of classes and crashes with 'unhashable type'; the job fails",
                        Consequence.FAILS_JOB))
            return False
        if outcome == VALID:
            valid_classes.append(ann["label"])
            if count_crowd and ann.get("isCrowd") not in _CROWD_TRUE:
                plain_boxes += 1
        elif outcome == SKIP_IMAGE:
            if i + 1 < len(label):
                out[-1] = out[-1][:2] + (out[-1][2] + f"; annotations after #{i} are not read",)
            return False
        elif outcome == FAIL:
            return False
    if not valid_classes:
        out.append((ALL_ANNOTATIONS_INVALID, "/label", f"none of the {len(label)} annotation(s) is valid; AutoML "
                    "skips the image"))
        return False
    _check_classes(label, valid_classes, out, rcnn, state, acft)
    for c in valid_classes:
        state.add_class(c, type(c))
    state.objects += len(valid_classes)
    if count_crowd and not plain_boxes:  # COCO evaluation needs a box that is not crowd
        state.crowd_only_images += 1
    if acft is not None:
        acft.annotated(state, valid_classes)
    return True


def crowd_only(annotations: list) -> bool:
    """A schema-valid image's boxes are all crowd (and there is one)."""
    return bool(annotations) and all(a.get("isCrowd") in _CROWD_TRUE for a in annotations)


def _check_classes(label: list, classes: list, out: list, rcnn: bool, state, acft=None) -> None:
    """Class facts visible within one image: AutoML fails or mislabels even if this were the only line."""
    from automl_lint.rules import dataset

    types = {type(c) for c in classes}
    if acft is not None:
        groups = {dataset.sort_group(t) for t in types}
        if len(groups) > 1:
            out.append((dataset.MIXED_CLASS_TYPES, "/label", f"this image's class labels mix "
                        f"{', '.join(sorted(groups))}: the mmdet runtime cannot sort them (TypeError), the job "
                        "fails"))
            state.mixed_type_lines += 1
    elif len(types) > 1 and types != {int, bool}:
        names = ", ".join(sorted(t.__name__ for t in types))
        out.append((dataset.MIXED_CLASS_TYPES, "/label", f"this image's class labels mix {names}: 'More than one "
                    "type found for the class field', the job fails"))
        state.mixed_type_lines += 1
    if not rcnn:
        return
    for i, ann in enumerate(label):
        cls = ann.get("label") if type(ann) is dict else None
        if type(cls) is str and cls in classes and cls <= dataset.BACKGROUND:
            if cls == dataset.BACKGROUND:
                out.append((dataset.CLASS_NAMED_BACKGROUND, f"/label/{i}/label", "the class is literally named "
                            "'--bg--': Faster/Mask R-CNN get two '--bg--' classes and shift this one"))
            else:
                out.append((dataset.CLASS_BEFORE_BACKGROUND, f"/label/{i}/label", f"class {quote(cls)} sorts before "
                            "'--bg--': Faster/Mask R-CNN give it index 0, the background index, and never learn it"))
            return


def _check_annotation(ann, i: int, out: list, segmentation: bool, rcnn: bool, acft=None) -> int:
    p = f"/label/{i}"
    if type(ann) is not dict:
        out.append((ANNOTATION_NOT_OBJECT, p, f"annotation {i} is a JSON {_kind(ann)}, not an object; AutoML skips "
                    "the whole image"))
        return SKIP_IMAGE
    poly = ann.get("polygon", False)
    has_poly = poly is not False
    has_box = "topX" in ann and "topY" in ann and "bottomX" in ann and "bottomY" in ann
    if "label" not in ann or not (has_box or has_poly):
        missing = [k for k in ("label",) + (() if has_poly else _BOX_KEYS) if k not in ann]
        needs = "" if has_box or has_poly else " (and no polygon)"
        out.append((ANNOTATION_INCOMPLETE, p, f"annotation {i} lacks {', '.join(missing)}{needs}: 'Incomplete "
                    "Record', AutoML skips the whole image"))
        return SKIP_IMAGE
    if "isCrowd" in ann:
        crowd = ann["isCrowd"]
        try:
            is_crowd = crowd in _CROWD_TRUE
        except TypeError:
            out.append((ISCROWD_UNHASHABLE, f"{p}/isCrowd", f"isCrowd is a JSON {_kind(crowd)}: AutoML crashes "
                        "with 'unhashable type' and the job fails"))
            return FAIL
        if not is_crowd and crowd not in _CROWD_FALSE_OK:
            out.append((ISCROWD_READ_AS_ZERO, f"{p}/isCrowd", f"isCrowd {quote(crowd)} is read as 0 (not crowd); only "
                        "\"true\", \"True\", \"1\", 1 and true mean crowd"))
    if has_poly:
        try:
            x0, y0, x1, y1 = poly_rules.extent(poly)
        except poly_rules.OddPolygon:
            j = next((j for j, s in enumerate(poly) if len(s) % 2), 0)
            out.append((poly_rules.POLYGON_ODD, f"{p}/polygon/{j}", f"segment {j} of annotation {i} has "
                        f"{len(poly[j])} values (odd); AutoML skips the whole image"))
            return SKIP_IMAGE
        except (TypeError, ValueError):
            out.append((poly_rules.POLYGON_NOT_LIST_OF_LISTS, f"{p}/polygon", f"polygon of annotation {i} is "
                        f"{_poly_shape(poly)}; AutoML skips the whole image"))
            return SKIP_IMAGE
        except Exception:  # noqa: BLE001 - e.g. KeyError on an object: AutoML does not catch it either
            out.append((poly_rules.POLYGON_CRASH, f"{p}/polygon", f"polygon of annotation {i} is a JSON "
                        f"{_kind(poly)}: AutoML crashes with an uncaught {type(_last_exc()).__name__} and the job "
                        "fails"))
            return FAIL
        coerced = None
    else:
        coords = []
        coerced = []
        for k in _BOX_KEYS:
            v = ann[k]
            t = type(v)
            if t is float or t is int:
                coords.append(v)
                continue
            try:
                f = float(v)
            except (TypeError, ValueError):
                out.append((COORDINATE_NOT_NUMERIC, f"{p}/{k}", f"{k} is {_value_desc(v)}, not a number; AutoML "
                            "skips the whole image"))
                return SKIP_IMAGE
            coords.append(f)
            coerced.append((k, v, f))
        x0, y0, x1, y1 = coords
    cls = ann["label"]
    if type(cls) is not str and type(cls) is not int and type(cls) is not bool:
        if acft is None:
            out.append((CLASS_LABEL_TYPE, f"{p}/label", f"class label is {_value_desc(cls)}; AutoML needs a string "
                        "or an integer and skips the whole image"))
            return SKIP_IMAGE
        if type(cls) is float or cls is None:
            out.append((CLASS_LABEL_TYPE, f"{p}/label", f"class label is {_value_desc(cls)}: the mmdet runtime "
                        f"keeps it as the class {cls!r} (equal numbers are one class); MMDetection models with text "
                        "prompts need strings", Consequence.NONE))
    if coerced:
        for k, v, f in coerced:
            if math.isfinite(f):
                out.append((COORDINATE_COERCED, f"{p}/{k}", f"{k} {quote(v)} is silently converted to {f!r}"))
    if type(cls) is not str and rcnn:
        out.append((CLASS_LABEL_INTEGER, f"{p}/label", f"class label {quote(cls)} is not a string: Faster/Mask R-CNN "
                    "fail the job when sorting classes with '--bg--'"))
    elif type(cls) is str and cls != cls.strip():
        from automl_lint.rules.classification import CLASS_NAME_WHITESPACE
        out.append((CLASS_NAME_WHITESPACE, f"{p}/label", f"class name {quote(cls)} has surrounding whitespace"))

    # _validate
    if has_poly:
        if has_box:
            out.append((POLYGON_OVERRIDES_BOX, f"{p}/polygon", f"annotation {i} has a polygon key, so AutoML ignores "
                        "topX/topY/bottomX/bottomY and uses the polygon's extent"))
        if poly and poly[0]:
            kept = poly_rules.clean(poly, f"{p}/polygon", out)
            if not kept:
                out.append((poly_rules.POLYGON_EMPTY, f"{p}/polygon", f"no segment of annotation {i} is left after "
                            "AutoML removes the invalid ones; the annotation is dropped"))
                return INVALID
            if len(kept) != len(poly):
                x0, y0, x1, y1 = poly_rules.extent(kept)
            poly = kept
        else:  # null, [], 0, or an empty first segment: AutoML's box is impossible either way
            what = "is empty" if not poly else "has no usable first segment"
            out.append((poly_rules.POLYGON_EMPTY, f"{p}/polygon", f"polygon {_short(poly)} {what}; AutoML drops the "
                        "annotation"))
            return INVALID
    elif segmentation:
        out.append((poly_rules.POLYGON_MISSING, p, f"annotation {i} has a box but no polygon; instance "
                    "segmentation drops it"))
        return INVALID
    if 0.0 <= x0 <= 1.0 and 0.0 <= y0 <= 1.0 and 0.0 <= x1 <= 1.0 and 0.0 <= y1 <= 1.0:
        if x0 < x1 and y0 < y1:
            if has_poly and poly_rules.is_collinear(poly):
                out.append((poly_rules.POLYGON_COLLINEAR, f"{p}/polygon", f"the points of annotation {i} are "
                            "collinear: the mask is empty"))
            elif has_poly:
                _stray_vertices(ann["polygon"], poly, i, out)
            return VALID
        if has_poly:
            out.append((poly_rules.POLYGON_DEGENERATE, f"{p}/polygon", f"polygon of annotation {i} has zero "
                        f"{'width' if x0 >= x1 else 'height'}; AutoML drops the annotation"))
        elif x0 > x1 or y0 > y1:
            axis, key = ("bottomX < topX", "bottomX") if x0 > x1 else ("bottomY < topY", "bottomY")
            out.append((BOX_INVERTED, f"{p}/{key}", f"box of annotation {i} is inverted ({axis}); AutoML drops the "
                        "annotation (no swapping)"))
        else:
            axis, key = ("width", "bottomX") if x0 == x1 else ("height", "bottomY")
            out.append((BOX_ZERO_SIZE, f"{p}/{key}", f"box of annotation {i} has zero {axis}; AutoML drops the "
                        "annotation"))
        return INVALID
    values = (x0, y0, x1, y1)
    if any(v != v or v in (math.inf, -math.inf) for v in values):
        out.append((BOX_NOT_FINITE, p, f"box of annotation {i} has a NaN or infinite coordinate; AutoML drops the "
                    "annotation"))
    elif min(values) >= 0 and max(values) > 1.5 and not has_poly:
        out.append((BOX_LIKELY_PIXELS, p, f"box of annotation {i} ({_fmt(values)}) looks like pixel coordinates: "
                    "divide x by the image width and y by its height; AutoML drops the annotation"))
    else:
        names = ("topX", "topY", "bottomX", "bottomY")
        bad = [(n, v) for n, v in zip(names, values) if not 0.0 <= v <= 1.0]
        where = "the polygon's extent" if has_poly else "box"
        ptr = f"{p}/polygon" if has_poly else f"{p}/{bad[0][0]}"
        shown = ", ".join(f"{n}={quote(v)}" for n, v in bad)
        out.append((BOX_OUT_OF_RANGE, ptr, f"{where} of annotation {i} is outside [0, 1] ({shown}); AutoML drops the "
                    "annotation (no clipping)"))
    return INVALID


def _stray_vertices(written: list, kept: list, i: int, out: list) -> None:
    for j, segment in enumerate(written):
        if any(segment is k for k in kept):
            k = poly_rules.stray_vertex(segment)
            if k is not None:
                out.append(stray_vertex_finding(segment, k, i, j))


def stray_vertex_finding(segment: list, k: int, i: int, j: int) -> tuple:
    """The AML510 finding for vertex ``k`` of segment ``j`` of annotation ``i`` (the express lane's too)."""
    return (poly_rules.POLYGON_STRAY_VERTEX, f"/label/{i}/polygon/{j}/{2 * k}", f"vertex {k} ({segment[2 * k]:g}, "
            f"{segment[2 * k + 1]:g}) of segment {j} of annotation {i} lies far outside the rest of the outline: "
            "AutoML's box and mask stretch to it")


def _last_exc() -> BaseException:
    import sys

    return sys.exc_info()[1] or Exception()


def _kind(value) -> str:
    return {type(None): "null", bool: "boolean", int: "number", float: "number", list: "array", str: "string",
            dict: "object"}.get(type(value), type(value).__name__)


def _value_desc(v) -> str:
    if v is None:
        return "null"
    if type(v) is str:
        return f"the string {quote(v, 40)}"
    if type(v) is float:
        return f"the float {quote(v)}"
    return f"a JSON {_kind(v)}"


def _poly_shape(poly) -> str:
    if type(poly) is not list:
        return f"a JSON {_kind(poly)}"
    if poly and type(poly[0]) in (int, float):
        return "a flat list of numbers (it needs a list of segments: [[x1, y1, x2, y2, ...]])"
    for seg in poly:
        if type(seg) is list and any(type(v) is str for v in seg):
            return "a list of segments holding strings (coordinates must be numbers)"
        if type(seg) is list and seg and type(seg[0]) is list:
            return "a list of [x, y] point pairs (each segment must be a flat list x1, y1, x2, y2, ...)"
        if type(seg) is list and not seg:
            return "a list with an empty segment"
    return "not a list of flat numeric segments"


def _short(value) -> str:
    try:
        s = json.dumps(value)
    except (TypeError, ValueError):
        s = repr(value)
    return s if len(s) <= 30 else s[:27] + "..."


def _fmt(values) -> str:
    return ", ".join(f"{v:g}" for v in values)


# --- fast path --------------------------------------------------------------------------------------------
# For records that already match the task's JSON Schema, types and ranges are known; what is left to check
# is what a schema cannot say. Any doubt returns False, and the record goes through the full check above.

def fast_detection(ok_classes: set, plain_url, value: dict, raw: bytes, state) -> bool:
    url = value["image_url"]
    labels = value["label"]
    for a in labels:
        if a["topX"] >= a["bottomX"] or a["topY"] >= a["bottomY"] or "polygon" in a or a["label"] not in ok_classes:
            return False
    return _fast_commit(url, labels, plain_url, value, raw, state)


def fast_segmentation(ok_classes: set, plain_url, value: dict, raw: bytes, state) -> bool:
    url = value["image_url"]
    labels = value["label"]
    for a in labels:
        if "topX" in a or "bottomX" in a or "topY" in a or "bottomY" in a or a["label"] not in ok_classes:
            return False
        poly = a["polygon"]
        for segment in poly:
            if len(segment) & 1:
                return False
        # AutoML's box is the polygon's extent, and the mask needs an area. Three non-collinear first points
        # settle both at once (the usual case); otherwise look at every point.
        ax, ay, bx, by, cx, cy = poly[0][:6]
        if abs((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)) <= 1e-12 and (
                not (_varies(poly, 0) and _varies(poly, 1)) or poly_rules.is_collinear(poly)):
            return False
        for segment in poly:
            if len(segment) >= 8 and poly_rules.stray_vertex(segment) is not None:
                return False
    return _fast_commit(url, labels, plain_url, value, raw, state)


def _varies(poly: list, start: int) -> bool:
    first = poly[0][start]
    for segment in poly:
        for k in range(start, len(segment), 2):
            if segment[k] != first:
                return True
    return False


def _fast_commit(url: str, labels: list, plain_url, value: dict, raw: bytes, state) -> bool:
    if not plain_url(url):
        return False
    nkeys = len(value) + sum(map(len, labels))
    details = value.get("image_details")
    if details is not None:
        nkeys += len(details)
    if raw.find(b"\\") != -1 or raw.count(b":") != nkeys + url.count(":"):
        return False  # maybe a duplicate key: the full check decides
    state.keep(url)
    if labels:
        state.count_str_classes(map(_class_of, labels))
        state.objects += len(labels)
    else:
        state.background_images += 1
    return True


_class_of = operator.itemgetter("label")


def class_is_plain(name: str, rcnn: bool) -> bool:
    """A string class name nothing needs to be said about."""
    from automl_lint.rules.dataset import BACKGROUND

    return name == name.strip() and not (rcnn and name <= BACKGROUND)
