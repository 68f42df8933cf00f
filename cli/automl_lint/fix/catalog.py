"""Which rules have an automatic fix, and whether it is safe: the metadata ``--list-rules``, ``--explain`` and the
README table show. Pure data keyed by rule code (the fixes themselves are in :mod:`automl_lint.fix.fixers`).

Safe: AutoML trains on exactly the same data afterwards (only the spelling changes, or the file now says what
AutoML does anyway); ``--fix`` applies it. Unsafe: the fix changes what AutoML trains on, to what was almost
certainly meant; only ``--unsafe-fixes`` applies it. "safe/unsafe": safe for some values, unsafe for others.
"""

from __future__ import annotations

SAFE, UNSAFE, MIXED = "safe", "unsafe", "safe/unsafe"

# Box coordinates at most this far outside [0, 1] are clipped by the unsafe AML407 fix (1% of the image size).
CLIP_TOLERANCE = 0.01

FIXES: dict[str, tuple[str, str]] = {
    "AML006": (SAFE, "removes the byte order mark (AutoML's reader skips it)."),
    "AML007": (SAFE, "removes the empty line (AutoML's reader skips it)."),
    "AML013": (SAFE, "removes the line holding only whitespace (it holds no record; the engine fails the job on it "
               "under `invalid_lines: error` and skips it under `drop`)."),
    "AML102": (SAFE, 'only for `isCrowd` strings AutoML reads exactly: `"true"`, `"True"`, `"1"` become `1`; '
               '`"false"`, `"False"`, `"0"` become `0`.'),
    "AML103": (SAFE, 'only for `image_details` spellings (never read by AutoML): `"JPG"`, `".jpeg"`, '
               '`"image/png"` become the documented lower-case format; a width or height `"400"` becomes `400`.'),
    "AML107": (SAFE, "lower-cases `image_details.format` on every line (AutoML never reads it)."),
    "AML202": (UNSAFE, "only for the short `azureml://datastores/<ds>/paths/<path>` form, rewritten to "
               "`AmlDatastore://<ds>/<path>`, which AutoML resolves (the image is no longer dropped); with `--images`, "
               "not when the image it would name is missing or unreadable."),
    "AML205": (SAFE, "writes the path AutoML reads: `//` collapsed, the `?query` stripped, `%20`-style escapes "
               "decoded (only when the result needs no further rewriting)."),
    "AML303": (SAFE, "removes the repeated class from the list."),
    "AML304": (UNSAFE, "strips the surrounding whitespace (the class AutoML trains changes name); not when the name "
               "would become empty."),
    "AML401": (UNSAFE, "wraps a single annotation object in a list (the image is no longer dropped)."),
    "AML405": (SAFE, "writes the number AutoML converts the string or boolean to (`\"0.25\"` becomes `0.25`, "
               "`true` becomes `1.0`)."),
    "AML407": (UNSAFE, f"clips coordinates at most {CLIP_TOLERANCE} outside [0, 1] to 0 or 1 (the annotation is no "
               "longer dropped); boxes further out are left alone."),
    "AML408": (UNSAFE, "swaps the inverted corners (the annotation is no longer dropped)."),
    "AML411": (MIXED, 'false-like values (`"FALSE"`, `"no"`, `null`, ...) become `0`, which AutoML reads anyway '
               '(safe); true-like values (`"TRUE"`, `"yes"`, `"T"`, ...) become `1` (unsafe: the region becomes '
               "crowd); other values (`2`, `\"maybe\"`) are left alone."),
    "AML415": (UNSAFE, "divides x by the image width and y by the image height, when the result is a valid box: "
               "the real size of the decoded image with `--images` (AutoML multiplies by it), else the size in "
               "`image_details`; never guessed (no fix without a size, nor when `image_details` states another "
               "size than the real image, nor for an image rotated 90 degrees by EXIF)."),
    "AML505": (UNSAFE, "only for a polygon whose every value is a pixel coordinate (non-negative, some above 1.5): "
               "x divided by the image width and y by its height, taken as for `AML415`'s fix, when every value "
               "lands in [0, 1]."),
    "AML703": (UNSAFE, "with `--images`, writes the real format into `image_details.format` when it is a documented "
               "one (the URL's extension spelling when it names that format, else `jpg`, `png`, `bmp`, `tiff`); a "
               "wrong file extension is left to you (the file would need renaming)."),
    "AML704": (UNSAFE, "with `--images`, writes the real width or height into `image_details`; not on a line with "
               "pixel coordinates (the declared size may be the one they were drawn at: a person must say)."),
    "AML604": (SAFE, "detection and segmentation: the annotations of the later lines of an image move into its first "
               "line (AutoML merges them); classification: only the last line is kept (AutoML keeps its label). "
               "Only when every line of the image is read as written and none is a background line. Across the JSONL "
               "files of one MLTable too (AutoML reads them as one table, in the order of `paths`); not in files an "
               "MLTable reads through `take`/`skip` or a column transformation (the rows AutoML reads would change)."),
    "AML503": (SAFE, "removes the segment AutoML deletes anyway (not when it would leave no segment)."),
    "AML504": (SAFE, "removes the segment AutoML deletes anyway (not when it would leave no segment)."),
}


def safety(code: str) -> str | None:
    """"safe", "unsafe", "safe/unsafe", or None when the rule has no automatic fix."""
    entry = FIXES.get(code)
    return entry[0] if entry else None


def describe(code: str) -> str:
    """One sentence for a rule's documentation."""
    entry = FIXES.get(code)
    if entry is None:
        return "Automatic fix: none (`--fix` leaves it to you)."
    kind, what = entry
    how = {SAFE: "safe (`--fix`)", UNSAFE: "unsafe (`--fix --unsafe-fixes`)",
           MIXED: "safe for some values, unsafe for others"}[kind]
    return f"Automatic fix: {how}; {what}"
