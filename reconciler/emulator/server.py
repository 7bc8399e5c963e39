"""The HTTP front: one thread per keep-alive connection, speaking Stripe's wire protocol.

`wire` frames requests and answers; `api.handle_api` answers `/v1`, `controls` the
`/_emulator/` knobs and `hosted_pages` the Checkout and Portal pages. Whatever arrives,
the answer is JSON in Stripe's error envelope with a 4xx when the request is
malformed: a bad or oversized `Content-Length`, an unknown method, an over-long
URL or header line, an unknown page. Nothing is answered with HTML but the pages.
"""

from __future__ import annotations

import io
import json
import socket
import socketserver
import threading
import traceback

from reconciler.emulator.api import handle_api
from reconciler.emulator.controls import handle_control
from reconciler.emulator.errors import StripeError
from reconciler.emulator.hosted_pages import handle_page
from reconciler.emulator.polling import SUPPORTED, PollingInput, WaitPolicy, another_cpu
from reconciler.emulator.state import Emulator
from reconciler.emulator.wire import (
    CONTINUE,
    MAX_BODY,
    BufferedInput,
    Request,
    SocketInput,
    WireError,
    answer_bytes,
    hang_up_after,
    linger_and_close,
    read_request,
)

__all__ = ["MAX_BODY", "EmulatorServer"]

# Methods routed to `_answer`; Stripe routes only GET, POST and DELETE, the others get its
# "Unrecognized request URL" 404. Any other token is a 405.
_METHODS = frozenset({"GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS"})
# A client silent this long mid-request or between requests is hung up on.
TIMEOUT = 60.0
_JSON = "application/json"


class EmulatorServer(socketserver.ThreadingTCPServer):
    """Accepts connections and serves each on its own daemon thread, carrying the state."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(
        self, address: tuple[str, int], emulator: Emulator, poll_window: float = 0.0
    ) -> None:
        self.emulator = emulator
        # Seconds a connection whose client is quick polls for its next request (`polling`).
        self.poll_window = poll_window if SUPPORTED else 0.0
        self.polling = threading.Lock()
        # Reads of finished connections that found their bytes by polling, and that slept.
        self.reads_polled = self.reads_slept = 0
        self._counting = threading.Lock()
        super().__init__(address, Connection)

    def count_reads(self, policy: WaitPolicy) -> None:
        with self._counting:
            self.reads_polled += policy.polled
            self.reads_slept += policy.slept


def _envelope(status: int, message: str, **fields: str) -> bytes:
    return json.dumps(StripeError(status, message, **fields).envelope()).encode()


class Connection(socketserver.BaseRequestHandler):
    """Serves requests off one connection until either side closes it."""

    request: socket.socket
    server: EmulatorServer

    def handle(self) -> None:
        sock = self.request
        hang_up_after(sock, TIMEOUT)
        # Answers go out in one write; without this, Nagle and delayed ACKs add 40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        window = self.server.poll_window
        raw = None
        if window:
            policy = WaitPolicy(window if another_cpu() else 0.0)
            raw = PollingInput(sock, policy, self.server.polling)
        reader = io.BufferedReader(raw or SocketInput(sock))
        try:
            while self._serve_one(sock, reader):
                pass
        except OSError:
            pass  # the client went away or timed out: nobody is listening for an answer
        finally:
            reader.close()
            if raw is not None:
                self.server.count_reads(raw.policy)

    def _serve_one(self, sock: socket.socket, reader: BufferedInput) -> bool:
        """Answer one request; False once the connection is to be closed."""
        request: Request | None = None
        try:
            request = read_request(reader)
            if request is None:
                return False
            if request.method not in _METHODS:
                # The stdlib's 501 for a method it cannot route is a 405 in Stripe's envelope.
                raise WireError(405, f"Unsupported HTTP method: {request.method}")
            length = request.body_length()
        except WireError as error:
            payload = b"" if request is not None and request.method == "HEAD" else None
            self._refuse(sock, request, error, payload)
            return False
        if length and request.expects_continue():
            sock.sendall(CONTINUE)
        body = reader.read(length) if length else b""
        if len(body) < length:
            return False
        try:
            return self._answer(sock, request, body.decode(errors="replace"))
        except OSError:
            raise
        except Exception as error:
            # A bug in the emulator: a 500 in Stripe's envelope rather than a hang-up.
            traceback.print_exc()
            message = f"Emulator internal error: {type(error).__name__}: {error}"
            payload = _envelope(500, message, type="api_error")
            sock.sendall(answer_bytes(500, payload, _JSON, _version(request), close=True))
            return False

    def _refuse(
        self, sock: socket.socket, request: Request | None, error: WireError, payload: bytes | None
    ) -> None:
        """Answer a request that could not be framed, then close without a reset."""
        body = _envelope(error.status, error.message) if payload is None else payload
        head = _version(request) if request is not None else {"Stripe-Version": "emulator"}
        sock.sendall(answer_bytes(error.status, body, _JSON, head, close=True))
        linger_and_close(sock)

    def _answer(self, sock: socket.socket, request: Request, body: str) -> bool:
        method = request.method
        path, _, query = request.target.partition("?")
        emulator = self.server.emulator
        keep = request.keep_alive
        extra = _version(request)
        if path.startswith("/v1/"):
            answer = handle_api(emulator, method, path, query, body, request.headers)
            if answer.drop:
                # The write happened and was saved; the client never hears of it.
                return False
            extra.update(answer.headers)
            payload = answer_bytes(answer.status, answer.body, _JSON, extra, not keep)
        elif path.startswith("/_emulator/"):
            status, found = handle_control(emulator, method, path, body)
            payload = answer_bytes(status, json.dumps(found).encode(), _JSON, extra, not keep)
        else:
            page = handle_page(emulator, method, path, body)
            if page is None:
                text = f"Unrecognized request URL ({method}: {path[:200]})."
                payload = answer_bytes(404, _envelope(404, text), _JSON, extra, not keep)
            else:
                status, html, headers = page.encoded()
                extra.update(headers)
                payload = answer_bytes(status, html, "text/html; charset=utf-8", extra, not keep)
        sock.sendall(payload)
        return keep


def _version(request: Request) -> dict[str, str]:
    """The `Stripe-Version` header of an answer: the request's, or "emulator"."""
    return {"Stripe-Version": (request.headers.get("stripe-version") or "emulator")[:64]}
