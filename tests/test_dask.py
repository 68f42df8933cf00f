"""--dask: the same report as --jobs 1 from a real Dask cluster of worker processes (distributed.LocalCluster,
processes=True), with the work spread over the workers, a worker killed mid-run, an unreachable scheduler,
Ctrl-C, and images read by the workers from a local folder and from Blob Storage (Azurite)."""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import FIXTURES

if os.environ.get("CI"):
    import distributed  # the test extra installs it: under CI its absence is a failure, not a skip
else:
    distributed = pytest.importorskip("distributed", reason="the 'dask' extra is not installed")

from automl_lint import api  # noqa: E402
from automl_lint import distributed as on_dask  # noqa: E402
from automl_lint.cli import main  # noqa: E402
from test_azurite import azurite  # noqa: E402,F401  (the Blob emulator, started when a test asks for it)

IMAGES = FIXTURES / "images"
CLI = [sys.executable, "-m", "automl_lint"]


def _cluster(**worker_options):
    # 2 worker processes of 1 thread: the machine (and CI's) has 2 cores.
    return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                    **worker_options)


@pytest.fixture(scope="module")
def client():
    with _cluster() as cluster, distributed.Client(cluster) as c:
        yield c


def _dataset(path, n, seed=5):
    """Object-detection lines with findings everywhere: bad boxes, broken JSON, blank lines, classes first seen
    late, integer labels on a few lines, and image_urls repeated far apart (across the byte ranges)."""
    rng = random.Random(seed)
    with open(path, "w") as fh:
        for i in range(n):
            r = rng.random()
            label = rng.choice(["can", "carton", "milk_bottle"]) if i < n // 2 else rng.choice(["can", "water"])
            box = {"label": label, "topX": 0.1, "topY": 0.1, "bottomX": 0.5, "bottomY": 0.6, "isCrowd": 0}
            if r < 0.05:
                box["bottomX"] = 1.4
            elif r < 0.08:
                box["topY"] = "0.1"
            elif r < 0.09:
                box["label"] = 7
            elif r < 0.095:
                fh.write('{"image_url": "AmlDatastore://ds/broken.jpg", "label": [\n')
                continue
            elif r < 0.1:
                fh.write("\n")
                continue
            url = f"AmlDatastore://ds/img_{i if r > 0.03 else rng.randrange(n)}.jpg"
            fh.write(json.dumps({"image_url": url, "image_details": {"format": "jpg"}, "label": [box]}) + "\n")
    return path


def _report(capsys, *args):
    rc = main([*map(str, args), "--format", "json", "--isolated"])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def _workers_that_ran(stream, prefix):
    return {t["worker"] for t in stream.data if str(t["key"]).startswith(prefix)}


def test_text_checks_give_the_jobs_1_report_with_the_work_spread_over_the_workers(client, tmp_path, capsys):
    train = _dataset(tmp_path / "train.jsonl", 6000)
    valid = _dataset(tmp_path / "valid.jsonl", 1500, seed=6)  # shares image_urls with train: leakage by hash
    one = _report(capsys, train, "--validation", valid, "--task", "od", "--jobs", "1")
    with distributed.get_task_stream(client) as stream:
        on = _report(capsys, train, "--validation", valid, "--task", "od", "--dask", client.scheduler.address)
    assert on == one
    assert one[0] == 1 and json.loads(one[1])["files"][1]["problems"]  # a report with something in it
    assert len(_workers_that_ran(stream, "automl-lint-range")) == 2


def test_local_cluster_started_for_the_run_gives_the_report_and_is_gone_after(tmp_path, capsys):
    train = _dataset(tmp_path / "train.jsonl", 2000)
    before = _children()
    assert _report(capsys, train, "--dask", "local:1") == _report(capsys, train, "--jobs", "1")
    assert _children() - before == set()


def _children() -> set:
    out = subprocess.run(["pgrep", "-P", str(os.getpid())], capture_output=True, text=True).stdout
    return set(out.split())


def test_python_api_takes_a_client_and_leaves_it_open(client, tmp_path):
    train = _dataset(tmp_path / "train.jsonl", 3000)
    one = api.lint(str(train), config=False, task="od", jobs=1)
    on = api.lint(str(train), config=False, task="od", client=client)
    assert [p.to_dict() for p in on.problems] == [p.to_dict() for p in one.problems]
    assert on.summary == one.summary and on.exit_code() == one.exit_code()
    assert client.status == "running"


def test_images_from_a_local_folder_give_the_jobs_1_report(client, capsys):
    args = [IMAGES / "train.jsonl", "--validation", IMAGES / "validation.jsonl", "--images",
            "--image-root", IMAGES, "--image-cache", ""]
    one = _report(capsys, *args, "--jobs", "1")
    with distributed.get_task_stream(client) as stream:
        on = _report(capsys, *args, "--dask", client.scheduler.address)
    assert on == one
    assert {p["code"] for f in json.loads(one[1])["files"] for p in f["problems"]} >= {"AML701", "AML712", "AML713"}
    assert len(_workers_that_ran(stream, "automl-lint-probe")) == 2


def test_a_second_client_in_the_process_keeps_to_its_own_loop(client, tmp_path, capsys, monkeypatch):
    """The run's client is not the process's default one (the fixture's is, as a notebook's would be). Every
    write to a connection must come from the loop that owns it: as_completed once tracked the run's futures on
    the default client's loop, which used the run's connections from a second thread and corrupted them (a hang
    in Client.nthreads(), or an AssertionError in tornado)."""
    import asyncio

    import tornado.iostream

    foreign = []
    write = tornado.iostream.BaseIOStream.write

    def checked_write(stream, data):
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not stream.io_loop.asyncio_loop:
            foreign.append(threading.current_thread().name)
        return write(stream, data)

    monkeypatch.setattr(tornado.iostream.BaseIOStream, "write", checked_write)
    assert distributed.default_client() is client
    train = _dataset(tmp_path / "train.jsonl", 3000)
    args = [IMAGES / "train.jsonl", "--images", "--image-root", IMAGES, "--image-cache", ""]
    for run in ([train, "--task", "od"], args):
        one = _report(capsys, *run, "--jobs", "1")
        assert _report(capsys, *run, "--dask", client.scheduler.address) == one
    assert foreign == []


def test_possible_duplicates_are_hashed_whole_on_the_workers(client, tmp_path, capsys):
    from PIL import Image

    (tmp_path / "ds").mkdir()
    Image.effect_noise((200, 200), 60).convert("RGB").save(tmp_path / "ds" / "a.png")
    data = (tmp_path / "ds" / "a.png").read_bytes()
    assert len(data) > 64 * 1024  # more than the head that header probing reads
    (tmp_path / "ds" / "b.png").write_bytes(data)
    (tmp_path / "ds" / "c.png").write_bytes(data[:-20] + bytes([data[-20] ^ 1]) + data[-19:])  # same size and head
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps({"image_url": f"AmlDatastore://ds/{n}.png", "label": "cat"}) + "\n"
                             for n in ("a", "b", "c") * 4))
    args = [train, "--images", "--image-root", tmp_path, "--image-cache", "", "--task", "mc"]
    one = _report(capsys, *args, "--jobs", "1")
    with distributed.get_task_stream(client) as stream:
        on = _report(capsys, *args, "--dask", client.scheduler.address)
    assert on == one
    assert {(p["line"], p["code"]) for p in json.loads(one[1])["files"][0]["problems"] if p["code"] == "AML712"} \
        >= {(2, "AML712")}
    assert (3, "AML712") not in {(p["line"], p["code"]) for p in json.loads(one[1])["files"][0]["problems"]}
    assert _workers_that_ran(stream, "automl-lint-hash")


def test_a_worker_killed_mid_task_is_replaced_and_the_report_is_unchanged(client, tmp_path, monkeypatch):
    train = _dataset(tmp_path / "train.jsonl", 10_000)
    settings, _ = api.configure(config=False, task="od")
    one = api.run([str(train)], settings)
    monkeypatch.setattr(on_dask, "RANGE_BYTES", 200_000)  # about ten ranges
    marker = str(tmp_path / "killed")

    class KillOnce(distributed.WorkerPlugin):
        """The first worker to start checking a range is killed (SIGKILL, no goodbye) as it starts."""

        def setup(self, worker):
            self.worker = worker

        def transition(self, key, start, finish, **kwargs):
            if finish == "executing" and str(key).startswith("automl-lint-range"):
                try:
                    fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                except FileExistsError:
                    return
                os.write(fd, f"{key} {self.worker.address}".encode())
                os.close(fd)
                os.kill(os.getpid(), signal.SIGKILL)

    client.register_plugin(KillOnce(), name="kill-once")
    try:
        with distributed.get_task_stream(client) as stream:
            report = api.run([str(train)], settings, client=client)
    finally:
        client.unregister_worker_plugin("kill-once")
        client.wait_for_workers(2, timeout=60)  # the nanny has started a new worker for the module's other tests
    key, victim = open(marker).read().split()
    assert [p.to_dict() for p in report.problems] == [p.to_dict() for p in one.problems]
    assert report.summary == one.summary
    assert victim not in client.scheduler_info()["workers"]
    assert [t["worker"] for t in stream.data if t["key"] == key] not in ([], [victim])  # rerun elsewhere


def test_ctrl_c_cancels_the_queued_tasks(client, tmp_path, monkeypatch):
    import _thread

    train = _dataset(tmp_path / "train.jsonl", 20_000)
    monkeypatch.setattr(on_dask, "RANGE_BYTES", 100_000)
    settings, _ = api.configure(config=False, task="od")
    # Every worker is kept busy by a task (pinned to it) that waits for a gate, so the run's tasks stay queued
    # whatever the load on this machine: Ctrl-C is pressed while they are certainly still there, never after
    # the run has finished.
    gate = distributed.Event(f"gate-{tmp_path.name}", client=client)
    client.wait_for_workers(2, timeout=60)
    blockers = [client.submit(gate.wait, 120, pure=False, key=f"blocker-{tmp_path.name}-{i}", workers=[w],
                              allow_other_workers=False)
                for i, w in enumerate(client.scheduler_info()["workers"])]
    deadline = time.monotonic() + 60
    while sum(1 for keys in client.processing().values() if keys) < len(blockers):  # each worker has its blocker
        assert time.monotonic() < deadline
        time.sleep(0.02)

    def interrupt_once_tasks_are_queued():
        deadline = time.monotonic() + 60
        while len(_our_tasks(client)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_once_tasks_are_queued, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            api.run([str(train)], settings, client=client)
        deadline = time.monotonic() + 30
        while _our_tasks(client) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _our_tasks(client) == []
        assert client.status == "running"
    finally:
        gate.set()
        client.gather(blockers)


def _our_tasks(client):
    return client.run_on_scheduler(lambda dask_scheduler: [str(k) for k in dask_scheduler.tasks
                                                           if str(k).startswith("automl-lint")])


def test_a_file_a_worker_cannot_see_is_one_error(client, tmp_path):
    executor = on_dask.Executor(client, owned=False)
    settings, _ = api.configure(config=False, task="od")
    with pytest.raises(on_dask.DaskUnavailable, match="local paths must name the same file on every worker"):
        executor._map(on_dask.check_range, "range", [(str(tmp_path / "not-there.jsonl"), 10, 0, 10, None, settings)])
    data = _dataset(tmp_path / "here.jsonl", 10)
    with pytest.raises(on_dask.DaskUnavailable, match="bytes on Dask worker"):
        executor._map(on_dask.check_range, "range", [(str(data), 3, 0, 3, None, settings)])


def test_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, capsys):
    data = _dataset(tmp_path / "d.jsonl", 10)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once the socket is closed
    rc, out, err = _report(capsys, data, "--dask", f"tcp://127.0.0.1:{port}")
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("automl-lint: error: cannot reach the Dask scheduler")


@pytest.mark.parametrize("value", ["local:0", "local:x", ""])
def test_bad_dask_values_are_usage_errors(value, tmp_path, capsys):
    rc, _, err = _report(capsys, _dataset(tmp_path / "d.jsonl", 5), "--dask", value)
    assert rc == 2 and err.count("\n") == 1


def test_dask_in_the_configuration(tmp_path, capsys, monkeypatch):
    (tmp_path / "automl-lint.toml").write_text('dask = "tcp://scheduler:8786"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["--show-settings"]) == 0
    assert json.loads(capsys.readouterr().out)["dask"] == "tcp://scheduler:8786"
    (tmp_path / "automl-lint.toml").write_text('dask = "local:0"\n')
    assert main(["x.jsonl"]) == 2
    assert "local:N" in capsys.readouterr().err


def test_without_the_dask_extra_the_option_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    rc, _, err = _report(capsys, _dataset(tmp_path / "d.jsonl", 5), "--dask", "local:1")
    assert rc == 2 and "pip install 'automl-lint[dask]'" in err


def test_a_run_without_dask_never_imports_it(tmp_path):
    data = _dataset(tmp_path / "d.jsonl", 50)
    code = ("import sys; from automl_lint.cli import main; rc = main([sys.argv[1], '-q', '--isolated']); "
            "print(rc, 'distributed' in sys.modules, 'dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(data)], capture_output=True, text=True).stdout
    assert out.split()[-2:] == ["False", "False"]


def test_ctrl_c_on_a_local_cluster_exits_130_and_leaves_no_process(tmp_path):
    data = _dataset(tmp_path / "big.jsonl", 40_000)
    p = subprocess.Popen([*CLI, str(data), "--dask", "local:2", "--isolated", "--format", "json"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    # Interrupt once the worker processes exist (the cluster may still be starting: that must work too).
    while len(subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True).stdout.split()) < 2:
        assert p.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    os.killpg(p.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole process group
    err = p.stderr.read()
    assert p.wait(timeout=60) == 130
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err
    time.sleep(0.5)
    assert subprocess.run(["pgrep", "-s", str(p.pid)], capture_output=True, text=True).stdout.split() == []


def test_blob_images_are_read_with_the_workers_own_credentials(azurite, tmp_path, capsys, monkeypatch):
    args = [IMAGES / "train.jsonl", "--validation", IMAGES / "validation.jsonl", "--images=full",
            "--datastore", "fixtures=az://fixtures", "--image-cache", ""]
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite)
    one = _report(capsys, *args, "--jobs", "1")
    assert "AML701" in one[1]
    # Only the workers have the connection string: nothing secret travels with the tasks.
    with _cluster(env={"AZURE_STORAGE_CONNECTION_STRING": azurite}) as cluster, distributed.Client(cluster) as c:
        monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING")
        on = _report(capsys, *args, "--dask", c.scheduler.address)
    assert on == one

