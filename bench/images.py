#!/usr/bin/env python3
"""automl-lint images benchmark: `--images` on local disk and on Blob storage (Azurite), cold and warm cache.

    python bench/images.py                      # 4,000 images, local disk, median of 3 runs
    python bench/images.py --count 20000 --repeat 5
    python bench/images.py --azurite .ci/node/node_modules/.bin/azurite-blob   # also Blob through Azurite

Generates (once, cached in bench/.data/) a deterministic set of 640x480 images, half JPEG (some with an EXIF
block), half PNG, a few exact copies under other names, and an object-detection JSONL file naming each once.
Every measurement is a fresh `automl-lint` process; for each it reports wall seconds, images/s and the bytes the
process read (`rchar` of /proc/<pid>/io, every read() the process made: the JSONL, Python's modules, the probe
cache and the images). "image bytes/image" subtracts a text-only run's bytes read, so it is what reading the images
cost. On Blob storage, "Blob bytes/image" counts what the service sent (headers and bodies) through a counting
proxy, in separate runs. "cold" runs start with an empty probe cache, "warm" runs with the cache the cold run left. The page cache is
warm in both (the images were read before), so "cold" measures the probe work, not the disk.

See bench/README.md for how to read the output.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
GENERATOR_VERSION = "1"
ACCOUNT = "devstoreaccount1"
# The well-known, public development key of the Azure storage emulator.
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

# Runs the measured command, waits for its exit without reaping it (WNOWAIT), reads the zombie's /proc/<pid>/io
# (the counters of the whole process, threads included), then reaps it.
LAUNCHER_CODE = """\
import os, sys, time, json
cmd = json.loads(sys.argv[1])
null = os.open(os.devnull, os.O_RDWR)
err = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
fa = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, err, 2)]
t0 = time.perf_counter()
pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=fa)
os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
t = time.perf_counter() - t0
io = {}
try:
    with open(f"/proc/{pid}/io") as f:
        io = {k: int(v) for k, v in (line.split(":") for line in f)}
except OSError:
    pass
_, status, ru = os.wait4(pid, 0)
print(json.dumps({"seconds": t, "rc": os.waitstatus_to_exitcode(status), "maxrss_kb": ru.ru_maxrss, "io": io}))
"""


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data
def generate(folder: str, count: int, seed: int) -> str:
    """Images in ``folder``/img and ``folder``/train.jsonl naming each (returned)."""
    from PIL import Image

    rnd = random.Random(seed)
    img_dir = os.path.join(folder, "img")
    os.makedirs(img_dir, exist_ok=True)
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x010F] = "bench camera"
    exif[0x9286] = "x" * 6000  # a UserComment-sized block: EXIF makes real JPEG headers several KB long
    exif_bytes = exif.tobytes()
    base = Image.effect_mandelbrot((640, 480), (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB")
    names = []
    copies = max(1, count // 200)  # 0.5% exact copies: the duplicate-content check has real collisions
    for i in range(count - copies):
        # Mostly smooth content with some noise: JPEG ~40-60 KB, PNG a few hundred KB, like photos and scans.
        noise = Image.effect_noise((640, 480), 20 + rnd.random() * 30).convert("RGB")
        im = Image.blend(base.rotate(rnd.random() * 360), noise, 0.25 + rnd.random() * 0.2)
        if i % 2 == 0:
            name = f"img_{i:07d}.jpg"
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=85, exif=exif_bytes if i % 4 == 0 else b"")
        else:
            name = f"img_{i:07d}.png"
            buf = io.BytesIO()
            im.quantize(64).convert("RGB").save(buf, "PNG", compress_level=1)
        with open(os.path.join(img_dir, name), "wb") as fh:
            fh.write(buf.getvalue())
        names.append(name)
    for j in range(copies):
        src = names[rnd.randrange(len(names))]
        name = f"copy_{j:05d}_{src}"
        shutil.copyfile(os.path.join(img_dir, src), os.path.join(img_dir, name))
        names.append(name)
    train = os.path.join(folder, "train.jsonl")
    with open(train, "w") as fh:
        for name in names:
            x = rnd.random() * 0.5
            fh.write(json.dumps({"image_url": f"AmlDatastore://bench/img/{name}",
                                 "image_details": {"format": name.rsplit(".", 1)[1], "width": 640, "height": 480},
                                 "label": [{"label": "thing", "topX": x, "topY": 0.1, "bottomX": x + 0.3,
                                            "bottomY": 0.6, "isCrowd": 0}]}) + "\n")
    return train


def dataset(data_dir: str, count: int, seed: int) -> tuple[str, str]:
    """(folder, train.jsonl), generated once per (count, seed, generator version)."""
    folder = os.path.join(data_dir, f"images-{count}-seed{seed}-v{GENERATOR_VERSION}")
    train = os.path.join(folder, "train.jsonl")
    if not os.path.exists(train):
        log(f"generating {count} images in {folder} ...")
        tmp = folder + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        generate(tmp, count, seed)
        shutil.rmtree(folder, ignore_errors=True)
        os.rename(tmp, folder)
    return folder, train


def image_stats(folder: str) -> dict:
    sizes = {"jpg": [], "png": []}
    for name in os.listdir(os.path.join(folder, "img")):
        sizes[name.rsplit(".", 1)[1]].append(os.path.getsize(os.path.join(folder, "img", name)))
    return {k: (len(v), statistics.mean(v) if v else 0) for k, v in sizes.items()}


def warm(folder: str) -> None:
    for name in os.listdir(os.path.join(folder, "img")):
        with open(os.path.join(folder, "img", name), "rb") as fh:
            while fh.read(1 << 20):
                pass


def evict(folder: str) -> bool:
    """Drop the images' pages from the page cache (POSIX_FADV_DONTNEED on each file: no privilege needed, nothing
    else is evicted), so that the next run reads them from the disk. False where the system cannot."""
    if not hasattr(os, "posix_fadvise"):
        return False
    img = os.path.join(folder, "img")
    for name in os.listdir(img):
        fd = os.open(os.path.join(img, name), os.O_RDONLY)
        try:
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


# ---------------------------------------------------------------- runs
def run(cmd: list[str], env: dict) -> dict:
    fd, errpath = tempfile.mkstemp(prefix="automl-lint-bench-", suffix=".stderr")
    os.close(fd)
    try:
        out = subprocess.run([sys.executable, "-S", "-c", LAUNCHER_CODE, json.dumps(cmd), errpath],
                             capture_output=True, text=True, env=env, cwd=REPO, check=False)
        with open(errpath, encoding="utf-8", errors="replace") as fh:
            err = fh.read()[-3000:]
    finally:
        os.remove(errpath)
    try:
        res = json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise SystemExit(f"launcher failed: {out.stderr.strip()[-500:]}")
    if res["rc"] not in (0, 1):
        raise SystemExit(f"automl-lint failed (exit {res['rc']}): {' '.join(cmd)}\n{err}")
    return res


def measure(plan: list[tuple], env: dict, repeat: int, count: int) -> list[dict]:
    """``plan``: ``(label, cmd, before)`` per row (``before()`` runs ahead of each of its runs, e.g. to empty the
    cache). Measured in rounds, one run of each row in turn, so that the rows compare runs made at about the same
    speed of the machine (a virtual machine's speed can drift by a third within minutes); the median per row."""
    runs: dict[str, list] = {label: [] for label, _, _ in plan}
    for i in range(repeat):
        for label, cmd, before in plan:
            if before:
                before()
            r = run(cmd, env)
            runs[label].append(r)
            log(f"  {label:28s} run {i + 1}/{repeat}: {r['seconds']:6.2f} s, rchar {r['io'].get('rchar', 0) / 1e6:7.1f} "
                f"MB, max RSS {r['maxrss_kb'] / 1024:5.0f} MB")
    rows = []
    for label, _, _ in plan:
        done = runs[label]
        rows.append({"label": label, "seconds": statistics.median(r["seconds"] for r in done),
                     "runs": [r["seconds"] for r in done],
                     "rchar": statistics.median(r["io"].get("rchar", 0) for r in done),
                     "maxrss_mb": max(r["maxrss_kb"] for r in done) / 1024, "count": count})
    return rows


def scenario(name: str, train: str, location_args: list[str], env: dict, a, count: int, proxy=None,
             proxy_env=None, folder: str = "") -> list[dict]:
    linter = [a.python, "-m", "automl_lint"]
    common = [train, "--task", "od", "--format", "json", "--output-file", os.devnull, "--exit-zero"]
    cache = tempfile.mkdtemp(prefix="automl-lint-bench-cache-")
    try:
        def empty_cache():
            shutil.rmtree(cache, ignore_errors=True)

        header = linter + common + ["--images"] + location_args + ["--image-cache", cache]
        plan = [(f"{name}: text only", linter + common, None)]
        if a.disk and folder:
            def cold_disk():
                empty_cache()
                evict(folder)
            plan.append((f"{name}: --images cold, disk", header, cold_disk))
        # Warm follows cold in each round: it finds the cache that cold run left.
        plan.append((f"{name}: --images cold", header, empty_cache))
        plan.append((f"{name}: --images warm", header, None))
        if a.full:
            full = linter + common + ["--images=full"] + location_args + ["--image-cache", cache]
            plan.append((f"{name}: --images=full cold", full, empty_cache))
        rows = measure(plan, env, a.repeat, count)
        if proxy is not None:
            # Bytes from Blob storage, counted by a proxy (a separate run each: the proxy slows the transfer).
            cold_row = next(r for r in rows if r["label"].endswith("--images cold"))
            warm_row = next(r for r in rows if r["label"].endswith("--images warm"))
            for row, before in ((cold_row, lambda: shutil.rmtree(cache, ignore_errors=True)), (warm_row, None)):
                if before:
                    before()
                proxy.received = 0
                run(header, proxy_env)
                row["blob_bytes_per_image"] = proxy.received / count
                log(f"  {row['label']:28s} Blob bytes received: {proxy.received / 1e6:.1f} MB")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    text = rows[0]
    for r in rows:
        r["images_per_s"] = count / r["seconds"]
        extra = r["seconds"] - text["seconds"]
        r["image_images_per_s"] = count / extra if r is not text and extra > 0 else None
        r["bytes_per_image"] = r["rchar"] / count
        r["image_bytes_per_image"] = (r["rchar"] - text["rchar"]) / count if r is not text else None
    return rows


class CountingProxy:
    """A TCP proxy in front of Azurite counting the bytes the Blob service sends to the client (HTTP headers and
    bodies): what automl-lint read from Blob storage, which /proc/<pid>/io does not count (sockets)."""

    def __init__(self, port: int) -> None:
        import asyncio
        import threading

        self.target, self.received = port, 0
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        async def pipe(reader, writer, count):
            try:
                while True:
                    data = await reader.read(1 << 16)
                    if not data:
                        break
                    if count:
                        self.received += len(data)
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        async def handle(client_r, client_w):
            try:
                up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target)
            except OSError:
                client_w.close()
                return
            await asyncio.gather(pipe(client_r, up_w, False), pipe(up_r, client_w, True))

        async def start():
            self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()

        threading.Thread(target=lambda: (self.loop.run_until_complete(start()), self.loop.run_forever()),
                         daemon=True).start()
        ready.wait(10)


class Azurite:
    def __init__(self, binary: str, folder: str) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.store = tempfile.mkdtemp(prefix="automl-lint-bench-azurite-")
        self.proc = subprocess.Popen([binary, "--silent", "--skipApiVersionCheck", "--location", self.store,
                                      "--blobHost", "127.0.0.1", "--blobPort", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.connection = (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                           f"BlobEndpoint=http://127.0.0.1:{self.port}/{ACCOUNT};")
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise SystemExit("Azurite did not start")
                time.sleep(0.2)
        from azure.storage.blob import BlobServiceClient

        log("uploading the images to Azurite ...")
        service = BlobServiceClient.from_connection_string(self.connection)
        container = service.create_container("bench")
        img = os.path.join(folder, "img")

        def upload(name):
            with open(os.path.join(img, name), "rb") as fh:
                container.upload_blob(f"img/{name}", fh.read())
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(upload, sorted(os.listdir(img))))

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        shutil.rmtree(self.store, ignore_errors=True)


# ---------------------------------------------------------------- report
def render(rows: list[dict], info: dict) -> str:
    out = [f"Machine: {info['machine']}; {info['count']:,} images ({info['images']}); median of {info['repeat']} "
           f"run(s); load average before the run {info['load']}.", "",
           "| run | seconds (runs) | images/s | images/s of the image pass | bytes read/image | "
           "image bytes read/image | Blob bytes/image | peak RSS MB |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        runs = ", ".join(f"{s:.2f}" for s in r["runs"])
        ipp = f"{r['image_images_per_s']:,.0f}" if r["image_images_per_s"] else "-"
        ibpi = f"{r['image_bytes_per_image'] / 1024:,.1f} KiB" if r["image_bytes_per_image"] is not None else "-"
        blob = f"{r['blob_bytes_per_image'] / 1024:,.1f} KiB" if "blob_bytes_per_image" in r else "-"
        out.append(f"| {r['label']} | {r['seconds']:.2f} ({runs}) | {r['images_per_s']:,.0f} | {ipp} | "
                   f"{r['bytes_per_image'] / 1024:,.1f} KiB | {ibpi} | {blob} | {r['maxrss_mb']:.0f} |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="automl-lint images benchmark (see bench/README.md)")
    p.add_argument("--count", type=int, default=4000, help="images in the generated set (default 4000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--data-dir", default=os.path.join(HERE, ".data"), help="where generated images are cached")
    p.add_argument("--python", default=sys.executable, help="interpreter that runs automl-lint (-m automl_lint)")
    p.add_argument("--full", action="store_true", help="also measure --images=full (cold)")
    p.add_argument("--no-local", action="store_true", help="skip the local-disk scenario")
    p.add_argument("--no-disk", dest="disk", action="store_false",
                   help="skip the local cold run that first drops the images from the page cache")
    p.add_argument("--azurite", default="", metavar="AZURITE_BLOB",
                   help="path of the azurite-blob command: also measure Blob storage through Azurite")
    p.add_argument("--output", default="", help="also write the markdown report to this file")
    p.add_argument("--json", default="", help="also write raw results as JSON to this file")
    p.add_argument("--no-compile", action="store_true",
                   help="do not write the package's bytecode first (see run.py's option of the same name)")
    a = p.parse_args(argv)

    folder, train = dataset(a.data_dir, a.count, a.seed)
    count = sum(1 for _ in open(train, "rb"))
    stats = image_stats(folder)
    env = dict(os.environ)
    env.pop("AUTOML_LINT_CACHE_DIR", None)
    if not a.no_compile:
        from run import compile_package  # bench/run.py, beside this script

        compile_package(a.python, env)
    rows = []
    warm(folder)
    if not a.no_local:
        log("== local disk")
        rows += scenario("local", train, ["--datastore", f"bench={folder}"], env, a, count, folder=folder)
    if a.azurite:
        azurite = Azurite(a.azurite, folder)
        try:
            log("== Blob (Azurite)")
            env_blob = dict(env, AZURE_STORAGE_CONNECTION_STRING=azurite.connection)
            proxy = CountingProxy(azurite.port)
            env_proxy = dict(env, AZURE_STORAGE_CONNECTION_STRING=azurite.connection.replace(
                f":{azurite.port}/", f":{proxy.port}/"))
            rows += scenario("Azurite", train, ["--datastore", "bench=az://bench"], env_blob, a, count, proxy,
                             env_proxy)
        finally:
            azurite.close()
    import platform

    info = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "count": count, "repeat": a.repeat,
            "images": ", ".join(f"{n:,} {k.upper()} of {m / 1024:,.0f} KiB on average" for k, (n, m) in stats.items()),
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    report = render(rows, info)
    print(report)
    if a.output:
        with open(a.output, "w") as fh:
            fh.write(report)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"info": info, "rows": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
