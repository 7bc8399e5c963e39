"""The action's script (`python -m reconciler.github.action`, as action.yml runs it) against
the Stripe emulator and a fake GitHub API: the first diff on a pull request creates the plan
comment, the next push edits it, `apply` accepts the fingerprint it outputs, nothing is posted
for an empty plan without a comment, and a broken plan file is annotated."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.github.comments import marker_for
from reconciler.testing import EmulatorControl
from tests.conftest import TEST_KEY
from tests.github.fake_github import FakeGitHub, fake_github

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghs_token_not_to_be_printed"
MARKER = marker_for("plans")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


@dataclass
class Workspace:
    root: Path
    emulator: EmulatorControl
    github: FakeGitHub

    def run(self, command: str, **inputs: str) -> Run:
        """One step of the action in a fresh runner file set (outputs, summary, event)."""
        step = self.root / f"step-{len(list(self.root.glob('step-*')))}"
        step.mkdir()
        event = step / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
        environ = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "GITHUB_"))},
            "STRIPE_API_KEY": TEST_KEY,
            "STRIPE_API_BASE": self.emulator.url,
            "INPUT_COMMAND": command,
            "INPUT_PLANS": "plans",
            "INPUT_OUT": str(step),
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_OUTPUT": str(step / "output"),
            "GITHUB_STEP_SUMMARY": str(step / "summary.md"),
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": "acme/billing",
            "GITHUB_API_URL": self.github.url,
            **{f"INPUT_{name.upper()}": value for name, value in inputs.items()},
        }
        done = subprocess.run(
            [sys.executable, "-m", "reconciler.github.action"],
            cwd=self.root,
            env=environ,
            capture_output=True,
            text=True,
        )
        assert TOKEN not in done.stdout + done.stderr
        output = step / "output"
        lines = output.read_text(encoding="utf-8").splitlines() if output.exists() else []
        summary = step / "summary.md"
        return Run(
            done.returncode,
            done.stdout,
            done.stderr,
            dict(line.split("=", 1) for line in lines),
            summary.read_text(encoding="utf-8") if summary.exists() else "",
        )

    def calls(self) -> list[tuple[str, str]]:
        """The calls made to GitHub since the last look, as (method, path without query)."""
        made = [(c.method, c.path.split("?")[0]) for c in self.github.calls]
        assert all(c.authorization == f"Bearer {TOKEN}" for c in self.github.calls)
        self.github.calls.clear()
        return made


@pytest.fixture
def workspace(tmp_path: Path, emulator: EmulatorControl) -> Iterator[Workspace]:
    shutil.copytree(ROOT / "plans", tmp_path / "plans")
    with fake_github() as github:
        yield Workspace(tmp_path, emulator, github)


COMMENTS = "/repos/acme/billing/issues/7/comments"


def test_diff_creates_one_comment_edits_it_and_apply_accepts_its_fingerprint(
    workspace: Workspace,
) -> None:
    first = workspace.run("diff")
    assert first.returncode == 0, first.stderr
    assert first.outputs["exit-code"] == "2"
    assert first.outputs["has-changes"] == "true"
    assert first.outputs["comment"] == "created"
    assert workspace.calls() == [("GET", COMMENTS), ("POST", COMMENTS)]
    [comment] = workspace.github.comments
    plan_md = (workspace.root / "step-0" / "plan.md").read_text(encoding="utf-8")
    assert comment["body"] == f"{MARKER}\n{plan_md}"
    assert plan_md.startswith("## Stripe plan\n\n**")
    assert f"Fingerprint: `{first.outputs['fingerprint']}`" in plan_md
    assert first.summary == plan_md
    assert first.outputs["comment-url"] == comment["html_url"]
    plan_json = json.loads((workspace.root / "step-0" / "plan.json").read_text(encoding="utf-8"))
    assert plan_json["fingerprint"] == first.outputs["fingerprint"]

    # The next push changes a plan file: the same comment is edited, none is added.
    pro = workspace.root / "plans" / "pro.yaml"
    pro.write_text(pro.read_text(encoding="utf-8").replace("name: Pro", "name: Pro Plus", 1))
    second = workspace.run("diff")
    assert second.outputs["exit-code"] == "2"
    assert second.outputs["comment"] == "updated"
    assert second.outputs["fingerprint"] != first.outputs["fingerprint"]
    assert workspace.calls() == [
        ("GET", COMMENTS),
        ("PATCH", f"/repos/acme/billing/issues/comments/{comment['id']}"),
    ]
    assert len(workspace.github.comments) == 1
    assert "Pro Plus" in workspace.github.comments[0]["body"]
    assert f"`{second.outputs['fingerprint']}`" in workspace.github.comments[0]["body"]

    # The merge applies exactly the reviewed plan; a stale fingerprint is refused.
    stale = workspace.run("apply", fingerprint=first.outputs["fingerprint"])
    assert (stale.returncode, stale.outputs["exit-code"]) == (1, "1")
    assert "Stripe or the plan files changed since the review" in stale.stderr
    applied = workspace.run("apply", fingerprint=second.outputs["fingerprint"])
    assert (applied.returncode, applied.outputs["exit-code"]) == (0, "0"), applied.stderr
    assert applied.outputs["fingerprint"] == second.outputs["fingerprint"]
    assert applied.summary.startswith("## Stripe plan")
    assert workspace.calls() == []  # apply comments nothing

    # In sync now: the comment is edited to say so, not left showing the applied plan; once
    # it says so, nothing is written.
    synced = workspace.run("diff")
    assert (synced.outputs["exit-code"], synced.outputs["has-changes"]) == ("0", "false")
    assert synced.outputs["comment"] == "updated"
    assert "**No changes**: Stripe matches the plan files." in workspace.github.comments[0]["body"]
    again = workspace.run("diff")
    assert again.outputs["comment"] == "unchanged"
    assert [method for method, _ in workspace.calls()] == ["GET", "PATCH", "GET"]


def test_an_empty_plan_posts_nothing_when_no_comment_exists(workspace: Workspace) -> None:
    assert workspace.run("apply").outputs["exit-code"] == "0"
    other = workspace.github.add("A reviewer's comment")
    synced = workspace.run("diff")
    assert (synced.returncode, synced.outputs["exit-code"]) == (0, "0")
    assert synced.outputs["comment"] == "none"
    assert synced.outputs["comment-url"] == ""
    assert workspace.calls() == [("GET", COMMENTS)]
    assert workspace.github.comments == [other]


def test_the_comment_is_found_on_a_later_page(workspace: Workspace) -> None:
    for n in range(130):
        workspace.github.add(f"comment {n}")
    ours = workspace.github.add(f"{MARKER}\nan old plan")
    run = workspace.run("diff")
    assert run.outputs["comment"] == "updated"
    assert [c.path for c in workspace.github.calls] == [
        f"{COMMENTS}?per_page=100&page=1",
        f"{COMMENTS}?per_page=100&page=2",
        f"/repos/acme/billing/issues/comments/{ours['id']}",
    ]
    assert ours["body"].startswith(f"{MARKER}\n## Stripe plan")


def test_a_broken_plan_file_is_annotated_and_stripe_is_not_read(workspace: Workspace) -> None:
    pro = workspace.root / "plans" / "pro.yaml"
    pro.write_text(pro.read_text(encoding="utf-8").replace("currency: usd", "currency: usx", 1))
    workspace.emulator.reset_counters()
    run = workspace.run("diff")
    assert (run.returncode, run.outputs) == (1, {"exit-code": "1"})
    [annotation] = run.stdout.splitlines()
    assert annotation.startswith("::error file=plans/pro.yaml,line=")
    assert annotation.endswith(
        "::prices[0].currency: unknown currency 'usx' (not an ISO 4217 code)"
    )
    assert workspace.emulator.counters()["total"] == 0
    assert workspace.calls() == []


def test_an_unknown_command_or_option_is_an_error(workspace: Workspace) -> None:
    wrong = workspace.run("plan")
    assert (wrong.returncode, wrong.outputs) == (1, {"exit-code": "1"})
    assert wrong.stderr == "error: command must be one of validate, diff, apply, not 'plan'\n"
    bad_option = workspace.run("diff", options="--purge")
    assert (bad_option.returncode, bad_option.outputs["exit-code"]) == (1, "1")
    assert bad_option.stderr == (
        "plans: 5 file(s) valid\n"
        "Usage: reconciler diff [OPTIONS] [PATH]\nTry 'reconciler diff --help' for help.\n\n"
        "Error: No such option '--purge'. Did you mean '--prune'?\n"
    )


def test_a_read_only_token_warns_and_the_plan_stays_in_the_summary(workspace: Workspace) -> None:
    """On a pull request from a fork GitHub gives the run a read-only token: the comment cannot
    be written, and the check still shows the plan (summary, plan.md, outputs) and a warning."""
    workspace.github.read_only = True
    run = workspace.run("diff")
    assert (run.returncode, run.outputs["exit-code"]) == (0, "2")
    assert (run.outputs["comment"], run.outputs["comment-url"]) == ("not-permitted", "")
    assert run.outputs["has-changes"] == "true"
    assert "## Stripe plan" in run.summary
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert warnings == [
        "::warning title=reconciler::the plan comment was not written: this run's token may "
        "not write to the pull request (GitHub gives the runs of pull requests from forks a "
        "read-only token); the plan is in the job summary (GitHub answered 403 to POST "
        '/repos/acme/billing/issues/7/comments: {"message": "Resource not accessible by '
        'integration", "documentation_url": "https://docs.github.com/rest/issues/comments"})'
    ]
    assert workspace.github.comments == []
    assert TOKEN not in run.stdout + run.stderr
