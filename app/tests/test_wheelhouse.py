"""tools/build-wheelhouse: one archive an instance can install the app from with no package index, the same
bytes for the same inputs. Building needs the package index pip is configured with; installing does not."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from fakes import REPO

SCRIPT = REPO / "tools" / "build-wheelhouse"
VERSION = "2.3.4"


def build(version: str, outdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), version, str(outdir)],
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
        env={**os.environ, "WHEELHOUSE_PYTHON": sys.executable},
    )


@pytest.fixture(scope="module")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheelhouse")
    done = build(VERSION, out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out / f"{VERSION}.tar.gz")
    return out / f"{VERSION}.tar.gz"


def offline_env() -> dict[str, str]:
    # This machine's pip config adds find-links and extra indexes; an honest offline install ignores them.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def test_archive_holds_flat_wheels_and_a_hashed_manifest(tarball: Path) -> None:
    with tarfile.open(tarball) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        manifest = tar.extractfile("requirements.txt").read().decode()  # type: ignore[union-attr]
        wheels = {m.name: tar.extractfile(m).read() for m in members if m.name.endswith(".whl")}  # type: ignore[union-attr]
    assert names[:-1] == sorted(names[:-1])
    assert names[-1] == "requirements.txt"
    assert all("/" not in n for n in names)  # pip --find-links reads one directory level
    assert {m.mtime for m in members} == {315532800}
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    assert f"monolith-{VERSION}-py3-none-any.whl" in names
    for dependency in ("flask-3.1.3-", "gunicorn-27.0.1-", "boto3-1.44.5-", "botocore-", "werkzeug-"):
        assert any(n.startswith(dependency) for n in names), dependency
    pins = dict(line.split(" --hash=sha256:") for line in manifest.splitlines())
    assert len(pins) == len(wheels)
    for name, data in wheels.items():
        project, version = name.split("-")[:2]
        assert pins[f"{project}=={version}"] == hashlib.sha256(data).hexdigest()


def test_same_inputs_give_the_same_bytes(tarball: Path, tmp_path: Path) -> None:
    done = build(VERSION, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / f"{VERSION}.tar.gz").read_bytes() == tarball.read_bytes()


def test_installs_into_a_fresh_venv_without_an_index(tarball: Path, tmp_path: Path) -> None:
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    with tarfile.open(tarball) as tar:
        tar.extractall(wheelhouse, filter="data")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-index", "--find-links", str(wheelhouse), "monolith"],
        check=True,
        timeout=300,
        env=offline_env(),
        capture_output=True,
    )
    assert (
        run_in(python, "import flask, gunicorn, boto3, monolith.bootstrap; print(m.version('monolith'))")
        == VERSION
    )
    usage = subprocess.run(
        [str(venv / "bin" / "monolith-bootstrap"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert usage.returncode == 0
    assert "install-unit" in usage.stdout
    # Package data travels in the wheel: the page template and the typing marker.
    files = run_in(
        python, "print(sorted(p.name for p in pathlib.Path(monolith.__file__).parent.rglob('*.*')))"
    )
    assert "'index.html'" in files
    assert "'py.typed'" in files


def run_in(python: Path, code: str) -> str:
    prelude = "import importlib.metadata as m, pathlib, monolith; "
    done = subprocess.run(
        [str(python), "-c", prelude + code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


@pytest.mark.parametrize("version", ["", "v1", "1.0-beta", "1.0+local", "../1"])
def test_bad_versions_are_refused_before_building(version: str, tmp_path: Path) -> None:
    done = build(version, tmp_path)
    assert done.returncode == 2
    assert "not a PEP 440 version" in done.stderr
    assert list(tmp_path.iterdir()) == []
