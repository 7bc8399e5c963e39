"""Shell completion is click's own (`_RECONCILER_COMPLETE`), through the real entry point: the
scripts for bash, zsh and fish, and the answers they ask for (lazily loaded subcommands too)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def complete(variable: str, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler"],
        env={**os.environ, **environ, "_RECONCILER_COMPLETE": variable},
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("shell", "first_line"),
    [
        ("bash", "_reconciler_completion() {"),
        ("zsh", "#compdef reconciler"),
        ("fish", "function _reconciler_completion;"),
    ],
)
def test_each_shell_gets_its_script(shell: str, first_line: str) -> None:
    script = complete(f"{shell}_source")
    assert (script.returncode, script.stderr) == (0, "")
    assert script.stdout.lstrip().splitlines()[0] == first_line


def test_bash_completes_commands_and_choices() -> None:
    commands = complete("bash_complete", COMP_WORDS="reconciler va", COMP_CWORD="1")
    assert commands.stdout.splitlines() == ["plain,validate"]
    formats = complete("bash_complete", COMP_WORDS="reconciler validate --format ", COMP_CWORD="3")
    assert formats.stdout.splitlines() == ["plain,text", "plain,json", "plain,github"]
    logs = complete("bash_complete", COMP_WORDS="reconciler serve --log-format j", COMP_CWORD="3")
    assert logs.stdout.splitlines() == ["plain,json"]
