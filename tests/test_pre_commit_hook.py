"""The `reconciler-validate` hook of .pre-commit-hooks.yaml, run by the real pre-commit
(`pre-commit try-repo`, which installs this working tree as pre-commit installs a pinned
version) in a new git repository holding plan files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plans.cases import VALID

ROOT = Path(__file__).resolve().parents[1]
BROKEN = VALID.replace("currency: usd", "currency: usx")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def try_repo(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo <this repository> reconciler-validate` in `repo`."""
    environ = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(ROOT),
            "reconciler-validate",
            "--color",
            "never",
            *args,
        ],
        cwd=repo,
        env=environ,
        capture_output=True,
        text=True,
    )


def hook_output(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The hook's own lines: what follows pre-commit's `- exit code:` line and blank line."""
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("- exit code:"))
    return [line for line in lines[start + 1 :] if line]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "plans").mkdir(parents=True)
    (repo / "plans" / "basic.yaml").write_text(VALID, encoding="utf-8")
    (repo / "plans" / "other.yaml").write_text(VALID.replace("basic", "other"), encoding="utf-8")
    # YAML outside the plans folder is not a plan file: the hook must not look at it.
    (repo / "ci.yml").write_text("on: push\n", encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    return repo


def test_the_hook_passes_valid_plans_and_fails_on_a_broken_one_with_its_place(
    repo: Path, tmp_path: Path
) -> None:
    home = tmp_path / "pre-commit-home"
    passed = try_repo(repo, home, "--all-files")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "reconciler validate" in passed.stdout
    assert "Passed" in passed.stdout

    (repo / "plans" / "basic.yaml").write_text(BROKEN, encoding="utf-8")
    git(repo, "add", ".")
    failed = try_repo(repo, home, "--all-files")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "- exit code: 1" in failed.stdout
    # Both changed files are in one folder: it is validated once.
    assert hook_output(failed) == [
        "plans/basic.yaml:7:15: prices[0].currency: unknown currency 'usx' (not an ISO 4217 code)",
        "plans: 1 error(s), 0 warning(s)",
    ]

    # Only the staged files are passed: a change outside the plans runs no validation.
    (repo / "ci.yml").write_text("on: [push]\n", encoding="utf-8")
    git(repo, "add", "ci.yml")
    git(repo, "commit", "-q", "--no-verify", "-m", "x", "--author", "t <t@example.com>")
    skipped = try_repo(repo, home, "--files", "ci.yml")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "(no files to check)Skipped" in skipped.stdout
