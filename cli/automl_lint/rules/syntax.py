"""AML0xx: reading the file. Reported by :mod:`automl_lint.reader`.

AutoML reads the JSONL through the MLTable ``read_json_lines`` transform (azureml-dataprep); the
documented ``invalid_lines: error`` makes any unparsable line fail the job.
"""

from automl_lint.rules import rule

F = "syntax"

INVALID_UTF8 = rule(
    "AML001", "invalid-utf8", "error", "fails-job",
    "The line is not valid UTF-8.",
    what="Reports a line containing bytes that are not valid UTF-8 (the column is the first bad byte).",
    why="The MLTable JSON-lines reader decodes UTF-8; an undecodable line is an invalid line, which fails the "
    "job with the documented `invalid_lines: error` (or is silently dropped with `invalid_lines: drop`).",
    example='A file saved as Latin-1: `{"image_url": "AmlDatastore://ds/caf\\xe9.jpg", ...}`',
    fix="Re-encode the file as UTF-8 (`iconv -f latin1 -t utf-8`).",
    family=F,
)
INVALID_JSON = rule(
    "AML002", "invalid-json", "error", "fails-job",
    "The line is not valid JSON.",
    what="Reports a line that does not parse as JSON, with the column where parsing failed.",
    why="With the MLTable's documented `invalid_lines: error` the job fails with `ParseJsonFailure` minutes "
    "after it started; with `invalid_lines: drop` the image silently disappears.",
    example='`{"image_url": "AmlDatastore://ds/a.jpg" "label": "cat"}` (missing comma)',
    fix="Fix the JSON syntax of the line; generate JSONL with a JSON library, never by string formatting.",
    family=F,
)
NON_FINITE_NUMBER = rule(
    "AML003", "non-finite-number", "error", "fails-job",
    "The line uses NaN or Infinity, which JSON does not allow.",
    what="Reports `NaN`, `Infinity` or `-Infinity` literals (Python's `json.dumps` writes them by default).",
    why="They are not JSON: AutoML's reader rejects the line as invalid JSON and the job fails.",
    example='`{"image_url": "AmlDatastore://ds/a.jpg", "label": [{"label": "cat", "topX": NaN, ...}]}`',
    fix="Drop the annotation or compute the value; write JSON with `allow_nan=False` to catch it early.",
    family=F,
)
NOT_AN_OBJECT = rule(
    "AML004", "record-not-an-object", "error", "fails-job",
    "The line is valid JSON but not a JSON object.",
    what="Reports a line whose JSON value is an array, string, number, boolean or null instead of an object.",
    why="Every JSONL line must be one record object with `image_url` and `label`; the MLTable reader cannot "
    "turn anything else into a row and the job fails.",
    example='`["AmlDatastore://ds/a.jpg", "cat"]`',
    fix='Write one object per line: `{"image_url": "...", "label": ...}`.',
    family=F,
)
DUPLICATE_KEY = rule(
    "AML005", "duplicate-key", "error", "fails-job",
    "An object has the same key twice.",
    what="Reports an object in which a key appears more than once (most JSON parsers silently keep the last one).",
    why="AutoML's reader panics with `FieldNameConflict` and fails the job, even with `invalid_lines: drop`.",
    example='`{"image_url": "AmlDatastore://ds/a.jpg", "label": "cat", "label": "dog"}`',
    fix="Keep one value per key.",
    family=F,
)
BOM = rule(
    "AML006", "utf8-bom", "info", "none",
    "The file starts with a UTF-8 byte order mark.",
    what="Reports a UTF-8 byte order mark (EF BB BF) at the start of the file.",
    why="AutoML accepts it, but many JSON tools (jq, orjson, Python's json) do not: it makes the file fragile.",
    example="A file saved by Windows Notepad as 'UTF-8 with BOM'.",
    fix="Save the file as UTF-8 without BOM.",
    family=F,
)
BLANK_LINE = rule(
    "AML007", "blank-line", "info", "drops-image",
    "The line is empty or only whitespace: AutoML's reader skips it.",
    what="Reports empty lines (CRLF line ends and a missing final newline are fine and not reported). The "
    "consequence is that of a skipped line; no image is lost, and the summary does not count it as one.",
    why="AutoML's reader skips the line, but it usually betrays a broken concatenation or an editor accident "
    "(and strict JSON Lines readers reject it).",
    example="Two records separated by an empty line.",
    fix="Remove the empty line.",
    family=F,
)
EMPTY_FILE = rule(
    "AML008", "empty-file", "error", "fails-job",
    "The file has no records.",
    what="Reports a file with no JSON record at all (empty, or only blank lines).",
    why="AutoML finds no data point and the job fails (`No valid datapoints found` / `All annotations provided "
    "are ill-formed`).",
    example="A zero-byte `train.jsonl` left by a failed export.",
    fix="Point the job at the right file, or regenerate it.",
    family=F,
)
TRAILING_DATA = rule(
    "AML009", "trailing-data", "warning", "none",
    "Text follows the JSON object on the same line.",
    what="Reports a line with a valid JSON object followed by more text.",
    why="AutoML's reader silently ignores what follows the object, so two records glued on one line become one; "
    "other JSON tools reject the line.",
    example='`{"image_url": "AmlDatastore://ds/a.jpg", "label": "cat"}{"image_url": ...}`',
    fix="Put one record per line and nothing else.",
    family=F,
)
INTEGER_OVERFLOW = rule(
    "AML010", "integer-overflow", "error", "alters-value",
    "An integer does not fit in 64 bits.",
    what="Reports integers outside the signed 64-bit range.",
    why="AutoML's reader silently turns them into a different floating-point number.",
    example='`"isCrowd": 12345678901234567890`',
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
    "The record is nested too deeply to be checked.",
    what="Reports a record whose arrays and objects are nested hundreds of levels deep (a valid record is at "
    "most 5 levels deep); automl-lint does not check it further. Deeper than 1024 levels, the line is reported as "
    "invalid JSON (AML002) instead.",
    why="No AutoML record looks like this: it is a corrupt or hostile line, and JSON readers and validators "
    "refuse or crash on deep nesting, so the line cannot be read as a record.",
    example='`{"image_url": "AmlDatastore://ds/a.jpg", "label": [[[[[[[[ ... ]]]]]]]]}`',
    fix="Regenerate the line; records hold `image_url`, `label` and optionally `image_details`, nothing nested.",
    family=F,
)
