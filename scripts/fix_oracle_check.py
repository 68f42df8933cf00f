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
The same for the image corpus (tests/fix_corpus/images: od, is, mc) with ``--images``, on images made here with
Pillow from ``images.json`` (name: width, height, format, EXIF orientation): the oracle decodes them
(``--image-root``) and every fixed line must be accepted with the intended values: each coordinate the fix
changed, times the real width (x) or height (y), gives the pixel value written before; ``image_details`` says
the real size and format.
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
IMAGE_CORPUS = CORPUS / "images"
TASKS = ("mc", "ml", "od", "is")
IMAGE_TASKS = ("od", "is", "mc")


def run_cli(*args: str, cwd: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "automl_lint", *args, "--isolated", "-q", "-f", "concise"],
                          cwd=cwd, capture_output=True)


def cases(corpus: Path = CORPUS) -> dict:
    return json.loads((corpus / "cases.json").read_text())


def make_images(folder: str) -> str:
    """The image corpus's images under FOLDER/ds (plain colours: a few hundred bytes each); returns FOLDER."""
    from PIL import Image

    os.makedirs(os.path.join(folder, "ds"), exist_ok=True)
    for name, (width, height, fmt, orientation) in json.loads((IMAGE_CORPUS / "images.json").read_text()).items():
        options = {}
        if orientation != 1:
            exif = Image.Exif()
            exif[0x0112] = orientation
            options["exif"] = exif.tobytes()
        Image.new("RGB", (width, height), (200, 60, 30)).save(os.path.join(folder, "ds", name), fmt, **options)
    return folder


def check_task(task: str, work: str, oracle: str | None = None, images: bool = False) -> list[str]:
    """The failures for one task's corpus (empty when everything holds); prints figures. ``images``: the image
    corpus, fixed with --images on images made in WORK/imgs."""
    failures: list[str] = []
    corpus = IMAGE_CORPUS if images else CORPUS
    source = (corpus / f"{task}.jsonl").read_bytes()
    expected = (corpus / f"{task}.fixed.jsonl").read_bytes()
    marks = cases(corpus)[task]
    name = f"{task}.jsonl"
    path = os.path.join(work, name)
    Path(path).write_bytes(source)
    root = make_images(os.path.join(work, "imgs")) if images else None
    extra = ["--images", "--image-root", root, "--image-cache="] if images else []
    label = f"images/{task}" if images else task

    def lint(*args: str, cwd: str) -> subprocess.CompletedProcess:
        return run_cli(*args, *extra, cwd=cwd)

    # --diff writes nothing; the diff applied with patch gives the fixed file.
    before = sorted(os.listdir(work))
    proc = lint(name, "--task", task, "--diff", "--unsafe-fixes", cwd=work)
    if proc.returncode != 1:
        failures.append(f"{label}: --diff exit {proc.returncode}, expected 1 ({proc.stderr.decode()})")
    if Path(path).read_bytes() != source or sorted(os.listdir(work)) != before:
        failures.append(f"{label}: --diff wrote something")
    patched = os.path.join(work, f"{task}.patched.jsonl")
    Path(patched).write_bytes(source)
    p = subprocess.run(["patch", "--quiet", patched], input=proc.stdout, capture_output=True)
    if p.returncode != 0 or Path(patched).read_bytes() != expected:
        failures.append(f"{label}: the --diff patch does not give the fixed file ({p.stdout.decode()}"
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
            failures.append(f"{label}: read-only folder: exit {proc.returncode}, input or folder changed")
    finally:
        os.chmod(folder, stat.S_IRWXU)
        shutil.rmtree(folder)

    # Safe fixes alone.
    Path(path).write_bytes(source)
    lint(name, "--task", task, "--fix", cwd=work)
    if Path(path).read_bytes() != (corpus / f"{task}.safe.jsonl").read_bytes():
        failures.append(f"{label}: --fix differs from {task}.safe.jsonl")

    # --fix --unsafe-fixes, then again.
    Path(path).write_bytes(source)
    lint(name, "--task", task, "--fix", "--unsafe-fixes", cwd=work)
    fixed = Path(path).read_bytes()
    if fixed != expected:
        failures.append(f"{label}: --fix --unsafe-fixes differs from {task}.fixed.jsonl")
    lint(name, "--task", task, "--fix", "--unsafe-fixes", cwd=work)
    if Path(path).read_bytes() != fixed:
        failures.append(f"{label}: a second --fix changed the file")

    old_lines = source.splitlines(keepends=True)
    new_lines = fixed.splitlines(keepends=True)
    kept = [line for line, mark in zip(old_lines, marks) if mark != "delete"]
    if len(kept) != len(new_lines):
        failures.append(f"{label}: {len(new_lines)} lines after fixing, expected {len(kept)}")
        return failures
    identical = changed = 0
    fix_lines = []
    for n, (old, new, mark) in enumerate(zip(kept, new_lines, [m for m in marks if m != "delete"]), start=1):
        if mark == "keep":
            identical += old == new
            if old != new:
                failures.append(f"{label}: line {n} has no fix but changed")
        else:
            changed += old != new
            fix_lines.append(n)
            if old == new:
                failures.append(f"{label}: line {n} should have been fixed")
    if images:
        for n in fix_lines:
            failures += [f"{label}: fixed line {n}: {f}" for f in _intended(kept[n - 1], new_lines[n - 1])]
    accepted = None
    if oracle:
        accepted = 0
        verdicts = _oracle(oracle, task, path, root)
        for n in fix_lines:
            v = verdicts.get(n, {})
            if v.get("verdict") == "accept":
                accepted += 1
            else:
                failures.append(f"{label}: fixed line {n}: oracle says {v.get('verdict')} ({v.get('detail', '')})")
    print(f"{label}: {len(fix_lines)} fixable line(s) fixed ({changed} changed"
          + (f", {accepted} accepted by the oracle" if accepted is not None else "")
          + f"); {identical}/{marks.count('keep')} line(s) without a fix byte-identical; "
          f"{marks.count('delete')} line(s) deleted")
    return failures


_SIZES: dict = {}


def _real(url: str) -> tuple | None:
    """(width, height, format) of the corpus image an image_url names, None for one that does not exist."""
    if not _SIZES:
        _SIZES.update(json.loads((IMAGE_CORPUS / "images.json").read_text()))
    name = url.rstrip("/").rsplit("/", 1)[-1]
    return tuple(_SIZES[name][:3]) if name in _SIZES else None


_DOCUMENTED = {"JPEG": ("jpg", "jpeg", "jpe", "jfif"), "PNG": ("png",), "BMP": ("bmp",), "TIFF": ("tiff", "tif")}


def _intended(old_raw: bytes, new_raw: bytes) -> list[str]:
    """Why a fixed line of the image corpus does not hold the intended values (empty when it does): every
    coordinate the fix changed, times the real width (x) or height (y), is the pixel value written before (a
    numeric string counts as its number); image_details state the real size and a spelling of the real format."""
    old, new = json.loads(old_raw), json.loads(new_raw)
    real = _real(new["image_url"])
    if real is None:
        return ["the fixed line names an image that does not exist"]
    width, height, fmt = real
    out = []

    def scaled(before, after, size, where):
        before = float(before)
        if before != after and abs(after * size - before) > 1e-9 * max(1.0, before):
            out.append(f"{where}: {after} x {size} is not {before}")

    old_labels = old["label"] if type(old["label"]) is list else [old["label"]]
    if type(new["label"]) is list:
        for i, (a, b) in enumerate(zip(old_labels, new["label"])):
            if type(a) is not dict:
                continue
            for k, size in (("topX", width), ("topY", height), ("bottomX", width), ("bottomY", height)):
                if k in a and k in b:
                    scaled(a[k], b[k], size, f"/label/{i}/{k}")
            for j, (sa, sb) in enumerate(zip(a.get("polygon") or [], b.get("polygon") or [])):
                for k, (va, vb) in enumerate(zip(sa, sb)):
                    scaled(va, vb, width if k % 2 == 0 else height, f"/label/{i}/polygon/{j}/{k}")
    details = new.get("image_details")
    if details is not None:
        if details.get("width") not in (width, f"{width}px") or details.get("height") not in (height, f"{height}px"):
            out.append(f"image_details size {details.get('width')}x{details.get('height')}, the image is "
                       f"{width}x{height}")
        if "format" in details and details["format"] not in _DOCUMENTED.get(fmt, ()):
            out.append(f"image_details.format {details['format']!r}, the image is {fmt}")
    return out


def _oracle(oracle: str, task: str, path: str, image_root: str | None = None) -> dict[int, dict]:
    extra = ["--image-root", image_root] if image_root else []
    proc = subprocess.run([oracle, "--task", task, path, *extra], capture_output=True, text=True)
    verdicts = {}
    for line in proc.stdout.splitlines():
        if line.strip():
            v = json.loads(line)
            verdicts[v["line"]] = v
    return verdicts


def regenerate() -> None:
    with tempfile.TemporaryDirectory() as work:
        root = make_images(os.path.join(work, "imgs"))
        for corpus, tasks, extra in ((CORPUS, TASKS, []),
                                     (IMAGE_CORPUS, IMAGE_TASKS, ["--images", "--image-root", root, "--image-cache="])):
            for task in tasks:
                for suffix, more in (("safe", []), ("fixed", ["--unsafe-fixes"])):
                    path = os.path.join(work, f"{task}.jsonl")
                    shutil.copy(corpus / f"{task}.jsonl", path)
                    run_cli(path, "--task", task, "--fix", *more, *extra, cwd=work)
                    shutil.copy(path, corpus / f"{task}.{suffix}.jsonl")
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
    for task in IMAGE_TASKS:
        with tempfile.TemporaryDirectory() as work:
            failures += check_task(task, work, args.oracle, images=True)
    for f in failures:
        print("FAIL", f)
    print("all checks hold" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
