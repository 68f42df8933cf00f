#!/usr/bin/env python3
"""How many ranged GETs per second Azurite can answer on this machine, whatever the client.

    python bench/azurite_ceiling.py --azurite .ci/node/node_modules/.bin/azurite-blob
    python bench/azurite_ceiling.py --azurite ... --count 4000 --in-flight 16,64 --repeat 3

A cold `--images` run on Blob storage makes one ranged GET per image (the first 16 KiB), so no client can probe
images faster than the service answers those GETs. This script starts Azurite, uploads ``--count`` blobs of 40 KB,
and times the same GET two ways:

- **bare**: a hand-signed (Shared Key) ``aiohttp`` GET per blob, the least a Python client can spend;
- **sdk**: ``azure.storage.blob.aio``'s ``download_blob(offset=0, length=16384)``, as automl-lint asks it.

For each it prints requests/s and the CPU per request of Azurite's process (from /proc/<pid>/stat) and of the
client. Azurite answers on one Node.js thread, so 1000 / (its ms per request) is its ceiling on one core.
Needs aiohttp and azure-storage-blob (``pip install -e ".[test,azure]"``). See bench/README.md.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import os
import statistics
import sys
import tempfile
import time
from email.utils import formatdate

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from images import ACCOUNT, KEY, Azurite, log  # noqa: E402

HEAD = 16384  # the bytes a header probe asks for (automl_lint.images.probe.HEAD_BYTES)
VERSION = "2021-08-06"


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_pid(pid: int) -> int:
    """Azurite's Node.js process: the launched one, or its only child when a wrapper started it."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            children = fh.read().split()
    except OSError:
        return pid
    return int(children[0]) if len(children) == 1 else pid


def _signature(key: bytes, path: str, date: str) -> str:
    headers = f"x-ms-date:{date}\nx-ms-range:bytes=0-{HEAD - 1}\nx-ms-version:{VERSION}\n"
    text = "GET\n" + "\n" * 11 + headers + f"/{ACCOUNT}/{ACCOUNT}{path}"
    return base64.b64encode(hmac.new(key, text.encode(), hashlib.sha256).digest()).decode()


async def _bare(port: int, names: list[str], in_flight: int) -> None:
    import aiohttp

    key = base64.b64decode(KEY)
    limit = asyncio.Semaphore(in_flight)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as session:
        async def one(name: str) -> None:
            path = f"/bench/{name}"
            date = formatdate(usegmt=True)
            headers = {"x-ms-date": date, "x-ms-range": f"bytes=0-{HEAD - 1}", "x-ms-version": VERSION,
                       "Authorization": f"SharedKey {ACCOUNT}:{_signature(key, path, date)}"}
            async with limit, session.get(f"http://127.0.0.1:{port}/{ACCOUNT}{path}", headers=headers) as r:
                body = await r.read()
                if r.status != 206 or len(body) != HEAD:
                    raise SystemExit(f"unexpected answer {r.status} ({len(body)} bytes) for {name}")
        await asyncio.gather(*(one(n) for n in names))


async def _sdk(connection: str, names: list[str], in_flight: int) -> None:
    from azure.storage.blob.aio import BlobServiceClient

    limit = asyncio.Semaphore(in_flight)
    async with BlobServiceClient.from_connection_string(connection) as service:
        container = service.get_container_client("bench")

        async def one(name: str) -> None:
            async with limit:
                stream = await container.get_blob_client(name).download_blob(offset=0, length=HEAD,
                                                                             max_concurrency=1)
                if len(await stream.readall()) != HEAD:
                    raise SystemExit(f"short answer for {name}")
        await asyncio.gather(*(one(n) for n in names))


def measure(azurite: Azurite, client: str, names: list[str], in_flight: int) -> tuple[float, float, float]:
    """(requests/s, Azurite ms of CPU per request, client ms of CPU per request)."""
    def run(subset):
        if client == "bare":
            return asyncio.run(_bare(azurite.port, subset, in_flight))
        return asyncio.run(_sdk(azurite.connection, subset, in_flight))
    run(names[:200])  # connections, caches and Azurite's JIT warmed up
    server = _server_pid(azurite.proc.pid)
    server0, me0, t0 = _cpu_seconds(server), time.process_time(), time.perf_counter()
    run(names)
    seconds = time.perf_counter() - t0
    n = len(names)
    return n / seconds, 1000 * (_cpu_seconds(server) - server0) / n, 1000 * (time.process_time() - me0) / n


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Azurite's ceiling for ranged GETs (see bench/README.md)")
    p.add_argument("--azurite", required=True, metavar="AZURITE_BLOB", help="path of the azurite-blob command")
    p.add_argument("--count", type=int, default=2000, help="blobs, each read once per measurement (default 2000)")
    p.add_argument("--in-flight", default="16,64", help="comma-separated concurrent requests (default 16,64)")
    p.add_argument("--repeat", type=int, default=3, help="measurements per row; the median is reported")
    a = p.parse_args(argv)
    levels = [int(x) for x in a.in_flight.split(",") if x.strip()]
    with tempfile.TemporaryDirectory(prefix="automl-lint-ceiling-") as folder:
        os.mkdir(os.path.join(folder, "img"))
        rng = os.urandom(40_000)
        for i in range(a.count):
            with open(os.path.join(folder, "img", f"{i:06d}.jpg"), "wb") as fh:
                fh.write(rng[i % 97:] + rng[:i % 97])
        names = [f"img/{i:06d}.jpg" for i in range(a.count)]
        azurite = Azurite(a.azurite, folder)
        try:
            print(f"{a.count:,} ranged GETs of {HEAD:,} bytes per measurement; median of {a.repeat}; load average "
                  f"before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPU(s).\n")
            print("| client | in flight | requests/s (runs) | Azurite CPU ms/request | client CPU ms/request |")
            print("|---|---:|---:|---:|---:|")
            for client in ("bare", "sdk"):
                for level in levels:
                    log(f"{client}, {level} in flight ...")
                    runs = [measure(azurite, client, names, level) for _ in range(a.repeat)]
                    rates = [r[0] for r in runs]
                    print(f"| {client} | {level} | {statistics.median(rates):,.0f} "
                          f"({', '.join(f'{r:,.0f}' for r in rates)}) | "
                          f"{statistics.median(r[1] for r in runs):.2f} | {statistics.median(r[2] for r in runs):.2f} |",
                          flush=True)
        finally:
            azurite.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
