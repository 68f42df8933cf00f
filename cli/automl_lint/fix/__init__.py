"""Fixing what can be fixed (``--fix``, ``--unsafe-fixes``, ``--diff``, ``--fix-output``).

- :mod:`~automl_lint.fix.catalog`: which rules have a fix, and whether it is safe (documentation metadata).
- :mod:`~automl_lint.fix.fixers`: one fixer per rule code, from a record and a finding's pointer to operations.
- :mod:`~automl_lint.fix.spans`: where a value is on its line; fixes are text edits, nothing else moves.
- :mod:`~automl_lint.fix.images`: what ``--images`` learned about each image (real size, format), compactly.
- :mod:`~automl_lint.fix.line`: one line, fixed pass after pass, never with a finding it did not have.
- :mod:`~automl_lint.fix.files`: files streamed, written atomically or shown as a unified diff.
- :mod:`~automl_lint.fix.run`: the stage of a run (lint, fix in rounds, lint again), called by
  :func:`automl_lint.api.fix`.
"""
