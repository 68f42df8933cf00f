"""The image pass: runs after the JSONL pass over every FileResult that kept image references.

Each unique location is probed once, concurrently (Pillow releases the GIL while decoding; Blob reads wait on
the network), and remembered in the probe cache. Findings become Problems on the record's line.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

from automl_lint.images.cache import ProbeCache
from automl_lint.images.locate import Locator
from automl_lint.images.probe import MISSING, Probe, probe_bytes, unreadable
from automl_lint.images.storage import ImageUnreadable, Storage, StorageUnavailable
from automl_lint.problem import Problem
from automl_lint.rules import images as R


def check_images(results: list, settings, progress: bool | None = None) -> None:
    """Add AML7xx Problems to ``results`` (FileResults with ``image_refs``)."""
    files = [r for r in results if r.image_refs]
    if not files:
        return
    locator = Locator(settings.image_root, settings.datastores, settings.image_maps)
    where: dict[str, list[str]] = {}
    for r in files:
        for ref in r.image_refs:
            if ref[1] not in where:
                where[ref[1]] = locator.locate(ref[1])
    storage = Storage()
    cache = ProbeCache(settings.image_cache)
    try:
        found = _probe_all(sorted({c for cands in where.values() for c in cands}), storage, cache,
                           settings.images == "full", settings.jobs, progress)
    finally:
        cache.close()
    training_digests: dict[str, tuple[str, str, int]] = {}
    for r in files:
        _check_file(r, where, found, settings, locator.outside)
        if r.role == "training":
            for line, url, *_ in r.image_refs:
                probe = _chosen(where[url], found)[1]
                if probe is not None and probe.digest and probe.exists:
                    training_digests.setdefault(probe.digest, (url, r.path, line))
    for r in files:
        if r.role == "validation":
            _check_leakage(r, where, found, training_digests, settings)


def _probe_all(locations: list[str], storage: Storage, cache: ProbeCache, full: bool, jobs: int,
               progress: bool | None) -> dict[str, Probe]:
    def stat(location):
        try:
            return location, storage.stat(location)
        except ImageUnreadable as exc:
            return location, str(exc)

    def probe(location, data_version):
        try:
            return location, probe_bytes(storage.read(location, data_version[0]), full), data_version
        except ImageUnreadable as exc:
            return location, unreadable(str(exc)), None

    results: dict[str, Probe] = {}
    workers = max(2, min(32, (jobs or os.cpu_count() or 1) * 4))
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with ThreadPoolExecutor(workers) as pool, _Progress(show, len(locations)) as bar:
            todo = []
            for location, st in pool.map(stat, locations):
                if st is None or type(st) is str:
                    results[location] = MISSING if st is None else unreadable(st)
                    bar.advance()
                    continue
                hit = cache.get(location, st[0], st[1], full)
                if hit is not None:
                    results[location] = hit
                    bar.advance()
                else:
                    todo.append((location, st))
            for location, p, st in pool.map(lambda item: probe(*item), todo):
                results[location] = p
                if st is not None:
                    cache.put(location, st[0], st[1], p)
                bar.advance()
    except StorageUnavailable:
        raise
    except OSError as exc:
        raise StorageUnavailable(f"cannot read images: {exc}") from None
    return results


def _chosen(candidates: list[str], found: dict[str, Probe]) -> tuple[str | None, Probe | None]:
    """The first candidate location that exists (else the first tried, as missing)."""
    for c in candidates:
        if found[c].exists:
            return c, found[c]
    return (candidates[0], MISSING) if candidates else (None, None)


def _emit(r, line: int, url: str, findings: list, settings) -> None:
    for rule, pointer, message in findings:
        if rule.code in settings.enabled:
            r.problems.append(Problem(r.path, line, pointer, rule.code, rule.name, settings.severities[rule.code],
                                      rule.consequence, message, None, url))


def _check_file(r, where, found, settings, outside: dict[str, str]) -> None:
    seen: dict[str, tuple[str, int]] = {}
    for ref in r.image_refs:
        line, url = ref[0], ref[1]
        location, probe = _chosen(where[url], found)
        out: list = []
        if url in outside:
            out.append((R.OUTSIDE_ROOT, "/image_url", f"the path leaves {outside[url]} ('..' or a symbolic link "
                        "pointing out); automl-lint did not read it"))
        elif probe is None:
            out.append((R.NOT_LOCATED, "/image_url", "no --image-root, --datastore or --map covers this image_url; "
                        "the image was not checked"))
        else:
            if len(where[url]) > 1 and not probe.exists:
                location = " or ".join(where[url])
            R.check_image(ref, probe, location, r.task, settings, out)
            if probe.exists and probe.digest:
                first = seen.setdefault(probe.digest, (url, line))
                if first[0] != url:
                    out.append((R.DUPLICATE_CONTENT, "/image_url", f"same image content as {first[0]!r} "
                                f"(line {first[1]})"))
        _emit(r, line, url, out, settings)
    r.problems.sort(key=lambda p: (p.line is None, p.line or 0))


def _check_leakage(r, where, found, training_digests, settings) -> None:
    for line, url, *_ in r.image_refs:
        probe = _chosen(where[url], found)[1]
        if probe is None or not probe.exists or not probe.digest:
            continue
        other = training_digests.get(probe.digest)
        if other and other[0] != url:
            _emit(r, line, url, [(R.CONTENT_LEAKAGE, "/image_url", f"same image content as training image "
                                  f"{other[0]!r} ({other[1]}:{other[2]})")], settings)
    r.problems.sort(key=lambda p: (p.line is None, p.line or 0))


class _Progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, show: bool, total: int) -> None:
        self.bar = None
        if show and total:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("checking images"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.task = self.bar.add_task("images", total=total)

    def __enter__(self):
        if self.bar:
            self.bar.start()
        return self

    def advance(self) -> None:
        if self.bar:
            self.bar.advance(self.task)

    def __exit__(self, *exc) -> None:
        if self.bar:
            self.bar.stop()
