#!/usr/bin/env python3
"""Deterministic synthetic AutoML-for-Images JSONL generator (benchmark input).

Tasks:
  od  object detection      1-8 boxes per line
  is  instance segmentation 1-4 objects per line, one polygon of 10-60 points each
  mc  multi-class           one label string per line
  ml  multi-label           a list of 1-3 distinct label strings per line

Everything is drawn from seeded ``random.Random`` instances, so the same
(--task, --seed, --invalid-fraction) always gives byte-identical output, and a
file of N lines is exactly the first N lines of a longer file with the same
options (run.py relies on this to make prefixes and samples).

Invalid lines: with --invalid-fraction F, line i (0-based) is defective iff
floor((i+1)*F) > floor(i*F), i.e. exactly round(F*N) evenly spread lines
(every 10th line for F=0.1, every line for F=1.0).  The *record* on each line is
drawn from the same stream as in the clean file; a separate seeded stream
chooses the defect, so an invalid file is the clean file with some lines
replaced by a broken version of the same record.

Usage:
  python bench/generate.py --task od --lines 1000000 --seed 42 out.jsonl
  python bench/generate.py --task od --lines 1000000 --invalid-fraction 0.1 out.jsonl
"""
from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time

try:
    import orjson

    def _dumps(obj) -> bytes:
        return orjson.dumps(obj)
except ImportError:  # pragma: no cover - fallback, ~5x slower
    import json

    def _dumps(obj) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()


TASKS = ("od", "is", "mc", "ml")

OD_CLASSES = [
    "car", "person", "bicycle", "motorcycle", "bus",
    "truck", "traffic_light", "stop_sign", "dog", "cat",
]
IS_CLASSES = [
    "carton", "milk_bottle", "water_bottle", "can", "cup",
    "bowl", "plate", "fork",
]
MC_CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
    "ship", "truck", "apple", "banana", "orange", "pear", "grape",
    "lemon", "cherry", "peach", "plum", "mango",
]
IMAGE_SIZES = [(640, 480), (1280, 720), (1920, 1080), (800, 600), (1024, 768)]
FORMATS = ["jpg", "jpg", "jpg", "png"]  # weighted towards jpg

SCALE = 10000  # coordinates are k / 10000 -> at most 4 decimals, exact repr


def _guid(rng: random.Random) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Generator:
    """Produces one line (bytes, no newline) per call to ``line(i)``."""

    def __init__(self, task: str, seed: int, invalid_fraction: float):
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}")
        if not 0.0 <= invalid_fraction <= 1.0:
            raise ValueError("--invalid-fraction must be in [0, 1]")
        self.task = task
        self.fraction = invalid_fraction
        self.rng = random.Random(f"{seed}:{task}:records")
        self.drng = random.Random(f"{seed}:{task}:defects")
        sub = _guid(random.Random(f"{seed}:subscription"))
        self.url_prefix = (
            f"azureml://subscriptions/{sub}/resourcegroups/rg/workspaces/ws/"
            f"datastores/workspaceblobstore/paths/data/{task}/img_"
        )
        self.prev_url = None
        self.counts: dict[str, int] = {}
        self._record = {"od": self._od, "is": self._is, "mc": self._mc, "ml": self._ml}[task]
        self._defects = {"od": OD_DEFECTS, "is": IS_DEFECTS, "mc": MC_DEFECTS, "ml": ML_DEFECTS}[task]
        self._defect_names = [d[0] for d in self._defects]
        self._defect_weights = [d[1] for d in self._defects]

    # ---- valid records -------------------------------------------------
    def _common(self, i: int) -> dict:
        rng = self.rng
        w, h = IMAGE_SIZES[int(rng.random() * len(IMAGE_SIZES))]
        fmt = FORMATS[int(rng.random() * len(FORMATS))]
        return {
            "image_url": f"{self.url_prefix}{i:07d}.{fmt}",
            "image_details": {"format": fmt, "width": w, "height": h},
        }

    def _od(self, i: int) -> dict:
        rec = self._common(i)
        r = self.rng.random
        boxes = []
        for _ in range(1 + int(r() * 8)):  # 1..8
            x1 = int(r() * 9000)
            y1 = int(r() * 9000)
            x2 = x1 + 100 + int(r() * (SCALE - 100 - x1))
            y2 = y1 + 100 + int(r() * (SCALE - 100 - y1))
            boxes.append({
                "label": OD_CLASSES[int(r() * len(OD_CLASSES))],
                "topX": x1 / SCALE, "topY": y1 / SCALE,
                "bottomX": x2 / SCALE, "bottomY": y2 / SCALE,
                "isCrowd": 0,
            })
        rec["label"] = boxes
        return rec

    def _is(self, i: int) -> dict:
        rec = self._common(i)
        r = self.rng.random
        objs = []
        tau = 2 * math.pi
        cos, sin = math.cos, math.sin
        for _ in range(1 + int(r() * 4)):  # 1..4 objects
            n = 10 + int(r() * 51)  # 10..60 points
            cx = 0.15 + r() * 0.7
            cy = 0.15 + r() * 0.7
            rad = 0.03 + r() * 0.12
            angles = sorted(r() * tau for _ in range(n))  # star-shaped => simple polygon
            pts = []
            for a in angles:
                rr = rad * (0.6 + 0.4 * r())
                x = int((cx + rr * cos(a)) * SCALE)
                y = int((cy + rr * sin(a)) * SCALE)
                pts.append(min(max(x, 0), SCALE) / SCALE)
                pts.append(min(max(y, 0), SCALE) / SCALE)
            objs.append({
                "label": IS_CLASSES[int(r() * len(IS_CLASSES))],
                "isCrowd": 0,
                "polygon": [pts],
            })
        rec["label"] = objs
        return rec

    def _mc(self, i: int) -> dict:
        rec = self._common(i)
        rec["label"] = MC_CLASSES[int(self.rng.random() * len(MC_CLASSES))]
        return rec

    def _ml(self, i: int) -> dict:
        rec = self._common(i)
        r = self.rng.random
        labels: list[str] = []
        for _ in range(1 + int(r() * 3)):  # 1..3 distinct classes
            name = MC_CLASSES[int(r() * len(MC_CLASSES))]
            if name not in labels:
                labels.append(name)
        rec["label"] = labels
        return rec

    # ---- lines -----------------------------------------------------------
    def is_invalid(self, i: int) -> bool:
        f = self.fraction
        return math.floor((i + 1) * f) > math.floor(i * f)

    def line(self, i: int) -> bytes:
        rec = self._record(i)  # always consumed, keeps the record stream aligned
        url = rec["image_url"]
        if self.fraction and self.is_invalid(i):
            name = self.drng.choices(self._defect_names, self._defect_weights)[0]
            self.counts[name] = self.counts.get(name, 0) + 1
            out = _apply_defect(name, rec, self.drng, self.prev_url)
        else:
            out = _dumps(rec)
        self.prev_url = url
        return out


# ---- defects -------------------------------------------------------------
# (name, weight).  Every defect makes the line invalid for a correct linter.
COMMON_DEFECTS = [
    ("invalid_json", 3),          # truncated / broken JSON text
    ("missing_image_url", 2),
    ("image_url_not_string", 1),
    ("label_not_list", 2),        # single object instead of a list
    ("duplicate_image_url", 2),   # same image_url as the previous line
    ("missing_label", 1),
]
OD_DEFECTS = COMMON_DEFECTS + [
    ("box_out_of_range", 3),      # coordinate > 1 or < 0
    ("pixel_coordinates", 2),     # absolute pixels instead of [0,1]
    ("inverted_box", 3),          # topX > bottomX or topY > bottomY
    ("numeric_string_coordinate", 3),  # "0.25"
    ("missing_box_key", 3),       # e.g. no bottomY
    ("bad_is_crowd", 1),          # isCrowd 2 / "0"
    ("empty_class_name", 1),
]
IS_DEFECTS = COMMON_DEFECTS + [
    ("odd_polygon_count", 3),
    ("polygon_out_of_range", 3),
    ("too_few_points", 2),        # < 3 points
    ("numeric_string_coordinate", 2),
    ("polygon_not_nested", 2),    # flat list instead of list of lists
    ("missing_polygon", 2),
    ("pixel_coordinates", 1),
    ("empty_class_name", 1),
]
MC_DEFECTS = [d for d in COMMON_DEFECTS if d[0] != "label_not_list"] + [
    ("label_is_list", 3),         # ["cat"]: multi-label format in a multi-class file
    ("label_not_string", 2),      # 3
    ("empty_label", 2),           # ""
]
ML_DEFECTS = COMMON_DEFECTS + [
    ("label_item_not_string", 3),  # null or a float among the classes
    ("repeated_class", 2),         # ["cat", "cat"]
]


def _pick_obj(rec, rng):
    objs = rec["label"]
    return objs[int(rng.random() * len(objs))]


def _apply_defect(name: str, rec: dict, rng: random.Random, prev_url) -> bytes:
    if name == "invalid_json":
        raw = _dumps(rec)
        kind = int(rng.random() * 4)
        if kind == 0:  # truncated line (e.g. interrupted write)
            return raw[: max(1, int(len(raw) * (0.2 + 0.6 * rng.random())))]
        if kind == 1:  # trailing comma
            return raw[:-1] + b",}"
        if kind == 2:  # single quotes (Python repr pasted as JSON)
            return raw.replace(b'"', b"'", 4)
        return raw.replace(b'":', b'" ', 1)  # missing colon
    if name == "missing_image_url":
        del rec["image_url"]
    elif name == "image_url_not_string":
        rec["image_url"] = None if rng.random() < 0.5 else 12345
    elif name == "label_not_list":
        rec["label"] = rec["label"][0]  # od/is: one object; ml: one string
    elif name == "duplicate_image_url":
        if prev_url is not None:
            rec["image_url"] = prev_url
        else:  # first line: fall back to a different defect
            del rec["image_url"]
    elif name == "missing_label":
        del rec["label"]
    elif name == "box_out_of_range":
        box = _pick_obj(rec, rng)
        key = ("topX", "topY", "bottomX", "bottomY")[int(rng.random() * 4)]
        box[key] = (-0.05 if key.startswith("top") else 1.0 + round(rng.random() * 0.5 + 0.01, 4))
    elif name == "pixel_coordinates":
        w, h = rec["image_details"]["width"], rec["image_details"]["height"]
        if "polygon" in rec["label"][0]:
            obj = _pick_obj(rec, rng)
            pts = obj["polygon"][0]
            obj["polygon"][0] = [round(v * (w if k % 2 == 0 else h), 1) for k, v in enumerate(pts)]
        else:
            box = _pick_obj(rec, rng)
            for k in ("topX", "bottomX"):
                box[k] = round(box[k] * w, 1)
            for k in ("topY", "bottomY"):
                box[k] = round(box[k] * h, 1)
    elif name == "inverted_box":
        box = _pick_obj(rec, rng)
        if rng.random() < 0.5:
            box["topX"], box["bottomX"] = box["bottomX"], box["topX"]
        else:
            box["topY"], box["bottomY"] = box["bottomY"], box["topY"]
    elif name == "numeric_string_coordinate":
        obj = _pick_obj(rec, rng)
        if "polygon" in obj:
            pts = obj["polygon"][0]
            j = int(rng.random() * len(pts))
            pts[j] = str(pts[j])
        else:
            key = ("topX", "topY", "bottomX", "bottomY")[int(rng.random() * 4)]
            obj[key] = str(obj[key])
    elif name == "missing_box_key":
        box = _pick_obj(rec, rng)
        del box[("topX", "topY", "bottomX", "bottomY", "label")[int(rng.random() * 5)]]
    elif name == "bad_is_crowd":
        _pick_obj(rec, rng)["isCrowd"] = 2 if rng.random() < 0.5 else "0"
    elif name == "empty_class_name":
        _pick_obj(rec, rng)["label"] = ""
    elif name == "odd_polygon_count":
        _pick_obj(rec, rng)["polygon"][0].pop()
    elif name == "polygon_out_of_range":
        pts = _pick_obj(rec, rng)["polygon"][0]
        j = int(rng.random() * len(pts))
        pts[j] = 1.0 + round(0.01 + rng.random() * 0.3, 4) if rng.random() < 0.5 else -0.02
    elif name == "too_few_points":
        obj = _pick_obj(rec, rng)
        obj["polygon"][0] = obj["polygon"][0][:4]
    elif name == "polygon_not_nested":
        obj = _pick_obj(rec, rng)
        obj["polygon"] = obj["polygon"][0]
    elif name == "missing_polygon":
        del _pick_obj(rec, rng)["polygon"]
    elif name == "label_is_list":
        rec["label"] = [rec["label"]]
    elif name == "label_not_string":
        rec["label"] = int(rng.random() * 20)
    elif name == "empty_label":
        rec["label"] = ""
    elif name == "label_item_not_string":
        labels = rec["label"]
        labels[int(rng.random() * len(labels))] = None if rng.random() < 0.5 else 1.5
    elif name == "repeated_class":
        labels = rec["label"]
        labels.append(labels[int(rng.random() * len(labels))])
    else:  # pragma: no cover
        raise AssertionError(name)
    return _dumps(rec)


def generate(task: str, lines: int, path: str, seed: int = 42,
             invalid_fraction: float = 0.0, quiet: bool = False) -> dict:
    """Write ``lines`` lines to ``path`` (atomically, via path + '.tmp')."""
    gen = Generator(task, seed, invalid_fraction)
    tmp = path + ".tmp"
    t0 = time.perf_counter()
    chunk = 20000
    with open(tmp, "wb", buffering=1 << 20) as f:
        line = gen.line
        for start in range(0, lines, chunk):
            stop = min(lines, start + chunk)
            f.write(b"\n".join([line(i) for i in range(start, stop)]))
            f.write(b"\n")
    os.replace(tmp, path)
    info = {
        "task": task, "lines": lines, "seed": seed,
        "invalid_fraction": invalid_fraction,
        "invalid_lines": sum(gen.counts.values()),
        "defects": dict(sorted(gen.counts.items())),
        "bytes": os.path.getsize(path),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    if not quiet:
        print(f"wrote {path}: {lines} lines, {info['bytes'] / 1e6:.1f} MB, "
              f"{info['invalid_lines']} invalid, {info['seconds']} s", file=sys.stderr)
    return info


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("output", help="output .jsonl path")
    p.add_argument("--task", choices=TASKS, default="od")
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--invalid-fraction", type=float, default=0.0,
                   help="fraction of defective lines, e.g. 0, 0.1, 1.0 (default 0)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    info = generate(a.task, a.lines, a.output, a.seed, a.invalid_fraction, a.quiet)
    if not a.quiet and info["defects"]:
        print("defects: " + ", ".join(f"{k}={v}" for k, v in info["defects"].items()),
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
