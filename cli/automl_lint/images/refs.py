"""The compact facts the image pass keeps per record (no Pillow import here: the engine loads this module).

A record's reference is built in the JSONL pass's worker processes and sent back for every image of the run, so it
holds only what the image rules read, in few objects: the ``image_details`` values the rules compare, and the box
sizes as one flat tuple.
"""

from __future__ import annotations

_NUMBER = (int, float)


def image_ref(line: int, url: str, record: dict) -> tuple:
    """(line, image_url, details, boxes): ``details`` is (format, width, height) of a non-empty ``image_details``
    object (None for a missing key) or None; ``boxes`` is (width0, height0, width1, height1, ...), the normalised
    size of each box or polygon extent, in label order (labels without a usable size are left out)."""
    details = record.get("image_details")
    if type(details) is dict and details:
        details = (details.get("format"), details.get("width"), details.get("height"))
    else:
        details = None
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
