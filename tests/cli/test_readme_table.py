"""The README's command table lists exactly the commands and options that `--help` shows.

Other work adds options all the time; when this fails, the message says which row to fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.cli import main

README = Path(__file__).parents[2] / "README.md"
# An option at the start of an `Options:` line of --help, with its choices if it has them.
HELP_OPTION = re.compile(r"^  (?:-\w, )?(--[a-z][\w-]*)(?: \[([\w|-]+)\])?")
HELP_COMMAND = re.compile(r"^  ([a-z][\w-]*)  ")
# An option in a README row, with its choices when written as `--format a\|b`.
ROW_OPTION = re.compile(r"(--[a-z][\w-]*)(?: ([\w-]+(?:\\\|[\w-]+)+))?")

Options = dict[str, frozenset[str]]


def help_text(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main([*path, "--help"]) == 0
    return capsys.readouterr().out


def from_help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> dict[str, Options]:
    """Every command path (root first) -> its options -> their choices, read from --help."""
    section, options, children = "", {}, []
    for line in help_text(path, capsys).splitlines():
        if line.endswith(":") and not line.startswith(" "):
            section = line
        elif section == "Options:" and (match := HELP_OPTION.match(line)):
            if match[1] != "--help":
                options[match[1]] = frozenset((match[2] or "").split("|")) - {""}
        elif section == "Commands:" and (match := HELP_COMMAND.match(line)):
            children.append(match[1])
    # A group that only gathers subcommands (`backfill`) needs no row of its own.
    found = {" ".join(path): options} if options or not children or not path else {}
    for child in dict.fromkeys(children):
        found.update(from_help((*path, child), capsys))
    return found


def from_readme() -> dict[str, Options]:
    """Each row of the command table: the command words -> options -> choices."""
    rows: dict[str, Options] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `reconciler((?: [a-z][\w-]*)*)((?: .*?)?)` \|", line)
        if match:
            rows[match[1].strip()] = {
                m[1]: frozenset((m[2] or "").split("\\|")) - {""}
                for m in ROW_OPTION.finditer(match[2])
            }
    return rows


def differences(readme: dict[str, Options], helped: dict[str, Options]) -> list[str]:
    problems = []
    for command in sorted(helped.keys() | readme.keys()):
        name = f"reconciler {command}".strip()
        if command not in readme:
            problems.append(f"{name}: no row in the README's command table")
            continue
        if command not in helped:
            problems.append(f"{name}: in the README's table but not a command")
            continue
        ours, theirs = readme[command], helped[command]
        for option in sorted(theirs.keys() - ours.keys()):
            problems.append(f"{name}: {option} is in --help but not in the README row")
        for option in sorted(ours.keys() - theirs.keys()):
            problems.append(f"{name}: {option} is in the README row but not in --help")
        for option in sorted(ours.keys() & theirs.keys()):
            if ours[option] != theirs[option]:
                problems.append(
                    f"{name}: {option} takes {'|'.join(sorted(theirs[option]))} per --help, "
                    f"{'|'.join(sorted(ours[option]))} per the README"
                )
    return problems


def test_readme_command_table_matches_help(capsys: pytest.CaptureFixture[str]) -> None:
    problems = differences(from_readme(), from_help((), capsys))
    assert not problems, "README.md's command table is out of date:\n  " + "\n  ".join(problems)


def test_the_comparison_names_each_difference() -> None:
    readme = {"apply": {"--yes": frozenset(), "--format": frozenset({"text", "json"})}}
    helped = {
        "apply": {"--format": frozenset({"text", "json", "markdown"}), "--live": frozenset()},
        "usage flush": {},
    }
    assert differences(readme, helped) == [
        "reconciler apply: --live is in --help but not in the README row",
        "reconciler apply: --yes is in the README row but not in --help",
        "reconciler apply: --format takes json|markdown|text per --help, json|text per the README",
        "reconciler usage flush: no row in the README's command table",
    ]
