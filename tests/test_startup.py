"""Start-up: a plain run imports only what it uses.

Every pre-commit hook and CI step pays the interpreter's imports before the first line is read. These tests pin
which heavy packages a plain text run must not load (no timing: what is imported is exact and machine-independent).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Loaded only by the runs that need them: pydantic by nothing (typer 0.29 would import it and build a validator
# per option at each start), Pillow and SQLite by --images, rich by the table and HTML reports and progress bars,
# asyncio by Blob storage, Dask by --dask, PyYAML by MLTables.
NOT_FOR_A_PLAIN_RUN = ("pydantic", "PIL", "sqlite3", "rich", "asyncio", "distributed", "dask", "yaml")

_PROBE = """
import os, sys
from automl_lint.cli import main
rc = main(sys.argv[1:])
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(os.environ["HEAVY"].split(",")))
print("probe:", rc, ",".join(heavy), file=sys.stderr)
"""


def _loaded(*args: str) -> tuple[int, set[str]]:
    env = dict(os.environ, HEAVY=",".join(NOT_FOR_A_PLAIN_RUN))
    err = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, env=env,
                         check=True).stderr
    out = err.rsplit("probe:", 1)[1].split()
    return int(out[0]), set(out[1].split(",")) if len(out) > 1 else set()


@pytest.mark.parametrize("args", [
    ["--version"],
    [str(FIXTURES / "valid"), "--format", "json", "-o", os.devnull],
    [str(FIXTURES / "valid" / "object-detection.jsonl"), "--format", "concise"],
])
def test_a_plain_run_loads_no_heavy_package(args):
    rc, loaded = _loaded(*args)
    assert rc == 0
    assert loaded == set()


def test_the_probe_sees_a_package_that_a_run_does_load():
    # The table report draws with rich: the same probe must see it, or the test above proves nothing.
    rc, loaded = _loaded(str(FIXTURES / "valid"), "--format", "table")
    assert rc == 0
    assert "rich" in loaded
