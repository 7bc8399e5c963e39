"""The comment's marker and body (pure)."""

from __future__ import annotations

from reconciler.github.comments import MAX_BODY, comment_body, marker_for


def test_one_marker_per_plans_folder() -> None:
    assert marker_for("plans") == "<!-- reconciler-plan: plans -->"
    assert marker_for("billing/plans") == "<!-- reconciler-plan: billing/plans -->"
    # "--" would end the HTML comment early and show the rest.
    assert marker_for("a--b") == "<!-- reconciler-plan: a-b -->"


def test_the_body_is_the_marker_and_the_plan() -> None:
    assert comment_body("<!-- m -->", "## Stripe plan\n", None) == "<!-- m -->\n## Stripe plan\n"


def test_a_plan_too_long_for_a_comment_is_cut_at_a_line_and_points_at_the_summary() -> None:
    markdown = "".join(f"| row {n} |\n" for n in range(10_000))
    body = comment_body(
        "<!-- m -->", markdown, "https://github.example/acme/billing/actions/runs/1"
    )
    assert len(body) < MAX_BODY + 200
    kept, _, note = body.rpartition("\n\n")
    assert kept.endswith(" |")
    assert note == (
        "*The plan is too long for a comment: it is cut here; the job summary ([the run's "
        "summary](https://github.example/acme/billing/actions/runs/1)) holds all of it.*\n"
    )
