"""A run on a Dask cluster: ``--dask ADDRESS``, ``--dask local[:N]``, or ``client=`` in the Python API.

Two kinds of work become Dask tasks: the byte ranges of a JSONL file, each checked by the function a
``--jobs`` worker runs (``engine._chunk_worker``), and batches of image references, each probed by the function
the local image pass runs (``images.batch.probe_batch``).
Their results come back to this process (the client) and are merged exactly as the ``--jobs`` workers' are,
so the report is the one ``--jobs 1`` gives, in the same order. Tasks are pure functions of their arguments:
when a worker is lost mid-run, Dask runs its tasks again elsewhere and the result does not change.

Workers open the JSONL files and local images by path. A local path must name the same file on every worker
(a shared file system, or the same mount on every node); a file that a worker cannot find but this process
can is an error (exit 2), never a finding. Images in Blob Storage are read by the workers through fsspec/adlfs
with the credentials of the worker's own environment: a task carries paths and settings, never a secret.

Nothing here imports Dask until a run asks for it: the default install does not need the ``dask`` extra.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import signal
import threading
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit

from automl_lint.reader import SourceError

# Waiting for a scheduler to answer, and for it to have a worker.
CONNECT_TIMEOUT = 10
WORKERS_TIMEOUT = 60
# A JSONL file is cut into ranges of about this size, and into at least two per worker thread.
RANGE_BYTES = 32 * 1024 * 1024
# At most this many image locations per task; each task reads them with this many threads (Blob round trips).
IMAGE_BATCH = 256
PROBE_THREADS = 16
BLOB_PART = 8
_LOCAL = re.compile(r"local(?::(\d+))?")

_current: Executor | None = None


class DaskUnavailable(SourceError):
    """The Dask cluster cannot run the lint (not installed, unreachable, no worker, a file not on the workers)."""


class NotOnWorker(Exception):
    """Raised on a worker: a local path this process reads names no file (or another file) there."""


def parse_spec(value: str) -> str:
    """Check a ``--dask`` value: ``local``, ``local:N`` (N >= 1), a scheduler address or a scheduler file."""
    value = value.strip()
    if value == "local" or value.startswith("local:"):
        m = _LOCAL.fullmatch(value)
        if m is None or (m.group(1) and int(m.group(1)) < 1):
            raise ValueError(f"{value!r} is not local or local:N (N >= 1 worker processes)")
    if not value:
        raise ValueError("expected a scheduler address (tcp://host:8786), a scheduler file or local[:N]")
    return value


def current() -> Executor | None:
    """The Dask executor of the run in progress, or None (the engine then checks on this machine)."""
    return _current


@contextmanager
def session(spec: str | None, client=None):
    """Within the block, ``current()`` runs work on ``client``, or on a cluster connected (or started) from
    ``spec``; a cluster started here is shut down at the end, and Ctrl-C cancels the tasks still queued."""
    global _current
    if spec is None and client is None:
        yield None
        return
    from automl_lint.rules import dataset

    executor = Executor.connect(spec, client)
    hash_before = dataset.url_hash
    _current, dataset.url_hash = executor, stable_url_hash
    try:
        executor.allow_interrupts()  # a Ctrl-C pressed while a local cluster started is raised here
        yield executor
    finally:
        _current, dataset.url_hash = None, hash_before
        executor.close()


def stable_url_hash(url: str) -> int:
    """The 8-byte key of an image_url, the same in every process (str's hash differs from one to the next)."""
    return int.from_bytes(hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                          "little", signed=True)


class Executor:
    def __init__(self, client, cluster=None, where: str = "the Dask cluster", owned: bool = True) -> None:
        self.client = client
        self.cluster = cluster  # a LocalCluster started for this run
        self.where = where
        self.owned = owned  # False: the caller's client, left open
        self.mask = None  # the signal mask to restore once the run may be interrupted
        self.tracker_ours = False  # multiprocessing's resource tracker was started for this run's workers

    @classmethod
    def connect(cls, spec: str | None, client=None) -> Executor:
        try:
            import distributed
        except ImportError:
            raise DaskUnavailable("--dask needs the 'dask' extra: pip install 'automl-lint[dask]'") from None
        if client is not None:
            executor = cls(client, where=f"the Dask scheduler at {client.scheduler.address}", owned=False)
        else:
            executor = cls._start(distributed, spec)
        try:
            executor._check_workers()
        except BaseException:
            executor.close()
            raise
        return executor

    @classmethod
    def _start(cls, distributed, spec: str) -> Executor:
        m = _LOCAL.fullmatch(spec)
        if m:
            workers = int(m.group(1) or os.cpu_count() or 1)
            _quiet()
            # Worker processes (not threads): the checks are pure Python. Ctrl-C reaches the whole process
            # group; it is this process's to handle (cancel the run, shut the workers down), so SIGINT is
            # blocked while they start, and they inherit the block. A Ctrl-C meanwhile waits for allow_interrupts().
            tracker_ours = not _tracker_running()
            mask = _block_sigint()
            try:
                cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                   dashboard_address=":0", preload=[__name__])
                # Not the process's default client: a caller's own default client is left as it was.
                client = distributed.Client(cluster, set_as_default=False)
                executor = cls(client, cluster, f"the local Dask cluster ({workers} workers)")
            except Exception as exc:
                _restore_sigmask(mask)
                raise DaskUnavailable(f"cannot start a local Dask cluster ({type(exc).__name__}: {exc})") from None
            executor.mask, executor.tracker_ours = mask, tracker_ours
            return executor
        where = f"the Dask scheduler at {spec}"
        try:
            if spec.endswith(".json") and os.path.isfile(spec):
                client = distributed.Client(scheduler_file=spec, timeout=CONNECT_TIMEOUT, set_as_default=False)
            else:
                _reachable(spec)
                client = distributed.Client(spec, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except DaskUnavailable:
            raise
        except MemoryError:  # a reply that announces gigabytes: whatever listens there speaks another protocol
            raise DaskUnavailable(f"cannot reach {where} (what answers there is not a Dask scheduler)") from None
        except Exception as exc:  # OSError, TimeoutError, a bad address (ValueError), ...
            reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            raise DaskUnavailable(f"cannot reach {where} ({reason})") from None
        return cls(client, where=where)

    def _check_workers(self) -> None:
        """At least one worker, each with this version of automl-lint (another could judge differently)."""
        from importlib.metadata import version

        try:
            self.client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except TimeoutError:
            raise DaskUnavailable(f"{self.where} has no worker (waited {WORKERS_TIMEOUT} s)") from None
        mine = version("automl-lint")
        try:
            theirs = self.client.run(version, "automl-lint")
        except Exception as exc:
            raise DaskUnavailable(f"the workers of {self.where} cannot run automl-lint ({type(exc).__name__}: "
                                  f"{exc}): install automl-lint[dask] {mine} on every worker") from None
        for worker, v in sorted(theirs.items()):
            if v != mine:
                raise DaskUnavailable(f"Dask worker {worker} has automl-lint {v}, this process {mine}: install "
                                      "the same version everywhere")

    def threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def allow_interrupts(self) -> None:
        mask, self.mask = self.mask, None
        _restore_sigmask(mask)

    def close(self) -> None:
        if not self.owned:
            return
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                # Its workers have nothing left to give: a worker still busy (Ctrl-C) or slow to let go of its Blob
                # connections would be given 4 s; half a second will do.
                try:
                    self.cluster.sync(_close_now, list(self.cluster.workers.values()))
                except Exception:
                    pass
                self.cluster.close()
                if self.tracker_ours:
                    _stop_resource_tracker()
            self.allow_interrupts()

    # ---- the work ----

    def lint_ranges(self, path: str, size: int, task, settings, result) -> None:
        """Check the JSONL file ``path`` of ``size`` bytes as byte ranges on the workers; merge into ``result``."""
        from automl_lint import engine

        path = os.path.abspath(path)
        try:
            ranges = engine._boundaries(path, size, max(2 * self.threads(), math.ceil(size / RANGE_BYTES)))
        except OSError as exc:  # the file vanished or became unreadable since it was opened
            raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
        parts = self._map(check_range, "range", [(path, size, a, b, task, settings) for a, b in ranges])
        engine._merge_chunks(parts, settings, result)

    def probe(self, refs: list, settings, take) -> None:
        """Probe image references ``(location, root, known)`` on the workers in batches (``images.batch.probe_batch``
        is the task); ``take(batch, results)`` receives each batch's results, in order."""
        from automl_lint.images.locate import is_blob

        there = [ref if is_blob(ref[0]) else (os.path.abspath(ref[0]), os.path.abspath(ref[1]), ref[2])
                 for ref in refs]
        size = max(1, min(IMAGE_BATCH, math.ceil(len(refs) / (4 * self.threads()))))
        starts = range(0, len(refs), size)
        compared = 0

        def arrived(i: int, results: list) -> None:
            nonlocal compared
            batch = refs[starts[i]:starts[i] + size]
            for (location, _, _), p in zip(batch, results):
                # A local image the workers do not find but this process does: the paths differ there.
                if (p is not None and not p.exists and not p.outside and not p.unreadable and compared < 20
                        and not is_blob(location)):
                    compared += 1
                    _not_missing_here(location, self.where)
            take(batch, results)

        self._map(probe_refs, "probe", [(there[i:i + size], settings) for i in starts], arrived)

    def hash_whole(self, refs: list) -> list[str]:
        """The whole-content hash of each ``(location, root)`` ("" when unreadable), computed on the workers."""
        from automl_lint.images.locate import is_blob

        there = [ref if is_blob(ref[0]) else (os.path.abspath(ref[0]), os.path.abspath(ref[1])) for ref in refs]
        size = max(1, min(IMAGE_BATCH, math.ceil(len(refs) / (4 * self.threads()))))
        return [h for part in self._map(hash_refs, "hash", [(there[i:i + size],) for i in range(0, len(refs), size)])
                for h in part]

    def _map(self, function, name: str, calls: list[tuple], arrived=None) -> list:
        """``function(*args)`` for each args of ``calls`` as Dask tasks: their results in order, or, with ``arrived``,
        ``arrived(i, result)`` called in order as soon as every earlier result has arrived."""
        from distributed import as_completed

        from automl_lint.images.storage import StorageUnavailable

        run = uuid.uuid4().hex
        futures = [self.client.submit(function, *args, key=f"automl-lint-{name}-{run}-{i}")
                   for i, args in enumerate(calls)]
        index = {future.key: i for i, future in enumerate(futures)}
        results: list = [None] * len(futures)
        done = [False] * len(futures)
        ready = 0
        try:
            # Not gather(): interrupted by Ctrl-C, it leaves a half-done wait behind that complains on stderr.
            # The loop must be this client's: as_completed defaults to the *default* client's loop, and when the
            # process has another client (a notebook's, the caller's), that loop would use this client's
            # connections from a second thread, which corrupts them (a hang, or an AssertionError in tornado).
            for future, result in as_completed(futures, loop=self.client.loop, with_results=True):
                i = index[future.key]
                results[i], done[i] = result, True
                while ready < len(futures) and done[ready]:
                    if arrived is not None:
                        arrived(ready, results[ready])
                        results[ready] = None  # taken: not kept twice
                    ready += 1
            return results
        except KeyboardInterrupt:
            self.client.cancel(futures)
            raise
        except NotOnWorker as exc:
            self.client.cancel(futures)
            raise DaskUnavailable(str(exc)) from None
        except StorageUnavailable as exc:
            self.client.cancel(futures)
            raise StorageUnavailable(f"on a Dask worker: {exc}") from None
        except Exception as exc:  # a task that kept killing its workers, a lost scheduler, ...
            self.client.cancel(futures)
            reason = (str(exc).splitlines() or [""])[0][:300]
            raise DaskUnavailable(f"the run on {self.where} failed ({type(exc).__name__}: {reason})") from None


def _block_sigint():
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no process groups to share a Ctrl-C with
        return None
    # Started first: starting it later, from the thread that spawns the workers, would unblock SIGINT there.
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def _restore_sigmask(mask) -> None:
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


async def _close_now(nannies: list) -> None:
    import asyncio

    await asyncio.gather(*(nanny.close(timeout=0.5) for nanny in nannies), return_exceptions=True)


def _tracker_running() -> bool:
    try:
        from multiprocessing import resource_tracker

        return resource_tracker._resource_tracker._pid is not None
    except Exception:
        return True  # unknown: leave it alone


def _stop_resource_tracker() -> None:
    """Multiprocessing's resource tracker, started with the worker processes, would outlive this process. (Only
    when this run started it: it exits once every process that was given its pipe has, which ours now have.)"""
    try:
        from multiprocessing import resource_tracker

        resource_tracker._resource_tracker._stop()
    except Exception:  # a private API: at worst the tracker exits on its own just after this process
        pass


def _reachable(address: str) -> None:
    """Fail at once, in one line, when nothing listens at a TCP scheduler address (Dask would retry for long)."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parts.hostname, parts.port or 8786
    except ValueError as exc:
        raise DaskUnavailable(f"--dask {address!r}: not a scheduler address ({exc})") from None
    if not host:
        raise DaskUnavailable(f"--dask {address!r}: not a scheduler address (tcp://host:port)")
    import socket  # this module's imports stay light: every run imports it, few use Dask

    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise DaskUnavailable(f"cannot reach the Dask scheduler at {address} "
                              f"({exc.strerror or type(exc).__name__})") from None


def _not_missing_here(location: str, where: str) -> None:
    if os.path.isfile(location):
        raise DaskUnavailable(f"{location}: no such file on the workers of {where}, but there is one here; local "
                              "paths must name the same file on every worker (a shared file system), or read the "
                              "images from Blob Storage")


# ---- on the workers ----

_storage = None
_storage_lock = threading.Lock()


def _quiet() -> None:
    """A local cluster's scheduler, nannies and workers write to this terminal: only their errors, please (a
    worker restarted or a task cancelled is routine, and the report says what matters)."""
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)


def dask_setup(worker) -> None:
    """Preload of the workers of a local cluster: Ctrl-C is this process's to handle, not theirs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _quiet()


def _worker_storage():
    global _storage
    with _storage_lock:
        if _storage is None:
            from automl_lint.images.storage import Storage

            _storage = Storage()
        return _storage


def _where_am_i() -> str:
    try:
        from distributed import get_worker

        return f"Dask worker {get_worker().address}"
    except (ImportError, ValueError):
        return "a Dask worker"


def check_range(path: str, size: int, start: int, end: int, task, settings):
    """A task: check the lines of ``path`` between byte offsets ``start`` and ``end``."""
    from automl_lint import engine
    from automl_lint.rules import dataset

    dataset.url_hash = stable_url_hash
    try:
        st = os.stat(path)
    except OSError as exc:
        raise NotOnWorker(f"{path}: {exc.strerror or exc} on {_where_am_i()}; local paths must name the same "
                          "file on every worker (a shared file system)") from None
    if st.st_size != size:
        raise NotOnWorker(f"{path}: {st.st_size:,} bytes on {_where_am_i()} but {size:,} here; local paths must "
                          "name the same file on every worker (a shared file system)")
    return engine._chunk_worker((path, start, end, task, settings))


def probe_refs(refs: list, settings) -> list:
    """A task: ``images.batch.probe_batch`` on this worker, Blob references read by concurrent threads."""
    from concurrent.futures import ThreadPoolExecutor

    from automl_lint.images.batch import probe_batch
    from automl_lint.images.locate import is_blob

    storage = _worker_storage()
    if not refs or not is_blob(refs[0][0]):
        return probe_batch(refs, settings, storage)
    parts = [refs[i:i + BLOB_PART] for i in range(0, len(refs), BLOB_PART)]
    with ThreadPoolExecutor(min(PROBE_THREADS, len(parts))) as pool:
        return [p for part in pool.map(lambda part: probe_batch(part, settings, storage), parts) for p in part]


def hash_refs(refs: list) -> list[str]:
    """A task: the whole-content hash of each ``(location, root)`` (possible duplicates), "" when unreadable."""
    from concurrent.futures import ThreadPoolExecutor

    from automl_lint.images.check import _whole_hash

    storage = _worker_storage()
    with ThreadPoolExecutor(min(PROBE_THREADS, len(refs))) as pool:
        return list(pool.map(lambda ref: _whole_hash(storage, *ref), refs))
