"""The compact facts the image pass keeps per record (no Pillow import here: the engine loads this module).

A record's reference is built in the JSONL pass's worker processes and sent back for every image of the run, so it
holds only what the image rules read, in few objects: the ``image_details`` values the rules compare, and the box
sizes as one flat tuple.
"""

from __future__ import annotations

_NUMBER = (int, float)
# The details tuples of this process, one of each: a dataset has a handful of formats and sizes, so the references
# share them, and pickling a range's references sends each once (the parent builds fewer objects). Only tuples of a
# string and two ints are shared: equal tuples of other types can differ in type (640 == 640.0, 1 == True).
_DETAILS: dict = {}
_DETAILS_MAX = 4096


def image_ref(line: int, url: str, record: dict) -> tuple:
    """(line, image_url, details, boxes): ``details`` is (format, width, height) of a non-empty ``image_details``
    object (None for a missing key) or None; ``boxes`` is (width0, height0, width1, height1, ...), the normalised
    size of each box or polygon extent, in label order (labels without a usable size are left out)."""
    details = ref_details(record)
    labels = record.get("label")
    if type(labels) is not list or not labels:
        return line, url, details, ()
    boxes: list = []
    for obj in labels:
        if type(obj) is not dict:
            continue
        if "topX" in obj:
            x0, y0, x1, y1 = obj["topX"], obj.get("topY"), obj.get("bottomX"), obj.get("bottomY")
            if type(x0) in _NUMBER and type(y0) in _NUMBER and type(x1) in _NUMBER and type(y1) in _NUMBER:
                boxes += (x1 - x0, y1 - y0)
        else:
            size = _polygon_size(obj.get("polygon"))
            if size is not None:
                boxes += size
    return line, url, details, tuple(boxes)


def ref_details(record: dict) -> tuple | None:
    """The ``details`` of :func:`image_ref`: (format, width, height) of a non-empty ``image_details``, or None."""
    details = record.get("image_details")
    if type(details) is not dict or not details:
        return None
    f, w, h = key = details.get("format"), details.get("width"), details.get("height")
    if type(f) is str and type(w) is int and type(h) is int:
        shared = _DETAILS.get(key)
        if shared is not None:
            return shared
        if len(_DETAILS) < _DETAILS_MAX:
            _DETAILS[key] = key
    return key


def _polygon_size(polygon) -> tuple[float, float] | None:
    if type(polygon) is not list:
        return None
    xs, ys = [], []
    for ring in polygon:
        if type(ring) is not list:
            return None
        for i, v in enumerate(ring):
            if type(v) not in _NUMBER:
                return None
            (xs if i % 2 == 0 else ys).append(v)
    if not xs or not ys:
        return None
    return max(xs) - min(xs), max(ys) - min(ys)
