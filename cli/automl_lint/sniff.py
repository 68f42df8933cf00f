"""What a file is when it is not AutoML's JSONL: COCO JSON, Pascal VOC XML, YOLO labels, CSV (rule AML016).

Decided from the first lines only, and only when most of them are not JSON objects, so that a JSONL file
with a few broken lines is still checked line by line.
"""

from __future__ import annotations

import re

import orjson

NEEDS = "AutoML needs JSON Lines: one object per line with image_url and label"
_YOLO = re.compile(rb"^\s*\d+(\s+-?(\d+\.?\d*|\.\d+)([eE]-?\d+)?){4,}\s*$")
_CSV_HEADER = re.compile(rb"^\s*\"?[A-Za-z_][\w .\"-]*\"?(\s*[,;\t]\s*\"?[A-Za-z_][\w .\"-]*\"?)+\s*$")


def foreign_format(path: str, head: list) -> str | None:
    """A one-line description of what the file is and what AutoML needs, or None when it may be JSONL."""
    lines = [raw.strip() for raw in head if raw and raw.strip()]
    if not lines:
        return None
    lines[0] = lines[0].lstrip(b"\xef\xbb\xbf")
    if len(lines) == 1 and _is_coco(lines[0]):
        return _COCO
    objects = 0
    for raw in lines:  # stops once most lines are objects: a JSONL file's head is parsed half
        if _is_object(raw):
            objects += 1
            if objects * 2 > len(lines):
                return None
    first = lines[0]
    text = b"\n".join(lines)
    if first.startswith(b"<"):
        if b"<annotation" in text and (b"<bndbox" in text or b"<object" in text or b"<filename" in text):
            return f"this is a Pascal VOC XML annotation, not JSONL; {NEEDS} (convert the XML files to one JSONL)"
        return f"this is an XML document, not JSONL; {NEEDS}"
    if first.startswith((b"{", b"[")):
        if len(lines) >= 3 and first.endswith((b"{", b"[")) and b'"images"' in text and (
                b'"annotations"' in text or b'"categories"' in text):
            return _COCO
        if objects == 0 and len(lines) >= 3 and first.endswith((b"{", b"[", b",")):  # a pretty-printed document
            return f"this is one JSON document spread over several lines, not JSONL; {NEEDS}"
        return None
    if all(_YOLO.match(raw) for raw in lines):
        return (f"these are YOLO .txt labels (class index and normalised centre, width, height), not JSONL; "
                f"{NEEDS}, the class name and the box corners topX, topY, bottomX, bottomY")
    if objects == 0 and _CSV_HEADER.match(first) and len(lines) > 1 and _same_separators(lines):
        return f"this is a CSV table, not JSONL; {NEEDS} (write one JSON object per row)"
    return None


_COCO = (f"this is a COCO JSON document (images, annotations, categories), not JSONL; {NEEDS} (convert it, "
         "e.g. with the COCO-to-JSONL converter of azureml-examples)")


def _is_coco(raw: bytes) -> bool:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return type(value) is dict and "images" in value and ("annotations" in value or "categories" in value)


def _is_object(raw: bytes) -> bool:
    try:
        return type(orjson.loads(raw)) is dict
    except orjson.JSONDecodeError:
        return False


def _same_separators(lines: list) -> bool:
    sep = next((s for s in (b",", b";", b"\t") if s in lines[0]), None)
    if sep is None:
        return False
    rows = lines[1:50]
    return sum(1 for raw in rows if sep in raw) * 2 > len(rows)
