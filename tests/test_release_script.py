"""`scripts/release`: the exact tag pre-commit and a pinned Action name, and the major tag an
Action's `@v0` follows, made in a throwaway repository holding only a pyproject.toml."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "release"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Release Test",
    "GIT_AUTHOR_EMAIL": "release@example.invalid",
    "GIT_COMMITTER_NAME": "Release Test",
    "GIT_COMMITTER_EMAIL": "release@example.invalid",
}


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **IDENTITY},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _commit_version(repo: Path, version: str) -> str:
    (repo / "pyproject.toml").write_text(
        f'[project]\nname = "reconciler"\nversion = "{version}"\n', encoding="utf-8"
    )
    _git(repo, "add", "pyproject.toml")
    _git(repo, "commit", "-q", "-m", f"version {version}")
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    return tmp_path


def _release(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        cwd=repo,
        env={**os.environ, **IDENTITY},
        capture_output=True,
        text=True,
    )


def _tag(repo: Path, tag: str) -> tuple[str, str]:
    """The commit a tag points at, and its kind (an annotated tag is a `tag` object)."""
    return _git(repo, "rev-list", "-n", "1", tag), _git(repo, "cat-file", "-t", tag)


def test_a_release_tags_the_version_and_moves_the_major_tag_forward(repo: Path) -> None:
    first = _commit_version(repo, "0.1.0")
    done = _release(repo, "0.1.0")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"tagged v0.1.0 and moved v0 to {first[:12]}",
        "publish: git push origin v0.1.0 && git push --force origin v0",
    ]
    assert _tag(repo, "v0.1.0") == (first, "tag")
    assert _tag(repo, "v0") == (first, "tag")
    second = _commit_version(repo, "0.2.0")
    assert _release(repo, "0.2.0").returncode == 0
    assert _tag(repo, "v0.1.0") == (first, "tag")  # a release never moves
    assert _tag(repo, "v0.2.0") == (second, "tag")
    assert _tag(repo, "v0") == (second, "tag")
    assert _git(repo, "tag", "--list") == "v0\nv0.1.0\nv0.2.0"


def test_a_dry_run_says_what_it_would_tag_and_tags_nothing(repo: Path) -> None:
    commit = _commit_version(repo, "1.4.2")
    done = _release(repo, "--dry-run", "1.4.2")
    assert (done.returncode, done.stdout) == (0, f"would tag v1.4.2 and move v1 to {commit[:12]}\n")
    assert _git(repo, "tag", "--list") == ""


def test_a_release_is_refused_with_the_reason(repo: Path) -> None:
    _commit_version(repo, "0.2.0")
    refusals = [
        (
            ("v0.2.0",),
            "version 'v0.2.0' is not MAJOR.MINOR.PATCH (such as 0.2.0, without a leading v)",
        ),
        (
            ("0.3.0",),
            "pyproject.toml says version '0.2.0'; set it to 0.3.0 in a commit of its own first",
        ),
    ]
    for args, message in refusals:
        done = _release(repo, *args)
        assert (done.returncode, done.stderr) == (1, f"release: {message}\n")
    (repo / "notes.txt").write_text("draft\n", encoding="utf-8")
    dirty = _release(repo, "0.2.0")
    assert (dirty.returncode, dirty.stderr) == (
        1,
        "release: the working tree has uncommitted changes; a release tags a commit, so commit "
        "or stash them\n",
    )
    (repo / "notes.txt").unlink()
    assert _release(repo, "0.2.0").returncode == 0
    commit = _git(repo, "rev-parse", "HEAD")
    again = _release(repo, "0.2.0")
    assert (again.returncode, again.stderr) == (
        1,
        f"release: tag v0.2.0 already exists (at {commit[:12]}); a release is never moved\n",
    )
    _commit_version(repo, "0.1.5")
    older = _release(repo, "0.1.5")
    assert (older.returncode, older.stderr) == (
        1,
        "release: 0.1.5 is older than the latest release v0.2.0; the major tag only moves "
        "forward\n",
    )
    assert _tag(repo, "v0") == (commit, "tag")


def test_without_a_version_it_shows_its_usage(repo: Path) -> None:
    done = _release(repo)
    assert done.returncode == 2
    assert done.stderr.splitlines()[2:] == [
        "Usage: scripts/release [--dry-run] VERSION        (VERSION as in pyproject.toml: 0.2.0)",
        "It only tags, locally, and prints the push commands; CI has already run on the commit.",
    ]
