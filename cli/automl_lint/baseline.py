"""Known findings recorded in a baseline file, and what identifies a finding without its line number.

JSONL has no comments, so suppressions live beside the data. A finding is keyed by
(path, rule code, image_url, JSON pointer, occurrence): lines can be added, removed or reordered and
the key stays the same. A record without a usable ``image_url`` is identified by a hash of its raw
line instead. SARIF and GitLab fingerprints are built from the same key.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass

import orjson

from automl_lint.engine import FileResult
from automl_lint.problem import Problem, quote
from automl_lint.reader import SourceError
from automl_lint.rules import tool
from automl_lint.settings import Settings

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class FindingKey:
    path: str  # relative to the baseline's directory (or the repository root for fingerprints)
    code: str
    record: str  # the image_url, "line:<sha256 of the raw line>" without one, "" for file-level findings
    pointer: str
    occurrence: int  # among findings with the same other fields, in file order

    def fingerprint(self) -> str:
        text = "\x1f".join((self.path, self.code, self.record, self.pointer, str(self.occurrence)))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def to_dict(self) -> dict:
        return {"path": self.path, "code": self.code, "record": self.record, "pointer": self.pointer,
                "occurrence": self.occurrence}


def repository_root(start: str | None = None) -> str:
    """The enclosing git work tree of ``start`` (default: the working directory), else ``start`` itself."""
    here = os.path.abspath(start or os.getcwd())
    d = here
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return here
        d = parent


def relative_path(path: str, root: str) -> str:
    """``path`` relative to ``root`` with forward slashes; absolute when it lies outside ``root``."""
    if path in ("-", "<stdin>"):
        return "<stdin>"
    full = os.path.abspath(path)
    rel = os.path.relpath(full, root)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return full.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


def finding_keys(result: FileResult, root: str) -> list[FindingKey]:
    """One key per problem of ``result``, in the same order."""
    path = relative_path(result.path, root)
    seen: Counter = Counter()
    keys = []
    for p in result.problems:
        record = _record_identity(p)
        base = (path, p.code, record, p.pointer)
        keys.append(FindingKey(*base, seen[base]))
        seen[base] += 1
    return keys


def _record_identity(p: Problem) -> str:
    if p.line is None:
        return ""
    if p.image_url:
        return p.image_url
    if p.line_hash:
        return "line:" + p.line_hash
    # A finding made without its line at hand: fall back on the message.
    return "message:" + hashlib.sha256(p.message.encode("utf-8", "surrogatepass")).hexdigest()[:16]


# --- The baseline file ------------------------------------------------------------------------------

def write(baseline_path: str, results: list[FileResult]) -> int:
    """Record every current finding; returns how many were written."""
    root = os.path.dirname(os.path.abspath(baseline_path))
    entries = []
    for r in results:
        for p, key in zip(r.problems, finding_keys(r, root)):
            entries.append({**key.to_dict(), "line": p.line, "message": p.message})
    entries.sort(key=lambda e: (e["path"], e["code"], e["record"], e["pointer"], e["occurrence"]))
    doc = {"tool": "automl-lint", "version": FORMAT_VERSION,
           "comment": "Known findings hidden by --baseline; keyed by image_url and pointer, not by line "
                      "(the 'line' and 'message' fields are for people only).",
           "entries": entries}
    try:
        with open(baseline_path, "wb") as fh:
            fh.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    except OSError as exc:
        raise SourceError(f"{baseline_path}: cannot write ({exc.strerror or exc})") from None
    return len(entries)


def load(baseline_path: str) -> list[dict]:
    try:
        with open(baseline_path, "rb") as fh:
            doc = orjson.loads(fh.read())
    except FileNotFoundError:
        raise SourceError(f"{baseline_path}: no such baseline file (create it with --write-baseline)") from None
    except OSError as exc:
        raise SourceError(f"{baseline_path}: cannot read ({exc.strerror or exc})") from None
    except orjson.JSONDecodeError as exc:
        raise SourceError(f"{baseline_path}: not a baseline file ({exc})") from None
    if type(doc) is not dict or doc.get("tool") != "automl-lint" or type(doc.get("entries")) is not list:
        raise SourceError(f"{baseline_path}: not an automl-lint baseline file")
    if doc.get("version") != FORMAT_VERSION:
        raise SourceError(f"{baseline_path}: baseline format version {doc.get('version')!r} is not supported")
    fields = ("path", "code", "record", "pointer", "occurrence")
    for i, e in enumerate(doc["entries"]):
        if type(e) is not dict or any(f not in e for f in fields):
            raise SourceError(f"{baseline_path}: entry {i} lacks one of {', '.join(fields)}")
        if any(type(e[f]) is not str for f in fields[:4]) or type(e["occurrence"]) is not int:
            raise SourceError(f"{baseline_path}: entry {i}: path, code, record and pointer must be strings and "
                              "occurrence an integer")
    return doc["entries"]


def apply(baseline_path: str, results: list[FileResult], settings: Settings) -> int:
    """Hide the findings recorded in the baseline; report its entries that no longer match (AML901).

    Entries about files not linted in this run, or about rules not enabled for the file, are left alone
    (pre-commit passes only changed files; --select narrows a run). Returns the number of hidden findings.
    """
    entries = load(baseline_path)
    root = os.path.dirname(os.path.abspath(baseline_path))
    known: Counter = Counter()
    for e in entries:
        known[FindingKey(e["path"], e["code"], e["record"], e["pointer"], e["occurrence"])] += 1
    hidden = 0
    by_path: dict[str, FileResult] = {}
    for r in results:
        by_path[relative_path(r.path, root)] = r
        kept = []
        for p, key in zip(r.problems, finding_keys(r, root)):
            if known[key] > 0:
                known[key] -= 1
                hidden += 1
                r.baselined.append(p)  # not listed, still part of AutoML's verdict
            else:
                kept.append(p)
        r.problems = kept
    rule = tool.BASELINE_STALE_ENTRY
    for key, left in sorted(known.items(), key=lambda kv: repr(kv[0].to_dict())):
        r = by_path.get(key.path)
        if r is None or left <= 0:
            continue
        file_settings = settings.for_path(r.path)
        if rule.code not in file_settings.enabled or key.code not in file_settings.enabled:
            continue
        where = f" at {quote(key.pointer)}" if key.pointer else ""  # baseline fields come with the data too
        what = quote(key.record) if key.record and not key.record.startswith(("line:", "message:")) else "a record"
        for _ in range(left):
            r.problems.append(Problem(
                r.path, None, key.pointer, rule.code, rule.name, file_settings.severities[rule.code],
                rule.consequence,
                f"baseline {baseline_path} hides {key.code} for {what}{where}, which is no longer found; "
                "rewrite the baseline with --write-baseline", image_url=None))
    return hidden
