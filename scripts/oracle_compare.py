#!/usr/bin/env python3
"""Compare automl-lint with the reference oracle (Microsoft's own AutoML-for-Images readers), line by line.

A development tool, run by hand; standard library + orjson (optional) only. The oracle is the harness in
../shared/oracle (see its README): it runs azureml-automl-dnn-vision 1.62.0.post1 on a JSONL file and prints one
verdict per line: accept / fix / drop / reject.

    scripts/oracle_compare.py                          # the corpus tests/oracle_cases/*.jsonl vs expected/*.json
    scripts/oracle_compare.py --models all             # ... also the yolov5/retinanet expectations (passes --model)
    scripts/oracle_compare.py --runtime mmdet          # the mmdet (od, is) or hf (mc, ml) runtime (passes --runtime)
    scripts/oracle_compare.py data.jsonl --task od --live       # any file, oracle run live
    scripts/oracle_compare.py --generate 300 --seed 7  # unseen cases: 300 mutated lines per task, oracle live
    scripts/oracle_compare.py --write-expected         # rerun the oracle on the corpus, rewrite expected/*.json
    scripts/oracle_compare.py --check-expected [--live]  # expected/*.json up to date with the .jsonl files?
    scripts/oracle_compare.py --oracle-only ...        # no linter: just the oracle's verdict distribution

The linter is run as `automl-lint FILE --task T --format json --exit-zero` (--linter changes the command, e.g.
--linter "python -m automl_lint"). A line's linter verdict is the most serious consequence among its problems:
fails-job -> reject, drops-image -> drop, drops-annotation / alters-value -> fix, none or no problem -> accept.

Exit status: 0 agreement good; 1 some line AutoML drops/alters/rejects is unflagged by the linter (or a file
whose job fails has no fails-job problem), or agreement < --min-agreement (default 98%); 2 could not run.

Tolerances (listed in the output, disable with --no-tolerance): the oracle judges every line ALONE and emulates the
dataprep reader and the image_url converter, so in a few situations the reference page
(../shared/reference/automl-runtime-behaviour.md) is the better ground truth and its verdict is counted as agreement
too: duplicate image_url lines (FIX), '//' / ?query / %xx in image_url (FIX), integers beyond int64, all-boolean
multi-class labels (REJECT), no label key in any line (REJECT), blank lines, OD "polygon": false (box used),
boolean OD/IS class labels (used unchanged), and a
linter REJECT on any line of a file the oracle rejects for a dataset-level reason. See tolerance().
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import copy
import glob
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

try:
    import orjson

    def _loads(b):
        return orjson.loads(b)
except ImportError:  # pragma: no cover - orjson is a project dependency
    orjson = None

    def _loads(b):
        return json.loads(b)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES_DIR = os.path.join(REPO, 'tests', 'oracle_cases')
EXPECTED_DIR = os.path.join(CASES_DIR, 'expected')
DEFAULT_ORACLE = os.environ.get('AUTOML_ORACLE') or os.path.normpath(os.path.join(REPO, '..', 'shared', 'oracle',
                                                                                 'oracle'))
ORACLE_ID = 'azureml-automl-dnn-vision 1.62.0.post1 via shared/oracle'
ORACLE_ID_ACFT = 'azureml-acft-common-components + azureml-acft-image-components 0.0.91 via shared/oracle'

TASKS = ('mc', 'ml', 'od', 'is')
DEFAULT_MODEL = {'mc': None, 'ml': None, 'od': 'frcnn', 'is': 'maskrcnn'}
# 'mmdet' and 'hf' are runtimes, not models: the oracle and the linter get --runtime instead of --model.
ALL_MODELS = {'mc': [None, 'hf'], 'ml': [None, 'hf'], 'od': ['frcnn', 'yolov5', 'retinanet', 'mmdet'],
              'is': ['maskrcnn', 'mmdet']}
RUNTIMES = ('mmdet', 'hf')
LINTER_MODEL = {'frcnn': 'fasterrcnn', 'maskrcnn': 'maskrcnn', 'retinanet': 'retinanet', 'yolov5': 'yolov5'}

VERDICTS = ('accept', 'fix', 'drop', 'reject')
RANK = {v: i for i, v in enumerate(VERDICTS)}
CONSEQUENCE_VERDICT = {'fails-job': 'reject', 'drops-image': 'drop', 'drops-annotation': 'fix',
                       'alters-value': 'fix', 'none': 'accept'}


class CannotRun(Exception):
    """Something outside the comparison is missing or broken (exit 2)."""


# ---------------------------------------------------------------------------------------------------------------
# the oracle
# ---------------------------------------------------------------------------------------------------------------
def _read_json_lines(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            out.append(json.loads(line))
    return out


def run_oracle(oracle, path, task, model, cwd=None):
    """Run the oracle on one file; returns {'lines': [...], 'dataset': {...}}."""
    if not (os.path.isfile(oracle) and os.access(oracle, os.X_OK)):
        raise CannotRun('oracle not found or not executable: %s (set --oracle or $AUTOML_ORACLE; set it up with '
                        'bash ../shared/oracle/setup.sh)' % oracle)
    cmd = [oracle, '--task', task]
    if model in RUNTIMES:
        cmd = [oracle, '--runtime', model, '--task', task]  # the oracle reads --runtime first, spelled in full
    elif model and model != DEFAULT_MODEL[task]:
        cmd += ['--model', model]
    cmd.append(path)
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if p.returncode != 0:
        raise CannotRun('oracle failed (exit %d) on %s: %s' % (p.returncode, path, p.stderr.strip()[-800:]))
    try:
        lines = _read_json_lines(p.stdout)
        dataset = _read_json_lines(p.stderr)[-1]
    except (ValueError, IndexError) as ex:
        raise CannotRun('cannot parse oracle output for %s: %s\n%s' % (path, ex, p.stderr[-800:]))
    return {'lines': lines, 'dataset': dataset, 'command': ' '.join(shlex.quote(c) for c in cmd)}


def sha256_of(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def expected_path(stem, task, model):
    if model is None or model == DEFAULT_MODEL[task]:
        return os.path.join(EXPECTED_DIR, stem + '.json')
    return os.path.join(EXPECTED_DIR, '%s.%s.json' % (stem, model))


def load_case_index():
    p = os.path.join(CASES_DIR, 'cases.json')
    if os.path.exists(p):
        with open(p, encoding='utf-8') as f:
            return json.load(f)
    return {}


def corpus_files():
    """[(stem, path, task)] for every tests/oracle_cases/*.jsonl."""
    out = []
    for path in sorted(glob.glob(os.path.join(CASES_DIR, '*.jsonl'))):
        stem = os.path.basename(path)[:-len('.jsonl')]
        task = re.split(r'[_.]', stem)[0]
        if task in TASKS:
            out.append((stem, path, task))
    return out


def write_expected(args):
    index = load_case_index()
    jobs = []
    for stem, path, task in corpus_files():
        for model in ALL_MODELS[task]:
            jobs.append((stem, path, task, model))
    os.makedirs(EXPECTED_DIR, exist_ok=True)
    wanted = set()

    def one(job):
        stem, path, task, model = job
        rel = os.path.relpath(path, REPO)
        res = run_oracle(args.oracle, rel, task, model, cwd=REPO)
        cases = index.get(stem, {}).get('cases', [])
        lines = []
        for o in res['lines']:
            d = {'line': o['line'], 'verdict': o['verdict'], 'detail': o.get('detail', '')}
            if 0 < o['line'] <= len(cases):
                d['case'] = cases[o['line'] - 1]
            lines.append(d)
        doc = {'task': task, 'model': model, 'oracle': ORACLE_ID_ACFT if model in RUNTIMES else ORACLE_ID,
               'file': rel,
               'sha256': sha256_of(path),
               'command': 'cd <repo> && ' + res['command'].replace(args.oracle, '../shared/oracle/oracle'),
               'lines': lines, 'dataset': res['dataset']}
        out = expected_path(stem, task, model)
        with open(out, 'w', encoding='utf-8') as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
            f.write('\n')
        return out, collections.Counter(o['verdict'] for o in res['lines'])

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for out, counts in ex.map(one, jobs):
            wanted.add(os.path.abspath(out))
            print('%-52s %s' % (os.path.relpath(out, REPO), dict(sorted(counts.items()))))
    for stale in glob.glob(os.path.join(EXPECTED_DIR, '*.json')):
        if os.path.abspath(stale) not in wanted:
            os.remove(stale)
            print('removed stale %s' % os.path.relpath(stale, REPO))
    return 0


def check_expected(args):
    """Every corpus file has up-to-date expectations (sha256, line count; with --live: same verdicts)."""
    problems = []
    for stem, path, task in corpus_files():
        for model in ALL_MODELS[task]:
            ep = expected_path(stem, task, model)
            if not os.path.exists(ep):
                problems.append('%s: missing %s' % (stem, os.path.relpath(ep, REPO)))
                continue
            with open(ep, encoding='utf-8') as f:
                exp = json.load(f)
            if exp.get('sha256') != sha256_of(path):
                problems.append('%s: %s is stale (the .jsonl changed)' % (stem, os.path.relpath(ep, REPO)))
            if args.live:
                res = run_oracle(args.oracle, os.path.relpath(path, REPO), task, model, cwd=REPO)
                now = {o['line']: o['verdict'] for o in res['lines']}
                then = {o['line']: o['verdict'] for o in exp['lines']}
                if now != then or res['dataset'].get('verdict') != exp['dataset'].get('verdict'):
                    diff = [n for n in sorted(set(now) | set(then)) if now.get(n) != then.get(n)]
                    problems.append('%s [%s]: oracle now differs on lines %s' % (stem, model, diff))
    for p in problems:
        print(p)
    print('expected files: %s' % ('OK' if not problems else '%d problem(s); run --write-expected' % len(problems)))
    return 1 if problems else 0


# ---------------------------------------------------------------------------------------------------------------
# the linter
# ---------------------------------------------------------------------------------------------------------------
def run_linter(args, path, task, model):
    """Returns (per_line: {line: [problem]}, file_problems: [problem])."""
    cmd = shlex.split(args.linter) + [path, '--task', task, '--format', 'json', '--exit-zero']
    if model in RUNTIMES:
        cmd += ['--runtime', model]
    elif model is not None and args.models != 'default':
        cmd += ['--model', LINTER_MODEL.get(model, model)]
    cmd += args.linter_arg
    exe = cmd[0]
    if os.sep not in exe and shutil.which(exe) is None:
        raise CannotRun('linter command %r not found on PATH. Install the project (pip install -e .) or pass '
                        '--linter "python -m automl_lint" (or use --oracle-only).' % exe)
    try:
        p = subprocess.run(cmd, capture_output=True, cwd=REPO)
    except OSError as ex:
        raise CannotRun('cannot run linter %r: %s' % (' '.join(cmd), ex))
    if p.returncode not in (0, 1) or not p.stdout.strip():
        raise CannotRun('linter failed (exit %d): %s\nstderr: %s' % (
            p.returncode, ' '.join(shlex.quote(c) for c in cmd), p.stderr.decode('utf-8', 'replace').strip()[-1500:]))
    try:
        doc = _loads(p.stdout)
        files = doc['files']
    except (ValueError, KeyError, TypeError) as ex:
        raise CannotRun('linter output is not the expected JSON ({"files": [...], "summary": ...}): %s\n%s'
                        % (ex, p.stdout[:500].decode('utf-8', 'replace')))
    per_line = collections.defaultdict(list)
    file_level = []
    for f in files:
        for prob in f.get('problems', []):
            line = prob.get('line')
            if isinstance(line, int) and not isinstance(line, bool) and line > 0:
                per_line[line].append(prob)
            else:
                file_level.append(prob)
    return per_line, file_level


_UNKNOWN_CONSEQUENCES = set()


def linter_verdict(problems):
    v = 'accept'
    for prob in problems:
        c = prob.get('consequence')
        mapped = CONSEQUENCE_VERDICT.get(c)
        if mapped is None:
            if c not in _UNKNOWN_CONSEQUENCES:
                _UNKNOWN_CONSEQUENCES.add(c)
                print('warning: unknown linter consequence %r (counted as accept)' % (c,), file=sys.stderr)
            continue
        if RANK[mapped] > RANK[v]:
            v = mapped
    return v


def codes_of(problems):
    return ','.join(sorted({'%s:%s' % (p.get('code'), p.get('consequence')) for p in problems})) or '-'


# ---------------------------------------------------------------------------------------------------------------
# tolerances: where the per-line oracle verdict is not the whole truth
# ---------------------------------------------------------------------------------------------------------------
DATASET_LEVEL_REJECT = re.compile(r"More than one type|No objects in dataset|All annotations provided are ill-formed|"
                                  r"No valid datapoints|split fails|not supported between instances|No labels found|"
                                  r"All images in the current batch are invalid")


def _walk_big_int(v):
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return not (-2 ** 63 <= v < 2 ** 63)
    if isinstance(v, dict):
        return any(_walk_big_int(x) for x in v.values())
    if isinstance(v, list):
        return any(_walk_big_int(x) for x in v)
    return False


class FileContext:
    """What the tolerances need to know about a file: its lines, parsed records, duplicate URLs."""

    def __init__(self, path, task):
        self.task = task
        with open(path, 'r', encoding='utf-8', errors='surrogateescape') as f:
            self.raw = [line.rstrip('\r\n') for line in f]
        self.records = {}
        for n, line in enumerate(self.raw, 1):
            try:
                rec, _end = json.JSONDecoder().raw_decode(line.lstrip('\ufeff').strip())
            except ValueError:
                continue
            if isinstance(rec, dict):
                self.records[n] = rec
        urls = collections.Counter(json.dumps(r.get('image_url')) for r in self.records.values()
                                   if isinstance(r.get('image_url'), str))
        self.dup_urls = {u for u, c in urls.items() if c > 1}
        labels = [r.get('label') for r in self.records.values()]
        self.all_bool_labels = bool(labels) and all(isinstance(x, bool) for x in labels)
        self.no_label_key = bool(self.records) and all('label' not in r for r in self.records.values())


def _glued_record(raw):
    text = raw.strip()
    try:
        _, end = json.JSONDecoder().raw_decode(text)
        rest = text[end:].strip()
        return rest.startswith('{') and isinstance(json.JSONDecoder().raw_decode(rest)[0], dict)
    except ValueError:
        return False


def tolerance(n, ctx, exp_line, exp_dataset, linter_v):
    """Name of the rule that makes linter_v acceptable for line n although it differs from the oracle, or None."""
    ov = exp_line['verdict']
    rec = ctx.records.get(n)
    raw = ctx.raw[n - 1] if 0 < n <= len(ctx.raw) else ''
    if not raw.strip() and {ov, linter_v} <= {'accept', 'drop'}:
        return 'blank line: "skipped" by the reader, nothing is lost'
    # Where this oracle emulates the JSONL reader, the real MLTable engine (tests/reading_cases) is the truth.
    if raw not in ('', '\n') and not raw.strip() and linter_v == 'reject' and ov in ('accept', 'drop'):
        return 'whitespace-only line: the real MLTable engine reads an invalid line (tests/reading_cases space_line)'
    if ov == 'accept' and linter_v == 'drop' and _glued_record(raw):
        return 'two records on one line: the real MLTable engine keeps the first only (tests/reading_cases ' \
               'glued_records)'
    if exp_dataset.get('verdict') == 'reject' and linter_v == 'reject' and \
            DATASET_LEVEL_REJECT.search(exp_dataset.get('detail', '')):
        return 'the oracle rejects the whole file for a dataset-level reason; linter blames this line'
    if rec is None:
        return None
    url = rec.get('image_url')
    if isinstance(url, str) and json.dumps(url) in ctx.dup_urls and ov == 'accept' and linter_v == 'fix':
        return 'duplicate image_url: merged (OD/IS) or last-wins (classification), reference sec.2 = FIX; ' \
               'the oracle judges each line alone'
    if isinstance(url, str) and ov == 'accept' and linter_v == 'fix' and \
            (re.search(r'[?#]|%[0-9A-Fa-f]{2}', url) or '//' in url.split('://', 1)[-1]):
        return "image_url normalised by the converter ('//', ?query, %xx): reference sec.2 = FIX, oracle accept"
    if _walk_big_int(rec) and ov in ('accept', 'fix') and linter_v in ('fix', 'drop'):
        return 'integer beyond int64: reader turns it into a wrong float (reference sec.1 = FIX), oracle keeps it'
    if ctx.task == 'mc' and ctx.all_bool_labels and linter_v == 'reject':
        return 'all-boolean label column: numpy.bool_ is not int -> all dropped -> REJECT (reference sec.5); ' \
               'the oracle keeps Python bools'
    if ctx.no_label_key and linter_v == 'reject':
        return 'no label column at all: "No labels found to initialize dataset." REJECT (reference sec.2); ' \
               'the oracle always builds a label column'
    if ctx.task in ('od', 'is') and ov == 'fix' and linter_v == 'accept' and isinstance(rec.get('label'), list) \
            and 'JSON boolean' in exp_line.get('detail', '') and \
            all(isinstance(a, dict) and isinstance(a.get('label'), (bool, str)) for a in rec['label']):
        return 'boolean class label: accepted as int and used unchanged (reference sec.4.3); the oracle calls it fix'
    if ctx.task == 'od' and ov == 'fix' and linter_v == 'accept' and isinstance(rec.get('label'), list):
        with_polygon = [a for a in rec['label'] if isinstance(a, dict) and 'polygon' in a]
        if with_polygon and all(a['polygon'] is False for a in with_polygon):
            return 'OD "polygon": false: labels.get() returns False so the box keys ARE used ' \
                   '(object_annotation.py:136-143); the oracle note says they are ignored'
    return None


# ---------------------------------------------------------------------------------------------------------------
# comparison
# ---------------------------------------------------------------------------------------------------------------
class Tally:
    def __init__(self):
        self.files = 0
        self.lines = 0
        self.agree = 0
        self.tolerated = 0
        self.missed = collections.Counter()   # oracle verdict -> count, linter said accept
        self.over = 0                          # oracle accept, linter flagged
        self.job_missed = 0                    # files whose job fails per the oracle, no fails-job from linter
        self.job_over = 0
        self.confusion = collections.Counter()

    @property
    def pct(self):
        return 100.0 * (self.agree + self.tolerated) / self.lines if self.lines else 100.0


def compare_file(label, path, task, model, exp, args, descriptions=None):
    """Compare one file. Returns (tally, disagreement rows, tolerated rows, job row or None)."""
    t = Tally()
    t.files = 1
    ctx = FileContext(path, task)
    per_line, file_level = run_linter(args, path, task, model)
    rows, tol_rows = [], []
    stray = sorted(set(per_line) - {o['line'] for o in exp['lines']})
    if stray:
        print('warning: %s: linter reports lines %s that the oracle does not have (line numbering?)'
              % (label, stray[:10]), file=sys.stderr)
    for o in exp['lines']:
        n = o['line']
        probs = per_line.get(n, [])
        lv = linter_verdict(probs)
        ov = o['verdict']
        desc = o.get('case') or (descriptions[n - 1] if descriptions and 0 < n <= len(descriptions) else '')
        t.lines += 1
        t.confusion[(ov, lv)] += 1
        if lv == ov:
            t.agree += 1
            continue
        reason = None if args.no_tolerance else tolerance(n, ctx, o, exp['dataset'], lv)
        row = {'where': '%s:%d' % (label, n), 'case': desc, 'oracle': ov, 'detail': o.get('detail', ''),
               'linter': lv, 'codes': codes_of(probs), 'reason': reason}
        if reason:
            t.tolerated += 1
            tol_rows.append(row)
            continue
        rows.append(row)
        if lv == 'accept':
            t.missed[ov] += 1
        elif ov == 'accept':
            t.over += 1
    # whole-job verdict: the oracle's dataset verdict or any line reject vs any fails-job problem
    oracle_job = 'reject' if exp['dataset'].get('verdict') == 'reject' or \
        any(o['verdict'] == 'reject' for o in exp['lines']) else 'runs'
    all_probs = file_level + [p for ps in per_line.values() for p in ps]
    linter_job = 'reject' if linter_verdict(all_probs) == 'reject' else 'runs'
    job = None
    if oracle_job != linter_job:
        if oracle_job == 'reject':
            t.job_missed += 1
        else:
            t.job_over += 1
        job = {'where': label, 'oracle': oracle_job, 'detail': exp['dataset'].get('detail', ''),
               'linter': linter_job, 'codes': codes_of(file_level)}
    return t, rows, tol_rows, job


def merge(a, b):
    a.files += b.files
    a.lines += b.lines
    a.agree += b.agree
    a.tolerated += b.tolerated
    a.missed.update(b.missed)
    a.over += b.over
    a.job_missed += b.job_missed
    a.job_over += b.job_over
    a.confusion.update(b.confusion)


def _short(s, n):
    s = ' '.join(str(s).split())
    return s if len(s) <= n else s[:n - 3] + '...'


def report(tallies, rows, tol_rows, jobs, args):
    ok = True
    print()
    print('%-4s %-10s %5s %6s %6s %5s %7s  %-28s %5s %7s' % (
        'task', 'model', 'files', 'lines', 'agree', 'tol', '%agree', 'missed (reject/drop/fix)', 'over',
        'job-miss'))
    for (task, model), t in sorted(tallies.items(), key=lambda kv: (TASKS.index(kv[0][0]), str(kv[0][1]))):
        missed = sum(t.missed.values())
        print('%-4s %-10s %5d %6d %6d %5d %6.1f%%  %-28s %5d %7d' % (
            task, model or '-', t.files, t.lines, t.agree, t.tolerated, t.pct,
            '%d (%d/%d/%d)' % (missed, t.missed['reject'], t.missed['drop'], t.missed['fix']), t.over, t.job_missed))
        if missed or t.job_missed or t.pct < args.min_agreement:
            ok = False
    if args.verbose:
        for (task, model), t in sorted(tallies.items(), key=lambda kv: (TASKS.index(kv[0][0]), str(kv[0][1]))):
            print('\nconfusion %s %s (rows: oracle, columns: linter)' % (task, model or ''))
            print('        ' + ''.join('%8s' % v for v in VERDICTS))
            for ov in VERDICTS:
                print('%-8s' % ov + ''.join('%8d' % t.confusion[(ov, lv)] for lv in VERDICTS))
    if rows:
        print('\n%d disagreement(s):' % len(rows))
        for r in rows:
            print('  %s  [%s]' % (r['where'], _short(r['case'], 90)))
            print('      oracle: %-6s %s' % (r['oracle'], _short(r['detail'], 170)))
            print('      linter: %-6s %s' % (r['linter'], r['codes']))
    if jobs:
        print('\n%d whole-job disagreement(s):' % len(jobs))
        for j in jobs:
            print('  %s  oracle: job %s (%s)  linter: job %s' % (
                j['where'], j['oracle'], _short(j['detail'], 120) or 'a line is reject', j['linter']))
    if tol_rows:
        by_reason = collections.Counter(r['reason'] for r in tol_rows)
        print('\n%d tolerated difference(s) (--no-tolerance counts them as disagreements):' % len(tol_rows))
        for reason, c in by_reason.most_common():
            print('  %4d  %s' % (c, reason))
        if args.verbose:
            for r in tol_rows:
                print('      %s oracle %s, linter %s (%s)' % (r['where'], r['oracle'], r['linter'], r['codes']))
    print('\nresult: %s' % ('OK' if ok else 'FAIL (unflagged lines/jobs or agreement < %.1f%%)' % args.min_agreement))
    return 0 if ok else 1


def oracle_only_report(results):
    """results: [(label, task, model, exp)] -> verdict distribution per task/model."""
    dist = collections.defaultdict(collections.Counter)
    datasets = collections.defaultdict(collections.Counter)
    for _label, task, model, exp in results:
        dist[(task, model)].update(o['verdict'] for o in exp['lines'])
        datasets[(task, model)][exp['dataset'].get('verdict')] += 1
    print('%-4s %-10s %6s  %s' % ('task', 'model', 'lines', 'oracle verdicts / file verdicts'))
    for (task, model), c in sorted(dist.items(), key=lambda kv: (TASKS.index(kv[0][0]), str(kv[0][1]))):
        print('%-4s %-10s %6d  %s  files: %s' % (task, model or '-', sum(c.values()),
                                                 ' '.join('%s=%d' % (v, c[v]) for v in VERDICTS),
                                                 dict(datasets[(task, model)])))
    return 0


# ---------------------------------------------------------------------------------------------------------------
# --generate: seeded random mutations of valid records ("unseen cases")
# ---------------------------------------------------------------------------------------------------------------
CLASSES = ['cat', 'dog', 'bird']
SUB = 'azureml://subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/workspaces/ws/datastores/'


def _r(rng, lo, hi):
    return round(rng.uniform(lo, hi), 3)


def valid_box(rng, cls):
    x0, y0 = _r(rng, 0.0, 0.6), _r(rng, 0.0, 0.6)
    return {'label': cls, 'topX': x0, 'topY': y0, 'bottomX': min(1.0, round(x0 + _r(rng, 0.05, 0.39), 3)),
            'bottomY': min(1.0, round(y0 + _r(rng, 0.05, 0.39), 3))}


def valid_polygon(rng):
    x0, y0 = _r(rng, 0.0, 0.6), _r(rng, 0.0, 0.6)
    x1, y1 = min(1.0, round(x0 + _r(rng, 0.05, 0.39), 3)), min(1.0, round(y0 + _r(rng, 0.05, 0.39), 3))
    if rng.random() < 0.5:
        return [x0, y0, x1, y0, x1, y1, x0, y1]
    return [x0, y0, x1, y0, round((x0 + x1) / 2, 3), y1]


def base_record(rng, task, url):
    rec = {'image_url': url}
    if rng.random() < 0.3:
        rec['image_details'] = {'format': 'jpg', 'width': rng.choice([320, 640, 1024]), 'height': 480}
    if task == 'mc':
        rec['label'] = rng.choice(CLASSES)
    elif task == 'ml':
        rec['label'] = rng.sample(CLASSES, rng.choice([1, 1, 2]))
    elif task == 'od':
        rec['label'] = [valid_box(rng, rng.choice(CLASSES)) for _ in range(rng.choice([1, 1, 2, 3]))]
    else:
        rec['label'] = [{'label': rng.choice(CLASSES), 'polygon': [valid_polygon(rng)]}
                        for _ in range(rng.choice([1, 1, 2]))]
    return rec


URL_FORMS = [
    ('upper-case scheme', lambda u: u.replace('AmlDatastore://', 'AMLDATASTORE://')),
    ('lower-case scheme', lambda u: u.replace('AmlDatastore://', 'amldatastore://')),
    ("':///'", lambda u: u.replace('AmlDatastore://', 'AmlDatastore:///')),
    ('long azureml form', lambda u: SUB + u[len('AmlDatastore://'):].replace('/', '/paths/', 1)),
    ('short azureml form', lambda u: 'azureml://datastores/' + u[len('AmlDatastore://'):].replace('/', '/paths/', 1)),
    ('relative path', lambda u: u.split('/', 3)[-1]),
    ('absolute path', lambda u: '/' + u.split('/', 3)[-1]),
    ('backslashes', lambda u: u[:len('AmlDatastore://')] + u[len('AmlDatastore://'):].replace('/', '\\')),
    ('leading space', lambda u: ' ' + u),
    ('trailing space', lambda u: u + ' '),
    ('empty', lambda u: ''),
    ('null', lambda u: None),
    ('number', lambda u: 42),
    ('list', lambda u: [u]),
    ("'//'", lambda u: u.replace('/gen/', '//gen/', 1)),
    ('?query', lambda u: u + '?sv=1&sig=x'),
    ('%20', lambda u: u.replace('/g_', '/g%20', 1)),
    ('https', lambda u: 'https://example.com/' + u.split('/', 3)[-1]),
    ('http', lambda u: 'http://example.com/' + u.split('/', 3)[-1]),
    ('datastore only', lambda u: 'AmlDatastore://' + u.rsplit('/', 1)[-1]),
    ('folder', lambda u: u.rsplit('.', 1)[0] + '/'),
]

COORD_VALUES = [('numeric string', lambda v: str(v)), ('spaced string', lambda v: ' %s ' % v),
                ('exp string', lambda v: '%e' % v), ('nan', lambda v: 'nan'), ('inf', lambda v: 'inf'),
                ('abc', lambda v: 'abc'), ('empty string', lambda v: ''), ('null', lambda v: None),
                ('list', lambda v: [v]), ('> 1', lambda v: round(v + 1.0, 3)), ('< 0', lambda v: -0.05),
                ('pixels', lambda v: int(v * 640) + 1), ('bool', lambda v: bool(v > 0.5)),
                ('just above 1', lambda v: 1.0000001), ('exact 0', lambda v: 0), ('exact 1', lambda v: 1.0)]
ISCROWD = ['true', 'True', '1', 1, True, 1.0, 'TRUE', 'yes', 2, None, 'false', 0, '0', False, [], {}]
CLASS_BAD = [2.0, None, ['cat'], {'n': 'cat'}]
CLASS_ODD = ['', ' cat', 'Cat', '-', '--bg--', 'chat_é']


def _pick_ann(rng, rec):
    lab = rec.get('label')
    if isinstance(lab, list) and lab and isinstance(lab[0], dict):
        return rng.choice([a for a in lab if isinstance(a, dict)] or [None])
    return None


def mutate_url(rng, rec, task, ctx):
    if not str(rec.get('image_url')).startswith('AmlDatastore://ds/gen/'):
        return None
    name, fn = rng.choice(URL_FORMS)
    rec['image_url'] = fn(rec['image_url'])
    return 'url:' + name


def mutate_missing_url(rng, rec, task, ctx):
    if rec.pop('image_url', None) is None:
        return None
    return 'url:missing'


def mutate_duplicate(rng, rec, task, ctx):
    if not ctx['urls']:
        return None
    rec['image_url'] = rng.choice(ctx['urls'])
    return 'url:duplicate of an earlier line'


def mutate_details(rng, rec, task, ctx):
    rec['image_details'] = rng.choice([None, '640x480', {'width': '400px'}, {'format': 'gif', 'width': -1}])
    return 'image_details variant'


def mutate_extra(rng, rec, task, ctx):
    rec[rng.choice(['score', 'source', 'Label', 'imageUrl'])] = rng.choice([0.5, 'x', None, [1]])
    return 'extra top-level key'


def mutate_label_key(rng, rec, task, ctx):
    if rng.random() < 0.5:
        rec.pop('label', None)
        return 'label:missing'
    rec['Label'] = rec.pop('label', None)
    return "label:key renamed 'Label'"


def mutate_mc_label(rng, rec, task, ctx):
    v = rng.choice([1.0, 1.5, ['cat'], [], None, {'name': 'cat'}, '', ' cat ', 'Cat', 'cat,dog'])
    rec['label'] = v
    return 'mc label %s' % json.dumps(v)


def mutate_ml_label(rng, rec, task, ctx):
    lab = rec.get('label') if isinstance(rec.get('label'), list) else ['cat']
    choices = [('[]', []), ('duplicate class', lab + lab[:1]), ('plain string', 'cat'), ('comma string', 'cat,dog'),
               ('null', None), ('dict', {'cat': 1}), ('nested list', [lab]), ('float in list', lab + [1.5]),
               ('null in list', lab + [None]), ('[""]', ['']), ('whitespace class', [' cat'])]
    name, v = rng.choice(choices)
    rec['label'] = v
    return 'ml label ' + name


def mutate_coord(rng, rec, task, ctx):
    ann = _pick_ann(rng, rec)
    if ann is None:
        return None
    if task == 'is':
        for k, v in zip(('topX', 'topY', 'bottomX', 'bottomY'), (0.1, 0.2, 0.5, 0.6)):
            ann.setdefault(k, v)
    key = rng.choice(['topX', 'topY', 'bottomX', 'bottomY'])
    name, fn = rng.choice(COORD_VALUES)
    ann[key] = fn(ann.get(key, 0.5) if isinstance(ann.get(key), (int, float)) else 0.5)
    return 'box %s %s' % (key, name)


def mutate_box_shape(rng, rec, task, ctx):
    ann = _pick_ann(rng, rec)
    if ann is None or 'topX' not in ann:
        return None
    what = rng.choice(['swap x', 'swap y', 'zero width', 'zero height', 'missing key', 'capitalised keys',
                       'full image'])
    if what == 'swap x':
        ann['topX'], ann['bottomX'] = ann['bottomX'], ann['topX']
    elif what == 'swap y':
        ann['topY'], ann['bottomY'] = ann['bottomY'], ann['topY']
    elif what == 'zero width':
        ann['bottomX'] = ann['topX']
    elif what == 'zero height':
        ann['bottomY'] = ann['topY']
    elif what == 'missing key':
        del ann[rng.choice(['topX', 'topY', 'bottomX', 'bottomY'])]
    elif what == 'capitalised keys':
        for k in ('topX', 'topY', 'bottomX', 'bottomY'):
            ann[k[0].upper() + k[1:]] = ann.pop(k)
    else:
        ann.update(topX=0, topY=0.0, bottomX=1, bottomY=1.0)
    return 'box ' + what


def mutate_class(rng, rec, task, ctx):
    ann = _pick_ann(rng, rec)
    if ann is None:
        return None
    if rng.random() < 0.2 and 'label' in ann:
        del ann['label']
        return 'annotation label missing'
    v = rng.choice(CLASS_BAD + CLASS_ODD)
    ann['label'] = v
    return 'annotation label %s' % json.dumps(v, ensure_ascii=False)


def mutate_iscrowd(rng, rec, task, ctx):
    ann = _pick_ann(rng, rec)
    if ann is None:
        return None
    v = rng.choice(ISCROWD)
    ann['isCrowd'] = v
    return 'isCrowd %s' % json.dumps(v)


def mutate_structure(rng, rec, task, ctx):
    lab = rec.get('label')
    what = rng.choice(['background []', 'single dict', 'string', 'null', 'non-dict element', 'extra ann keys'])
    if what == 'background []':
        rec['label'] = []
    elif what == 'single dict' and isinstance(lab, list) and lab:
        rec['label'] = lab[0]
    elif what == 'string':
        rec['label'] = 'cat'
    elif what == 'null':
        rec['label'] = None
    elif what == 'non-dict element' and isinstance(lab, list):
        lab.append(rng.choice(['dog', None, [0.1, 0.2, 0.3, 0.4]]))
    elif what == 'extra ann keys' and isinstance(lab, list) and lab and isinstance(lab[0], dict):
        lab[0]['score'] = 0.9
    else:
        return None
    return 'label ' + what


def mutate_polygon(rng, rec, task, ctx):
    ann = _pick_ann(rng, rec)
    if ann is None:
        return None
    good = valid_polygon(rng)
    forms = [
        ('valid + box keys', [good]), ('null', None), ('[]', []), ('[[]]', [[]]), ('[[],[valid]]', [[], good]),
        ('[[valid],[]]', [good, []]), ('false', False), ('flat list', good), ('flat list starting 0', [0] + good[1:]),
        ('odd count', [good[:-1]]), ('odd short [x,y,x]', [good[:3]]), ('2-point segment only', [good[:4]]),
        ('2-point segment added', [good, good[:4]]), ('out-of-range segment added', [good, [0.5, 0.5, 1.3, 0.5, 1.3, 0.9]]),
        ('out-of-range only', [[v * 2 + 0.5 for v in good]]), ('negative segment added', [good, [-0.1] + good[1:]]),
        ('strings', [[str(v) for v in good]]), ('point pairs', [good[i:i + 2] for i in range(0, len(good), 2)]),
        ('nested too deep', [[good]]), ('empty dict', {}), ('dict', {'0': good}), ('string', ','.join(map(str, good))),
        ('vertical collinear', [[0.3, 0.1, 0.3, 0.5, 0.3, 0.9]]), ('horizontal collinear', [[0.1, 0.4, 0.5, 0.4, 0.9, 0.4]]),
        ('diagonal collinear', [[0.1, 0.1, 0.5, 0.5, 0.9, 0.9]]), ('two segments', [good, valid_polygon(rng)]),
        ('booleans', [[True, False] + good[2:]]), ('exact 0/1', [[0, 0, 1, 0, 1, 1]]),
    ]
    name, v = rng.choice(forms)
    ann['polygon'] = copy.deepcopy(v)
    if name == 'valid + box keys':
        ann.update(topX=0.0, topY=0.0, bottomX=0.9, bottomY=0.9)
    return 'polygon ' + name


def mutate_box_only(rng, rec, task, ctx):
    ann = _pick_ann(rng, rec)
    if ann is None:
        return None
    ann.pop('polygon', None)
    ann.update(topX=0.1, topY=0.2, bottomX=0.5, bottomY=0.6)
    return 'box-only annotation (no polygon)'


# (name, weight, tasks, fn); raw text mutations are applied when serialising
MUTATIONS = [
    (mutate_url, 6, 'mc ml od is'), (mutate_missing_url, 1, 'mc ml od is'), (mutate_duplicate, 2, 'mc ml od is'),
    (mutate_details, 1, 'mc ml od is'), (mutate_extra, 1, 'mc ml od is'), (mutate_label_key, 1, 'mc ml od is'),
    (mutate_mc_label, 6, 'mc'), (mutate_ml_label, 6, 'ml'),
    (mutate_coord, 8, 'od'), (mutate_box_shape, 4, 'od'), (mutate_class, 3, 'od is'),
    (mutate_iscrowd, 3, 'od is'), (mutate_structure, 3, 'od is'), (mutate_polygon, 3, 'od'),
    (mutate_polygon, 10, 'is'), (mutate_box_only, 2, 'is'), (mutate_coord, 1, 'is'),
]
RAW_MUTATIONS = [
    ('NaN literal', lambda s, rec: s[:-1] + ', "score": NaN}'),
    ('trailing garbage', lambda s, rec: s + ' trailing'),
    ('duplicate key', lambda s, rec: s[:-1] + ', "image_url": "AmlDatastore://ds/x.jpg"}'),
    ('truncated', lambda s, rec: s[:len(s) // 2]),
    ('blank line', lambda s, rec: ''),
    ('integer beyond int64', lambda s, rec: s[:-1] + ', "id": 12345678901234567890}'),
]


def generate(task, n, seed):
    """n lines for task; returns (text, descriptions)."""
    rng = random.Random('%s:%s' % (seed, task))
    muts = [(fn, w) for fn, w, tasks in MUTATIONS if task in tasks.split()]
    fns, weights = [m[0] for m in muts], [m[1] for m in muts]
    ctx = {'urls': []}
    lines, descs = [], []
    for i in range(1, n + 1):
        url = 'AmlDatastore://ds/gen/%s/g_%04d.jpg' % (task, i)
        rec = base_record(rng, task, url)
        applied = []
        k = rng.choice([0, 1, 1, 1, 2, 2, 3]) if i > 1 else 0
        for _ in range(k):
            d = rng.choices(fns, weights)[0](rng, rec, task, ctx)
            if d:
                applied.append(d)
        text = json.dumps(rec, ensure_ascii=False)
        if rng.random() < 0.04:
            name, fn = rng.choice(RAW_MUTATIONS)
            text = fn(text, rec)
            applied.append('raw:' + name)
        if isinstance(rec.get('image_url'), str):
            ctx['urls'].append(rec['image_url'])
        lines.append(text)
        descs.append('; '.join(applied) or 'valid record')
    return '\n'.join(lines) + '\n', descs


# ---------------------------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------------------------
def build_parser():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument('files', nargs='*', help='JSONL files (default: the corpus tests/oracle_cases/*.jsonl)')
    ap.add_argument('--task', choices=TASKS, help='task of the FILES given on the command line')
    ap.add_argument('--live', action='store_true', help='run the oracle now instead of reading expected/*.json')
    ap.add_argument('--models', default='default',
                    help="'default' (frcnn for od, maskrcnn for is; the linter is run without --model), 'all' "
                         "(every oracle model, the linter gets --model), or one oracle model name")
    ap.add_argument('--runtime', choices=('legacy', 'mmdet', 'hf'),
                    help="shorthand for --models: mmdet (od, is) or hf (mc, ml) compare that runtime; legacy the "
                         "default models")
    ap.add_argument('--linter', default='automl-lint', help='linter command (default automl-lint)')
    ap.add_argument('--linter-arg', action='append', default=[], help='extra argument for the linter (repeatable)')
    ap.add_argument('--oracle', default=DEFAULT_ORACLE, help='oracle launcher (default %(default)s)')
    ap.add_argument('--oracle-only', action='store_true', help='do not run the linter; print oracle verdicts')
    ap.add_argument('--generate', type=int, metavar='N', help='N generated lines per task, oracle run live')
    ap.add_argument('--gen-tasks', default='mc,ml,od,is', help='tasks for --generate (default all)')
    ap.add_argument('--seed', default='0', help='seed for --generate (default 0)')
    ap.add_argument('--keep', metavar='DIR', help='keep the generated files (and oracle output) in DIR')
    ap.add_argument('--write-expected', action='store_true', help='rerun the oracle on the corpus, rewrite expected')
    ap.add_argument('--check-expected', action='store_true', help='check expected/*.json are up to date')
    ap.add_argument('--min-agreement', type=float, default=98.0, help='percent (default 98)')
    ap.add_argument('--no-tolerance', action='store_true', help='count tolerated differences as disagreements')
    ap.add_argument('--jobs', type=int, default=min(8, os.cpu_count() or 2), help='parallel oracle/linter runs')
    ap.add_argument('-v', '--verbose', action='store_true', help='confusion matrices, every tolerated line')
    return ap


def models_for(task, args):
    if args.models == 'default':
        return [DEFAULT_MODEL[task]]
    if args.models == 'all':
        return ALL_MODELS[task]
    if args.models in ALL_MODELS[task]:
        return [args.models]
    return []


def plan(args):
    """[(label, path, task, model, expected-or-None, descriptions)] for the files to compare."""
    index = load_case_index()
    jobs = []
    if args.generate:
        tmp = args.keep or tempfile.mkdtemp(prefix='oracle_gen_')
        if not args.keep:
            args.tmpdir = tmp  # removed by main()
        os.makedirs(tmp, exist_ok=True)
        for task in [t.strip() for t in args.gen_tasks.split(',') if t.strip()]:
            if task not in TASKS:
                raise CannotRun('unknown task in --gen-tasks: %s' % task)
            text, descs = generate(task, args.generate, args.seed)
            path = os.path.join(tmp, 'gen_%s.jsonl' % task)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
            for model in models_for(task, args):
                jobs.append(('gen_%s.jsonl' % task, path, task, model, None, descs))
        print('generated %d line(s) per task, seed %s, in %s%s' % (
            args.generate, args.seed, tmp, '' if args.keep else ' (removed at exit; --keep DIR keeps them)'))
        return jobs
    if args.files:
        if not args.task:
            raise CannotRun('--task is required with FILES')
        for path in args.files:
            path = os.path.abspath(path)
            stem = os.path.basename(path)[:-len('.jsonl')] if path.endswith('.jsonl') else None
            in_corpus = os.path.dirname(path) == CASES_DIR and stem
            for model in models_for(args.task, args):
                exp = None
                if not args.live:
                    ep = expected_path(stem, args.task, model) if in_corpus else None
                    if not ep or not os.path.exists(ep):
                        raise CannotRun('no expected verdicts for %s; pass --live to run the oracle' % path)
                    exp = ep
                jobs.append((os.path.relpath(path), path, args.task, model, exp,
                             index.get(stem, {}).get('cases') if in_corpus else None))
        return jobs
    for stem, path, task in corpus_files():
        for model in models_for(task, args):
            ep = expected_path(stem, task, model)
            if not args.live and not os.path.exists(ep):
                raise CannotRun('missing %s: run scripts/oracle_compare.py --write-expected'
                                % os.path.relpath(ep, REPO))
            jobs.append((stem + '.jsonl', path, task, model, None if args.live else ep,
                         index.get(stem, {}).get('cases')))
    return jobs


def load_or_run(job, args):
    label, path, task, model, ep, _descs = job
    if ep:
        with open(ep, encoding='utf-8') as f:
            exp = json.load(f)
        if exp.get('sha256') and exp['sha256'] != sha256_of(path):
            print('warning: %s is stale (%s changed); run --write-expected' % (os.path.relpath(ep, REPO), label),
                  file=sys.stderr)
        return exp
    res = run_oracle(args.oracle, path, task, model)
    if args.keep and args.generate:
        with open(os.path.join(args.keep, '%s.%s.oracle.json' % (label[:-len('.jsonl')], model or task)), 'w') as f:
            json.dump({'task': task, 'model': model, 'oracle': ORACLE_ID, 'lines': res['lines'],
                       'dataset': res['dataset']}, f, indent=1, ensure_ascii=False)
    return {'lines': res['lines'], 'dataset': res['dataset']}


def main(argv=None):
    if hasattr(signal, 'SIGPIPE'):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    args = build_parser().parse_args(argv)
    if args.runtime:
        args.models = 'default' if args.runtime == 'legacy' else args.runtime
    args.tmpdir = None
    try:
        return _main(args)
    except CannotRun as ex:
        print('oracle_compare: %s' % ex, file=sys.stderr)
        return 2
    finally:
        if args.tmpdir:
            shutil.rmtree(args.tmpdir, ignore_errors=True)


def _main(args):
    if args.write_expected:
        return write_expected(args)
    if args.check_expected:
        return check_expected(args)
    jobs = plan(args)
    if not jobs:
        raise CannotRun('nothing to compare (check --models / --task)')
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        exps = list(ex.map(lambda j: load_or_run(j, args), jobs))
    if args.oracle_only:
        return oracle_only_report([(j[0], j[2], j[3], e) for j, e in zip(jobs, exps)])

    def cmp(pair):
        (label, path, task, model, _ep, descs), exp = pair
        return (task, model), compare_file(label, path, task, model, exp, args, descs)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        results = list(ex.map(cmp, zip(jobs, exps)))
    tallies = collections.defaultdict(Tally)
    rows, tol_rows, job_rows = [], [], []
    for key, (t, r, tr, job) in results:
        merge(tallies[key], t)
        rows += r
        tol_rows += tr
        if job:
            job_rows.append(job)
    return report(tallies, rows, tol_rows, job_rows, args)


if __name__ == '__main__':
    sys.exit(main())
