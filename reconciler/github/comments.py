"""One pull request comment kept up to date: found by a hidden marker, created once, edited in
place on each push (GitHub's REST API through the standard library).

Endpoints (docs.github.com/en/rest/issues/comments; a pull request is an issue to them):
`GET /repos/{owner}/{repo}/issues/{number}/comments` (paged by `per_page` and `page`),
`POST` to the same path to create, `PATCH /repos/{owner}/{repo}/issues/comments/{id}` to edit.
The token is sent in the Authorization header only and never printed.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.errors import ReconcilerError

API_VERSION = "2022-11-28"
PAGE_SIZE = 100
# GitHub refuses a comment body over 65,536 characters; the plan is cut well before that.
MAX_BODY = 60_000

Kept = Literal["created", "updated", "unchanged", "none", "not-permitted"]


class CommentNotPermitted(ReconcilerError):
    """GitHub refused to write the comment (403): the token may read the pull request but not
    write to it, as on a pull request from a fork, whose runs get a read-only token."""


def marker_for(plans: str) -> str:
    """The hidden line that finds the comment of one plans folder again (a repository with two
    folders keeps two comments)."""
    return f"<!-- reconciler-plan: {plans.replace('--', '-')} -->"


def comment_body(marker: str, markdown: str, summary_url: str | None) -> str:
    """The marker, then the plan; a plan too long for a comment is cut, pointing at the run's
    summary, which holds it whole."""
    if len(markdown) > MAX_BODY:
        where = f" ([the run's summary]({summary_url}))" if summary_url else ""
        markdown = (
            markdown[:MAX_BODY].rsplit("\n", 1)[0]
            + f"\n\n*The plan is too long for a comment: it is cut here; the job summary"
            f"{where} holds all of it.*\n"
        )
    return f"{marker}\n{markdown}"


@dataclass(frozen=True)
class PullRequestComments:
    """The comments of one pull request, through the REST API at `api_url`."""

    api_url: str  # GITHUB_API_URL: https://api.github.com, or a GitHub Enterprise address
    repository: str  # owner/name
    number: int
    token: str

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.api_url.rstrip("/") + path,
            data=data,
            method=method,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.token}",
                "X-GitHub-Api-Version": API_VERSION,
                "Content-Type": "application/json",
                "User-Agent": "reconciler-action",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            refused = CommentNotPermitted if exc.code == 403 and method != "GET" else None
            raise (refused or ReconcilerError)(
                f"GitHub answered {exc.code} to {method} {path}: {detail}"
            ) from exc
        except OSError as exc:
            raise ReconcilerError(
                f"cannot reach the GitHub API for {method} {path}: {exc}"
            ) from exc

    def find(self, marker: str) -> dict[str, Any] | None:
        """The first comment whose body starts with `marker`, reading every page."""
        page = 1
        while True:
            path = (
                f"/repos/{self.repository}/issues/{self.number}/comments"
                f"?per_page={PAGE_SIZE}&page={page}"
            )
            comments: list[dict[str, Any]] = self._request("GET", path)
            for comment in comments:
                if str(comment.get("body") or "").startswith(marker):
                    return comment
            if len(comments) < PAGE_SIZE:
                return None
            page += 1

    def keep(self, marker: str, body: str, has_changes: bool) -> tuple[Kept, str | None]:
        """Create or edit the one comment carrying `marker` so it reads `body`: edited when it
        exists (an empty plan too, so no stale plan stays on the pull request), created only
        when there are changes. Returns what was done and the comment's address."""
        found = self.find(marker)
        if found is not None:
            url = str(found.get("html_url") or "") or None
            if found.get("body") == body:
                return "unchanged", url
            path = f"/repos/{self.repository}/issues/comments/{found['id']}"
            edited = self._request("PATCH", path, {"body": body})
            return "updated", str(edited.get("html_url") or "") or url
        if not has_changes:
            return "none", None
        path = f"/repos/{self.repository}/issues/{self.number}/comments"
        created = self._request("POST", path, {"body": body})
        return "created", str(created.get("html_url") or "") or None
