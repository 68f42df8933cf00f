#!/usr/bin/env python3
"""Images probed per second per Dask worker: the figure docs/dask.md sizes a cluster with.

    python bench/dask_images.py                         # 1,000 images on local disk, 1 and 2 workers
    python bench/dask_images.py --count 5000 --repeat 5
    python bench/dask_images.py --azurite .ci/node/node_modules/.bin/azurite-blob   # also Blob (Azurite)

Generates (once, in bench/.data/dask-images/) deterministic 640x480 images, 4 JPEG (~35 KB) for 1 PNG, and an
object-detection JSONL naming each once. For each cluster size (a distributed.LocalCluster of worker processes,
one thread each) and each mode (--images header probing, --images=full decoding) it times
``automl_lint.lint(..., client=...)`` with the image pass and without it (text only), with an empty probe cache,
and reports the median differences as the image pass's wall time and the CPU time its workers spent
(getrusage of each worker process) and this process (the client: locating, merging, the rules): images per
worker CPU-second is what one worker on a core of its own probes, however busy the measuring machine was. Workers read Blob with their own environment's connection
string (Azurite's well-known development key), as on a real cluster. Without Dask (--jobs 1) the same pass
runs in this process, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def generate(folder: str, count: int) -> str:
    from PIL import Image

    img = os.path.join(folder, "ds")
    data = os.path.join(folder, f"train-{count}.jsonl")
    if os.path.exists(data):
        return data
    os.makedirs(img, exist_ok=True)
    base = Image.radial_gradient("L").resize((640, 480))
    noise = Image.effect_noise((640, 480), 30)
    lines = []
    for i in range(count):
        shade = Image.blend(base, noise, (i % 17) / 40)
        picture = Image.merge("RGB", (shade, noise, base.rotate(i % 360)))
        name = f"img_{i:06d}.{'png' if i % 5 == 4 else 'jpg'}"
        picture.save(os.path.join(img, name), quality=85)
        lines.append(json.dumps({"image_url": f"AmlDatastore://ds/{name}", "label": [
            {"label": "thing", "topX": 0.1, "topY": 0.1, "bottomX": 0.6, "bottomY": 0.7, "isCrowd": 0}]}))
    with open(data + ".tmp", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(data + ".tmp", data)
    return data


def start_azurite(binary: str, folder: str, count: int):
    from azure.storage.blob import BlobServiceClient

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--silent", "--skipApiVersionCheck", "--location", tempfile.mkdtemp(),
                             "--blobHost", "127.0.0.1", "--blobPort", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    connection = (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                  f"BlobEndpoint=http://127.0.0.1:{port}/{ACCOUNT};")
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        container = BlobServiceClient.from_connection_string(connection).create_container("images")
        names = sorted(os.listdir(os.path.join(folder, "ds")))
        for name in names[:count]:
            with open(os.path.join(folder, "ds", name), "rb") as fh:
                container.upload_blob(name, fh.read())
    except BaseException:
        proc.terminate()
        proc.wait()
        raise
    return proc, connection


def _cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def measure(data: str, locations: dict, workers: int, repeat: int, env: dict) -> dict:
    """{(storage, mode): (wall seconds, worker CPU seconds)} of the image pass on a cluster of ``workers``."""
    import distributed

    import automl_lint

    out = {}
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  env=env) as cluster, distributed.Client(cluster) as client:
        def timed(**options):
            cpu, here = sum(client.run(_cpu).values()), _cpu()
            t = time.perf_counter()
            report = automl_lint.lint(data, client=client, config=False, task="od", image_cache="", **options)
            wall = time.perf_counter() - t
            here = _cpu() - here
            assert not [p for p in report.problems if p.code in ("AML701", "AML715")], "images not found/readable"
            return wall, sum(client.run(_cpu).values()) - cpu, here

        timed()  # warm the workers' imports
        out.update(_image_pass(timed, locations, repeat))
    return out


def _image_pass(timed, locations: dict, repeat: int) -> dict:
    def median_run(**options):
        runs = [timed(**options) for _ in range(repeat)]
        return [statistics.median(r[i] for r in runs) for i in range(len(runs[0]))]

    text = median_run()
    out = {}
    for where, option in locations.items():
        for mode in ("header", "full"):
            out[(where, mode)] = [a - b for a, b in zip(median_run(images=mode, datastores={"ds": option}), text)]
    return out


def measure_here(data: str, locations: dict, repeat: int) -> dict:
    """The same image pass without Dask (--jobs 1: this process only), for comparison."""
    import automl_lint

    def timed(**options):
        cpu, t = _cpu(), time.perf_counter()
        automl_lint.lint(data, config=False, task="od", image_cache="", jobs=1, **options)
        return time.perf_counter() - t, _cpu() - cpu

    return _image_pass(timed, locations, repeat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--azurite", help="azurite-blob binary: also measure Blob reads")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without Dask")
    args = parser.parse_args()
    folder = os.path.join(HERE, ".data", "dask-images")
    data = generate(folder, args.count)
    locations = {"local disk": os.path.join(folder, "ds")}
    env, proc = {}, None
    if args.azurite:
        proc, connection = start_azurite(args.azurite, folder, args.count)
        locations["Blob (Azurite)"] = "az://images"
        env["AZURE_STORAGE_CONNECTION_STRING"] = connection
    try:
        print(f"{args.count} images (640x480, 4 JPEG : 1 PNG), median of {args.repeat}, image pass only "
              "(a text-only run's time subtracted)\n")
        print("| storage | mode | workers | wall s | images/s | worker CPU s | images per worker CPU-second "
              "| client CPU s |")
        print("|---|---|---|---:|---:|---:|---:|---:|")
        os.environ.update(env)

        def row(where, mode, n, wall, cpu, here="-"):
            here = f"{here:.2f}" if type(here) is float else here
            print(f"| {where} | {mode} | {n} | {wall:.2f} | {args.count / wall:,.0f} | {cpu:.2f} | "
                  f"{args.count / cpu:,.0f} | {here} |", flush=True)

        if not args.no_baseline:
            for (where, mode), (wall, cpu) in measure_here(data, locations, args.repeat).items():
                row(where, mode, "none (--jobs 1, this process)", wall, cpu)
        for n in (int(w) for w in args.workers.split(",")):
            for (where, mode), (wall, cpu, here) in measure(data, locations, n, args.repeat, env).items():
                row(where, mode, n, wall, cpu, here)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
