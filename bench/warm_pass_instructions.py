#!/usr/bin/env python3
"""Instructions per image of the warm image pass, counted by valgrind: a measure this noisy machine cannot move.

    python bench/warm_pass_instructions.py                 # 4,000 images, 3 extra passes
    python bench/warm_pass_instructions.py --count 20000 --passes 2
    PYTHONPATH=/path/to/other/checkout/cli python bench/warm_pass_instructions.py   # another version of the code

The wall time of a warm `--images` run moves by a third with the machine's speed (a shared virtual machine), so
comparing two versions of the image pass by time needs many alternating rounds. Instead this runs the linter in
one process under `valgrind --tool=cachegrind --cache-sim=no` (which only counts the instructions executed) twice:
once with the run's own image pass (on a cache the run before filled), and once with `--passes` more passes over
the same records. The difference, divided by the extra passes and the images, is what one warm pass costs per
image: the locating, the cache's read and decode, the look-up of each file, the rules and the content keys; no
start-up, no text pass. Counts repeat to within ~0.1% between runs; a change that saves 1% shows.

Uses the generated set of bench/images.py (same options: --count, --seed, --data-dir). Needs valgrind on PATH;
without it, says so and exits with status 2. See bench/README.md.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from images import dataset  # noqa: E402  (bench/images.py: the generated image set)

# Runs automl-lint's CLI in this process; its image pass is followed by PASSES more over the same records (their
# image findings removed before each), so that only the passes differ between two counts.
CHILD = """\
import sys
from automl_lint.cli import run
import automl_lint.images.check as check

passes = int(sys.argv[1])
real = check.check_images

def check_images(results, settings, progress=None, probes=None):
    before = [(r, list(r.problems), list(r.ignored)) for r in results]
    real(results, settings, progress, probes)
    for _ in range(passes):
        for r, problems, ignored in before:
            r.problems, r.ignored = list(problems), list(ignored)
        real(results, settings, False, None)

check.check_images = check_images
sys.argv = ["automl-lint", *sys.argv[2:]]
run()
"""


class Failed(Exception):
    """A count could not be made: said in one line, exit status 2."""


def count(valgrind: str, python: str, passes: int, args: list[str]) -> int:
    """Instructions the process executed (cachegrind's "I refs")."""
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "cachegrind.log")
        cmd = [valgrind, "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={os.devnull}",
               f"--log-file={log}", python, "-c", CHILD, str(passes), *args]
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode not in (0, 1):
            raise Failed(f"the linter failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
        with open(log) as fh:
            found = re.search(r"I\s+refs:\s+([\d,]+)", fh.read())
    if not found:
        raise Failed("valgrind gave no instruction count")
    return int(found.group(1).replace(",", ""))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=4000, help="images in the generated set (default 4000)")
    p.add_argument("--passes", type=int, default=3, help="extra warm passes counted (default 3)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--data-dir", default=os.path.join(HERE, ".data"), help="where generated images are cached")
    p.add_argument("--python", default=sys.executable, help="interpreter that runs automl-lint")
    p.add_argument("--valgrind", default=shutil.which("valgrind") or "", help="the valgrind binary")
    a = p.parse_args(argv)
    if not a.valgrind:
        print("warm_pass_instructions: valgrind is not on PATH (apt-get install valgrind)", file=sys.stderr)
        return 2
    if a.passes < 1:
        p.error("--passes must be at least 1")
    folder, train = dataset(a.data_dir, a.count, a.seed)
    # The bytecode of the package that will be imported (this checkout's, or the one PYTHONPATH names), written as
    # a wheel install has it: no module is compiled inside the count.
    package = subprocess.run([a.python, "-c", "import automl_lint, os; print(os.path.dirname(automl_lint.__file__))"],
                             capture_output=True, text=True)
    if package.returncode:
        print(f"warm_pass_instructions: {a.python} cannot import automl_lint", file=sys.stderr)
        return 2
    subprocess.run([a.python, "-m", "compileall", "-q", package.stdout.strip()], check=False)
    with tempfile.TemporaryDirectory() as cache:
        args = [train, "--task", "od", "--format", "json", "--output-file", os.devnull, "--exit-zero", "--images",
                "--datastore", f"bench={folder}", "--image-cache", cache, "--jobs", "1"]
        filled = subprocess.run([a.python, "-m", "automl_lint", *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        if filled.returncode:
            print(f"warm_pass_instructions: the linter failed: {filled.stderr.strip()[-500:]}", file=sys.stderr)
            return 2
        try:
            one = count(a.valgrind, a.python, 0, args)
            more = count(a.valgrind, a.python, a.passes, args)
        except Failed as exc:
            print(f"warm_pass_instructions: {exc}", file=sys.stderr)
            return 2
    per_image = (more - one) / a.passes / a.count
    print(f"{a.count} images, {a.passes} extra warm passes: {per_image:,.0f} instructions per image per warm pass "
          f"(whole run with one pass: {one:,} instructions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
