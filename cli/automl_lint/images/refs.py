"""The compact facts the image pass keeps per record (no Pillow import here: the engine loads this module)."""

from __future__ import annotations

_NUMBER = (int, float)


def image_ref(line: int, url: str, record: dict) -> tuple:
    """(line, image_url, image_details or None, [(width, height) of each box, normalised])."""
    details = record.get("image_details")
    boxes = []
    labels = record.get("label")
    if type(labels) is list:
        for obj in labels:
            if type(obj) is not dict:
                continue
            size = _box_size(obj) if "topX" in obj else _polygon_size(obj.get("polygon"))
            if size is not None:
                boxes.append(size)
    return line, url, details if type(details) is dict else None, boxes


def _box_size(obj: dict) -> tuple[float, float] | None:
    try:
        x0, y0, x1, y1 = obj["topX"], obj["topY"], obj["bottomX"], obj["bottomY"]
    except KeyError:
        return None
    if type(x0) not in _NUMBER or type(y0) not in _NUMBER or type(x1) not in _NUMBER or type(y1) not in _NUMBER:
        return None
    return x1 - x0, y1 - y0


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
