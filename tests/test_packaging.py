"""The distribution as PyPI would get it: `python -m build` (sdist, then the wheel built from
that sdist) and `twine check --strict` on both."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the build backend (setuptools>=77) is in the dev extra, so the build
    # needs no download; the wheel is built from the sdist, which proves the sdist complete.
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def _sdist(dist: Path) -> tarfile.TarFile:
    return tarfile.open(next(dist.glob("reconciler-*.tar.gz")))


def test_sdist_holds_the_package_and_licence_and_no_tests(dist: Path) -> None:
    with _sdist(dist) as sdist:
        names = [name.partition("/")[2] for name in sdist.getnames()]
    top = sorted({name.partition("/")[0] for name in names if name})
    assert top == [
        "LICENSE",
        "MANIFEST.in",
        "PKG-INFO",
        "README.md",
        "pyproject.toml",
        "reconciler",
        "reconciler.egg-info",
        "setup.cfg",
    ]
    assert "reconciler/schemas/product.schema.json" in names
    assert "reconciler/py.typed" in names
    assert [name for name in names if "test_" in name or name.startswith("tests")] == []


def test_metadata_uses_the_spdx_licence_and_describes_the_project(dist: Path) -> None:
    with _sdist(dist) as sdist:
        member = next(m for m in sdist.getmembers() if m.name.endswith("/PKG-INFO"))
        extracted = sdist.extractfile(member)
        assert extracted is not None
        info = Parser().parsestr(extracted.read().decode())
    assert info["License-Expression"] == "Apache-2.0"
    assert info["License"] is None  # the deprecated table form is gone
    assert info.get_all("License-File") == ["LICENSE"]
    assert (
        info["Keywords"] == "stripe,billing,subscriptions,entitlements,infrastructure-as-code,yaml"
    )
    classifiers = info.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    urls = [url.partition(",")[0] for url in info.get_all("Project-URL") or []]
    assert urls == ["Homepage", "Documentation", "Source", "Issues", "Changelog"]
    assert info.get_all("Provides-Extra") == ["dev", "examples"]


def test_wheel_ships_the_schemas_and_the_licence(dist: Path) -> None:
    with zipfile.ZipFile(next(dist.glob("reconciler-*.whl"))) as wheel:
        names = wheel.namelist()
    assert sorted(n for n in names if n.startswith("reconciler/schemas/")) == [
        "reconciler/schemas/config.schema.json",
        "reconciler/schemas/objects.schema.json",
        "reconciler/schemas/plan.schema.json",
        "reconciler/schemas/product.schema.json",
    ]
    assert "reconciler-0.1.0.dist-info/licenses/LICENSE" in names
    assert [n for n in names if n.startswith("tests/")] == []


def test_twine_check_passes(dist: Path) -> None:
    files = sorted(str(path) for path in dist.iterdir())
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2, checked.stdout
