"""AML1xx: the documented contract, as stated by the JSON Schemas in ``schemas/``.

The schemas hold the structure; this module only loads them, validates with a compiled validator
(jsonschema-rs) and turns its errors into findings. Where a runtime rule already explains the same
value (what AutoML does with it), the schema finding is not repeated.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

import jsonschema_rs

from automl_lint.rules import rule

F = "schema"

SCHEMA_WRONG_TYPE = rule(
    "AML102", "schema-wrong-type", "warning", "none",
    "A value has a type the documentation does not allow.",
    what="Reports values whose JSON type differs from the documented one and that AutoML nevertheless uses as "
    "written, e.g. an integer multi-class label or `isCrowd` as a string.",
    why="The file depends on undocumented leniency of AutoML's reader.",
    example='`"label": 3` in a multi-class file (documented: a string)',
    fix="Use the documented type (see `automl-lint --print-schema TASK`).",
    family=F,
)
SCHEMA_INVALID_VALUE = rule(
    "AML103", "schema-invalid-value", "warning", "none",
    "A value is outside what the documentation allows.",
    what="Reports values of the right type that the documented schema rejects and AutoML ignores: an "
    "`image_details.format` outside jpg/jpeg/png/jpe/jfif/bmp/tif/tiff, a width of `\"400\"` or `0`, an "
    "`isCrowd` of 2.",
    why="AutoML never reads `image_details`, so wrong values there are harmless today but mislead every other "
    "tool and reader of the file.",
    example='`"image_details": {"format": "gif", "width": "400", "height": 0}`',
    fix="Write the real format and size (`\"400px\"` or 400), or drop `image_details`.",
    family=F,
)
RECORD_SHAPE_MISMATCH = rule(
    "AML104", "record-shape-mismatch", "warning", "none",
    "The record's shape belongs to another task than the file's.",
    what="Reports records whose `label` has the shape of another task than the one given or inferred (e.g. a "
    "multi-label list in a multi-class file).",
    why="Mixed files usually come from concatenating exports of different projects; the runtime rules on the "
    "same line say what AutoML does with the record.",
    example='`"label": ["can"]` in a file whose other lines have `"label": "can"`.',
    fix="Split the file per task, or convert the record.",
    family=F,
)
TASK_NOT_INFERRED = rule(
    "AML105", "task-not-inferred", "error", "none",
    "No record's `label` tells the task, so the file is judged as the task that fares worst.",
    what="Reports, once per file, that `--task auto` found no record whose `label` shows the task (every label "
    "is an empty list, or missing). The file is then checked as each task and judged by the worst outcome, "
    "never passed on a guess.",
    why="`\"label\": []` is a background image in detection and no class at all in classification: whether "
    "AutoML fails the job depends on the task the job is created with, which the file does not say.",
    example='Every line is `{"image_url": "AmlDatastore://ds/a.jpg", "label": []}`.',
    fix="Pass the task of the job: `--task od` (or mc, ml, is), or in the configuration file.",
    family=F,
)
WRONG_TASK = rule(
    "AML106", "wrong-task", "error", "fails-job",
    "Most records have the shape of another task than the one given.",
    what="Reports, once per file instead of on every line, that most of the first 1,000 records have the `label` "
    "shape of another task than `--task` (e.g. detection boxes in a file linted as multi-class). The per-line "
    "findings this causes are not listed; they still count in AutoML's verdict.",
    why="A job created with the wrong task reads every label in the wrong shape: it fails or drops every "
    "image. Usually the option is wrong, not the data.",
    example="`automl-lint od.jsonl --task mc` where every `label` is a list of boxes.",
    fix="Pass the task the records have (`--task od`), or convert the file for the task you want to train.",
    family=F,
)
FORMAT_CASE = rule(
    "AML107", "format-case", "info", "none",
    "`image_details.format` differs from the documented values only by case (`JPEG`), reported once per file.",
    what="Counts the records whose `image_details.format` is a documented value in another case (`JPEG`, `Png`) "
    "and reports them once for the file, with the first line, instead of a schema finding on every line.",
    why="The documentation lists lower-case values, but AutoML never reads `image_details.format`: the spelling "
    "is harmless for training and only matters to other tools that read the file.",
    example='`"image_details": {"format": "JPEG", "width": 300, "height": 300}` on every line of an export.',
    fix="Lower-case the value (`jpeg`), or ignore the rule (`--ignore AML107`).",
    family=F,
)
PREDICTION_MISSING_KEY = rule(
    "AML151", "prediction-missing-key", "error", "none",
    "A prediction record lacks a key of the documented output format.",
    what="Reports prediction records (`--kind predictions`) without `probs`/`labels` (classification), `boxes`, "
    "`box`, `label`, `score` (detection) or `polygon` (segmentation).",
    why="Code consuming AutoML's predictions (evaluation, post-processing) expects the documented format.",
    example='`{"filename": "/tmp/a.jpg", "boxes": [{"box": {...}, "label": "can"}]}` (no score)',
    fix="Produce the output with AutoML's scoring script, or follow `automl-lint --print-schema od --kind "
    "predictions`.",
    family=F,
)
PREDICTION_INVALID = rule(
    "AML152", "prediction-invalid-value", "error", "none",
    "A prediction value has the wrong type or is out of range.",
    what="Reports prediction values of the wrong type, or probabilities, scores and coordinates outside [0, 1].",
    why="Such values cannot come from AutoML's scoring: the file was altered or produced by other code.",
    example='`"score": 1.7` or `"box": {"topX": 120, ...}`',
    fix="Normalise coordinates and scores to [0, 1].",
    family=F,
)

TASK_FILES = {
    "multiclass": "multiclass",
    "multilabel": "multilabel",
    "object-detection": "object-detection",
    "instance-segmentation": "instance-segmentation",
}


def schema_name(task: str, kind: str) -> str:
    return f"{kind}-{TASK_FILES[task]}.json"


@lru_cache(maxsize=None)
def load_schema(task: str, kind: str = "training") -> dict:
    name = schema_name(task, kind)
    # The package's own folder: schemas/ of the checkout in an editable install, automl_lint/schemas/ in a wheel's.
    # (importlib.resources finds the same file at ~7 ms a run, most of it importing its readers.)
    from automl_lint import schemas

    with open(os.path.join(os.path.dirname(schemas.__file__), name), encoding="utf-8") as fh:
        text = fh.read()
    return json.loads(text)


@lru_cache(maxsize=None)
def validator(task: str, kind: str = "training"):
    return jsonschema_rs.Draft202012Validator(load_schema(task, kind))


def pointer(path) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


# The schema explains the first items of a long array; the validator builds every error before the first is
# seen (~70 us each), so a record of 200,000 wrong labels would otherwise take seconds.
EXPLAINED_ITEMS = 1000


def _first_items(value, depth: int = 0):
    """``value`` with every array cut to its first EXPLAINED_ITEMS items (a copy only where something is cut)."""
    if depth > 8:
        return value
    if type(value) is list:
        items = value[:EXPLAINED_ITEMS]
        cut = [_first_items(v, depth + 1) for v in items]
        return cut if len(value) > EXPLAINED_ITEMS or any(a is not b for a, b in zip(cut, items)) else value
    if type(value) is dict:
        cut = {k: _first_items(v, depth + 1) for k, v in value.items()}
        return cut if any(cut[k] is not value[k] for k in value) else value
    return value


FORMATS = ("jpg", "jpeg", "png", "jpe", "jfif", "bmp", "tif", "tiff")


def explain(value: dict, task: str, kind: str, covered: list[str], out: list, state=None) -> None:
    """Append schema findings for ``value`` not already explained by a runtime finding.

    An ``image_details.format`` that differs from the documented values only by case ("JPEG") is counted in
    ``state`` and reported once for the file: AutoML never reads it, and one finding per line would be noise.
    """
    predictions = kind == "predictions"
    covered = _Covered(covered)
    for err in validator(task, kind).iter_errors(_first_items(value)):
        ptr = pointer(err.instance_path)
        kind_name = type(err.kind).__name__
        if state is not None and ptr == "/image_details/format" and _format_case_only(value):
            state.note_format_case(value["image_details"]["format"])
            continue
        if kind_name == "Required":
            missing = getattr(err.kind, "property", None)
            key_ptr = f"{ptr}/{missing}" if isinstance(missing, str) else ptr
            if _covered(key_ptr, covered):
                continue
            # Every key a training schema requires is one AutoML needs, so a runtime rule has covered it.
            r = PREDICTION_MISSING_KEY if predictions else SCHEMA_INVALID_VALUE
            out.append((r, key_ptr, f"{err.message} (documented schema)"))
            continue
        if _covered(ptr, covered):
            continue
        if predictions:
            r = PREDICTION_INVALID
        elif kind_name == "Type":
            r = SCHEMA_WRONG_TYPE
        else:
            r = SCHEMA_INVALID_VALUE
        out.append((r, ptr, f"{err.message} (documented schema)"))


def _format_case_only(value: dict) -> bool:
    fmt = value["image_details"].get("format")
    return type(fmt) is str and fmt not in FORMATS and fmt.lower() in FORMATS


class _Covered:
    """The pointers runtime findings already explain, looked up in O(depth) (many findings on one line stay linear).

    A schema error at ``ptr`` is covered by a finding at ``ptr``, at an ancestor of it, or (two levels deep or
    more) at a descendant of it.
    """

    def __init__(self, pointers: list[str]) -> None:
        self.exact = set(pointers)
        self.below = set()  # every proper ancestor of a covered pointer
        for c in self.exact:
            i = c.rfind("/")
            while i > 0:
                self.below.add(c[:i])
                i = c.rfind("/", 0, i)

    def __contains__(self, ptr: str) -> bool:
        if ptr in self.exact or "" in self.exact or (ptr in self.below and ptr.count("/") >= 2):
            return True
        i = ptr.rfind("/")
        while i > 0:
            if ptr[:i] in self.exact:
                return True
            i = ptr.rfind("/", 0, i)
        return False


def _covered(ptr: str, covered: _Covered) -> bool:
    return ptr in covered
