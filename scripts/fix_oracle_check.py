"""Re-check the fix corpus (tests/fix_corpus) against Microsoft's reader classes, by hand.

    python scripts/fix_oracle_check.py                      # oracle at ../shared/oracle/oracle
    python scripts/fix_oracle_check.py --oracle PATH/oracle
    python scripts/fix_oracle_check.py --regenerate         # rewrite the stored expected outputs (review them!)

For every task's corpus (lines marked fix / keep / delete in cases.json), on a copy:
- ``--diff --unsafe-fixes`` writes nothing, and its diff applied with ``patch`` gives the fixed file;
- ``--fix --unsafe-fixes`` gives the stored ``<task>.fixed.jsonl`` (the intended values), ``--fix`` alone the
  stored ``<task>.safe.jsonl``; ``keep`` lines are byte-identical, ``delete`` lines gone;
- a second ``--fix --unsafe-fixes`` changes nothing;
- the oracle reads every ``fix`` line of the fixed file as written (verdict ``accept``);
- a fix into a read-only folder exits 2 with the input unchanged.
The default test suite (tests/test_fix_corpus.py) runs all of this except the oracle.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fix_corpus"
TASKS = ("mc", "ml", "od", "is")


def lint(*args: str, cwd: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "automl_lint", *args, "--isolated", "-q", "-f", "concise"],
                          cwd=cwd, capture_output=True)


def cases() -> dict:
    return json.loads((CORPUS / "cases.json").read_text())


def check_task(task: str, work: str, oracle: str | None = None) -> list[str]:
    """The failures for one task's corpus (empty when everything holds); prints figures."""
    failures: list[str] = []
    source = (CORPUS / f"{task}.jsonl").read_bytes()
    expected = (CORPUS / f"{task}.fixed.jsonl").read_bytes()
    marks = cases()[task]
    name = f"{task}.jsonl"
    path = os.path.join(work, name)
    Path(path).write_bytes(source)

    # --diff writes nothing; the diff applied with patch gives the fixed file.
    before = sorted(os.listdir(work))
    proc = lint(name, "--task", task, "--diff", "--unsafe-fixes", cwd=work)
    if proc.returncode != 1:
        failures.append(f"{task}: --diff exit {proc.returncode}, expected 1 ({proc.stderr.decode()})")
    if Path(path).read_bytes() != source or sorted(os.listdir(work)) != before:
        failures.append(f"{task}: --diff wrote something")
    patched = os.path.join(work, f"{task}.patched.jsonl")
    Path(patched).write_bytes(source)
    p = subprocess.run(["patch", "--quiet", patched], input=proc.stdout, capture_output=True)
    if p.returncode != 0 or Path(patched).read_bytes() != expected:
        failures.append(f"{task}: the --diff patch does not give the fixed file ({p.stdout.decode()}"
                        f"{p.stderr.decode()})")
    os.unlink(patched)

    # A read-only folder: exit 2, input unchanged.
    folder = os.path.join(work, "readonly")
    os.mkdir(folder)
    ro = os.path.join(folder, name)
    Path(ro).write_bytes(source)
    os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)
    try:
        proc = lint(ro, "--task", task, "--fix", "--unsafe-fixes", cwd=work)
        if proc.returncode != 2 or Path(ro).read_bytes() != source or os.listdir(folder) != [name]:
            failures.append(f"{task}: read-only folder: exit {proc.returncode}, input or folder changed")
    finally:
        os.chmod(folder, stat.S_IRWXU)
        shutil.rmtree(folder)

    # Safe fixes alone.
    Path(path).write_bytes(source)
    lint(name, "--task", task, "--fix", cwd=work)
    if Path(path).read_bytes() != (CORPUS / f"{task}.safe.jsonl").read_bytes():
        failures.append(f"{task}: --fix differs from {task}.safe.jsonl")

    # --fix --unsafe-fixes, then again.
    Path(path).write_bytes(source)
    lint(name, "--task", task, "--fix", "--unsafe-fixes", cwd=work)
    fixed = Path(path).read_bytes()
    if fixed != expected:
        failures.append(f"{task}: --fix --unsafe-fixes differs from {task}.fixed.jsonl")
    lint(name, "--task", task, "--fix", "--unsafe-fixes", cwd=work)
    if Path(path).read_bytes() != fixed:
        failures.append(f"{task}: a second --fix changed the file")

    old_lines = source.splitlines(keepends=True)
    new_lines = fixed.splitlines(keepends=True)
    kept = [line for line, mark in zip(old_lines, marks) if mark != "delete"]
    if len(kept) != len(new_lines):
        failures.append(f"{task}: {len(new_lines)} lines after fixing, expected {len(kept)}")
        return failures
    identical = changed = 0
    fix_lines = []
    for n, (old, new, mark) in enumerate(zip(kept, new_lines, [m for m in marks if m != "delete"]), start=1):
        if mark == "keep":
            identical += old == new
            if old != new:
                failures.append(f"{task}: line {n} has no fix but changed")
        else:
            changed += old != new
            fix_lines.append(n)
            if old == new:
                failures.append(f"{task}: line {n} should have been fixed")
    accepted = None
    if oracle:
        accepted = 0
        verdicts = _oracle(oracle, task, path)
        for n in fix_lines:
            v = verdicts.get(n, {})
            if v.get("verdict") == "accept":
                accepted += 1
            else:
                failures.append(f"{task}: fixed line {n}: oracle says {v.get('verdict')} ({v.get('detail', '')})")
    print(f"{task}: {len(fix_lines)} fixable line(s) fixed ({changed} changed"
          + (f", {accepted} accepted by the oracle" if accepted is not None else "")
          + f"); {identical}/{marks.count('keep')} line(s) without a fix byte-identical; "
          f"{marks.count('delete')} line(s) deleted")
    return failures


def _oracle(oracle: str, task: str, path: str) -> dict[int, dict]:
    proc = subprocess.run([oracle, "--task", task, path], capture_output=True, text=True)
    verdicts = {}
    for line in proc.stdout.splitlines():
        if line.strip():
            v = json.loads(line)
            verdicts[v["line"]] = v
    return verdicts


def regenerate() -> None:
    with tempfile.TemporaryDirectory() as work:
        for task in TASKS:
            for suffix, extra in (("safe", []), ("fixed", ["--unsafe-fixes"])):
                path = os.path.join(work, f"{task}.jsonl")
                shutil.copy(CORPUS / f"{task}.jsonl", path)
                lint(path, "--task", task, "--fix", *extra, cwd=work)
                shutil.copy(path, CORPUS / f"{task}.{suffix}.jsonl")
    print("rewrote the expected outputs: review them (git diff tests/fix_corpus) before committing")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", default=str(ROOT.parent / "shared" / "oracle" / "oracle"))
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    if args.regenerate:
        regenerate()
        return 0
    if not os.path.exists(args.oracle):
        print(f"no oracle at {args.oracle} (see ../shared/oracle/README.md)", file=sys.stderr)
        return 2
    failures = []
    for task in TASKS:
        with tempfile.TemporaryDirectory() as work:
            failures += check_task(task, work, args.oracle)
    for f in failures:
        print("FAIL", f)
    print("all checks hold" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
