"""Hostile plan files: each is a located error, within 2 s of CPU and 200 MB of memory.

CI runs `validate` on pull requests, so a plan file must not exhaust the runner. Each case
runs `validate` in a child process whose CPU time (beyond its start-up) and address space
are capped by the kernel (RLIMIT_CPU, RLIMIT_AS): a file that needs more is killed, and the
test fails on the exit status rather than on a clock reading.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plans.cases import VALID

LIMITED_VALIDATE = """
import resource, sys
from reconciler.cli import main
import reconciler.plans.load, jsonschema  # start-up is not the file's cost
used = resource.getrusage(resource.RUSAGE_SELF)
cpu = int(used.ru_utime + used.ru_stime) + 1 + 2
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
resource.setrlimit(resource.RLIMIT_AS, (200 * 2**20, 200 * 2**20))
sys.exit(main(["validate", sys.argv[1]]))
"""

LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)
BOMB = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + LAUGHS
HOSTILE = {
    "alias_bomb": (
        BOMB,
        "5:12: more than 20000 values, aliases expanded (a plan file needs far fewer)",
    ),
    "self_alias": (
        "product: &p\n  key: basic\n  name: *p\n",
        "3:9: alias *p refers to the node that contains it (a recursive alias)",
    ),
    "deep_flow": (
        "metadata: " + "[" * 10_000 + "]" * 10_000 + "\n",
        # libyaml's own bound (1,000 levels) is met while it looks ahead for a key.
        "1:1010: invalid YAML: exceeded maximum nesting depth",
    ),
    "deep_block": (
        "- " * 10_000 + "x\n",
        "1:129: lists and mappings nested more than 64 levels deep",
    ),
    "huge_integer": (
        VALID.replace("amount: 1000", "amount: " + "9" * 5_000),
        "6:13: integer out of range: 5000 digits (at most 9223372036854775807)",
    ),
    "megabyte_of_values": (
        "v:\n" + "- 1\n" * 250_000,
        "20000:3: more than 20000 values, aliases expanded (a plan file needs far fewer)",
    ),
}


def validate_limited(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LIMITED_VALIDATE, folder.name],
        capture_output=True,
        text=True,
        timeout=120,  # a bound for a hung child; the CPU limit is the real one
        cwd=folder.parent,
    )


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_a_located_error_within_bounds(name: str, tmp_path: Path) -> None:
    text, message = HOSTILE[name]
    assert len(text.encode()) < 2**20
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "hostile.yaml").write_text(text)
    done = validate_limited(folder)
    assert (done.returncode, done.stdout) == (1, f"plans/hostile.yaml:{message}\n"), done.stderr
    assert done.stderr == "plans: 1 error(s), 0 warning(s)\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_links_pipes_and_folders_named_like_plans_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "basic.yaml").write_text(VALID)
    (folder / "loop.yaml").symlink_to("loop.yaml")
    (folder / "gone.yaml").symlink_to("missing.yaml")
    os.mkfifo(folder / "pipe.yaml")
    (folder / "archive.yaml").mkdir()
    # A link to a regular file is followed as before.
    (tmp_path / "shared.yaml").write_text(VALID.replace("basic", "shared"))
    (folder / "shared.yml").symlink_to(tmp_path / "shared.yaml")
    done = validate_limited(folder)
    assert (done.returncode, done.stderr) == (1, "plans: 4 error(s), 0 warning(s)\n")
    assert done.stdout.splitlines() == [
        "plans/archive.yaml:1:1: a folder named like a plan file (plan files are not looked for in subfolders)",
        "plans/gone.yaml:1:1: a symbolic link to missing.yaml, which does not exist",
        "plans/loop.yaml:1:1: a symbolic link loop, not a plan file",
        "plans/pipe.yaml:1:1: a named pipe (FIFO), not a regular file",
    ]
