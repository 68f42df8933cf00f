"""Signals on a real process with real workers (--jobs 2): SIGTERM, SIGHUP and even SIGKILL of the parent end
every worker promptly, with one line on stderr and no traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not os.path.isdir("/proc"), reason="needs fork and /proc")

LINE = json.dumps({"image_url": "AmlDatastore://ds/a.jpg", "label": [
    {"label": "cat", "topX": 0.5, "topY": 0.1, "bottomX": 0.1, "bottomY": 0.5, "isCrowd": 0}]}) + "\n"


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = tmp_path_factory.mktemp("signals") / "big.jsonl"
    path.write_text(LINE * 300_000)  # ~40 MB of findings: seconds of work for each worker
    return path


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=lambda s: s.name)
def test_a_signal_to_the_parent_ends_the_workers_promptly(signum, big):
    proc = subprocess.Popen([sys.executable, "-m", "automl_lint", str(big), "--jobs", "2", "--format", "concise",
                             "--max-problems", "10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(_children(proc.pid)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert len(workers) == 2 and proc.poll() is None, "the workers never started"
    sent = time.monotonic()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 10
    while any(_running(w) for w in workers) and time.monotonic() - sent < 10:
        time.sleep(0.05)
    assert not any(_running(w) for w in workers), "a worker outlived its parent"
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        return
    assert proc.returncode == 128 + signum
    assert err == f"automl-lint: terminated ({signum.name})\n", err
