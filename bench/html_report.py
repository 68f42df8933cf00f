#!/usr/bin/env python3
"""What --format html costs on a large file: wall time over --format json (the same run), and the page's size.

    python bench/generate.py --task od --lines 1000000 --invalid-fraction 0.1 /tmp/od1m.jsonl
    python bench/html_report.py /tmp/od1m.jsonl --task od --runs 3

Prints the median seconds of each format, the extra seconds the page takes (reading the file once more,
the distributions' sample, drawing) and the bytes of each output. A benchmark, not a test: run it on an idle
machine and say when it was not.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("jsonl")
    p.add_argument("--task", default="auto")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    exe = [sys.executable, "-m", "automl_lint"]
    with tempfile.TemporaryDirectory() as tmp:
        rows = {}
        for fmt in ("json", "html"):
            out = os.path.join(tmp, f"report.{fmt}")
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                subprocess.run([*exe, args.jsonl, "--task", args.task, "--format", fmt, "-o", out, "--exit-zero"],
                               check=True)
                times.append(time.perf_counter() - start)
            rows[fmt] = (statistics.median(times), os.path.getsize(out))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.jsonl}: {os.path.getsize(args.jsonl):,} bytes; median of {args.runs} run(s); load average {load:.1f}")
    for fmt, (seconds, size) in rows.items():
        print(f"  --format {fmt:<5} {seconds:8.2f} s  {size:>12,} bytes")
    print(f"  the page costs {rows['html'][0] - rows['json'][0]:.2f} s more than the JSON report")
    return 0


if __name__ == "__main__":
    sys.exit(main())
