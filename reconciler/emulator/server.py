"""The HTTP front: a threaded stdlib server speaking Stripe's wire protocol.

It frames requests and answers; `api.handle_api` answers `/v1`, `controls` the
`/_emulator/` knobs and `pages` the Checkout and Portal pages. Whatever arrives,
the answer is JSON in Stripe's error envelope with a 4xx when the request is
malformed: a bad or oversized `Content-Length`, an unknown method, an over-long
URL or header line, an unknown page. Nothing is answered with HTML but the pages.
"""

from __future__ import annotations

import json
import socket
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reconciler.emulator.api import handle_api
from reconciler.emulator.controls import handle_control
from reconciler.emulator.errors import StripeError
from reconciler.emulator.hosted_pages import handle_page
from reconciler.emulator.state import Emulator

# Stripe documents no body limit; a megabyte is far more than any form we accept.
MAX_BODY = 1 << 20
_METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS")


class EmulatorServer(ThreadingHTTPServer):
    """A threading server that carries the emulator state for its handlers."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        super().__init__(address, RequestHandler)


def _envelope(status: int, message: str) -> bytes:
    return json.dumps(StripeError(status, message).envelope()).encode()


class RequestHandler(BaseHTTPRequestHandler):
    """Answers `/v1`, `/_emulator` and the checkout and portal pages."""

    protocol_version = "HTTP/1.1"
    # A client silent this long mid-request is hung up on (no thread held forever).
    timeout = 60
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        # Answers go out in one write; without this, Nagle and delayed ACKs add 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no line per request."""

    def __getattr__(self, name: str) -> Any:
        # `do_PUT`, `do_PATCH`, ...: methods Stripe does not route still get its JSON 404.
        if name.startswith("do_") and name[3:] in _METHODS:
            return lambda: self._serve(name[3:])
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own refusals (bad request line, URL or header too long, unknown
        method) in Stripe's JSON envelope; an unknown method is a 405, not a 501."""
        status = 405 if code == 501 else 400 if code >= 500 else code
        text = {405: f"Unsupported HTTP method: {getattr(self, 'command', '')}"}.get(
            status, message or "Malformed request."
        )
        self.close_connection = True
        payload = b"" if getattr(self, "command", "") == "HEAD" else _envelope(status, text)
        self._send(status, payload, "application/json", {})

    def _body(self) -> bytes | None:
        """The body, or None after answering a malformed `Content-Length` (then the
        connection closes: where this request ends is unknown)."""
        header = self.headers.get("Content-Length")
        if header is None:
            if self.headers.get("Transfer-Encoding"):
                self.send_error(400, "Transfer-Encoding is not supported; send Content-Length.")
                return None
            return b""
        if not header.strip().isdigit():
            self.send_error(400, f"Invalid Content-Length header: {header[:40]!r}.")
            return None
        length = int(header)
        if length > MAX_BODY:
            self.send_error(413, f"Request body of {length} bytes is over {MAX_BODY}.")
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self, method: str) -> None:
        try:
            self._answer(method)
        except (OSError, ValueError):
            raise  # the socket failed or timed out: nobody is listening for an answer
        except Exception as error:
            # A bug in the emulator: a 500 in Stripe's envelope rather than a hang-up.
            traceback.print_exc()
            message = f"Emulator internal error: {type(error).__name__}: {error}"
            self.close_connection = True
            body = json.dumps(StripeError(500, message, type="api_error").envelope()).encode()
            self._send(500, body, "application/json", {})

    def _answer(self, method: str) -> None:
        raw = self._body()
        if raw is None:
            return
        body = raw.decode(errors="replace")
        path, _, query = self.path.partition("?")
        emulator = self.server.emulator
        if path.startswith("/v1/"):
            answer = handle_api(emulator, method, path, query, body, self.headers)
            if answer.drop:
                # The write happened and was saved; the client never hears of it.
                self.close_connection = True
                return
            self._send(answer.status, answer.body, "application/json", answer.headers)
        elif path.startswith("/_emulator/"):
            status, found = handle_control(emulator, method, path, body)
            self._send(status, json.dumps(found).encode(), "application/json", {})
        else:
            page = handle_page(emulator, method, path, body)
            if page is None:
                text = f"Unrecognized request URL ({method}: {path[:200]})."
                self._send(404, _envelope(404, text), "application/json", {})
            else:
                status, html, headers = page.encoded()
                self._send(status, html, "text/html; charset=utf-8", headers)

    def _send(self, status: int, payload: bytes, content_type: str, extra: dict[str, str]) -> None:
        version = self.headers.get("Stripe-Version") if hasattr(self, "headers") else None
        lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}"]
        lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(payload)}")
        lines.append("Stripe-Version: " + (version or "emulator")[:64])
        lines.extend(f"{name}: {value}" for name, value in extra.items())
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")
        self.wfile.write(head + payload)
