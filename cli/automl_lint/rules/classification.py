"""AML3xx: image classification labels (``AmlDatasetWrapper``, multi-class and multi-label)."""

from __future__ import annotations

from automl_lint.rules import rule
from automl_lint.problem import quote

F = "classification"

MULTICLASS_LABEL_TYPE = rule(
    "AML301", "multiclass-label-type", "error", "drops-image",
    "A multi-class `label` must be a string or an integer.",
    what="Reports a multi-class record whose `label` is missing, null, a list, a float, an object or a boolean "
    "in an all-boolean column.",
    why="AutoML keeps only rows whose label is a `str` or `int`; the others are silently dropped with a warning "
    "('Label should be a string or integer for multiclass').",
    example='`{"image_url": "AmlDatastore://ds/a.jpg", "label": ["cat"]}` (a list: multi-label shape)',
    fix='Write one class per image: `"label": "cat"`. For several classes per image use the multi-label task.',
    family=F,
)
MULTILABEL_LABEL_TYPE = rule(
    "AML302", "multilabel-label-type", "error", "drops-image",
    "A multi-label `label` must be a list of strings or integers.",
    what="Reports a multi-label record whose `label` is not a list, or holds items that are not strings or "
    "integers (floats, nulls, nested lists, objects).",
    why="AutoML silently drops such rows ('Label should be a list of strings or integers for multilabel').",
    example='`{"image_url": "AmlDatastore://ds/a.jpg", "label": "cat"}`',
    fix='Use a list even for one class: `"label": ["cat"]`; `[]` marks an image with none of the classes.',
    family=F,
)
MULTILABEL_DUPLICATE = rule(
    "AML303", "multilabel-duplicate-class", "warning", "alters-value",
    "A multi-label list names the same class twice.",
    what="Reports repeated items in a multi-label `label` list.",
    why="AutoML collapses them in the one-hot target but counts them twice in its class frequencies, "
    "which skews the loss weighting.",
    example='`"label": ["cat", "cat", "dog"]`',
    fix="List each class once.",
    family=F,
)
CLASS_NAME_WHITESPACE = rule(
    "AML304", "class-name-whitespace", "warning", "none",
    "A class name has leading or trailing whitespace.",
    what="Reports class names with surrounding whitespace (in every task).",
    why="AutoML never trims class names: `'cat '` and `'cat'` are two classes, and a name starting with a space "
    "sorts before `--bg--` and is treated as background by the R-CNN models (AML605).",
    example='`"label": "cat "`',
    fix="Trim the class names.",
    family=F,
)


def check_multiclass(record: dict, out: list, state) -> bool:
    """Return True when AutoML keeps the record."""
    label = record.get("label")
    t = type(label)
    if t is str:
        state.add_class(label, str)
        if label != label.strip():
            out.append((CLASS_NAME_WHITESPACE, "/label", f"class name {quote(label)} has surrounding whitespace"))
        return True
    if t is int or t is bool:
        state.add_class(label, t)
        return True
    if "label" not in record:
        what = "missing"
    elif t is list:
        what = "a list (the multi-label shape)"
    elif t is float:
        what = f"a float ({quote(label)})"
    else:
        what = {type(None): "null", dict: "an object"}.get(t, t.__name__)
    out.append((MULTICLASS_LABEL_TYPE, "/label", f"label is {what}; multi-class needs a string or an integer, "
                "so AutoML drops the image"))
    return False


def check_multilabel(record: dict, out: list, state) -> bool:
    label = record.get("label")
    if type(label) is not list:
        if "label" not in record:
            what = "missing"
        elif type(label) is str:
            what = f"a string ({quote(label)}), not a list"
        else:
            what = {type(None): "null", dict: "an object"}.get(type(label), type(label).__name__)
        out.append((MULTILABEL_LABEL_TYPE, "/label", f"label is {what}; multi-label needs a list of strings or "
                    "integers, so AutoML drops the image"))
        return False
    for i, item in enumerate(label):
        if type(item) not in (str, int, bool):
            kind = {type(None): "null", list: "a list", dict: "an object", float: f"a float ({quote(item)})"}.get(
                type(item), type(item).__name__)
            out.append((MULTILABEL_LABEL_TYPE, f"/label/{i}", f"item {i} of label is {kind}; AutoML drops the "
                        "image"))
            return False
    if str in {type(x) for x in label} and len({type(x) for x in label}) > 1:
        from automl_lint.rules.dataset import MIXED_CLASS_TYPES

        out.append((MIXED_CLASS_TYPES, "/label", "this list mixes string and integer classes: sorting the classes "
                    "raises a TypeError and the job fails"))
        state.mixed_type_lines += 1
    seen = set()
    for i, item in enumerate(label):
        if item in seen and type(item) is not bool:
            out.append((MULTILABEL_DUPLICATE, f"/label/{i}", f"class {quote(item)} is listed more than once; AutoML "
                        "collapses it but counts it twice in class frequencies"))
        seen.add(item)
        if type(item) is str and item != item.strip():
            out.append((CLASS_NAME_WHITESPACE, f"/label/{i}", f"class name {quote(item)} has surrounding whitespace"))
    for item in label:
        state.add_class(item, type(item))
    if not label:
        state.empty_label_lines += 1
    return True


# --- fast path (records already valid against the task's JSON Schema) ----------------------------------------
# Types are known; only what a schema cannot say is left. Any doubt returns False and the record goes through
# the full check above (tests/test_fast_path.py pins both to the same result).

def fast_multiclass(ok_classes: set, plain_url, value: dict, raw: bytes, state) -> bool:
    url = value["image_url"]
    label = value["label"]
    if label not in ok_classes or not plain_url(url):
        return False
    details = value.get("image_details")
    nkeys = len(value) + (len(details) if details is not None else 0)
    if raw.find(b"\\") != -1 or raw.count(b":") != nkeys + url.count(":"):
        return False  # maybe a duplicate key: the full check decides
    state.keep(url)
    counts = state.classes
    if label in counts:
        counts[label] += 1
    else:
        state.add_class(label, str)
    return True


def fast_multilabel(ok_classes: set, plain_url, value: dict, raw: bytes, state) -> bool:
    url = value["image_url"]
    label = value["label"]
    if not ok_classes.issuperset(label) or len(set(label)) != len(label) or not plain_url(url):
        return False
    details = value.get("image_details")
    nkeys = len(value) + (len(details) if details is not None else 0)
    if raw.find(b"\\") != -1 or raw.count(b":") != nkeys + url.count(":"):
        return False
    state.keep(url)
    if label:
        state.count_str_classes(label)
    else:
        state.empty_label_lines += 1
    return True
