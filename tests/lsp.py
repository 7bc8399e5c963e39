"""A small Language Server Protocol client for yaml-language-server over stdio: it opens a
file as an editor does and returns the diagnostics the server publishes for it."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any

TIMEOUT = 30.0


def _read_messages(stream: IO[bytes], out: queue.Queue[dict[str, Any]]) -> None:
    """Split the server's stdout into JSON-RPC messages (`Content-Length` framing)."""
    while True:
        length = 0
        while (line := stream.readline()) not in (b"\r\n", b"\n"):
            if not line:
                return
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        out.put(json.loads(stream.read(length)))


class YamlLanguageServer:
    """`node yaml-language-server --stdio`, with validation on and no schema store (no
    network): schemas come only from the files' `$schema` modelines."""

    def __init__(self, node_tools: Path, root: Path) -> None:
        server = node_tools / "node_modules" / "yaml-language-server" / "bin"
        self.process = subprocess.Popen(
            ["node", str(server / "yaml-language-server"), "--stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        reader = threading.Thread(
            target=_read_messages, args=(self.process.stdout, self.messages), daemon=True
        )
        reader.start()
        self._next_id = 0
        self.request(
            "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}
        )
        self.notify("initialized", {})
        settings = {"yaml": {"validate": True, "schemaStore": {"enable": False}}}
        self.notify("workspace/didChangeConfiguration", {"settings": settings})

    def __enter__(self) -> YamlLanguageServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        self.process.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self._next_id += 1
        self._send({"id": self._next_id, "method": method, "params": params})
        while True:
            message = self.messages.get(timeout=TIMEOUT)
            if message.get("id") == self._next_id and "method" not in message:
                return message.get("result")
            self._answer_server(message)

    def _answer_server(self, message: dict[str, Any]) -> None:
        """Answer the server's own requests (its settings, registrations) as an editor does."""
        if "method" not in message or "id" not in message:
            return
        result: Any = None
        if message["method"] == "workspace/configuration":
            items = message["params"]["items"]
            result = [{"validate": True} if i.get("section") == "yaml" else None for i in items]
        self._send({"id": message["id"], "result": result})

    def diagnostics(self, path: Path) -> list[tuple[int, int, str]]:
        """Open `path` and return its diagnostics as (line, column, message), 1-based."""
        uri = path.resolve().as_uri()
        document = {"uri": uri, "languageId": "yaml", "version": 1, "text": path.read_text()}
        self.notify("textDocument/didOpen", {"textDocument": document})
        while True:
            message = self.messages.get(timeout=TIMEOUT)
            if (
                message.get("method") == "textDocument/publishDiagnostics"
                and message["params"]["uri"] == uri
            ):
                return [
                    (
                        d["range"]["start"]["line"] + 1,
                        d["range"]["start"]["character"] + 1,
                        d["message"],
                    )
                    for d in message["params"]["diagnostics"]
                ]
            self._answer_server(message)
