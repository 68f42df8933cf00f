"""Images in Azure Blob Storage, read through adlfs from a real Blob service (Azurite), give the same findings as
the same images on local disk. Needs the `azurite-blob` binary (npm install -g azurite); skipped without it."""

import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import FIXTURES

IMAGES = FIXTURES / "images"
ACCOUNT = "devstoreaccount1"
# The well-known, public development key of the storage emulator.
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CONTAINER = "fixtures"

adlfs = pytest.importorskip("adlfs", reason="the 'azure' extra (adlfs, fsspec) is not installed")
blob_api = pytest.importorskip("azure.storage.blob", reason="azure-storage-blob is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    binary = os.environ.get("AZURITE_BLOB") or shutil.which("azurite-blob")
    if not binary:
        if os.environ.get("CI"):
            pytest.fail("azurite-blob not found: .ci/run installs it (npm install --prefix .ci/node azurite)")
        pytest.skip("azurite-blob not found (npm install -g azurite, or set AZURITE_BLOB)")
    port = _free_port()
    proc = subprocess.Popen([binary, "--silent", "--skipApiVersionCheck", "--location",
                             str(tmp_path_factory.mktemp("azurite")), "--blobHost", "127.0.0.1", "--blobPort",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    connection = (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                  f"BlobEndpoint=http://127.0.0.1:{port}/{ACCOUNT};")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("Azurite did not start")
                time.sleep(0.2)
        service = blob_api.BlobServiceClient.from_connection_string(connection)
        container = service.create_container(CONTAINER)
        for image in sorted((IMAGES / "img").iterdir()):
            container.upload_blob(f"img/{image.name}", image.read_bytes())
        yield connection
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _image_problems(doc):
    return sorted((p["line"], p["code"], p["consequence"]) for f in doc["files"] for p in f["problems"]
                  if p["code"].startswith("AML7"))


def test_blob_backed_run_matches_local_disk(azurite, run_json, monkeypatch, tmp_path):
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite)
    train = IMAGES / "train.jsonl"
    _, local = run_json(train, "--images=full", "--datastore", f"fixtures={IMAGES}", "--image-cache", "")
    _, blob = run_json(train, "--images=full", "--datastore", f"fixtures=az://{CONTAINER}",
                       "--image-cache", tmp_path)
    assert _image_problems(blob) == _image_problems(local)
    assert (16, "AML701", "drops-image") in _image_problems(blob)
    # The second run is answered from the cache (keyed by blob etag) with the same findings.
    _, again = run_json(train, "--images=full", "--map", f"AmlDatastore://fixtures/=az://{CONTAINER}/",
                        "--image-cache", tmp_path)
    assert _image_problems(again) == _image_problems(local)


def test_blob_leakage_across_training_and_validation(azurite, run_json, monkeypatch):
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite)
    _, doc = run_json(IMAGES / "train.jsonl", "--validation", IMAGES / "validation.jsonl", "--images",
                      "--datastore", f"fixtures=az://{CONTAINER}", "--image-cache", "")
    assert {(p["line"], p["code"]) for f in doc["files"] if f["role"] == "validation" for p in f["problems"]
            if p["code"].startswith("AML7")} == {(1, "AML713")}


def test_warm_cache_is_answered_from_folder_listings_not_one_request_per_blob(azurite, run_json, monkeypatch,
                                                                              tmp_path):
    from automl_lint.images.storage import Storage

    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite)
    args = (IMAGES / "train.jsonl", "--images", "--datastore", f"fixtures=az://{CONTAINER}", "--image-cache",
            tmp_path)
    _, cold = run_json(*args)
    asked = []
    real = Storage.heads
    monkeypatch.setattr(Storage, "heads", lambda self, locs, known, full: asked.extend(locs) or
                        real(self, locs, known, full))
    _, warm = run_json(*args)
    assert _image_problems(warm) == _image_problems(cold)
    # Only the image that does not exist is asked for by name; the 15 others matched the listing.
    assert asked == [f"az://{CONTAINER}/img/missing.jpg"]


def test_blob_header_mode_reads_ranges_and_uses_content_md5(azurite, monkeypatch):
    from automl_lint.images.batch import probe_batch
    from automl_lint.images.probe import HEAD_BYTES
    from automl_lint.images.storage import Storage
    from automl_lint.settings import Settings

    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite)
    storage = Storage()
    fs, _ = storage._blob(f"az://{CONTAINER}/x")
    big = os.urandom(3 * HEAD_BYTES)
    fs.pipe_file(f"{CONTAINER}/big/noise.png", big)
    read = []
    real = fs.cat_file
    monkeypatch.setattr(fs, "cat_file", lambda path, **kw: read.append(kw) or real(path, **kw))
    [p] = probe_batch([(f"az://{CONTAINER}/big/noise.png", f"az://{CONTAINER}", None)], Settings(images="header"),
                      storage)
    assert p.bytes == len(big) and p.error == "not an image Pillow can identify"
    assert read == []  # one ranged read of the head; nothing fetched beyond it
    import hashlib

    # Content-MD5 kept by the service lets identical blobs be recognised without reading them whole.
    assert p.md5 == hashlib.md5(big).hexdigest()
