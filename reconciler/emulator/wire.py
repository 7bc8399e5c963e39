"""HTTP/1.1 framing for the emulator: read one request off a keep-alive connection, write
one answer, and hang up without resetting a client that is still sending.

Written by hand for speed (the stdlib's `http.server` parses every header block with the
`email` package, which cost the emulator more than its own work). What it accepts and
refuses follows RFC 9112 and the limits the stdlib server had: a request line over 64 KiB
is a 414, a header line over 64 KiB or more than 100 headers a 431, a request line or
header that does not parse a 400, a `Content-Length` that is not a number a 400, a body
over `MAX_BODY` a 413. `WireError` carries the status; the caller answers it in Stripe's
JSON envelope and closes the connection, since where the request ends is unknown.
"""

from __future__ import annotations

import io
import socket
import struct
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol

# Stripe documents no body limit; a megabyte is far more than any form we accept.
MAX_BODY = 1 << 20
MAX_LINE = 65536
MAX_HEADERS = 100
# A refused body is read and thrown away (lingering close, as nginx does) for at most this
# long and this much, so the client reads the answer instead of a reset connection.
LINGER_SECONDS = 30.0
LINGER_IDLE_SECONDS = 2.0
LINGER_BYTES = 1 << 30
_REASONS = {status.value: status.phrase for status in HTTPStatus}


class BufferedInput(Protocol):
    """What the reader needs of a buffered connection (`io.BufferedReader(SocketInput(s))`)."""

    def peek(self, size: int = ..., /) -> bytes: ...

    def read(self, size: int | None = ..., /) -> bytes: ...

    def readline(self, size: int | None = ..., /) -> bytes: ...


class WireError(Exception):
    """A request that cannot be framed: answer `status` with `message`, then close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    """One framed request; header names are lower-case, the first of a repeated one wins."""

    method: str
    target: str
    version: tuple[int, int]
    headers: dict[str, str]
    keep_alive: bool

    def body_length(self) -> int:
        """The declared body length (0 without one), or `WireError`."""
        header = self.headers.get("content-length")
        if header is None:
            if "transfer-encoding" in self.headers:
                raise WireError(400, "Transfer-Encoding is not supported; send Content-Length.")
            return 0
        text = header.strip()
        if not (text.isascii() and text.isdigit()):
            raise WireError(400, f"Invalid Content-Length header: {header[:40]!r}.")
        length = int(text)
        if length > MAX_BODY:
            raise WireError(413, f"Request body of {length} bytes is over {MAX_BODY}.")
        return length

    def expects_continue(self) -> bool:
        return self.version >= (1, 1) and self.headers.get("expect", "").lower() == "100-continue"


def read_request(reader: BufferedInput) -> Request | None:
    """The next request's line and headers, None at a clean end of the connection."""
    # Fast path: the whole head is already buffered (requests mostly come in one segment),
    # so it is split at once instead of read line by line.
    peeked = reader.peek(1)
    end = peeked.find(b"\r\n\r\n")
    if end > 0 and not peeked.startswith((b"\r\n", b"\n")):
        head = reader.read(end + 4)[:end].decode("latin-1")
        lines = head.split("\n") if "\n" in head.replace("\r\n", "") else head.split("\r\n")
        if len(lines) - 1 > MAX_HEADERS:
            raise WireError(431, f"Too many headers (more than {MAX_HEADERS}).")
        return _request(lines[0], lines[1:])
    line = reader.readline(MAX_LINE + 1)
    if line in (b"\r\n", b"\n"):
        # RFC 9112 2.2: ignore at least one empty line before a request line.
        line = reader.readline(MAX_LINE + 1)
    if not line:
        return None
    if len(line) > MAX_LINE:
        raise WireError(414, "Request-URI Too Long.")
    return _request(line.decode("latin-1"), _header_lines(reader))


def _header_lines(reader: BufferedInput) -> list[str]:
    lines: list[str] = []
    while True:
        line = reader.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise WireError(431, "Line too long.")
        if line in (b"\r\n", b"\n", b""):
            return lines
        if len(lines) == MAX_HEADERS:
            raise WireError(431, f"Too many headers (more than {MAX_HEADERS}).")
        lines.append(line.decode("latin-1"))


def _request(request_line: str, header_lines: list[str]) -> Request:
    words = request_line.split()
    if len(words) != 3 or not words[2].startswith("HTTP/"):
        raise WireError(400, f"Bad request syntax ({request_line[:80].strip()!r}).")
    method, target, protocol = words
    major, dot, minor = protocol[5:].partition(".")
    if not (dot and major.isdigit() and minor.isdigit() and len(major + minor) <= 4):
        raise WireError(400, f"Bad request version ({protocol[:40]!r}).")
    version = (int(major), int(minor))
    if version >= (2, 0) or version < (1, 0):
        raise WireError(400, f"Invalid HTTP version ({protocol[:40]}).")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise WireError(400, f"Malformed header line ({line[:80].rstrip()!r}).")
        headers.setdefault(name.lower(), value.strip())
    connection = {token.strip() for token in headers.get("connection", "").lower().split(",")}
    keep_alive = "close" not in connection and (version >= (1, 1) or "keep-alive" in connection)
    return Request(method, target, version, headers, keep_alive)


class SocketInput(io.RawIOBase):
    """A connection's bytes for `io.BufferedReader`, from a blocking socket.

    Python's `socket.makefile` with a timeout set makes every read and write wait in
    `poll` first (a second system call each); `hang_up_after` sets the kernel's timeouts
    instead, and a read that times out raises here (an `OSError`), as a socket timeout
    would, rather than looking like the end of the data."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self.sock.recv_into(buffer)


def hang_up_after(sock: socket.socket, seconds: float) -> None:
    """Make a read or write on `sock` that waits longer than `seconds` raise `OSError`,
    keeping the socket blocking (see `SocketInput`); `settimeout` where the platform takes
    no `timeval`."""
    try:
        timeval = struct.pack("ll", int(seconds), int(seconds % 1 * 1_000_000))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        sock.settimeout(None)
    except (OSError, struct.error):
        sock.settimeout(seconds)


def answer_bytes(
    status: int, payload: bytes, content_type: str, headers: dict[str, str], close: bool
) -> bytes:
    """The whole answer, head and body, for one write."""
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, '')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(payload)}",
    ]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    if close:
        lines.append("Connection: close")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1", errors="replace") + payload


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def linger_and_close(sock: socket.socket) -> None:
    """Close after an answer sent before the request was read to its end.

    Closing a socket with unread input makes the kernel send a reset, and a client still
    writing its body then sees "connection reset" instead of the answer. So: stop sending
    (FIN), read and discard what the client still sends until it closes its side, goes
    quiet for `LINGER_IDLE_SECONDS`, or `LINGER_SECONDS` / `LINGER_BYTES` run out.
    """
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(LINGER_IDLE_SECONDS)
        deadline = time.monotonic() + LINGER_SECONDS
        drained = 0
        while drained < LINGER_BYTES and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            drained += len(chunk)
    except OSError:
        pass
    finally:
        sock.close()
