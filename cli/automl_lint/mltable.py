"""MLTable as a source: parse the YAML, check it against what AutoML for Images needs, list its JSONL files.

Accepts the classic file the Azure ML examples write and the newer serialisation of the ``mltable`` SDK
(``type: mltable``, ``path_column``, ``partition_size``, ``stream_info`` bound to a workspace).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

from automl_lint import confine
from automl_lint import encoding as encodings
from automl_lint.problem import Consequence, Problem, quote
from automl_lint.rules import mltable as R
from automl_lint.rules.tool import INPUT_NOT_READ

FILE_NAME = "MLTable"
READ_JSON_OPTIONS = {"encoding", "invalid_lines", "include_path_column", "path_column", "partition_size"}
TOP_LEVEL = {"type", "$schema", "paths", "transformations", "metadata", "traits", "query_source"}
OTHER_READERS = {"read_delimited", "read_parquet", "read_delta_lake", "read_csv"}
OTHER_TRANSFORMS = {"take", "take_random_sample", "skip", "drop_columns", "keep_columns", "filter",
                    "extract_columns_from_partition_format"}
DATA_SUFFIXES = (".jsonl", ".jsonl.gz", ".json")


@dataclass
class MLTable:
    path: str                                   # the MLTable file itself
    jsonl: list[str] = field(default_factory=list)
    encoding: str = "utf8"
    invalid_lines: str = "error"
    # take/skip after read_json_lines: the rows kept, (first, stop) 0-based; None: every row.
    window: tuple | None = None
    other_files: list[str] = field(default_factory=list)  # what a folder entry reads besides the JSONL
    # Record keys the transformations remove or convert -> what happens to them; None -> (kept keys, message)
    # for a keep_columns.
    columns: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)  # (rule, line, pointer, message[, consequence])

    def problems(self, settings) -> list[Problem]:
        """Every finding, listed or not (FileResult.add sorts them by the enabled rules)."""
        return [Problem(self.path, line, pointer, rule.code, rule.name, settings.severities[rule.code],
                        consequence[0] if consequence else rule.consequence, message)
                for rule, line, pointer, message, *consequence in self.findings]


def find(path: str) -> str | None:
    """The MLTable file named by ``path`` (the file itself, or a folder holding one), else None."""
    if os.path.isdir(path):
        candidate = os.path.join(path, FILE_NAME)
        return candidate if os.path.isfile(candidate) else None
    return path if os.path.basename(path) == FILE_NAME and os.path.isfile(path) else None


def load(path: str, allow_outside: bool = False) -> MLTable:
    """Parse and check one MLTable file; never raises on bad content (that is a finding).

    What it lists is confined to its folder (:mod:`automl_lint.confine`) unless ``allow_outside``.
    """
    import yaml  # only MLTable runs pay for it

    table = MLTable(path)
    add = table.findings.append
    root = confine.real_root(os.path.dirname(os.path.abspath(path)))
    if not allow_outside and not confine.inside(path, root):
        add((INPUT_NOT_READ, None, "", f"the MLTable file is a symbolic link leading outside {root}; not read "
             "(--allow-outside reads it)"))
        return table
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_MLTABLE_BYTES + 1)
        if len(data) > MAX_MLTABLE_BYTES:
            add((R.YAML_INVALID, None, "", f"the MLTable is larger than {MAX_MLTABLE_BYTES:,} bytes; not read"))
            return table
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        add((R.YAML_INVALID, None, "", f"the MLTable is not UTF-8 text ({exc.reason})"))
        return table
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node) > MAX_YAML_NODES:
            add((R.YAML_INVALID, None, "", f"the MLTable's YAML aliases expand to more than {MAX_YAML_NODES:,} "
                 "values (an alias bomb); not read"))
            return table
        doc = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        add((R.YAML_INVALID, line, "", f"the MLTable is not valid YAML: {getattr(exc, 'problem', exc)}; "
             "the job fails at start-up"))
        return table
    finally:
        loader.dispose()
    if not isinstance(doc, dict):
        add((R.YAML_INVALID, 1, "", "the MLTable's top level must be a mapping with 'paths' and "
             "'transformations'; the job fails at start-up"))
        return table
    folder = os.path.dirname(os.path.abspath(path))
    _check_top_level(doc, node, add)
    _check_paths(doc, node, folder, table, root, allow_outside)
    _check_transformations(doc, node, table)
    _check_other_files(table)
    _check_compressed(table)
    _check_bom(table)
    return table


def _check_compressed(table: MLTable) -> None:
    for path in table.jsonl:
        try:
            with open(path, "rb") as fh:
                gzipped = fh.read(2) == b"\x1f\x8b"
        except OSError:
            continue
        if gzipped:
            table.findings.append((R.READS_OTHER_FILES, None, "/paths", f"{os.path.basename(path)} is gzip-compressed: "
                                   "the engine does not decompress it and fails the whole read (EncodingError), even "
                                   "with invalid_lines: drop"))


def _other_files(folder: str, data: list[str], root: str, allow_outside: bool) -> list[str]:
    """Every other file below ``folder``: the engine reads them all as JSON Lines, hidden ones included.

    Only regular files inside ``root`` are listed (they are opened to see whether they are text): a FIFO
    would block the run, and a link out of the folder is never opened (confine.py).
    """
    taken = set(data)
    out = []
    for top, dirs, files in os.walk(folder):
        dirs.sort()
        for f in sorted(files):
            path = os.path.join(top, f)
            if path not in taken and os.path.isfile(path) and (allow_outside or confine.inside(path, root)):
                out.append(path)
    return out


def _check_other_files(table: MLTable) -> None:
    from automl_lint.problem import Consequence

    if not table.other_files:
        return
    names = ", ".join(os.path.relpath(p, os.path.dirname(os.path.abspath(table.path))) for p in table.other_files[:5])
    more = f" and {len(table.other_files) - 5} more" if len(table.other_files) > 5 else ""
    binary = [p for p in table.other_files if not _is_text(p)]
    if binary:
        table.findings.append((R.READS_OTHER_FILES, None, "/paths", f"the folder also holds {names}{more}, which the "
                               f"engine reads as JSON Lines; {os.path.basename(binary[0])} is not text: the whole "
                               "read fails (EncodingError), even with invalid_lines: drop"))
    elif table.invalid_lines == "drop":
        table.findings.append((R.READS_OTHER_FILES, None, "/paths", f"the folder also holds {names}{more}, which the "
                               "engine reads as JSON Lines: with invalid_lines: drop their lines are skipped",
                               Consequence.NONE))
    else:
        table.findings.append((R.READS_OTHER_FILES, None, "/paths", f"the folder also holds {names}{more}, which the "
                               "engine reads as JSON Lines: with invalid_lines: error their first line fails the job"))


def _is_text(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a character cut by the 64 KiB window
    return True


MAX_MLTABLE_BYTES = 1024 * 1024  # MLTable files are a few hundred bytes
MAX_YAML_NODES = 100_000  # values of the document once every alias is expanded


def _expanded_size(root) -> int:
    """How many values the YAML document has once aliases are expanded (``*a`` repeats the whole ``&a`` value),
    counted over the node graph without expanding it; a cycle counts as too many."""
    import yaml

    sizes: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = (node.value if isinstance(node, yaml.SequenceNode) else
                        [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else [])
            sizes[key] = min(MAX_YAML_NODES + 1, 1 + sum(sizes.get(id(c), MAX_YAML_NODES + 1) for c in children))
            continue
        if key in sizes:
            continue
        sizes[key] = MAX_YAML_NODES + 1  # in progress: a node reached again before it is finished is a cycle
        stack.append((node, True))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((c, False) for c in node.value if id(c) not in sizes)
        elif isinstance(node, yaml.MappingNode):
            stack.extend((c, False) for pair in node.value for c in pair if id(c) not in sizes)
    return sizes[id(root)]


def _line(node, *keys) -> int | None:
    """1-based line of the value at ``keys`` (str keys into mappings, int indexes into sequences)."""
    import yaml

    for key in keys:
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
        if node is None:
            return None
    return node.start_mark.line + 1


KNOWN_TRANSFORMS = {"read_json_lines", "convert_column_types"} | OTHER_TRANSFORMS | OTHER_READERS


def _did_you_mean(name, known) -> str:
    """'; did you mean 'convert_column_types'?' for a near miss of a known key, else ''."""
    import difflib

    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name.lower(), sorted(known), n=1, cutoff=0.75)
    return f"; did you mean {quote(close[0])}?" if close else ""


def _check_top_level(doc: dict, node, add) -> None:
    for key in doc:
        if key not in TOP_LEVEL and key != "path":
            add((R.UNKNOWN_KEY, _line(node, key), f"/{key}", f"unknown top-level key {quote(key)} in the MLTable"
                 + _did_you_mean(key, TOP_LEVEL)))
    if "query_source" in doc and not isinstance(doc["query_source"], dict):
        add((R.REJECTED, _line(node, "query_source"), "/query_source", "'query_source' must be a mapping: the engine "
             "rejects the MLTable; the job fails"))
    if "type" in doc and doc["type"] != "mltable":
        add((R.REJECTED, _line(node, "type"), "/type", f"'type: {doc['type']}': the engine rejects the MLTable "
             "(\"type\" must be \"mltable\" if included); the job fails"))


def _check_paths(doc: dict, node, folder: str, table: MLTable, root: str, allow_outside: bool) -> None:
    add = table.findings.append
    paths = doc.get("paths")
    if not isinstance(paths, list) or not paths:
        hint = " ('path' is misspelt: the key is 'paths')" if "path" in doc and paths is None else ""
        line = _line(node, "paths") or _line(node, "path")
        add((R.NO_PATHS, line, "/paths", f"the MLTable has no 'paths' list{hint}; the job fails"))
        return
    for i, entry in enumerate(paths):
        pointer = f"/paths/{i}"
        line = _line(node, "paths", i)
        kinds = [k for k in ("file", "folder", "pattern") if isinstance(entry, dict) and k in entry]
        if len(kinds) != 1 or not isinstance(entry[kinds[0]], str) or not entry[kinds[0]].strip():
            add((R.PATH_INVALID, line, pointer, f"paths entry {quote(entry)} needs exactly one of 'file', 'folder' "
                 "or 'pattern' with a path; the MLTable is rejected"))
            continue
        kind, value = kinds[0], entry[kinds[0]].strip()
        if "://" in value or value.startswith("azureml:"):
            add((R.PATH_NOT_LOCAL, line, pointer, f"{kind} {quote(value)} is in cloud storage; its JSONL is not linted"))
            continue
        target = value if os.path.isabs(value) else os.path.normpath(os.path.join(folder, value))
        shown = f"{kind} {quote(value)}"
        if kind != "pattern" and not allow_outside and not confine.inside(target, root):
            add((INPUT_NOT_READ, line, pointer, f"{shown} leads outside {root}; not read (--allow-outside reads "
                 "it)"))
            continue
        if kind == "file":
            if os.path.isfile(target):
                table.jsonl.append(target)
            else:
                add((R.PATH_NOT_FOUND, line, pointer, f"{shown} does not exist next to the MLTable; the job fails "
                     "with StreamError(NotFound)"))
            continue
        if kind == "folder":
            if not os.path.isdir(target):
                add((R.PATH_NOT_FOUND, line, pointer, f"{shown} does not exist; the job fails with "
                     "StreamError(NotFound)"))
                continue
            found = confine.data_files(target, DATA_SUFFIXES, root, allow_outside)
            table.other_files.extend(_other_files(target, found.files, root, allow_outside))
            if not found.files and not found.refused:
                add((R.PATH_NOT_FOUND, line, pointer, f"{shown} holds no JSONL file"))
        else:
            found = confine.glob_files(value, folder, root, allow_outside)
            if not found.files and not found.refused:
                add((R.PATH_NOT_FOUND, line, pointer, f"{shown} matches no file; the job fails"))
        table.jsonl.extend(found.files)
        for refused in found.refused:
            where = os.path.relpath(refused.path, folder) if os.path.isabs(refused.path) else refused.path
            add((INPUT_NOT_READ, line, pointer, f"{shown}: {quote(where)}: {refused.reason}"
                 if refused.path != value else f"{shown}: {refused.reason}"))


def _check_transformations(doc: dict, node, table: MLTable) -> None:
    add = table.findings.append
    steps = doc.get("transformations")
    if steps is None:
        steps = []
    if not isinstance(steps, list):
        add((R.NO_READ_JSON_LINES, _line(node, "transformations"), "/transformations",
             "'transformations' must be a list; the job fails"))
        return
    read = None
    stream = False
    converted_early = False
    first, stop = 0, None
    for i, step in enumerate(steps):
        line = _line(node, "transformations", i)
        pointer = f"/transformations/{i}"
        name, value = (next(iter(step.items())) if isinstance(step, dict) and len(step) == 1
                       else (step if isinstance(step, str) else None, None))
        if name == "read_json_lines":
            if read is not None:
                add((R.REJECTED, line, pointer, "a second 'read_json_lines': the engine then looks for a 'Path' "
                     "column that is not there; the job fails"))
                continue
            read = i
            _check_read_json_lines(value, node, i, table)
        elif name == "convert_column_types":
            if read is None and _converts_image_url(value):
                converted_early = True
            else:
                stream = stream or _converts_image_url(value)
                for key, kind in _other_conversions(value):
                    table.columns[key] = (f"the MLTable's 'convert_column_types' turns '{key}' into {kind}: AutoML "
                                          "reads the converted value (an error value where it does not convert)")
        elif name in ("drop_columns", "keep_columns") and read is not None:
            names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            names = [n for n in names if isinstance(n, str)]
            if name == "drop_columns":
                gone = set(names)
                for key in names:
                    table.columns[key] = (f"the MLTable's 'drop_columns' removes '{key}': AutoML reads no value "
                                          "there (null)")
            else:
                gone = {k for k in ("image_url", "label", "image_details") if k not in names}
                kept = set(names) if None not in table.columns else table.columns[None][0] & set(names)
                table.columns[None] = (kept, "the MLTable's 'keep_columns' removes '{key}': AutoML reads no value "
                                             "there (null)")
            if "image_url" in gone:
                add((R.IMAGE_URL_NOT_STREAM, line, pointer, f"'{name}' removes the 'image_url' column; the job fails: "
                     "\"Image URL column 'image_url' is not present in the dataset\""))
        elif name == "extract_columns_from_partition_format" and not isinstance(value, dict):
            add((R.REJECTED, line, pointer, f"'{name}' takes a mapping (column: format): the engine rejects the "
                 "MLTable; the job fails"))
        elif name in ("take", "skip"):
            if type(value) is not int or value < 0:
                add((R.REJECTED, line, pointer, f"'{name}: {quote(value)}' must be a non-negative integer: the engine "
                     "rejects the MLTable; the job fails"))
            elif read is not None:  # (before read_json_lines the engine ignores it)
                if name == "take":
                    stop = first + value if stop is None else min(stop, first + value)
                else:
                    first = first + value if stop is None else min(stop, first + value)
                table.window = (first, stop)
        elif name in OTHER_READERS:
            add((R.NO_READ_JSON_LINES, line, pointer, f"'{name}' reads the files as another format; AutoML for "
                 "Images needs 'read_json_lines' over JSON Lines (the job fails: no 'image_url' column)"))
            read = -1
        elif name not in OTHER_TRANSFORMS:
            add((R.REJECTED, line, pointer, f"unknown transformation {quote(name or step)}: the engine rejects the MLTable "
                 "(InvalidScriptElement); the job fails" + _did_you_mean(name, KNOWN_TRANSFORMS)))
    if read is None:
        add((R.NO_READ_JSON_LINES, _line(node, "transformations") or 1, "/transformations",
             "the MLTable has no 'read_json_lines' transformation; AutoML finds no 'image_url' column and the "
             "job fails"))
    if not stream:
        early = " after 'read_json_lines' (the one before it does nothing)" if converted_early else ""
        add((R.IMAGE_URL_NOT_STREAM, _line(node, "transformations") or 1, "/transformations",
             f"no 'convert_column_types'{early} turns 'image_url' into 'stream_info'; the job fails: \"The data "
             "type of image URL column 'image_url' is STRING, but it should be STREAM\""))


def _check_read_json_lines(options, node, i: int, table: MLTable) -> None:
    add = table.findings.append
    base = f"/transformations/{i}/read_json_lines"
    if options is None:
        return
    if not isinstance(options, dict):
        add((R.READ_OPTION_INVALID, _line(node, "transformations", i), base,
             "read_json_lines takes a mapping of options"))
        return

    def where(key):
        return _line(node, "transformations", i, "read_json_lines", key)

    for key, value in options.items():
        if key not in READ_JSON_OPTIONS:
            add((R.READ_OPTION_INVALID, where(key), f"{base}/{key}", f"unknown read_json_lines option {quote(key)}"))
    encoding = options.get("encoding", "utf8")
    if encodings.family(encoding) is None:
        add((R.READ_OPTION_INVALID, where("encoding"), f"{base}/encoding", f"encoding {quote(encoding)} is not one the "
             f"engine accepts ({', '.join(encodings.ACCEPTED)}, in any case); the MLTable is rejected"))
    else:
        table.encoding = encoding
    if "path_column" in options and options["path_column"] != "Path":
        add((R.READ_OPTION_INVALID, where("path_column"), f"{base}/path_column", f"path_column "
             f"{quote(options['path_column'])}: the engine only finds its default column 'Path' (\"Required field does "
             "not exist in the record\"); the job fails"))
    invalid = options.get("invalid_lines", "error")
    if invalid in ("error", "drop"):
        table.invalid_lines = invalid
    if invalid == "drop":
        add((R.INVALID_LINES_DROP, where("invalid_lines"), f"{base}/invalid_lines", "invalid_lines: drop — lines "
             "that are not valid JSON are silently discarded (use 'error')"))
    elif invalid != "error":
        add((R.READ_OPTION_INVALID, where("invalid_lines"), f"{base}/invalid_lines",
             f"invalid_lines {quote(invalid)} must be 'error' or 'drop' (in lower case); the MLTable is rejected"))
    size = options.get("partition_size")
    if "partition_size" in options and (type(size) is not int or size < 0):
        add((R.READ_OPTION_INVALID, where("partition_size"), f"{base}/partition_size", f"partition_size {quote(size)} "
             "must be a number of bytes; the MLTable is rejected"))
    include = options.get("include_path_column", False)
    if type(include) is not bool:
        add((R.READ_OPTION_INVALID, where("include_path_column"), f"{base}/include_path_column",
             f"include_path_column {quote(include)} must be true or false"))


def _other_conversions(value) -> list[tuple[str, str]]:
    """(column, type) of the conversions of columns other than image_url to stream_info."""
    out = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        columns = item.get("columns")
        columns = [columns] if isinstance(columns, str) else columns if isinstance(columns, list) else []
        kind = item.get("column_type")
        stream = kind == "stream_info" or (isinstance(kind, dict) and "stream_info" in kind)
        out.extend((c, repr(kind) if not isinstance(kind, str) else kind) for c in columns
                   if isinstance(c, str) and not (c == "image_url" and stream))
    return out


def _converts_image_url(value) -> bool:
    if not isinstance(value, list):
        return False
    for item in value:
        if not isinstance(item, dict):
            continue
        columns = item.get("columns")
        columns = [columns] if isinstance(columns, str) else columns
        kind = item.get("column_type")
        is_stream = kind == "stream_info" or (isinstance(kind, dict) and "stream_info" in kind)
        if isinstance(columns, list) and "image_url" in columns and is_stream:
            return True
    return False


def _check_bom(table: MLTable) -> None:
    if table.encoding.lower() not in ("utf8", "utf-8", "ascii"):
        return
    for path in table.jsonl:
        if path.endswith(".gz"):
            continue
        try:
            with open(path, "rb") as fh:
                head = fh.read(3)
        except OSError:
            continue
        if head == b"\xef\xbb\xbf":
            table.findings.append((R.ENCODING_BOM, None, "", f"{os.path.basename(path)} starts with a UTF-8 BOM "
                                   "but the MLTable says 'encoding: utf8' (use 'utf-8 bom')"))


def shared_jsonl(training: list[str], validation: list[str]) -> list[str]:
    """JSONL files read by both the training and the validation data."""
    train = {os.path.realpath(p) for p in training}
    return [p for p in validation if os.path.realpath(p) in train]


def lint(path: str, settings, role: str = "training", training: list | None = None) -> list:
    """Lint an MLTable and every local JSONL it reads: the MLTable's own FileResult first.

    ``training``: the training FileResults, to flag a validation MLTable that reads the training JSONL.
    """
    from automl_lint.engine import FileResult, lint_file

    table = load(path, getattr(settings, "allow_outside", False))
    if role == "validation" and training:
        for shared in shared_jsonl([r.path for r in training], table.jsonl):
            table.findings.append((R.SAME_DATA_AS_TRAINING, None, "/paths", f"the validation data reads "
                                   f"{shared}, which is also training data: validation measures memorisation"))
    own = FileResult(path, None, False, "mltable", role=role)
    for p in table.problems(settings):
        own.add(p, settings.enabled)
    # The MLTable's read_json_lines options are the reader settings of its files.
    has_validation = getattr(settings, "has_validation", False)
    settings = dataclasses.replace(settings, invalid_lines=table.invalid_lines, encoding=table.encoding)
    settings.has_validation = has_validation
    if len(table.jsonl) <= 1:
        return [own] + [lint_file(p, settings, role=role, window=table.window, columns=table.columns)
                        for p in table.jsonl]
    # AutoML reads every file of the MLTable as one dataset: the dataset rules judge them together.
    part = dataclasses.replace(settings, dataset_checks=False)
    part.has_validation = getattr(settings, "has_validation", False)
    parts = [lint_file(p, part, role=role) for p in table.jsonl]
    for r in parts:
        r.part_of = own.path
    _check_as_one_dataset(own, parts, settings)
    return [own] + parts


def _check_as_one_dataset(own, parts: list, settings) -> None:
    """Dataset rules on the union of the parts, reported on the MLTable; lines are counted across the files."""
    from automl_lint.engine import settings_has_validation
    from automl_lint.rules import dataset

    state, offset, spans = None, 0, []
    for r in parts:
        lines = r.lines
        if state is None:
            state = dataclasses.replace(r.state, classes=r.state.classes.copy(), class_lines=dict(r.state.class_lines),
                                        type_lines=dict(r.state.type_lines), url_hashes=r.state.url_hashes[:],
                                        url_lines=r.state.url_lines[:])
        else:
            state.merge(r.state, offset)
        spans.append(f"{os.path.basename(r.path)} {offset + 1}-{offset + lines}")
        offset += lines
    own.task = next((r.task for r in parts if r.task), None)
    own.state = state  # the records stay counted on the parts
    if own.task is None or settings.kind != "training":
        return
    where = f" (lines counted across the files in the MLTable's order: {', '.join(spans)})"
    for rule, message, *rest in dataset.check_dataset(state, own.task, settings, settings_has_validation(settings),
                                                      role=own.role):
        consequence = [x for x in rest if isinstance(x, Consequence)]
        own.add(Problem(own.path, None, "", rule.code, rule.name, settings.severities[rule.code],
                        consequence[0] if consequence else rule.consequence, message + where), settings.enabled)
