"""The wheel carries the schemas and works from a fresh virtualenv, away from the source tree."""

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)], check=True,
                   capture_output=True)
    (whl,) = out.glob("automl_lint-*.whl")
    return whl


def test_wheel_contains_every_schema(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("automl_lint/schemas/") and n.endswith(".json"))
    assert shipped == sorted(p.name for p in (ROOT / "schemas").glob("*.json"))


def test_wheel_contains_every_module_of_the_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = ROOT / "cli" / "automl_lint"
    modules = {"automl_lint/" + p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    assert sorted(modules - names) == []


@pytest.mark.slow
def test_wheel_installs_and_lints_in_a_fresh_virtualenv(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    bad = shutil.copy(FIXTURES / "invalid" / "AML408-box-inverted.jsonl", work / "bad.jsonl")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(env_dir / "bin" / "automl-lint"), str(bad), "--task", "od", "--format", "json"],
                          cwd=work, capture_output=True, text=True, env=env)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert any(p["code"] == "AML408" and p["line"] == 1 for p in doc["files"][0]["problems"])
    where = subprocess.run([str(py), "-c", "import automl_lint, sys; print(automl_lint.__file__)"], cwd=work,
                           capture_output=True, text=True, env=env).stdout
    assert str(env_dir) in where
    schema = subprocess.run([str(env_dir / "bin" / "automl-lint"), "--print-schema", "is"], cwd=work,
                            capture_output=True, text=True, env=env)
    assert schema.returncode == 0, schema.stderr
    assert json.loads(schema.stdout)["title"]
    # --fix lives in a subpackage of its own: the wheel must carry it (it once did not).
    diff = subprocess.run([str(env_dir / "bin" / "automl-lint"), str(bad), "--task", "od", "--diff",
                           "--unsafe-fixes"], cwd=work, capture_output=True, text=True, env=env)
    assert diff.returncode == 1 and diff.stdout.startswith("---"), diff.stderr
