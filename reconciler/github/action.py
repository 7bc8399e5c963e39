"""What the GitHub Action (`action.yml`) runs: `validate`, `diff` or `apply` on a plans folder,
its problems as annotations on the pull request, and for `diff` on a pull request one comment
holding the plan, edited in place on each push.

Run as `python -m reconciler.github.action` with the action's inputs in the environment
(`INPUT_COMMAND`, `INPUT_PLANS`, `INPUT_OPTIONS`, `INPUT_FINGERPRINT`, `INPUT_COMMENT`,
`INPUT_OUT`, `GITHUB_TOKEN`) and the runner's own variables (`GITHUB_OUTPUT`,
`GITHUB_STEP_SUMMARY`, `GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`, `GITHUB_REPOSITORY`,
`GITHUB_API_URL`). Outputs: `exit-code` (0 in sync or applied, 2 changes pending, 1 error),
`fingerprint`, `has-changes`, `comment` (what was done to the comment) and `comment-url`.
The step fails only on an error: pending changes are the plan a pull request shows.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import click

from reconciler.cli import main as cli_main
from reconciler.diagnostics import workflow_warning
from reconciler.errors import ReconcilerError
from reconciler.github.comments import (
    CommentNotPermitted,
    PullRequestComments,
    comment_body,
    marker_for,
)

COMMANDS = ("validate", "diff", "apply")
# What the script writes to GITHUB_OUTPUT; action.yml declares the same outputs.
OUTPUTS = ("exit-code", "fingerprint", "has-changes", "comment", "comment-url")
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
NOT_PERMITTED = (
    "the plan comment was not written: this run's token may not write to the pull request "
    "(GitHub gives the runs of pull requests from forks a read-only token); the plan is in "
    "the job summary"
)


@dataclass(frozen=True)
class ActionInputs:
    command: str
    plans: str
    options: tuple[str, ...]
    fingerprint: str
    comment: bool
    out: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ActionInputs:
        command = environ.get("INPUT_COMMAND", "diff").strip() or "diff"
        if command not in COMMANDS:
            raise ReconcilerError(f"command must be one of {', '.join(COMMANDS)}, not {command!r}")
        return cls(
            command=command,
            plans=environ.get("INPUT_PLANS", "").strip() or "plans",
            options=tuple(shlex.split(environ.get("INPUT_OPTIONS", ""))),
            fingerprint=environ.get("INPUT_FINGERPRINT", "").strip(),
            comment=environ.get("INPUT_COMMENT", "true").strip().lower() != "false",
            out=Path(environ.get("INPUT_OUT", "").strip() or "."),
        )


def pull_request_number(environ: Mapping[str, str]) -> int | None:
    """The pull request the run is for, from the event payload; None for other events."""
    if environ.get("GITHUB_EVENT_NAME") not in PULL_REQUEST_EVENTS:
        return None
    event = json.loads(Path(environ["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
    return int(event["pull_request"]["number"])


def write_outputs(environ: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    """Append `name=value` lines to the step's GITHUB_OUTPUT file (values hold no newline)."""
    target = environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as file:
            file.writelines(f"{name}={value}\n" for name, value in outputs.items())


def append_summary(environ: Mapping[str, str], markdown: str) -> None:
    target = environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as file:
            file.write(markdown)


def diff(inputs: ActionInputs, environ: Mapping[str, str], outputs: dict[str, str]) -> int:
    """Plan once; write plan.json and plan.md, the summary, and the pull request comment."""
    from reconciler.cli.diff import diff as diff_command
    from reconciler.cli.planning import plan_for
    from reconciler.reconcile.plan import DiffOptions
    from reconciler.reconcile.render_json import render_json
    from reconciler.reconcile.render_markdown import render_markdown
    from reconciler.reconcile.render_text import render_text

    # The options are read by diff's own definitions, so they mean what they mean to diff.
    params = diff_command.make_context("reconciler diff", [inputs.plans, *inputs.options]).params
    options = DiffOptions(
        params["prune"],
        params["adopt"],
        params["migrate_subscribers"],
        params["allow_duplicates"],
    )
    planned = plan_for(params["path"], options, params["verify_attachments"])
    if planned is None:
        return 1
    plan = planned.plan
    markdown = render_markdown(plan, inputs.plans)
    inputs.out.mkdir(parents=True, exist_ok=True)
    (inputs.out / "plan.json").write_text(render_json(plan), encoding="utf-8")
    (inputs.out / "plan.md").write_text(markdown, encoding="utf-8")
    click.echo(render_text(plan), nl=False)
    append_summary(environ, markdown)
    outputs["fingerprint"] = plan.fingerprint
    outputs["has-changes"] = "true" if plan.has_changes else "false"
    number = pull_request_number(environ) if inputs.comment else None
    if number is not None:
        comments = PullRequestComments(
            environ.get("GITHUB_API_URL", "https://api.github.com"),
            environ["GITHUB_REPOSITORY"],
            number,
            environ.get("GITHUB_TOKEN", ""),
        )
        run_url = None
        if environ.get("GITHUB_RUN_ID"):
            server = environ.get("GITHUB_SERVER_URL", "https://github.com")
            run = f"{environ['GITHUB_REPOSITORY']}/actions/runs/{environ['GITHUB_RUN_ID']}"
            run_url = f"{server}/{run}"
        marker = marker_for(inputs.plans)
        body = comment_body(marker, markdown, run_url)
        try:
            kept, url = comments.keep(marker, body, plan.has_changes)
        except CommentNotPermitted as refused:
            # The plan is still the check's result: warn, and leave it to the job summary.
            kept, url = "not-permitted", None
            click.echo(workflow_warning("reconciler", f"{NOT_PERMITTED} ({refused})"))
        outputs["comment"] = kept
        outputs["comment-url"] = url or ""
        click.echo(f"pull request comment: {kept}{f' ({url})' if url else ''}", err=True)
    return 2 if plan.has_changes else 0


def apply(inputs: ActionInputs, environ: Mapping[str, str], outputs: dict[str, str]) -> int:
    """`reconciler apply --yes` (with the reviewed fingerprint when given); its Markdown to the
    log and the summary."""
    args = ["apply", inputs.plans, *inputs.options, "--yes", "--format", "markdown"]
    if inputs.fingerprint:
        args += ["--fingerprint", inputs.fingerprint]
        outputs["fingerprint"] = inputs.fingerprint
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        code = cli_main(args)
    click.echo(captured.getvalue(), nl=False)
    append_summary(environ, captured.getvalue())
    return code


def run(inputs: ActionInputs, environ: Mapping[str, str], outputs: dict[str, str]) -> int:
    # Every command validates first, with GitHub's annotations: a broken plan file is shown
    # on its line of the pull request, and nothing is read from Stripe.
    code = cli_main(["validate", inputs.plans, "--format", "github"])
    if code != 0 or inputs.command == "validate":
        return code
    if inputs.command == "diff":
        return diff(inputs, environ, outputs)
    return apply(inputs, environ, outputs)


def main(environ: Mapping[str, str] | None = None) -> int:
    """Run the action; the exit status is 1 on an error, else 0 (`exit-code` tells 0 from 2)."""
    environ = os.environ if environ is None else environ
    outputs: dict[str, str] = {}
    try:
        code = run(ActionInputs.from_env(environ), environ, outputs)
    except click.ClickException as exc:
        exc.show()
        code = 1
    except ReconcilerError as exc:
        click.echo(f"error: {exc}", err=True)
        code = 1
    outputs["exit-code"] = str(code)
    write_outputs(environ, outputs)
    return 1 if code == 1 else 0


if __name__ == "__main__":
    sys.exit(main())
