"""AML0xx: reading the file. Reported by :mod:`automl_lint.reader`.

AutoML reads the JSONL through the MLTable ``read_json_lines`` transform (the ``mltable`` engine,
azureml-dataprep-rslex). What it does was observed on the real engine (tests/reading_cases): an *invalid line*
fails the job with the documented ``invalid_lines: error`` and is skipped (the image is lost) with
``invalid_lines: drop``; a few things fail the whole read whatever ``invalid_lines`` says. The reader setting is
``--invalid-lines``/``--encoding`` for a bare JSONL file and the MLTable's own options through an MLTable.
"""

from automl_lint.rules import rule

F = "syntax"

INVALID_UTF8 = rule(
    "AML001", "invalid-utf8", "error", "fails-job",
    "The line is not valid in the file's encoding (UTF-8 unless the MLTable says otherwise).",
    what="Reports a line containing bytes that are not valid UTF-8 (the column is the first bad byte); with "
    "`encoding: utf16`, bytes that are not valid UTF-16 (an odd length, a lone surrogate).",
    why="The engine fails the whole read with `EncodingError`, even with `invalid_lines: drop`: one bad byte "
    "anywhere fails the job. `ascii` and `utf-8 bom` are read as UTF-8 too.",
    example='A file saved as Latin-1: `{"image_url": "AmlDatastore://ds/caf\\xe9.jpg", ...}`',
    fix="Re-encode the file as UTF-8 (`iconv -f latin1 -t utf-8`), or declare its real encoding in the MLTable "
    "(`encoding: latin1`; `--encoding latin1` for a bare file).",
    family=F,
)
INVALID_JSON = rule(
    "AML002", "invalid-json", "error", "fails-job",
    "The line is not valid JSON.",
    what="Reports a line that does not parse as JSON, with the column where parsing failed.",
    why="An invalid line: with the MLTable's documented `invalid_lines: error` the job fails (`InvalidJson`) "
    "minutes after it started; with `invalid_lines: drop` the engine skips the line and the image silently "
    "disappears. This includes what other parsers accept: a `\\ud800` escape without its pair, a number beyond "
    "the float range (`1e400`), and nesting 128 levels deep or more (the engine's parser stops there).",
    example='`{"image_url": "AmlDatastore://ds/a.jpg" "label": "cat"}` (missing comma)',
    fix="Fix the JSON syntax of the line; generate JSONL with a JSON library, never by string formatting.",
    family=F,
)
NON_FINITE_NUMBER = rule(
    "AML003", "non-finite-number", "error", "fails-job",
    "The line uses NaN or Infinity, which JSON does not allow.",
    what="Reports `NaN`, `Infinity` or `-Infinity` literals (Python's `json.dumps` writes them by default).",
    why="They are not JSON: the engine reads an invalid line (the job fails with `invalid_lines: error`; the "
    "image is skipped with `drop`).",
    example='`{"image_url": "AmlDatastore://ds/a.jpg", "label": [{"label": "cat", "topX": NaN, ...}]}`',
    fix="Drop the annotation or compute the value; write JSON with `allow_nan=False` to catch it early.",
    family=F,
)
NOT_AN_OBJECT = rule(
    "AML004", "record-not-an-object", "error", "fails-job",
    "The line is valid JSON but not a JSON object.",
    what="Reports a line whose JSON value is an array, string, number, boolean or null instead of an object.",
    why="Every JSONL line must be one record object with `image_url` and `label`; the engine cannot turn anything "
    "else into a row: an invalid line (`Not a JSON object`: the job fails with `invalid_lines: error`, the line is "
    "skipped with `drop`).",
    example='`["AmlDatastore://ds/a.jpg", "cat"]`',
    fix='Write one object per line: `{"image_url": "...", "label": ...}`.',
    family=F,
)
DUPLICATE_KEY = rule(
    "AML005", "duplicate-key", "error", "fails-job",
    "An object has the same key twice.",
    what="Reports an object in which a key appears more than once (most JSON parsers silently keep the last one), "
    "anywhere in the line's JSON value, even a value that is not a record.",
    why="The engine stops with `FieldNameConflict` and fails the job, even with `invalid_lines: drop`. (Text after "
    "the first JSON value is never parsed, so a duplicate there does not count.)",
    example='`{"image_url": "AmlDatastore://ds/a.jpg", "label": "cat", "label": "dog"}`',
    fix="Keep one value per key.",
    family=F,
)
BOM = rule(
    "AML006", "utf8-bom", "info", "none",
    "The file starts with a UTF-8 byte order mark.",
    what="Reports a UTF-8 byte order mark (EF BB BF) at the start of the file.",
    why="The engine skips it with `utf8` and the other UTF-8 spellings, but many JSON tools (jq, orjson, "
    "Python's json) do not: it makes the file fragile. A BOM anywhere but at the start of the file is part of an "
    "invalid line.",
    example="A file saved by Windows Notepad as 'UTF-8 with BOM'.",
    fix="Save the file as UTF-8 without BOM.",
    family=F,
)
BLANK_LINE = rule(
    "AML007", "blank-line", "info", "drops-image",
    "The line is empty: AutoML's reader skips it.",
    what="Reports empty lines: nothing between two line feeds (a line holding only a byte order mark at the "
    "start of the file counts as empty). The consequence is that of a skipped line; no image is lost, and the "
    "summary does not count it as one. A line holding spaces, tabs or a lone CR is not empty (AML013).",
    why="The engine skips the line with either `invalid_lines` setting, but it usually betrays a broken "
    "concatenation or an editor accident (and strict JSON Lines readers reject it).",
    example="Two records separated by an empty line.",
    fix="Remove the empty line.",
    family=F,
)
EMPTY_FILE = rule(
    "AML008", "empty-file", "error", "fails-job",
    "The file has no records.",
    what="Reports a file with no JSON record at all (empty, or only blank lines), or, with `invalid_lines: drop`, "
    "none of whose lines becomes a row.",
    why="The table has no row and no `image_url` column: AutoML fails the job (`Image URL column 'image_url' is "
    "not present in the dataset`).",
    example="A zero-byte `train.jsonl` left by a failed export.",
    fix="Point the job at the right file, or regenerate it.",
    family=F,
)
TRAILING_DATA = rule(
    "AML009", "trailing-data", "warning", "none",
    "Text follows the JSON object on the same line.",
    what="Reports a line with a valid JSON object followed by more text. When that text starts with another "
    "record (two records glued on one line, or a file with CR-only line ends, which the engine reads as one "
    "line) the consequence is drops-image: only the first record becomes a row.",
    why="The engine silently ignores what follows the first JSON value (with either `invalid_lines` setting); "
    "other JSON tools reject the line.",
    example='`{"image_url": "AmlDatastore://ds/a.jpg", "label": "cat"}{"image_url": ...}`',
    fix="Put one record per line and nothing else; end lines with LF (or CRLF), never a bare CR.",
    family=F,
)
INTEGER_OVERFLOW = rule(
    "AML010", "integer-overflow", "error", "alters-value",
    "An integer does not fit in 64 bits.",
    what="Reports integers the engine reads as another number: from 2^63 to 2^64-1 it wraps them around to a "
    "negative integer (2^64 less); beyond that, or below -2^63, it reads a float (rounded to 17 digits). A "
    "top-level integer beyond 2^53 also loses digits when some line lacks that key (the column becomes float).",
    why="The value AutoML uses is not the one written, silently (with either `invalid_lines` setting).",
    example='`"isCrowd": 12345678901234567890` is read as -6101065172474983726',
    fix="Use values in range; coordinates are floats in [0, 1].",
    family=F,
)
LINE_TOO_LONG = rule(
    "AML011", "line-too-long", "error", "fails-job",
    "The line is longer than the configured limit and was not parsed.",
    what="Reports a line longer than `--max-line-bytes` (default 64 MiB); automl-lint skips it and goes on.",
    why="A single huge line usually means a file that is not JSONL (a JSON array, a binary file) and it would "
    "cost AutoML's reader the same memory; it is refused rather than parsed.",
    example="A 300 MB JSON document saved with a .jsonl extension.",
    fix="Write one record per line; raise `--max-line-bytes` if the record is genuinely that large.",
    family=F,
)
NESTED_TOO_DEEPLY = rule(
    "AML012", "nested-too-deeply", "error", "fails-job",
    "The record is nested deeper than the engine's table schema allows.",
    what="Reports a record whose arrays and objects are nested more than 60 levels deep, the record itself "
    "counted (a valid record is at most 5 levels deep); automl-lint does not check it further. From 128 levels "
    "on, the engine's JSON parser rejects the line instead (AML002, an invalid line).",
    why="The engine fails the whole read (`Recursion level in ArrowSchema struct exceeded`), even with "
    "`invalid_lines: drop`.",
    example='`{"image_url": "AmlDatastore://ds/a.jpg", "label": [[[[[[[[ ... ]]]]]]]]}`',
    fix="Regenerate the line; records hold `image_url`, `label` and optionally `image_details`, nothing nested.",
    family=F,
)
WHITESPACE_LINE = rule(
    "AML013", "whitespace-line", "error", "fails-job",
    "The line holds only whitespace: the engine reads it as an invalid line, not as an empty one.",
    what="Reports a line that is not empty but holds only spaces, tabs, a CR (a blank line of a CRLF file), or "
    "other white characters (form feed, NUL, no-break space).",
    why="Only a truly empty line is skipped: this one is an invalid line (`EOF while parsing a value`). With the "
    "documented `invalid_lines: error` the job fails; with `drop` the engine skips it (no image is lost).",
    example='A CRLF file with a blank line between two records: the line is `\\r`.',
    fix="Remove the line.",
    family=F,
)
CONTROL_CHARACTER = rule(
    "AML014", "control-character", "warning", "none",
    "A string holds a raw control character (a tab, a NUL byte...) instead of its escape.",
    what="Reports a line whose strings contain unescaped characters below U+0020, which JSON forbids.",
    why="The engine reads the line as written (with either `invalid_lines` setting), but strict JSON tools "
    "(jq, Python's json, orjson) reject it, so the file is fragile.",
    example='`{"image_url": "AmlDatastore://ds/a<TAB>b.jpg", ...}` with a literal tab',
    fix="Write the file with a JSON library: it escapes control characters (`\\t`).",
    family=F,
)
LATIN1_AS_WINDOWS1252 = rule(
    "AML015", "latin1-read-as-windows1252", "warning", "alters-value",
    "With `encoding: latin1` or `iso88591` the engine reads bytes 0x80-0x9F as Windows-1252 characters.",
    what="Reports a line holding bytes 0x80-0x9F when the reader setting is a Latin-1 spelling (`latin1`, "
    "`latin-1`, `iso88591`, `iso-8859-1`). The engine decodes every Latin spelling as Windows-1252: 0x80 is "
    "read as '€', 0x9F as 'Ÿ', where ISO-8859-1 has control characters. Often the file is really UTF-8.",
    why="The value AutoML uses is not the one the declared encoding says (an image_url that names no file, a "
    "class name that changes).",
    example="A UTF-8 file (`😀` is F0 9F 98 80) read with `encoding: latin1`",
    fix="Declare the file's real encoding (`utf8` for UTF-8, `windows1252` if that is what it is).",
    family=F,
)

# An invalid line: the job fails with `invalid_lines: error`, the line is skipped with `drop`.
INVALID_LINE = frozenset((INVALID_JSON, NON_FINITE_NUMBER, NOT_AN_OBJECT, WHITESPACE_LINE))
NOT_JSONL = rule(
    "AML016", "not-automl-jsonl", "error", "fails-job",
    "The file is another annotation format (COCO JSON, Pascal VOC XML, YOLO labels, CSV), not AutoML's JSONL.",
    what="Recognises, from the first lines, a file that is not JSON Lines at all: a COCO JSON document, a Pascal "
    "VOC XML annotation, YOLO `.txt` labels, a CSV table or another XML or JSON document. It is reported once, "
    "naming what the file is and what AutoML needs, and the file is not checked line by line.",
    why="AutoML reads one JSON object per line with `image_url` and `label`; any other format fails the job. "
    "Checking it line by line would bury that one fact under thousands of findings.",
    example="`instances_train.json`, a COCO export starting with `{\"images\": [...], \"annotations\": [...]}`.",
    fix="Convert the annotations to AutoML's JSONL (Azure's `jsonl_converter.py` / `coco2jsonl.py` in "
    "azureml-examples convert COCO and VOC), one image per line.",
    family=F,
)
