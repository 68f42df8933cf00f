import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@pytest.fixture
def run_json(capsys):
    """Run the CLI in-process with --format json; return (exit code, parsed document)."""
    from automl_lint.cli import main

    def run(*args: str):
        rc = main([*map(str, args), "--format", "json"])
        out = capsys.readouterr().out
        return rc, (json.loads(out) if out.strip() else None)

    return run


def codes_at(doc: dict) -> set[tuple]:
    return {(p["line"], p["code"]) for f in doc["files"] for p in f["problems"]}


@pytest.fixture
def image_reads(monkeypatch) -> list:
    """The real paths of every local image file automl-lint reads bytes from, in order (Linux: /proc)."""
    import os

    from automl_lint.images import storage

    opened = []
    real = storage._pread

    def pread(fd):
        opened.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)
    monkeypatch.setattr(storage, "_pread", pread)
    return opened
