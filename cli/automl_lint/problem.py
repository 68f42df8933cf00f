"""The one thing every part of automl-lint exchanges: a Problem found in a dataset."""

from __future__ import annotations

import hashlib
import reprlib
from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.ERROR: 3, Severity.WARNING: 2, Severity.INFO: 1}


class Consequence(str, Enum):
    """What AutoML does with the record, most serious first."""

    FAILS_JOB = "fails-job"
    DROPS_IMAGE = "drops-image"
    DROPS_ANNOTATION = "drops-annotation"
    ALTERS_VALUE = "alters-value"
    NONE = "none"

    @property
    def rank(self) -> int:
        return _CONSEQUENCE_RANK[self]


_CONSEQUENCE_RANK = {
    Consequence.FAILS_JOB: 4,
    Consequence.DROPS_IMAGE: 3,
    Consequence.DROPS_ANNOTATION: 2,
    Consequence.ALTERS_VALUE: 1,
    Consequence.NONE: 0,
}


@dataclass(slots=True)
class Problem:
    """One finding. ``line`` is None for a finding about the whole file."""

    path: str
    line: int | None
    pointer: str
    code: str
    name: str
    severity: Severity
    consequence: Consequence
    message: str
    column: int | None = None
    # What identifies the finding independently of its line number (for baselines and fingerprints).
    image_url: str | None = None
    # Without an image_url: a hash of the raw line, taken while it was read (inputs are never read twice).
    line_hash: str | None = None

    def text(self) -> str:
        """The one readable shape of a finding: ``/pointer: message [consequence]``.

        The pointer leads like a field name; AutoML's consequence closes in brackets, and is left out when
        AutoML is not affected (never a bare "(none)").
        """
        where = f"{self.pointer}: " if self.pointer else ""
        if self.pointer == "/image_url" and self.image_url and self.image_url not in self.message:
            where = f"{self.pointer} {self.image_url!r}: "  # image findings name the image
        tail = f" [{self.consequence.value}]" if self.consequence is not Consequence.NONE else ""
        return f"{where}{self.message}{tail}"

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "pointer": self.pointer,
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "consequence": self.consequence.value,
            "message": self.message,
            "image_url": self.image_url,
        }


QUOTE_LIMIT = 80
KEPT_URL = 2048  # an image_url a Problem keeps (and reports print) is at most about this long


def kept_url(url: str) -> str:
    """The image_url a Problem carries: the value itself, or for a huge one its start and a hash of the whole
    (distinct values stay distinct for baselines and fingerprints; every report stays small)."""
    if len(url) <= KEPT_URL:
        return url
    digest = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{url[:KEPT_URL - 100]}... ({len(url):,} characters, sha256 {digest})"


def quote(value, limit: int = QUOTE_LIMIT) -> str:
    """A value from the data as a message shows it: its repr, cut to ``limit`` characters.

    A message locates a problem; it never carries a whole value (which may be megabytes long, or a secret
    from a file that should not have been read).
    """
    if type(value) is str:
        if len(value) <= limit:
            return repr(value)
        return repr(value[:limit]) + f"... ({len(value):,} characters)"
    text = _REPR.repr(value)  # bounded: never builds the repr of a whole large list or object
    return text if len(text) <= limit else text[:limit] + "..."


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxtuple = 2, 6, 6, 6
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = QUOTE_LIMIT
