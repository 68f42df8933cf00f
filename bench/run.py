#!/usr/bin/env python3
"""automl-lint benchmark: floor vs naive vs automl-lint on synthetic JSONL files.

    python bench/run.py              # full run (~3 GB of cached data in bench/.data/)
    python bench/run.py --quick      # 10x fewer lines, smoke run
    python bench/run.py --only od-sample,od --repeat 3

Every measurement is a fresh subprocess; wall time is measured around
spawn + os.wait4(), peak RSS is the ru_maxrss that os.wait4() returns for that
child (the largest single process in its tree).  For automl-lint runs the
summed RSS of the whole process tree is also sampled from /proc every 50 ms
("tree RSS"), which matters when --jobs spawns worker processes.

See bench/README.md for how to read the output.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import generate  # noqa: E402  (bench/generate.py)

DEFAULT_SCHEMAS = {
    "od": os.path.join(REPO, "schemas", "training-object-detection.json"),
    "is": os.path.join(REPO, "schemas", "training-instance-segmentation.json"),
}
DEFAULT_LINTER_ARGS = "{file} --task {task} --format json --output-file /dev/null --exit-zero"

# The baselines.  argv[1] = data file (, argv[2] = schema).
FLOOR_CODE = """\
import sys, orjson
loads = orjson.loads
E = orjson.JSONDecodeError
with open(sys.argv[1], 'rb') as f:
    for line in f:
        try:
            loads(line)
        except E:
            pass
"""

NAIVE_CODE = """\
import sys, json, orjson, jsonschema
with open(sys.argv[2], 'rb') as f:
    schema = json.load(f)
validator = jsonschema.Draft202012Validator(schema)
iter_errors = validator.iter_errors
loads = orjson.loads
E = orjson.JSONDecodeError
n = 0
with open(sys.argv[1], 'rb') as f:
    for line in f:
        try:
            instance = loads(line)
        except E:
            n += 1
            continue
        for error in iter_errors(instance):
            n += 1
print('errors', n, file=sys.stderr)
"""


@dataclass
class Scenario:
    name: str
    task: str
    lines: int
    invalid: float
    approaches: list  # of "floor", "naive", "lint-j1", "lint"
    note: str = ""


def scenarios(scale: int) -> list[Scenario]:
    M, K = 1_000_000 // scale, 100_000 // scale
    lint = ["lint-j1", "lint"]
    return [
        Scenario("od-sample", "od", K, 0.0, ["floor", "naive"] + lint,
                 "od sample for the naive comparison (prefix of od)"),
        Scenario("od", "od", M, 0.0, ["floor", "naive-extrap"] + lint, "od clean"),
        Scenario("od-10pct", "od", M, 0.1, ["floor"] + lint, "od, 10% invalid lines"),
        Scenario("od-100pct", "od", M, 1.0, ["floor"] + lint, "od, every line invalid"),
        Scenario("is", "is", K, 0.0, ["floor", "naive"] + lint, "instance segmentation"),
        Scenario("mc", "mc", M, 0.0, ["floor"] + lint, "multi-class"),
        Scenario("ml", "ml", M, 0.0, ["floor"] + lint, "multi-label"),
    ]


GROWTH_FRACTIONS = (0.25, 0.5, 1.0)  # of the od line count
# Time / floor targets (issue 14): detection and segmentation lines are long, so the parse weighs more.
FLOOR_LIMITS = {"od": 2.0, "is": 2.0, "mc": 2.5, "ml": 2.5}


@dataclass
class Measurement:
    seconds: float
    maxrss_kb: int
    tree_kb: int | None
    rc: int
    stderr: str


@dataclass
class Row:
    scenario: str
    approach: str
    lines: int
    bytes: int
    seconds: float | None = None
    maxrss_kb: int | None = None
    tree_kb: int | None = None
    error: str | None = None
    runs: list = field(default_factory=list)
    extrapolated: bool = False


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes
def _proc_tree_rss_kb(root: int, page_kb: int) -> int:
    """Sum of RSS of ``root`` and all its descendants (scan of /proc)."""
    parent, rss = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                s = f.read()
        except OSError:
            continue
        fields = s[s.rindex(b")") + 2:].split()
        pid = int(d)
        parent[pid] = int(fields[1])
        rss[pid] = int(fields[21])
    total, todo, seen = 0, [root], set()
    children: dict[int, list] = {}
    for pid, pp in parent.items():
        children.setdefault(pp, []).append(pid)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += rss.get(pid, 0) * page_kb
        todo.extend(children.get(pid, ()))
    return total


# The measured command is started by this small launcher, not by run.py itself:
# on Linux a child's ru_maxrss starts at the high-water RSS of the process it was
# forked from (it is carried over at fork and recorded again at exec), so spawning
# directly from run.py (which generates data and grows) would inflate the peak RSS
# of small children.  The launcher is a fresh ~10 MB interpreter; it times
# spawn -> exit of the command and returns the command's own rusage from wait4.
LAUNCHER_CODE = """\
import os, sys, time, json
cmd = json.loads(sys.argv[1])
err = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
null = os.open(os.devnull, os.O_RDWR)
fa = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, err, 2)]
t0 = time.perf_counter()
try:
    pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=fa)
except OSError as e:
    print(json.dumps({"spawn_error": str(e)}))
    sys.exit(0)
print(pid, flush=True)
_, status, ru = os.wait4(pid, 0)
t = time.perf_counter() - t0
print(json.dumps({"seconds": t, "maxrss_kb": ru.ru_maxrss, "rc": os.waitstatus_to_exitcode(status)}))
"""


def run_measured(cmd: list[str], sample_tree: bool = False, env=None, cwd=None) -> Measurement:
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    peak = [0]
    stop = threading.Event()
    fd, errpath = tempfile.mkstemp(prefix="automl-lint-bench-", suffix=".stderr")
    os.close(fd)
    try:
        launcher = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER_CODE, json.dumps(cmd), errpath],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
                                    env=env, cwd=cwd, start_new_session=True)
        try:
            first = launcher.stdout.readline()
            th = None
            if sample_tree and first.strip().isdigit():
                child = int(first)

                def sampler():
                    while not stop.is_set():
                        try:
                            peak[0] = max(peak[0], _proc_tree_rss_kb(child, page_kb))
                        except Exception:
                            pass
                        stop.wait(0.05)
                th = threading.Thread(target=sampler, daemon=True)
                th.start()
            rest = launcher.stdout.read()
            launcher.wait()
        except BaseException:  # Ctrl-C / SIGTERM: do not leave the measured processes running
            try:
                os.killpg(launcher.pid, signal.SIGKILL)
            except OSError:
                pass
            launcher.wait()
            raise
        finally:
            stop.set()
        if th:
            th.join()
        with open(errpath, "rb") as f:
            f.seek(max(0, os.path.getsize(errpath) - 4000))
            err = f.read().decode("utf-8", "replace")
    finally:
        os.remove(errpath)
    lines = (first + rest).strip().splitlines()
    try:
        res = json.loads(lines[-1])
    except (IndexError, ValueError):
        return Measurement(0.0, 0, None, -1, f"launcher failed (exit {launcher.returncode})")
    if "spawn_error" in res:
        return Measurement(0.0, 0, None, 127, f"cannot start {cmd[0]}: {res['spawn_error']}")
    return Measurement(res["seconds"], res["maxrss_kb"], peak[0] if sample_tree else None, res["rc"], err)


# ---------------------------------------------------------------- data
def gen_hash() -> str:
    with open(generate.__file__, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()[:8]


def data_file(data_dir: str, task: str, lines: int, invalid: float, seed: int) -> str:
    h = gen_hash()
    os.makedirs(data_dir, exist_ok=True)
    name = f"{task}-{lines}-inv{invalid:g}-seed{seed}-{h}.jsonl"
    path = os.path.join(data_dir, name)
    # drop files made by an older generate.py: they are large and never used again
    for old in os.listdir(data_dir):
        if old.endswith((".jsonl", ".jsonl.tmp")) and f"-{h}." not in old:
            log(f"removing stale {old}")
            os.remove(os.path.join(data_dir, old))
    if not os.path.exists(path):
        log(f"generating {name} ...")
        generate.generate(task, lines, path, seed, invalid)
    return path


def warm(path: str) -> None:
    """Read the file once so every approach sees it in the page cache."""
    with open(path, "rb", buffering=0) as f:
        while f.read(16 << 20):
            pass


# ---------------------------------------------------------------- approaches
class Bench:
    def __init__(self, a):
        self.a = a
        self.python = a.python
        self.linter = shlex.split(a.linter) if a.linter else [a.python, "-m", "automl_lint"]
        self.linter_ok = None  # None = not checked yet
        self.linter_problem = ""
        env = dict(os.environ)
        src = os.path.join(REPO, "src")
        extra = [p for p in (src, REPO) if os.path.isdir(p)]
        env["PYTHONPATH"] = os.pathsep.join(extra + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        self.linter_env = env
        self.naive_lps: dict[str, float] = {}  # task -> naive lines/s

    def schema(self, task: str) -> str:
        return getattr(self.a, f"schema_{task}") or DEFAULT_SCHEMAS[task]

    def check_linter(self) -> bool:
        if self.linter_ok is None:
            cmd = self.linter + ["--help"]
            try:
                r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                                   text=True, timeout=120, env=self.linter_env, cwd=REPO)
                self.linter_ok = r.returncode == 0
                detail = (r.stderr or r.stdout).strip().splitlines()[-1:] or [f"exit {r.returncode}"]
                self.linter_problem = f"exit status {r.returncode}: {detail[0]}"
            except FileNotFoundError as e:
                self.linter_ok, self.linter_problem = False, f"command not found: {e.filename}"
            except subprocess.TimeoutExpired:
                self.linter_ok, self.linter_problem = False, "`--help` did not finish in 120 s"
            if not self.linter_ok:
                log("")
                log(f"ERROR: the automl-lint command is not runnable: {shlex.join(cmd)}")
                log(f"       {self.linter_problem}")
                log("       Install the project (pip install -e .) or pass --linter 'automl-lint'"
                    " (or --no-linter to measure only the floor and the naive approach).")
                log("       automl-lint rows are skipped.")
                log("")
        return self.linter_ok

    def command(self, approach: str, sc: Scenario, path: str) -> list[str]:
        if approach == "floor":
            return [self.python, "-c", FLOOR_CODE, path]
        if approach == "naive":
            return [self.python, "-c", NAIVE_CODE, path, self.schema(sc.task)]
        args = shlex.split(self.a.linter_args.format(file=path, task=sc.task))
        if approach == "lint-j1":
            args += ["--jobs", "1"]
        return self.linter + args

    def measure(self, approach: str, sc: Scenario, path: str, size: int) -> Row:
        """``--repeat`` runs of one approach, one after the other."""
        row = self.start_row(approach, sc, size)
        for rep in range(self.a.repeat):
            if row.error:
                break
            self.run_once(approach, sc, path, row, rep)
        return self.finish_row(row)

    def start_row(self, approach: str, sc: Scenario, size: int) -> Row:
        row = Row(sc.name, approach, sc.lines, size)
        if approach.startswith("lint") and not self.check_linter():
            row.error = "linter not runnable"
        return row

    def run_once(self, approach: str, sc: Scenario, path: str, row: Row, rep: int) -> None:
        is_lint = approach.startswith("lint")
        m = run_measured(self.command(approach, sc, path), sample_tree=is_lint,
                         env=self.linter_env if is_lint else None,
                         cwd=REPO if is_lint else None)
        if m.rc != 0:
            tail = m.stderr.strip().splitlines()[-1:] or [""]
            row.error = f"exit status {m.rc}: {tail[0][:200]}"
            log(f"  {approach}: FAILED ({row.error})")
            log("  " + m.stderr.strip().replace("\n", "\n  ")[-2000:])
            return
        row.runs.append(m)
        log(f"  {approach:8s} run {rep + 1}/{self.a.repeat}: {m.seconds:7.2f} s, "
            f"max RSS {m.maxrss_kb / 1024:6.1f} MB"
            + (f", tree RSS {m.tree_kb / 1024:6.1f} MB" if m.tree_kb else ""))

    @staticmethod
    def finish_row(row: Row) -> Row:
        if row.error:
            return row
        row.seconds = statistics.median(m.seconds for m in row.runs)
        row.maxrss_kb = max(m.maxrss_kb for m in row.runs)
        if row.approach.startswith("lint"):
            row.tree_kb = max(m.tree_kb or 0 for m in row.runs)
        return row

    def run_scenario(self, sc: Scenario) -> list[Row]:
        path = data_file(self.a.data_dir, sc.task, sc.lines, sc.invalid, self.a.seed)
        size = os.path.getsize(path)
        log(f"== {sc.name}: {sc.note}, {sc.lines} lines, {size / 1e6:.1f} MB")
        warm(path)
        rows = []
        for approach in sc.approaches:
            if approach == "naive-extrap":
                lps = self.naive_lps.get(sc.task)
                if lps:
                    rows.append(Row(sc.name, "naive", sc.lines, size, sc.lines / lps, extrapolated=True))
                continue
            if approach == "naive" and self.a.no_naive:
                continue
            if approach.startswith("lint") and self.a.no_linter:
                continue
            rows.append(self.start_row(approach, sc, size))
        # Rounds of one run per approach: this virtual machine's speed drifts by a third over minutes, and the
        # ratios compare approaches, so each round measures all of them at about the same speed.
        for rep in range(self.a.repeat):
            for row in rows:
                if not row.extrapolated and not row.error:
                    self.run_once(row.approach, sc, path, row, rep)
        for row in rows:
            if not row.extrapolated:
                self.finish_row(row)
                if row.approach == "naive" and row.seconds:
                    self.naive_lps[sc.task] = row.lines / row.seconds
        return rows

    def run_growth(self, lines_full: int) -> list[dict]:
        out = []
        if self.a.no_linter or not self.check_linter():
            return out
        log("== growth: automl-lint on od prefixes")
        for variant in ("lint-j1", "lint"):
            for frac in GROWTH_FRACTIONS:
                n = int(lines_full * frac)
                path = data_file(self.a.data_dir, "od", n, 0.0, self.a.seed)
                warm(path)
                sc = Scenario("growth", "od", n, 0.0, [])
                row = self.measure(variant, sc, path, os.path.getsize(path))
                out.append({"variant": variant, "lines": n, "seconds": row.seconds,
                            "maxrss_kb": row.maxrss_kb, "tree_kb": row.tree_kb,
                            "error": row.error})
        return out


def compile_package(python: str, env: dict) -> None:
    """Write the bytecode of the automl_lint package that ``python -m automl_lint`` imports, as installing a
    wheel does: an editable install run with PYTHONDONTWRITEBYTECODE set would compile every module from source
    at each start (~0.1 s), which no installed tool pays."""
    code = ("import compileall, os, automl_lint; "
            "compileall.compile_dir(os.path.dirname(automl_lint.__file__), quiet=1)")
    r = subprocess.run([python, "-c", code], env=env, cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        log(f"WARNING: could not compile the package's bytecode: {(r.stderr or r.stdout).strip()[-200:]}")


# ---------------------------------------------------------------- reporting
def machine_info(python: str) -> dict:
    info = {"date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "kernel": f"{platform.system()} {platform.release()}",
            "cpus": os.cpu_count()}
    try:
        info["loadavg"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        pass
    try:
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            info["ram_gb"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    code = ("import sys, importlib.metadata as m\n"
            "v = lambda p: (m.version(p) if p else '')\n"
            "out = [sys.version.split()[0]]\n"
            "for p in ('orjson', 'jsonschema', 'automl-lint'):\n"
            "    try: out.append(m.version(p))\n"
            "    except Exception: out.append('-')\n"
            "print(' '.join(out))")
    try:
        py, oj, js, al = subprocess.run([python, "-c", code], capture_output=True, text=True,
                                        timeout=60).stdout.split()
        info.update(python=py, orjson=oj, jsonschema=js, automl_lint=al)
    except Exception:
        pass
    try:
        info["commit"] = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                        capture_output=True, text=True).stdout.strip() or "-"
    except OSError:
        pass
    return info


def cpu_busy_cores(interval: float = 1.0):
    """Cores' worth of CPU used by other processes over ``interval`` s (from /proc/stat)."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]  # total, idle + iowait
    try:
        t0, i0 = snap()
        time.sleep(interval)
        t1, i1 = snap()
    except (OSError, ValueError, IndexError):
        return None
    return (1 - (i1 - i0) / max(1, t1 - t0)) * (os.cpu_count() or 1)


def fmt_int(n: float) -> str:
    return f"{n:,.0f}"


APPROACH_LABEL = {"floor": "floor (orjson.loads)", "naive": "naive (orjson + jsonschema)",
                  "lint-j1": "automl-lint --jobs 1", "lint": "automl-lint (default jobs)"}


def render(rows: list[Row], naive_lps: dict, growth: list[dict], info: dict, a) -> tuple[str, list]:
    floors = {r.scenario: r.seconds for r in rows if r.approach == "floor" and r.seconds}
    out = []
    w = out.append
    w(f"### automl-lint benchmark{' (--quick: 10x fewer lines)' if a.quick else ''}\n")
    w(f"Machine: {info.get('cpu', '?')}, {info.get('cpus_usable', info.get('cpus'))} cores, "
      f"{info.get('ram_gb', '?')} GB RAM, {info.get('kernel', '')}; Python {info.get('python', '?')}, "
      f"orjson {info.get('orjson', '?')}, jsonschema {info.get('jsonschema', '?')}, "
      f"automl-lint {info.get('automl_lint', '-')}; commit {info.get('commit', '-')}; "
      f"{info['date']}; load average {info.get('loadavg', '?')}, busy cores just before the run {info.get('busy_cores_at_start', '?')}; seed {a.seed}; "
      f"median of {a.repeat} run(s).\n")
    w("| scenario | approach | lines | seconds | lines/s | MB/s | x floor | speed-up over naive | peak RSS MB |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        label = APPROACH_LABEL.get(r.approach, r.approach)
        if r.extrapolated:
            label += ", extrapolated"
        if r.seconds is None:
            w(f"| {r.scenario} | {label} | {fmt_int(r.lines)} | {r.error or 'not run'} | | | | | |")
            continue
        lps = r.lines / r.seconds
        mbs = r.bytes / 1e6 / r.seconds
        xf = f"{r.seconds / floors[r.scenario]:.2f}" if r.scenario in floors else "-"
        task = r.scenario.split("-")[0]
        nl = naive_lps.get(task)
        su = f"{lps / nl:.1f}x" if nl else "-"
        if r.extrapolated:
            rss = "-"
        else:
            rss = f"{r.maxrss_kb / 1024:.0f}"
            if r.tree_kb and r.tree_kb > r.maxrss_kb * 1.1:
                rss += f" (tree {r.tree_kb / 1024:.0f})"
        w(f"| {r.scenario} | {label} | {fmt_int(r.lines)} | {r.seconds:.2f} | {fmt_int(lps)} | "
          f"{mbs:.1f} | {xf} | {su} | {rss} |")

    growth_res = {}
    if growth:
        w("")
        w("Dataset-state growth (automl-lint on od prefixes; slope = least-squares fit of peak RSS vs lines):\n")
        w("| approach | lines | seconds | peak RSS MB |")
        w("|---|---:|---:|---:|")
        for g in growth:
            if g["seconds"] is None:
                w(f"| {APPROACH_LABEL[g['variant']]} | {fmt_int(g['lines'])} | {g['error']} | |")
            else:
                w(f"| {APPROACH_LABEL[g['variant']]} | {fmt_int(g['lines'])} | {g['seconds']:.2f} | "
                  f"{g['maxrss_kb'] / 1024:.0f} |")
        w("")
        for variant in ("lint-j1", "lint"):
            pts = [(g["lines"], g["maxrss_kb"] * 1024) for g in growth
                   if g["variant"] == variant and g["maxrss_kb"]]
            if len(pts) < 2:
                continue
            mx = sum(x for x, _ in pts) / len(pts)
            my = sum(y for _, y in pts) / len(pts)
            slope = (sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts))
            icpt = my - slope * mx
            at10m = icpt + slope * 10_000_000
            growth_res[variant] = (slope, at10m)
            w(f"- {APPROACH_LABEL[variant]}: {slope:.1f} bytes/record; "
              f"extrapolated peak RSS at 10M lines: {at10m / 1e6:.0f} MB")

    # ---- requirement checks (issue thresholds) ----
    checks = []

    def get(sc, ap):
        for r in rows:
            if r.scenario == sc and r.approach == ap and r.seconds and not r.extrapolated:
                return r
        return None

    def check(name, value, limit, ok, stretch=""):
        checks.append((name, value, limit, "PASS" if ok else "FAIL", stretch))

    for ap in ("lint", "lint-j1"):
        lab = APPROACH_LABEL[ap]
        r = get("od", ap)
        if r and "od" in floors:
            x = r.seconds / floors["od"]
            limit = FLOOR_LIMITS["od"]
            check(f"od: {lab} time / floor", f"{x:.2f}", f"<= {limit:g} (stretch 1.5)", x <= limit,
                  "stretch met" if x <= 1.5 else "")
        r = get("od-sample", ap)
        if r and naive_lps.get("od"):
            su = (r.lines / r.seconds) / naive_lps["od"]
            check(f"od-sample: {lab} speed-up over naive", f"{su:.1f}x", ">= 60x", su >= 60)
        r = get("od", ap)
        if r:
            check(f"od: {lab} peak RSS", f"{r.maxrss_kb / 1024:.0f} MB", "<= 200 MB",
                  r.maxrss_kb / 1024 <= 200)
            if r.tree_kb and r.tree_kb > r.maxrss_kb * 1.1:
                check(f"od: {lab} peak tree RSS (all processes)", f"{r.tree_kb / 1024:.0f} MB",
                      "<= 200 MB", r.tree_kb / 1024 <= 200)
        if ap in growth_res:
            slope, at10m = growth_res[ap]
            check(f"od growth: {lab} state per record", f"{slope:.0f} B", "<= ~100 B", slope <= 100)
            check(f"od growth: {lab} RSS at 10M (extrapolated)", f"{at10m / 1e9:.2f} GB", "< 1.5 GB",
                  at10m < 1.5e9)
        clean = get("od", ap)
        for sc, lim in (("od-10pct", 3), ("od-100pct", 10)):
            r = get(sc, ap)
            if r and clean:
                x = r.seconds / clean.seconds
                check(f"{sc}: {lab} time / clean-file time", f"{x:.2f}", f"<= {lim}", x <= lim)
        for sc in ("is", "mc", "ml"):
            r = get(sc, ap)
            if r and sc in floors:
                x = r.seconds / floors[sc]
                limit = FLOOR_LIMITS[sc]
                check(f"{sc}: {lab} time / floor", f"{x:.2f}", f"<= {limit:g} (stretch 1.5)", x <= limit,
                      "stretch met" if x <= 1.5 else "")
            if r and naive_lps.get(sc):
                su = (r.lines / r.seconds) / naive_lps[sc]
                check(f"{sc}: {lab} speed-up over naive", f"{su:.1f}x", ">= 60x", su >= 60)
    if checks:
        w("")
        w("Requirement checks" + (" (quick mode: sizes are 10x smaller, indicative only)" if a.quick else "")
          + ":\n")
        w("| check | measured | target | result |")
        w("|---|---:|---|---|")
        for name, value, limit, res, stretch in checks:
            w(f"| {name} | {value} | {limit} | {res}{' (' + stretch + ')' if stretch else ''} |")
    return "\n".join(out) + "\n", checks


# ---------------------------------------------------------------- main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="automl-lint benchmark (see bench/README.md)")
    p.add_argument("--quick", action="store_true", help="10x fewer lines (smoke run)")
    p.add_argument("--repeat", type=int, default=1, help="runs per measurement; the median is reported")
    p.add_argument("--only", default="",
                   help="comma-separated scenarios: od-sample, od, od-10pct, od-100pct, is, mc, ml, growth")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--data-dir", default=os.path.join(HERE, ".data"),
                   help="cache for generated files (default bench/.data)")
    p.add_argument("--python", default=sys.executable,
                   help="interpreter for the floor and naive baselines (needs orjson, jsonschema)")
    p.add_argument("--linter", default="",
                   help="automl-lint command (default: '<this python> -m automl_lint')")
    p.add_argument("--linter-args", default=DEFAULT_LINTER_ARGS,
                   help=f"arguments template, {{file}} and {{task}} substituted (default: {DEFAULT_LINTER_ARGS!r})")
    p.add_argument("--schema-od", default="", help=f"default {os.path.relpath(DEFAULT_SCHEMAS['od'], REPO)}")
    p.add_argument("--schema-is", default="", help=f"default {os.path.relpath(DEFAULT_SCHEMAS['is'], REPO)}")
    p.add_argument("--no-linter", action="store_true", help="measure only the floor and the naive approach")
    p.add_argument("--no-naive", action="store_true", help="skip the naive approach")
    p.add_argument("--no-compile", action="store_true",
                   help="do not write the package's bytecode first (see bench/README.md)")
    p.add_argument("--output", default="", help="also write the markdown report to this file")
    p.add_argument("--json", default="", help="also write raw results as JSON to this file")
    a = p.parse_args(argv)
    if a.repeat < 1:
        p.error("--repeat must be >= 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so run_measured cleans up

    scale = 10 if a.quick else 1
    all_sc = scenarios(scale)
    names = [s.name for s in all_sc] + ["growth"]
    only = [s.strip() for s in a.only.split(",") if s.strip()]
    bad = [s for s in only if s not in names]
    if bad:
        p.error(f"unknown scenario(s) {', '.join(bad)}; choose from {', '.join(names)}")
    selected = [s for s in all_sc if not only or s.name in only]
    do_growth = not only or "growth" in only

    # fail early: baselines' imports and the schemas the naive approach needs
    r = subprocess.run([a.python, "-c", "import orjson" + ("" if a.no_naive else ", jsonschema")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        log(f"ERROR: {a.python} cannot import orjson/jsonschema: {r.stderr.strip().splitlines()[-1]}")
        log("       run with the project venv, e.g. .venv/bin/python bench/run.py, or pass --python.")
        return 2
    bench = Bench(a)
    if not a.no_naive:
        for sc in selected:
            if "naive" in sc.approaches:
                path = bench.schema(sc.task)
                if not os.path.isfile(path):
                    log(f"ERROR: the naive approach for scenario '{sc.name}' needs the JSON schema {path}, "
                        "which does not exist.")
                    log(f"       Pass --schema-{sc.task} PATH, or --no-naive to skip the naive approach.")
                    return 2
    if not a.no_linter:
        if bench.check_linter() and not a.linter and not a.no_compile:
            compile_package(a.python, bench.linter_env)

    info = machine_info(a.python)
    busy = cpu_busy_cores()
    if busy is not None:
        info["busy_cores_at_start"] = round(busy, 2)
        if busy > 0.3:
            log(f"WARNING: {busy:.1f} CPU cores were busy with other processes just before the run: "
                "timings will be noisy.")
    rows: list[Row] = []
    t0 = time.perf_counter()
    for sc in selected:
        rows.extend(bench.run_scenario(sc))
    growth = bench.run_growth(1_000_000 // scale) if do_growth else []
    log(f"benchmark done in {time.perf_counter() - t0:.0f} s\n")

    report, checks = render(rows, bench.naive_lps, growth, info, a)
    print(report)
    if a.output:
        with open(a.output, "w") as f:
            f.write(report)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": info, "quick": a.quick, "repeat": a.repeat,
                       "rows": [{k: v for k, v in r.__dict__.items() if k != "runs"} |
                                {"runs": [m.__dict__ | {"stderr": m.stderr[-500:]} for m in r.runs]}
                                for r in rows],
                       "growth": growth,
                       "checks": [dict(zip(("check", "measured", "target", "result", "note"), c))
                                  for c in checks]}, f, indent=1)
    if not a.no_linter and bench.linter_ok is False:
        log(f"automl-lint rows were skipped: {bench.linter_problem}")
        return 2
    if any(r.error for r in rows) or any(g["error"] for g in growth):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
