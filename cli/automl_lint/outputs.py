"""Where a run writes (the report, a baseline): never over one of its inputs.

``-o train.jsonl`` or ``--write-baseline train.jsonl`` would silently replace the dataset; so would the same
file reached through another spelling, a symbolic link or a hard link. Files are compared by device and
inode, so every spelling of an input is recognised.
"""

from __future__ import annotations

import os

from automl_lint.reader import SourceError


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None  # does not exist yet (or cannot be named): nothing to overwrite
    return st.st_dev, st.st_ino


def refuse_overwriting_inputs(inputs: list[str], output_file: str | None, write_baseline: str | None,
                              baseline: str | None) -> None:
    """Raise SourceError (exit 2) when ``-o`` or ``--write-baseline`` names an input, or both name one file.

    ``--write-baseline`` may name the ``--baseline`` it replaces; the report may not.
    """
    from automl_lint.escape import plain

    known: dict = {}
    for path in inputs:
        if path not in ("-", "<stdin>"):
            ident = _identity(path)
            if ident is not None:
                known.setdefault(ident, f"the input {path}")
    for option, target in (("--write-baseline", write_baseline), ("--output-file", output_file)):
        if not target:
            continue
        if option == "--output-file" and baseline and _identity(baseline) is not None:
            known.setdefault(_identity(baseline), f"the baseline {baseline}")
        ident = _identity(target) or os.path.realpath(target)  # a file still to be created: by its name
        if ident in known:
            raise SourceError(f"{option} {plain(target)} is {plain(known[ident])}: refusing to overwrite it")
        known[ident] = f"also written by {option}"
