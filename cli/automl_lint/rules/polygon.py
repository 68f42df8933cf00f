"""AML5xx: instance-segmentation polygons, as ``ObjectAnnotation`` reads and cleans them."""

from __future__ import annotations

import math

from automl_lint.rules import rule
from automl_lint.problem import quote

F = "polygon"

POLYGON_ODD = rule(
    "AML501", "polygon-odd-count", "error", "drops-image",
    "A polygon segment has an odd number of values.",
    what="Reports a segment whose number of coordinates is odd, so x and y values do not pair up.",
    why="AutoML raises 'Invalid Polygon: should be equal numbers of Xs and Ys' and skips the whole image with "
    "all its other annotations (the check runs before short segments are removed).",
    example='`"polygon": [[0.1, 0.1, 0.5, 0.1, 0.5]]`',
    fix="Write segments as x1, y1, x2, y2, ... with one y for every x.",
    family=F,
)
POLYGON_NOT_LIST_OF_LISTS = rule(
    "AML502", "polygon-not-list-of-lists", "error", "drops-image",
    "`polygon` must be a list of segments, each a flat list of numbers.",
    what="Reports polygons AutoML cannot read: a flat list of numbers, segments holding strings, `[x, y]` "
    "point pairs, an empty segment after the first, or a polygon that is a number, string or object.",
    why="AutoML raises 'Expected a list of list for polygon coordinates' and skips the whole image.",
    example='`"polygon": [0.1, 0.1, 0.5, 0.1, 0.5, 0.5]` (missing the outer list)',
    fix='Wrap each segment in a list: `"polygon": [[0.1, 0.1, 0.5, 0.1, 0.5, 0.5]]`; numbers, not strings.',
    family=F,
)
SEGMENT_TOO_SHORT = rule(
    "AML503", "segment-too-short", "error", "alters-value",
    "A polygon segment has fewer than 3 points.",
    what="Reports segments with fewer than 6 coordinates (under 3 points).",
    why="AutoML silently deletes such segments and recomputes the box from what is left; if nothing is left the "
    "annotation is dropped (reported as AML505).",
    example='`"polygon": [[0.1, 0.1, 0.5, 0.5], [0.1, 0.1, 0.5, 0.1, 0.5, 0.5]]`',
    fix="Remove the degenerate segment or add its missing points.",
    family=F,
)
SEGMENT_OUT_OF_RANGE = rule(
    "AML504", "segment-out-of-range", "error", "alters-value",
    "A polygon segment has a value outside [0, 1].",
    what="Reports segments with any coordinate below 0 or above 1.",
    why="AutoML does not clip: it silently deletes the whole segment (even for 1.0001); if no segment is left the "
    "annotation is dropped (AML505).",
    example='`"polygon": [[0.1, 0.1, 1.02, 0.1, 0.5, 0.5]]`',
    fix="Clip the coordinates to [0, 1], or divide pixel values by the image width and height.",
    family=F,
)
POLYGON_EMPTY = rule(
    "AML505", "polygon-unusable", "error", "drops-annotation",
    "The annotation has no usable polygon, so AutoML drops it.",
    what="Reports polygons that are `null`, `[]`, `[[]]`, start with an empty segment, are a flat list starting "
    "with 0, or have no segment left after AutoML removed the invalid ones.",
    why="AutoML computes an impossible box from an empty polygon and silently discards the annotation.",
    example='`"polygon": [[]]`',
    fix="Give every object at least one segment of 3 or more points inside [0, 1].",
    family=F,
)
POLYGON_DEGENERATE = rule(
    "AML506", "polygon-zero-area", "error", "drops-annotation",
    "All points of the polygon lie on one vertical or horizontal line.",
    what="Reports polygons whose extent has zero width or zero height.",
    why="The box computed from the polygon is empty, so AutoML silently discards the annotation.",
    example='`"polygon": [[0.5, 0.1, 0.5, 0.4, 0.5, 0.9]]`',
    fix="Fix the polygon; a real object has an area.",
    family=F,
)
POLYGON_MISSING = rule(
    "AML507", "annotation-without-polygon", "error", "drops-annotation",
    "An instance-segmentation annotation has no `polygon`.",
    what="Reports box-only annotations in an instance-segmentation dataset.",
    why="Instance segmentation needs a mask: AutoML silently discards annotations without a polygon.",
    example='`{"label": "can", "topX": 0.1, "topY": 0.1, "bottomX": 0.5, "bottomY": 0.5}`',
    fix="Add the object's polygon, or train an object-detection model instead.",
    family=F,
)
POLYGON_COLLINEAR = rule(
    "AML508", "polygon-collinear", "warning", "none",
    "All points of the polygon lie on one slanted line: the mask has no area.",
    what="Reports polygons whose points are all collinear along a diagonal.",
    why="AutoML keeps the annotation (its box has an area) but the mask it rasterises is empty, so the model "
    "learns a box with no pixels.",
    example='`"polygon": [[0.1, 0.1, 0.5, 0.5, 0.9, 0.9]]`',
    fix="Fix the polygon.",
    family=F,
)
POLYGON_CRASH = rule(
    "AML509", "polygon-object", "error", "fails-job",
    "`polygon` is a non-empty JSON object: the job crashes.",
    what="Reports a `polygon` given as a non-empty object (e.g. `{\"0\": [...]}` or `{\"points\": [...]}`).",
    why="AutoML indexes the polygon with `[0]`; on an object that raises a `KeyError`, which its error handling "
    "does not catch, so the whole training job fails.",
    example='`"polygon": {"0": [0.1, 0.1, 0.5, 0.1, 0.5, 0.5]}`',
    fix='Write the polygon as a list of segments: `"polygon": [[0.1, 0.1, 0.5, 0.1, 0.5, 0.5]]`.',
    family=F,
)
POLYGON_STRAY_VERTEX = rule(
    "AML510", "polygon-stray-vertex", "warning", "none",
    "A polygon vertex lies far outside the rest of its outline (e.g. a spurious 0.0, 0.0 point).",
    what="Reports a segment of 4 or more points with one vertex far outside the extent of the others (beyond a "
    "quarter of their size) whose two edges are both over 3 times the segment's median edge: a spike no outline "
    "of a real object has. Checked on annotations AutoML keeps.",
    why="AutoML derives the box from the polygon's extent and rasterises the mask from the outline as written: "
    "the box stretches to the stray point and the mask gains a wedge reaching it. Microsoft's own fridge "
    "instance-segmentation sample (2022-05-27) starts 218 segments (in 216 of its 269 polygons) with a spurious "
    "`0.0, 0.0` vertex.",
    example='`"polygon": [[0.0, 0.0, 0.52, 0.31, 0.60, 0.33, 0.64, 0.52, 0.58, 0.71, 0.50, 0.69]]`',
    fix="Remove the stray vertex (a mask-to-polygon conversion that starts every ring at the origin is the usual "
    "cause); draw the report (`--format html`) to see it.",
    family=F,
)

# A stray vertex: beyond the others' extent by this fraction of their size, with both of its edges this many
# times the segment's median edge (the lower one for an even count). Calibrated on the fridge sample: all 218
# spurious origins found (216 polygons), none of its clean versions' 269 polygons flagged; regular polygons
# (all edges equal) never are.
STRAY_DISTANCE = 0.25
STRAY_EDGE = 3.0


def stray_vertex(segment: list) -> int | None:
    """Index (in points) of the vertex lying far outside the rest of a numeric segment, or None."""
    n = len(segment) // 2
    if n > 1 and segment[0] == segment[2 * n - 2] and segment[1] == segment[2 * n - 1]:
        n -= 1  # a closed ring repeats its first point
    if n < 4:
        return None
    xs, ys = segment[0:2 * n:2], segment[1:2 * n:2]
    sx, sy = sorted(xs), sorted(ys)  # sorting floats is cheaper than min() and max() on them
    # Necessary: an extreme standing apart from the next value on its axis by over a fifth of the axis' span.
    gap_x, gap_y = (sx[-1] - sx[0]) * 0.2, (sy[-1] - sy[0]) * 0.2
    if (sx[1] - sx[0] <= gap_x and sx[-1] - sx[-2] <= gap_x and sy[1] - sy[0] <= gap_y
            and sy[-1] - sy[-2] <= gap_y):
        return None
    best, found, median = STRAY_DISTANCE, None, None
    # Only a point that is alone at an end of an axis can lie outside the others' extent.
    for k in {xs.index(sx[0]), xs.index(sx[-1]), ys.index(sy[0]), ys.index(sy[-1])}:
        x, y = xs[k], ys[k]
        x0, x1 = (sx[1] if x == sx[0] else sx[0]), (sx[-2] if x == sx[-1] else sx[-1])
        y0, y1 = (sy[1] if y == sy[0] else sy[0]), (sy[-2] if y == sy[-1] else sy[-1])
        size = max(x1 - x0, y1 - y0)
        beyond = max(x0 - x, x - x1, y0 - y, y - y1)
        if size <= 0 or beyond <= best * size:
            continue
        if median is None:
            median = sorted(math.hypot(xs[i] - xs[i - 1], ys[i] - ys[i - 1]) for i in range(n))[(n - 1) // 2]
        after = (k + 1) % n
        edge = min(math.hypot(x - xs[k - 1], y - ys[k - 1]), math.hypot(xs[after] - x, ys[after] - y))
        if edge > STRAY_EDGE * median:
            best, found = beyond / size, k
    return found


class OddPolygon(Exception):
    pass


def extent(poly) -> tuple:
    """The box AutoML derives from a polygon; raises exactly where AutoML raises."""
    x0, x1, y0, y1 = 101.0, -1.0, 101.0, -1.0
    if poly and poly[0]:
        for segment in poly:
            xs, ys = segment[::2], segment[1::2]
            if len(xs) != len(ys):
                raise OddPolygon
            x0 = min(x0, min(xs))
            x1 = max(x1, max(xs))
            y0 = min(y0, min(ys))
            y1 = max(y1, max(ys))
    return x0, y0, x1, y1


def clean(poly: list, pointer: str, out: list) -> list:
    """Remove the segments AutoML removes, reporting each; return what is left."""
    kept = []
    for j, segment in enumerate(poly):
        if len(segment) < 5:
            out.append((SEGMENT_TOO_SHORT, f"{pointer}/{j}", f"segment {j} has {len(segment)} values (under 3 "
                        "points); AutoML deletes it"))
        elif any(v < 0.0 or v > 1.0 for v in segment):
            bad = next(v for v in segment if v < 0.0 or v > 1.0)
            hint = _pixel_hint(segment)
            out.append((SEGMENT_OUT_OF_RANGE, f"{pointer}/{j}", f"segment {j} has the value {quote(bad)} outside [0, 1]; "
                        f"AutoML deletes the whole segment{hint}"))
        else:
            kept.append(segment)
    return kept


def is_collinear(poly: list) -> bool:
    """True when every point of every segment lies on one line (a real outline exits at its third point)."""
    for segment in poly:
        n = len(segment) - 1
        if n < 5:
            continue
        ax, ay, bx, by = segment[0], segment[1], segment[2], segment[3]
        for k in range(4, n, 2):
            cx, cy = segment[k], segment[k + 1]
            if (bx, by) == (ax, ay):
                bx, by = cx, cy
                continue
            if abs((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)) > 1e-12:
                return False
    return True


def _pixel_hint(values) -> str:
    try:
        if min(values) >= 0 and max(values) > 1.5:
            return " (these look like pixel coordinates: divide x by the image width and y by its height)"
    except TypeError:
        pass
    return ""
