"""A fake GitHub REST API for the action's tests: a local HTTP server holding one pull
request's comments and recording every call (method, path, body, Authorization header)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LIST = re.compile(r"^/repos/([^/]+/[^/]+)/issues/(\d+)/comments$")
EDIT = re.compile(r"^/repos/([^/]+/[^/]+)/issues/comments/(\d+)$")


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any] | None
    authorization: str


@dataclass
class FakeGitHub:
    url: str = ""
    comments: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    next_id: int = 1000
    # As for a pull request from a fork: the token reads the comments but writes none.
    read_only: bool = False

    def add(self, body: str, number: int = 7) -> dict[str, Any]:
        comment = {
            "id": self.next_id,
            "body": body,
            "issue": number,
            "html_url": f"https://github.example/acme/billing/pull/{number}#issuecomment-{self.next_id}",
        }
        self.next_id += 1
        self.comments.append(comment)
        return comment

    def answer(self, method: str, target: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        parts = urlsplit(target)
        if method == "GET" and (found := LIST.match(parts.path)):
            query = parse_qs(parts.query)
            size, page = int(query["per_page"][0]), int(query["page"][0])
            mine = [c for c in self.comments if c["issue"] == int(found[2])]
            return 200, mine[(page - 1) * size : page * size]
        if self.read_only and method != "GET":
            return 403, {
                "message": "Resource not accessible by integration",
                "documentation_url": "https://docs.github.com/rest/issues/comments",
            }
        if method == "POST" and (found := LIST.match(parts.path)) and body is not None:
            return 201, self.add(str(body["body"]), int(found[2]))
        if method == "PATCH" and (found := EDIT.match(parts.path)) and body is not None:
            for comment in self.comments:
                if comment["id"] == int(found[2]):
                    comment["body"] = str(body["body"])
                    return 200, comment
        return 404, {"message": "Not Found"}


@contextmanager
def fake_github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            call = Call(self.command, self.path, body, self.headers.get("Authorization", ""))
            fake.calls.append(call)
            status, answer = fake.answer(self.command, self.path, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
