"""The image pass: runs after the JSONL pass over every FileResult that kept image references.

Each unique ``image_url`` is located (``locate``), its candidate locations probed in order until one exists (most
images are settled by the first candidate, so a second root costs nothing for them), each location once, by
``batch.probe_batch`` over batches: in this process, in forked worker processes when many local images need
probing, or in threads for Blob storage (which waits on the network). The probe cache is read in bulk before and
written in batches after; a cached image still of the cached size and version is answered from a look-up in its
folder (local disk: ``storage.stat_local``) or from its folder's listing (Blob) without being opened. Identical content is then confirmed by whole-file hashes only for the images that share
a size and a head hash. Findings become Problems on the record's line.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import sys
from collections import defaultdict
from contextlib import contextmanager

import orjson

from automl_lint.images.batch import probe_batch
from automl_lint.images.cache import ProbeCache
from automl_lint.images.locate import Locator, is_blob
from automl_lint.images.probe import MISSING, Probe
from automl_lint.images.storage import (ImageUnreadable, OutsideRoot, Storage, StorageUnavailable, folder_absent,
                                         stat_local)
from automl_lint import distributed
from automl_lint.problem import Problem, quote
from automl_lint.rules import images as R

# Local images probed in worker processes when at least this many need reading (a fork costs ~20 ms).
PROCESS_MIN = 2000
LOCAL_BATCH = 256
BLOB_BATCH = 64    # fetched concurrently (at most 64 requests in flight per batch)
BLOB_THREADS = 4   # batches in flight: one thread parses while the others' requests wait on the network
BLOB_POOL_BATCH = 512  # Blob images per task of a worker process (at most 64 requests in flight in it)
# The mapping is judged wrong when at least this many located images of a file are missing, and most of them are.
SUSPECT_MIN_MISSING = 2
_CAN_FORK = "fork" in multiprocessing.get_all_start_methods()


def check_images(results: list, settings, progress=None, probes=None) -> None:
    """Add AML7xx Problems to ``results`` (FileResults with ``image_refs``).

    ``progress``: None (a bar on a terminal), False, True, or a callable ``progress(done, total)`` called as
    images (unique ``image_url`` values) are settled. ``probes``: a callable ``probes(image_url, Probe or None)``
    told what was found for every unique image_url (None: not located), for the fixes that need the real image.
    """
    files = [r for r in results if r.image_refs]
    if not files:
        return
    with _few_collections():
        _check_images(files, settings, progress, probes)


@contextmanager
def _few_collections():
    """The pass keeps a few objects per image alive (references, probes, findings) and makes few cycles: the cyclic
    garbage collector's full scans of them cost up to a tenth of a run, so it runs rarely meanwhile (objects alive
    before the pass are left out of its scans, ``gc.freeze``)."""
    old = gc.get_threshold()
    freeze = gc.get_freeze_count() == 0  # a caller's own frozen objects are left as they are
    if freeze:
        gc.freeze()
    gc.set_threshold(max(old[0], 50_000), max(old[1], 50), max(old[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*old)
        if freeze:
            gc.unfreeze()


def _check_images(files: list, settings, progress, probes) -> None:
    locator = Locator(settings.image_root, settings.datastores, settings.image_maps)
    where: dict[str, list[tuple[str, str]]] = locator.candidates_of(ref[1] for r in files for ref in r.image_refs)
    storage = Storage()
    cache = ProbeCache(settings.image_cache)
    try:
        with _progress(progress, len(where)) as advance:
            chosen = _probe_all(where, storage, cache, settings, advance)
        keys = _content_keys(chosen, where, storage, cache)
    finally:
        cache.close()
    if probes is not None:
        for url in where:
            probes(url, chosen[url][1] if url in chosen else None)
    training_digests: dict = {}
    leaks = any(r.role == "validation" for r in files)  # else no training image needs remembering
    for r in files:
        _check_file(r, where, chosen, keys, settings, locator.outside)
        if r.role == "training" and leaks:
            for line, url, *_ in r.image_refs:
                key = keys.get(url)
                if key is not None:
                    training_digests.setdefault(key, (url, r.path, line))
    for r in files:
        if r.role == "validation":
            _check_leakage(r, keys, training_digests, settings)


def _probe_all(where: dict, storage: Storage, cache: ProbeCache, settings, advance) -> dict:
    """{image_url: (index of the chosen candidate, its Probe)}: the first candidate that is not missing."""
    chosen: dict = {}
    probes: dict[str, Probe] = {}
    pending = []
    for url, cands in where.items():
        if cands:
            pending.append(url)
        else:
            advance(1)
    rank = 0
    while pending:
        wanted: dict[str, list[str]] = {}  # location -> urls waiting for it
        roots: dict[str, str] = {}
        for url in pending:
            loc, root = where[url][rank]
            waiting = wanted.get(loc)
            if waiting is None:
                wanted[loc] = [url]
            else:
                waiting.append(url)
            roots[loc] = root
        todo = [loc for loc in wanted if loc not in probes]
        next_pending = []

        def settle(locations):
            done = 0
            for loc in locations:
                p = probes[loc]
                settled = p.exists or p.outside or p.unreadable
                for url in wanted[loc]:
                    if settled or rank + 1 >= len(where[url]):
                        chosen[url] = (rank, p)
                        done += 1
                    else:
                        next_pending.append(url)
            advance(done)

        settle([loc for loc in wanted if loc in probes])
        _run(todo, roots, storage, cache, settings, probes, settle)
        pending = next_pending
        rank += 1
    return chosen


def _run(todo: list, roots: dict, storage: Storage, cache: ProbeCache, settings, probes: dict, settle) -> None:
    """Probe every location of ``todo`` into ``probes``, calling ``settle(locations)`` as batches complete."""
    if not todo:
        return
    full = settings.images == "full"
    local_at, blob_at = [], []
    for loc in todo:
        (local_at if loc[0] == "/" or not is_blob(loc) else blob_at).append(loc)  # an absolute path is local
    executor = distributed.current()
    if local_at and executor is None:  # Dask workers may see other files at the same paths: they look themselves
        # Before the cache is asked: missing images are never cached, so it would be asked in vain.
        local_at = _answer_from_absent_folders(local_at, probes, settle)
    cached = iter(cache.probes(local_at + blob_at))
    local = [(loc, roots[loc], next(cached)) for loc in local_at]  # (location, root, the cache's probe or None)
    blob = [(loc, roots[loc], next(cached)) for loc in blob_at]
    if local and executor is None:
        local = _answer_from_stats(local, full, probes, settle)
    if blob:
        blob = _answer_from_listings(blob, storage, full, probes, settle)
    # The rest is probed: what the cache knows of each becomes the (size, version, full) that probe_batch compares
    # the file with, and its answer when they still agree.
    known: dict = {}
    local, blob = _shipped(local, known), _shipped(blob, known)

    def take(batch, results, docs=None):
        """``docs``: each fresh probe's JSON document when a worker sent it so (the cache stores it as it is)."""
        for i, ((loc, _, _), p) in enumerate(zip(batch, results)):
            if p is None:
                p = known[loc]
            else:
                cache.put(loc, p, docs[i] if docs is not None else None)
            probes[loc] = p
        settle([r[0] for r in batch])

    try:
        if executor is not None:  # --dask: the batches run on the cluster's workers
            executor.probe(local + blob, settings, take)
        elif local:
            batches = [local[i:i + LOCAL_BATCH] for i in range(0, len(local), LOCAL_BATCH)]
            jobs = settings.jobs or os.cpu_count() or 1
            uncached = sum(1 for r in local if r[2] is None)
            if jobs > 1 and _CAN_FORK and uncached >= PROCESS_MIN:
                _pooled(batches, settings, take, jobs)
            elif full:
                _threaded(batches, settings, storage, take, max(2, min(8, jobs * 2)))
            else:
                for batch in batches:
                    take(batch, probe_batch(batch, settings, storage))
        if blob and executor is None:
            jobs = settings.jobs or os.cpu_count() or 1
            if jobs > 1 and _CAN_FORK and len(blob) >= PROCESS_MIN:
                # The Blob client's per-request work is Python: every core helps. Each worker opens its own
                # connections and keeps up to 64 requests in flight through a long batch (with 64-blob batches
                # it waited for each batch's slowest request: 1.5x slower through Azurite).
                size = BLOB_POOL_BATCH
                _pooled([blob[i:i + size] for i in range(0, len(blob), size)], settings, take, jobs)
            else:
                batches = [blob[i:i + BLOB_BATCH] for i in range(0, len(blob), BLOB_BATCH)]
                _threaded(batches, settings, storage, take, 2 if full else BLOB_THREADS)
    except StorageUnavailable:
        raise
    except OSError as exc:
        raise StorageUnavailable(f"cannot read images: {exc}") from None


def _answer_from_absent_folders(locations: list, probes: dict, settle) -> list:
    """Local images in a folder that does not exist are missing: one look-up per folder instead of an open per image
    (``storage.folder_absent``). With ``--image-root`` an image_url has two candidate locations (the datastore's name
    kept as the first folder, or stripped): for a dataset laid out one way, the other is absent for every image, and
    missing images are never cached. The other locations are returned."""
    absent: dict[str, bool] = {}
    rest, missing = [], []
    sep = os.sep
    folder = gone = None  # the previous location's folder and answer (a folder's files come together)
    for loc in locations:
        here = loc.rpartition(sep)[0] or sep
        if here != folder:
            folder = here
            gone = absent.get(folder)
            if gone is None:
                gone = absent[folder] = folder_absent(folder)
        if gone:
            probes[loc] = MISSING
            missing.append(loc)
        else:
            rest.append(loc)
    settle(missing)
    return rest


def _answer_from_stats(refs: list, full: bool, probes: dict, settle) -> list:
    """Cached local images whose file still has the cached size and modification time (``storage.stat_local``: a
    look-up in the file's opened, checked folder) are answered without opening them; the rest are returned to be
    probed."""
    now = iter(stat_local([r for r in refs if r[2] is not None]))
    rest, answered = [], []
    for r in refs:
        p = r[2]  # the cache's probe
        if p is None:
            rest.append(r)
            continue
        st = next(now)
        if st is not None and st[0] == p.bytes and st[1] == p.version and (p.full or not full):
            probes[r[0]] = p
            answered.append(r[0])
        else:
            rest.append(r)
    settle(answered)
    return rest


def _answer_from_listings(refs: list, storage: Storage, full: bool, probes: dict, settle) -> list:
    """Cached Blob images whose folder listing still shows the cached size and etag are answered without a
    request of their own; the rest are returned to be probed (with nothing known: one ranged read each)."""
    by_folder: dict[str, list] = defaultdict(list)
    for r in refs:
        if r[2] is not None:
            by_folder[r[0].rsplit("/", 1)[0]].append(r)
    rest = [r for r in refs if r[2] is None]
    for folder, group in by_folder.items():
        if len(group) < 4:  # a listing pays from a few blobs on
            rest.extend(group)
            continue
        listed = storage.listed(folder, {r[0].rsplit("/", 1)[1] for r in group})
        answered = []
        for r in group:
            now = listed.get(r[0].rsplit("/", 1)[1])
            p = r[2]
            if now and now[0] == p.bytes and now[1] == p.version and (p.full or not full):
                probes[r[0]] = p
                answered.append(r[0])
            else:
                rest.append((r[0], r[1], None) if now else r)
        settle(answered)
    return rest


def _shipped(refs: list, known: dict) -> list:
    """``(location, root, cached probe or None)`` as ``probe_batch`` takes them, ``(location, root, (size, version,
    full) or None)``; each cached probe is kept in ``known`` (the answer when the file still agrees with it)."""
    out = []
    for loc, root, p in refs:
        if p is None:
            out.append((loc, root, None))
        else:
            known[loc] = p
            out.append((loc, root, (p.bytes, p.version, p.full)))
    return out


def _pooled(batches: list, settings, take, jobs: int) -> None:
    from automl_lint.engine import worker_pool

    # The pool's exit terminates the workers: Ctrl-C does not wait for the queued batches.
    with worker_pool(min(jobs, len(batches))) as pool:
        for batch, docs in zip(batches, pool.imap(_worker, [(b, settings) for b in batches])):
            decoded = iter(ProbeCache.decode([doc for doc in docs if doc is not None]))
            probes = [None if doc is None else next(decoded) or Probe.from_json(orjson.loads(doc)) for doc in docs]
            take(batch, probes, docs)


def _worker(args) -> list:
    """A batch's probes as JSON documents of their field lists (None where the cache entry holds): a fraction of the
    cost of pickling the Probes, and what the probe cache stores."""
    batch, settings = args
    return [None if p is None else orjson.dumps(p.to_json()) for p in probe_batch(batch, settings)]


def _threaded(batches: list, settings, storage: Storage, take, workers: int) -> None:
    from concurrent.futures import ThreadPoolExecutor  # here: ~5 ms to import (logging), not needed by a warm run

    pool = ThreadPoolExecutor(workers)
    try:
        # At most 2 batches per thread in flight: bounded memory, and Ctrl-C cancels the rest.
        window = workers * 2
        futures = [pool.submit(probe_batch, b, settings, storage) for b in batches[:window]]
        for i, batch in enumerate(batches):
            results = futures[i].result()
            futures[i] = None
            if i + window < len(batches):
                futures.append(pool.submit(probe_batch, batches[i + window], settings, storage))
            take(batch, results)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _content_keys(chosen: dict, where: dict, storage: Storage, cache: ProbeCache) -> dict:
    """{image_url: content key} for existing images: equal keys mean identical bytes.

    Images are grouped by (size, head hash); only groups of two or more locations are compared by whole content:
    Blob's Content-MD5 when every member has one, else a hash of the whole file (read in chunks). An image alone
    with its (size, head hash) keeps them as its key, unlike any ("md5" | "digest", hash) key.
    """
    keys: dict = {}
    first: dict = {}  # (size, head) -> the first location found with them
    shared: set = set()  # the (size, head) of two or more locations
    for url, (rank, p) in chosen.items():
        if p.exists and p.head:
            candidate = p.bytes, p.head
            keys[url] = candidate
            loc = where[url][rank][0]
            seen = first.setdefault(candidate, loc)
            if seen is not loc and seen != loc:
                shared.add(candidate)
    if not shared:
        return keys
    by_location: dict[str, tuple] = {}  # location -> (probe, root) in a shared group
    groups: dict = {}  # (size, head) -> its locations, in the order first found
    members = []  # (url, location) in a shared group
    for url, (rank, p) in chosen.items():
        candidate = keys.get(url)
        if candidate is not None and candidate in shared:
            loc, root = where[url][rank]
            if loc not in by_location:
                by_location[loc] = p, root
                groups.setdefault(candidate, []).append(loc)
            members.append((url, loc))
    key_of: dict[str, object] = {}  # the keys of locations sharing a size and head hash
    executor = distributed.current()
    if executor is not None:  # --dask: the workers hash the candidates whole
        todo = [(loc, by_location[loc][1]) for locs in groups.values() if not all(by_location[loc][0].md5
                for loc in locs) for loc in locs if not by_location[loc][0].digest]
        for (loc, _), digest in zip(todo, executor.hash_whole(todo)):
            by_location[loc][0].digest = digest
            if digest:
                cache.put(loc, by_location[loc][0])
    for locs in groups.values():
        if all(by_location[loc][0].md5 for loc in locs):
            for loc in locs:
                key_of[loc] = ("md5", by_location[loc][0].md5)
            continue
        for loc in locs:
            p, root = by_location[loc]
            if not p.digest:
                p.digest = _whole_hash(storage, loc, root)
                if p.digest:
                    cache.put(loc, p)
            if p.digest:
                key_of[loc] = ("digest", p.digest)
    for url, loc in members:
        key = key_of.get(loc)
        if key is not None:
            keys[url] = key
        else:
            del keys[url]
    return keys


def _whole_hash(storage: Storage, location: str, root: str) -> str:
    try:
        opened = storage.open(location, root)
    except (OutsideRoot, ImageUnreadable):
        return ""
    if opened is None:
        return ""
    with opened:
        h = hashlib.blake2b(digest_size=16)
        try:
            opened.hash_all(h)
        except ImageUnreadable:
            return ""
        return h.hexdigest()


def _emit(r, line: int, url: str, findings: list, settings) -> None:
    for rule, pointer, message in findings:
        r.add(Problem(r.path, line, pointer, rule.code, rule.name, settings.severities[rule.code],
                      rule.consequence, message, None, url), settings.enabled)


def _check_file(r, where, chosen, keys, settings, outside: dict[str, str]) -> None:
    seen: dict = {}
    located, missing = 0, []
    # The findings of each image that has any, in line order, emitted once it is known whether the file's missing
    # images point at a wrong location (then they become one finding for the file, not AutoML's drops).
    found_out: list = []  # (line, url, findings, whether the image is missing)
    get = chosen.get
    yolo = settings.uses_yolo(r.task or "")
    task, check_image, key_of = r.task, R.check_image, keys.get
    out: list = []  # a new list only once one has been used
    for ref in r.image_refs:
        url = ref[1]
        found = get(url)
        lost = False
        if found is None:
            if url in outside:  # an image_url leaving its location has no candidate: never chosen
                out.append((R.OUTSIDE_ROOT, "/image_url", f"the path leaves {outside[url]} ('..' or a symbolic "
                            "link pointing out); automl-lint did not read it"))
            else:
                out.append((R.NOT_LOCATED, "/image_url", "no --image-root, --datastore or --map covers this "
                            "image_url; the image was not checked"))
        else:
            located += 1
            rank, probe = found
            location, root = where[url][rank]
            if probe.outside:
                out.append((R.OUTSIDE_ROOT, "/image_url", f"the path leaves {root} (a symbolic link pointing out); "
                            "automl-lint did not read it"))
            else:
                if not probe.exists and not probe.unreadable:
                    missing.append(ref)
                    lost = True
                    if len(where[url]) > 1:
                        location = " or ".join(loc for loc, _ in where[url])
                check_image(ref, probe, location, task, settings, out, yolo)
                key = key_of(url)
                if key is not None:
                    first = seen.setdefault(key, ref)  # the first reference with this content: (line, url, ...)
                    if first[1] != url:
                        out.append((R.DUPLICATE_CONTENT, "/image_url", f"same image content as {quote(first[1])} "
                                    f"(line {first[0]})"))
        if out:
            found_out.append((ref[0], url, out, lost))
            out = []
    suspect = len(missing) >= SUSPECT_MIN_MISSING and 2 * len(missing) > located
    for line, url, findings, lost in found_out:
        if not (lost and suspect):
            _emit(r, line, url, findings, settings)
    if suspect and R.LOCATION_SUSPECT.code in settings.enabled:
        rule = R.LOCATION_SUSPECT
        r.problems.append(Problem(r.path, None, "", rule.code, rule.name, settings.severities[rule.code],
                                  rule.consequence, _suspect_message(missing, located, where)))
    r.problems.sort(key=lambda p: (p.line is None, p.line or 0))


def _suspect_message(missing: list, located: int, where: dict) -> str:
    line, url = missing[0][0], missing[0][1]
    looked = [loc for loc, _ in where[url]]
    message = (f"{len(missing)} of {located} located images were not found: the image location is probably wrong, "
               f"not the data (line {line}: {quote(url)} was looked up at {' and '.join(looked)}). ")
    hint = _near_match(where[url][0][0], where[url][0][1])
    if hint:
        return message + hint
    return message + ("Check --image-root / --datastore, or map the URL prefix to the folder that holds the images: "
                      f"--map '{url.rsplit('/', 1)[0]}/=FOLDER'.")


def _near_match(location: str, root: str) -> str:
    """A folder or file on the looked-up path that exists with other letter case, as a fix to suggest."""
    if "://" in location:
        return ""
    rel = os.path.relpath(location, root)
    if rel.startswith(".."):
        return ""
    current = root
    for part in rel.split(os.sep):
        nxt = os.path.join(current, part)
        if os.path.exists(nxt):
            current = nxt
            continue
        try:
            names = os.listdir(current)
        except OSError:
            return ""
        same = [n for n in names if n.lower() == part.lower()]
        if same:
            return (f"{os.path.join(current, same[0])} exists and differs only by letter case from {part!r} "
                    "(paths are case-sensitive): fix the image_url values or the folder name.")
        return ""
    return ""


def _check_leakage(r, keys, training_digests, settings) -> None:
    for line, url, *_ in r.image_refs:
        key = keys.get(url)
        if key is None:
            continue
        other = training_digests.get(key)
        if other and other[0] != url:
            _emit(r, line, url, [(R.CONTENT_LEAKAGE, "/image_url", f"same image content as training image "
                                  f"{quote(other[0])} ({other[1]}:{other[2]})")], settings)
    r.problems.sort(key=lambda p: (p.line is None, p.line or 0))


class _progress:
    """``advance(n)`` for a rich progress bar on a terminal, a caller's ``progress(done, total)``, or nothing."""

    def __init__(self, progress, total: int) -> None:
        self.bar = self.callback = None
        self.done, self.total = 0, total
        if callable(progress):
            self.callback = progress
            return
        show = sys.stderr.isatty() if progress is None else progress
        if show and total:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("checking images"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.task = self.bar.add_task("images", total=total)

    def __enter__(self):
        if self.bar:
            self.bar.start()
        return self.advance

    def advance(self, n: int) -> None:
        if not n:
            return
        self.done += n
        if self.bar:
            self.bar.advance(self.task, n)
        elif self.callback:
            self.callback(self.done, self.total)

    def __exit__(self, *exc) -> None:
        if self.bar:
            self.bar.stop()
