"""Task names, their aliases, and inferring the task from the records' shape."""

from __future__ import annotations

from collections import Counter

ALIASES = {
    "mc": "multiclass", "multiclass": "multiclass", "multi-class": "multiclass",
    "image-classification": "multiclass",
    "ml": "multilabel", "multilabel": "multilabel", "multi-label": "multilabel",
    "image-classification-multilabel": "multilabel",
    "od": "object-detection", "object-detection": "object-detection", "image-object-detection": "object-detection",
    "is": "instance-segmentation", "instance-segmentation": "instance-segmentation",
    "image-instance-segmentation": "instance-segmentation",
    "auto": "auto",
}

INFER_SAMPLE = 1000
SHORT = {"multiclass": "mc", "multilabel": "ml", "object-detection": "od", "instance-segmentation": "is"}


def normalise(name: str) -> str | None:
    return ALIASES.get(name.strip().lower())


def shape_of(record: dict, kind: str = "training") -> str | None:
    """The task a record's shape belongs to, or None when it cannot tell (e.g. ``"label": []``)."""
    if kind == "predictions":
        boxes = record.get("boxes")
        if type(boxes) is list:
            if any(type(b) is dict and "polygon" in b for b in boxes):
                return "instance-segmentation"
            return "object-detection" if boxes else None
        return "multiclass" if "probs" in record else None
    label = record.get("label")
    t = type(label)
    if t is str or t is int:
        return "multiclass"
    if t is list and label:
        first = label[0]
        if type(first) is dict:
            if any(type(a) is dict and "polygon" in a for a in label):
                return "instance-segmentation"
            return "object-detection"
        if type(first) in (str, int):
            return "multilabel"
    return None


def infer(shapes: Counter) -> str | None:
    """Pick the task most records' shape says; segmentation wins over detection when both appear."""
    if not shapes:
        return None
    if shapes.get("instance-segmentation") and shapes.get("object-detection", 0) <= shapes["instance-segmentation"]:
        return "instance-segmentation"
    return shapes.most_common(1)[0][0]


def family(task: str) -> str:
    return "classification" if task in ("multiclass", "multilabel") else "detection"
