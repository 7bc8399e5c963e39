"""`validate --format github` (annotations on a pull request's lines), several paths at once,
`--folders-of-files` (the pre-commit hook) and `--version`."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.cli.validate import folders_of
from reconciler.diagnostics import Diagnostic
from tests.plans.cases import VALID

BROKEN = VALID.replace("currency: usd", "currency: usx")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def folder(root: Path, name: str, text: str) -> Path:
    (root / name).mkdir()
    (root / name / "basic.yaml").write_text(text, encoding="utf-8")
    return root / name


def test_a_workflow_command_per_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder(tmp_path, "plans", BROKEN)
    (tmp_path / "plans" / "reconciler.yaml").write_text(
        "default_limits: {storage-gb: 1}\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["validate", "plans", "--format", "github"], capsys)
    assert code == 1
    assert out.splitlines() == [
        "::error file=plans/basic.yaml,line=7,col=15::prices[0].currency: unknown currency "
        "'usx' (not an ISO 4217 code)",
        "::warning file=plans/reconciler.yaml,line=1,col=18::default_limits.storage-gb: "
        "limit 'storage-gb' is used by no plan",
    ]
    assert err == "plans: 1 error(s), 1 warning(s)\n"


def test_workflow_commands_escape_what_github_would_read_as_syntax() -> None:
    problem = Diagnostic("a,b:c%.yaml", 3, 4, "x", "100% wrong\nsecond line\r")
    assert problem.workflow_command() == (
        "::error file=a%2Cb%3Ac%25.yaml,line=3,col=4::x: 100%25 wrong%0Asecond line%0D"
    )
    whole_file = Diagnostic("plans/a.yaml", 1, 1, "", "empty file", "warning")
    assert whole_file.workflow_command() == "::warning file=plans/a.yaml,line=1,col=1::empty file"


def test_several_paths_are_each_validated_and_summed_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder(tmp_path, "good", VALID)
    folder(tmp_path, "bad", BROKEN)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["validate", "good", "bad"], capsys)
    assert (code, out) == (
        1,
        "bad/basic.yaml:7:15: prices[0].currency: unknown currency 'usx' (not an ISO 4217 code)\n",
    )
    assert err == "good: 1 file(s) valid\nbad: 1 error(s), 0 warning(s)\n"
    assert run(["validate", "good", "good/basic.yaml"], capsys) == (
        0,
        "",
        "good: 1 file(s) valid\ngood/basic.yaml: 1 file(s) valid\n",
    )


def test_folders_of_files_validates_each_folder_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder(tmp_path, "plans", VALID)
    (tmp_path / "plans" / "other.yaml").write_text(
        VALID.replace("basic", "other"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    args = ["validate", "--folders-of-files", "plans/basic.yaml", "plans/other.yaml"]
    assert run(args, capsys) == (0, "", "plans: 2 file(s) valid\n")


def test_folders_of() -> None:
    assert folders_of(["plans/a.yaml", "b/x.yml", "plans/c.yaml", "top.yaml"]) == [
        "plans",
        "b",
        ".",
    ]
    assert folders_of([]) == []


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"], capsys) == (0, f"reconciler, version {version('reconciler')}\n", "")
    assert version("reconciler") == "0.1.0"
