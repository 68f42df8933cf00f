"""One record drawn as SVG: its boxes and polygons (or class names) on its image or on an empty frame.

Every annotation of the record becomes one ``<g class="ann">`` with ``data-line``, ``data-index`` and
``data-consequence`` (what AutoML does with it, from the findings on its line), even when it cannot be drawn
(then it is listed under the frame). The style says the consequence by more than colour: dropped annotations
are dashed and labelled with a cross, altered ones dotted with a tilde, flagged ones (used as written) solid
and thick with an exclamation mark, clean ones thin and solid.
"""

from __future__ import annotations

import math

from automl_lint.problem import Consequence, Problem

# consequence -> (style class, label prefix)
DROPPED, ALTERED, FLAGGED, CLEAN = "dropped", "altered", "flagged", "clean"
_PREFIX = {DROPPED: "\u2717 ", ALTERED: "~ ", FLAGGED: "! ", CLEAN: ""}
_WHOLE_IMAGE = (Consequence.FAILS_JOB, Consequence.DROPS_IMAGE)
_BOX_KEYS = ("topX", "topY", "bottomX", "bottomY")
FRAME_LONG_SIDE = 240.0  # drawing units of the longer side of the image frame
_VIEW_LIMIT = 3.0  # the view reaches at most this many frames beyond the image on each side


def style_of(consequence: Consequence | None) -> str:
    if consequence is None:
        return CLEAN
    if consequence in (Consequence.FAILS_JOB, Consequence.DROPS_IMAGE, Consequence.DROPS_ANNOTATION):
        return DROPPED
    return ALTERED if consequence is Consequence.ALTERS_VALUE else FLAGGED


def annotation_consequences(problems: list[Problem], count: int) -> list[Consequence | None]:
    """The worst consequence that applies to each of ``count`` annotations; None where no finding applies.

    A finding under ``/label/<i>`` applies to annotation i; one that drops the image or fails the job applies
    to every annotation of the line.
    """
    worst: list[Consequence | None] = [None] * count
    for p in problems:
        if p.consequence in _WHOLE_IMAGE:
            targets = range(count)
        else:
            i = annotation_index(p.pointer)
            targets = (i,) if i is not None and i < count else ()
        for i in targets:
            if worst[i] is None or p.consequence.rank > worst[i].rank:
                worst[i] = p.consequence
    return worst


def annotation_index(pointer: str) -> int | None:
    parts = pointer.split("/")
    if len(parts) > 2 and parts[1] == "label" and parts[2].isdigit():
        return int(parts[2])
    return None


def annotations_of(record, task: str | None) -> list:
    """The annotations of a record as AutoML counts them: the label list (or the one object or class)."""
    if type(record) is not dict or "label" not in record:
        return []
    label = record["label"]
    if type(label) is list:
        return label
    return [label]


def class_of(annotation) -> str | None:
    if type(annotation) is dict:
        cls = annotation.get("label")
        return None if isinstance(cls, (dict, list)) else str(cls)
    if isinstance(annotation, (dict, list)):
        return None
    return str(annotation)


def _number(value) -> float | None:
    if type(value) is bool:
        return None
    try:
        f = float(value)  # AutoML converts numeric strings
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def shapes_of(annotation) -> list[list[tuple[float, float]]] | None:
    """Polygon segments, or the box as one 4-point ring, in image fractions; None when nothing can be drawn."""
    if type(annotation) is not dict:
        return None
    polygon = annotation.get("polygon")
    if type(polygon) is list and polygon:
        rings = []
        for segment in polygon:
            if type(segment) is not list:
                return None
            values = [_number(v) for v in segment]
            if any(v is None for v in values) or len(values) < 4:
                continue
            rings.append(list(zip(values[0::2], values[1::2])))
        return rings or None
    if all(k in annotation for k in _BOX_KEYS):
        x0, y0, x1, y1 = (_number(annotation[k]) for k in _BOX_KEYS)
        if None in (x0, y0, x1, y1):
            return None
        return [[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]]
    return None


def frame_size(width: float | None, height: float | None) -> tuple[float, float]:
    """Drawing units of the image frame: the declared or real aspect, longer side FRAME_LONG_SIDE."""
    if not width or not height or width <= 0 or height <= 0:
        return FRAME_LONG_SIDE, FRAME_LONG_SIDE
    scale = FRAME_LONG_SIDE / max(width, height)
    return width * scale, height * scale


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def draw(record, line: int, problems: list[Problem], task: str | None, size: tuple[float, float],
         image: str | None, esc) -> tuple[str, list[str]]:
    """SVG of the record and the HTML list of its annotations that cannot be drawn.

    ``size``: the frame in drawing units; ``image``: a ``data:`` URI of the thumbnail, or None for an empty frame;
    ``esc``: escapes text and attribute values.
    """
    w, h = size
    anns = annotations_of(record, task)
    worst = annotation_consequences(problems, len(anns))
    detection = task in ("object-detection", "instance-segmentation") or any(
        type(a) is dict and ("polygon" in a or "topX" in a) for a in anns)
    drawn: list[str] = []
    listed: list[str] = []
    x_lo, y_lo, x_hi, y_hi = 0.0, 0.0, w, h
    font = FRAME_LONG_SIDE / 17
    placed: list[tuple[float, float]] = []  # label positions, so that labels at one corner do not overprint
    for i, ann in enumerate(anns):
        consequence = worst[i]
        style = style_of(consequence)
        cls = class_of(ann)
        text = _PREFIX[style] + (cls if cls is not None else "?")
        attrs = (f'class="ann {style}" data-line="{line}" data-index="{i}" '
                 f'data-consequence="{consequence.value if consequence else "none"}" '
                 f'data-class="{esc(cls if cls is not None else "")}"')
        rings = shapes_of(ann) if detection else None
        if rings is None:
            if detection:
                listed.append(f'<li {attrs}>annotation {i} ({esc(text)}): cannot be drawn</li>')
            else:  # a class of a classification record: a tag on the image
                y = font * 1.3 * (i + 1)
                drawn.append(f'<g {attrs}><text x="{_fmt(font * 0.4)}" y="{_fmt(y)}" font-size="{_fmt(font)}">'
                             f'{esc(text)}</text></g>')
            continue
        parts = []
        lx, ly = math.inf, math.inf
        fx = [x for ring in rings for x, _ in ring]
        fy = [y for ring in rings for _, y in ring]
        if min(fx) < -_VIEW_LIMIT or max(fx) > 1 + _VIEW_LIMIT or min(fy) < -_VIEW_LIMIT or max(fy) > 1 + _VIEW_LIMIT:
            listed.append(f"<li>annotation {i} ({esc(text)}) reaches beyond the drawing: x {min(fx):g} to "
                          f"{max(fx):g}, y {min(fy):g} to {max(fy):g} image widths and heights</li>")
        for ring in rings:
            pts = [(x * w, y * h) for x, y in ring]
            for x, y in pts:
                x_lo, y_lo, x_hi, y_hi = min(x_lo, x), min(y_lo, y), max(x_hi, x), max(y_hi, y)
            lx, ly = min(lx, min(p[0] for p in pts)), min(ly, min(p[1] for p in pts))
            parts.append('<polygon points="' + " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in pts) + '"/>')
        ly -= font * 0.25
        while any(abs(px - lx) < font * 5 and abs(py - ly) < font for px, py in placed):
            ly += font * 1.1
        placed.append((lx, ly))
        drawn.append(f'<g {attrs}>{"".join(parts)}<text x="{_fmt(lx)}" y="{_fmt(ly)}" '
                     f'font-size="{_fmt(font)}">{esc(text)}</text><title>{esc(f"line {line}, annotation {i}")}'
                     f"</title></g>")
    # The view holds the frame and what sticks out of it (pixel coordinates, stray vertices), within limits.
    x_lo, y_lo = max(x_lo, -_VIEW_LIMIT * w), max(y_lo - font * 1.2, -_VIEW_LIMIT * h)
    x_hi, y_hi = min(x_hi, (1 + _VIEW_LIMIT) * w), min(y_hi, (1 + _VIEW_LIMIT) * h)
    pad = 0.03 * max(x_hi - x_lo, y_hi - y_lo)
    view = f"{_fmt(x_lo - pad)} {_fmt(y_lo - pad)} {_fmt(x_hi - x_lo + 2 * pad)} {_fmt(y_hi - y_lo + 2 * pad)}"
    background = (f'<image href="{image}" x="0" y="0" width="{_fmt(w)}" height="{_fmt(h)}" '
                  'preserveAspectRatio="none"/>' if image else "")
    frame = f'<rect class="frame" x="0" y="0" width="{_fmt(w)}" height="{_fmt(h)}"/>'
    svg = (f'<svg class="draw" viewBox="{view}" role="img" aria-label="line {line}">{background}{frame}'
           f'{"".join(drawn)}</svg>')
    return svg, listed
