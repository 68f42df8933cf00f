"""Where a run writes (the report, a baseline): never over one of its inputs.

``-o train.jsonl`` or ``--write-baseline train.jsonl`` would silently replace the dataset; so would the same
file reached through another spelling, a symbolic link or a hard link. Files are compared by device and
inode, so every spelling of an input is recognised. Nor does a run write over an image file (``-o img/cat.jpg``
next to ``--images`` would replace a picture of the dataset with a report): an existing regular file that starts
like a JPEG, PNG, GIF, BMP, TIFF or WebP image is refused whatever run names it.
"""

from __future__ import annotations

import os
import stat

from automl_lint.reader import SourceError

# The first bytes of the image formats AutoML reads (Pillow decodes them): a file starting so is never a report.
# (BMP's "BM" also needs the header's reserved zero bytes: a concise report of BMW.jsonl starts with "BM" too.)
_IMAGE_STARTS = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None  # does not exist yet (or cannot be named): nothing to overwrite
    return st.st_dev, st.st_ino


def is_image_file(path: str) -> bool:
    """True when ``path`` is an existing regular file whose first bytes are an image's (never opens a FIFO or a
    device: ``-o /dev/stdout`` stays allowed)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as fh:
            head = fh.read(12)
    except (OSError, ValueError):
        return False
    return (head.startswith(_IMAGE_STARTS) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
            or (head[:2] == b"BM" and head[6:10] == b"\x00\x00\x00\x00"))


def refuse_overwriting_inputs(inputs: list[str], output_file: str | None, write_baseline: str | None,
                              baseline: str | None) -> None:
    """Raise SourceError (exit 2) when ``-o`` or ``--write-baseline`` names an input or an image file, or both name
    one file.

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
        if is_image_file(target):
            raise SourceError(f"{option} {plain(target)} is an image file: refusing to overwrite it")
        if option == "--output-file" and baseline and _identity(baseline) is not None:
            known.setdefault(_identity(baseline), f"the baseline {baseline}")
        ident = _identity(target) or os.path.realpath(target)  # a file still to be created: by its name
        if ident in known:
            raise SourceError(f"{option} {plain(target)} is {plain(known[ident])}: refusing to overwrite it")
        known[ident] = f"also written by {option}"
