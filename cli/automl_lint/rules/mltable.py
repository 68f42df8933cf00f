"""AML8xx: the MLTable file that wraps the JSONL for an AutoML job.

AutoML reads the training data through an MLTable: ``paths`` names the JSONL, ``read_json_lines`` parses it and
``convert_column_types`` must turn ``image_url`` into a stream. The checks live in ``automl_lint.mltable``.
"""

from __future__ import annotations

from automl_lint.rules import rule

F = "mltable"

YAML_INVALID = rule(
    "AML801", "mltable-invalid-yaml", "error", "fails-job",
    "The MLTable file is not valid YAML, or not a mapping.",
    what="Reports an `MLTable` file the YAML parser rejects, or whose top level is not a mapping.",
    why="The job stops at start-up: 'MLTable input is invalid' (after the compute cluster has spun up).",
    example="`paths:\\n - file: ./train.jsonl\\n  transformations:` (mis-indented)",
    fix="Fix the YAML; the file the Azure ML examples generate is a safe template.",
    family=F,
)
NO_PATHS = rule(
    "AML802", "mltable-no-paths", "error", "fails-job",
    "The MLTable has no `paths` list.",
    what="Reports an MLTable without a non-empty `paths` list (including the common misspelling `path`).",
    why="The MLTable SDK rejects the file: there is nothing to read, the job fails.",
    example="`path:\\n  - file: ./train_annotations.jsonl`",
    fix="Write `paths:` with one entry `- file: ./train_annotations.jsonl`.",
    family=F,
)
PATH_INVALID = rule(
    "AML803", "mltable-path-invalid", "error", "fails-job",
    "A `paths` entry is malformed: it needs exactly one of `file`, `folder`, `pattern`.",
    what="Reports `paths` entries that are not a mapping with exactly one of `file`, `folder` or `pattern` "
    "holding a string.",
    why="The MLTable schema rejects the entry and the job fails at start-up.",
    example="`paths:\\n  - ./train.jsonl`",
    fix="Write `- file: ./train.jsonl` (or `folder:` / `pattern:`).",
    family=F,
)
PATH_NOT_FOUND = rule(
    "AML804", "mltable-path-not-found", "error", "fails-job",
    "A `paths` entry names a file or folder that does not exist, or a pattern that matches nothing.",
    what="Reports local `file`/`folder` entries that do not exist relative to the MLTable's folder, and "
    "`pattern` globs that match no file.",
    why="The job fails with 'MLTable input is invalid … StreamError(NotFound)', about 7 minutes in.",
    example="`- file: ./train_annotations.jsonl` while the folder holds `training_annotations.jsonl`",
    fix="Point the entry at the JSONL next to the `MLTable` file (paths are relative to that folder).",
    family=F,
)
NO_READ_JSON_LINES = rule(
    "AML805", "mltable-no-read-json-lines", "error", "fails-job",
    "The MLTable does not read its files with `read_json_lines`.",
    what="Reports an MLTable whose `transformations` lack `read_json_lines` (or use another reader).",
    why="AutoML for Images expects one JSON object per line; without `read_json_lines` there are no "
    "`image_url`/`label` columns and the job fails ('Image URL column 'image_url' is not present').",
    example="`transformations:\\n  - read_delimited:\\n      delimiter: ','`",
    fix="Use `- read_json_lines: {encoding: utf8, invalid_lines: error, include_path_column: false}`.",
    family=F,
)
IMAGE_URL_NOT_STREAM = rule(
    "AML806", "mltable-image-url-not-stream", "error", "fails-job",
    "`convert_column_types` does not turn `image_url` into `stream_info`.",
    what="Reports an MLTable without a `convert_column_types` entry whose `columns` include `image_url` and whose "
    "`column_type` is `stream_info` (the bare string or a mapping).",
    why="AutoML fails the job: 'The data type of image URL column 'image_url' is STRING, but it should be "
    "STREAM' (often surfacing as an opaque internal AutoML Image error).",
    example="An MLTable with only `- read_json_lines: ...` under `transformations`.",
    fix="Add `- convert_column_types: [{columns: image_url, column_type: stream_info}]`.",
    family=F,
)
READ_OPTION_INVALID = rule(
    "AML807", "mltable-read-option-invalid", "error", "fails-job",
    "A `read_json_lines` option has a value the MLTable reader does not accept.",
    what="Reports an `encoding` the engine does not accept (its spellings, in any case: utf8, utf-8, utf-8 bom, "
    "ascii, utf16, utf-16, latin1, latin-1, iso88591, iso-8859-1, windows1252, windows-1252; not utf32, utf8bom, "
    "cp1252, utf16le), an `invalid_lines` other than `error`/`drop` (lower case), a non-boolean "
    "`include_path_column`, a `partition_size` that is not a number, a `path_column` other than `Path` (the engine "
    "then looks for a column it did not make), or an unknown option of `read_json_lines`. Also the `--encoding` "
    "given for a bare JSONL file.",
    why="The job fails when it loads the MLTable (or its first row, for `path_column`).",
    example="`encoding: utf8bom` (the engine spells it `utf-8 bom`)",
    fix="Use one of the engine's spellings; `invalid_lines: error`.",
    family=F,
)
INVALID_LINES_DROP = rule(
    "AML808", "mltable-invalid-lines-drop", "warning", "drops-image",
    "`invalid_lines: drop` silently discards lines that are not valid JSON.",
    what="Reports `read_json_lines` with `invalid_lines: drop`.",
    why="Every invalid line (not JSON, not an object, whitespace only, nested 128 levels deep) is skipped without "
    "an error: images disappear from training unnoticed. Invalid UTF-8, duplicate keys and nesting beyond 60 "
    "levels still fail the job.",
    example="`invalid_lines: drop`",
    fix="Use `invalid_lines: error` and fix the lines automl-lint reports.",
    family=F,
)
UNKNOWN_KEY = rule(
    "AML809", "mltable-unknown-key", "warning", "none",
    "An MLTable key or transformation automl-lint does not know.",
    what="Reports top-level keys other than `type`, `$schema`, `paths`, `transformations`, `metadata`, "
    "`traits`, `query_source` (unknown transformations are AML813: the engine rejects them).",
    why="The engine ignores an unknown top-level key: a misspelt key does not do what was intended.",
    example="`transformation:` (singular)",
    fix="Check the spelling against the MLTable reference.",
    family=F,
)
PATH_NOT_LOCAL = rule(
    "AML810", "mltable-path-not-local", "info", "none",
    "A `paths` entry points at cloud storage; its JSONL is not linted.",
    what="Reports `paths` entries with a URL (`azureml://`, `https://`, `wasbs://`, `abfss://`).",
    why="automl-lint only reads local files: the JSONL behind this entry is not checked.",
    example="`- file: azureml://datastores/workspaceblobstore/paths/train/annotations.jsonl`",
    fix="Download the JSONL and lint it directly.",
    family=F,
)
ENCODING_BOM = rule(
    "AML811", "mltable-encoding-bom", "warning", "none",
    "The JSONL starts with a byte-order mark while the MLTable says `encoding: utf8`.",
    what="Reports a referenced JSONL starting with a UTF-8 BOM when the MLTable declares `utf8`.",
    why="The engine skips the BOM, but `utf-8 bom` states the file's real encoding; other readers of the "
    "same MLTable may see the BOM as part of the first key.",
    example="`encoding: utf8` for a file written by Notepad or PowerShell",
    fix="Set `encoding: utf-8 bom` (the engine rejects `utf8bom`) or save the JSONL without a BOM.",
    family=F,
)
SAME_DATA_AS_TRAINING = rule(
    "AML812", "mltable-validation-is-training", "error", "none",
    "The validation MLTable reads the same JSONL as the training MLTable.",
    what="Reports a validation MLTable that references a JSONL file also referenced by the training data.",
    why="Validation metrics measure memorisation: every validation image was trained on.",
    example="Both MLTables contain `- file: ../train_annotations.jsonl`.",
    fix="Split the data into separate training and validation JSONL files.",
    family=F,
)
REJECTED = rule(
    "AML813", "mltable-rejected", "error", "fails-job",
    "The MLTable engine rejects this content of the MLTable.",
    what="Reports what the real engine refuses when it loads the MLTable: a `type` other than `mltable`, an "
    "unknown transformation, a second `read_json_lines`, a `take`/`skip` that is not a non-negative integer, a "
    "`path_column` (the engine only finds its default `Path`), `invalid_lines` not spelt in lower case.",
    why="The job fails when AutoML loads its data (`Yaml script is invalid`), before any training.",
    example="`type: uri_file` in an MLTable file, or `- frobnicate: 1` under `transformations`",
    fix="Remove the key or transformation, or spell it as the MLTable reference does.",
    family=F,
)
LINE_LEFT_OUT = rule(
    "AML814", "mltable-line-left-out", "warning", "drops-image",
    "The MLTable's `take` or `skip` leaves this line out of the table.",
    what="Reports each line of the JSONL that an MLTable's `take: N` (only the first N rows) or `skip: N` leaves "
    "out. Rows are counted as the engine counts them: empty lines are not rows; with `invalid_lines: error` an "
    "invalid line is a row (and fails the job only if it is kept); with `drop` it is not. Lines after the last "
    "row `take` keeps are not even parsed.",
    why="Those images are never trained on, silently; a `take` left over from a quick experiment is a common "
    "cause of a model trained on a fraction of the data.",
    example="`transformations:` with `- take: 100` after `read_json_lines`",
    fix="Remove the `take`/`skip`, or make the JSONL hold only the lines to train on.",
    family=F,
)
READS_OTHER_FILES = rule(
    "AML815", "mltable-reads-other-files", "error", "fails-job",
    "A `folder` or `pattern` entry makes the engine read files that are not JSON Lines (such as the MLTable).",
    what="Reports files that a `folder` (every file below it, hidden ones included) or `pattern` entry reads "
    "besides the JSONL: typically the `MLTable` file itself when `folder: ./`.",
    why="The engine reads every line of those files as JSON Lines: with `invalid_lines: error` their first line "
    "fails the job; with `drop` their lines are skipped (consequence none); bytes that are not text fail the whole "
    "read either way.",
    example="`paths:\\n  - folder: ./` in an MLTable next to its JSONL",
    fix="Name the JSONL with `- file: ./train.jsonl`, or keep the data in a folder of its own.",
    family=F,
)
COLUMN_CHANGED = rule(
    "AML816", "mltable-column-changed", "warning", "alters-value",
    "The MLTable's `drop_columns`, `keep_columns` or `convert_column_types` changes a value of this line.",
    what="Reports, on each line, a key whose column an MLTable transformation after `read_json_lines` removes "
    "(`drop_columns`, or not named by `keep_columns`) or converts to another type (`convert_column_types` other "
    "than `image_url` to `stream_info`).",
    why="AutoML reads the table, not the line: a removed `label` is null for every image, a converted one is the "
    "converted value or an error value.",
    example="`- drop_columns: label` or `- convert_column_types: [{columns: label, column_type: int}]`",
    fix="Remove the transformation; AutoML for Images needs the columns as the JSONL writes them.",
    family=F,
)
