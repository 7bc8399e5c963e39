"""The HTTP/1.1 request reader, without a server: a head read whole and one read line by
line give the same request, and what cannot be framed is refused with its status."""

from __future__ import annotations

import io
from http import HTTPStatus

import pytest

from reconciler.emulator.wire import MAX_HEADERS, Request, WireError, answer_bytes, read_request


class _Trickle(io.RawIOBase):
    """A connection delivering `data` a few bytes per read, as a slow client sends it."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step = data, step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self.data[: min(self.step, len(buffer))]
        self.data = self.data[len(chunk) :]
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _read(data: bytes, step: int | None = None) -> tuple[Request | None, bytes]:
    """The request read from `data` (whole, or trickled), and what is left after its head."""
    whole = io.BufferedReader(io.BytesIO(data))
    reader = whole if step is None else io.BufferedReader(_Trickle(data, step))
    request = read_request(reader)
    return request, reader.read()


_POST = (
    b"POST /v1/customers?x=1 HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer sk_test_1\r\n"
    b"Content-Length: 6\r\nAuthorization: second\r\n\r\nname=x"
)


@pytest.mark.parametrize("step", [None, 1, 7])
def test_a_head_read_whole_or_in_pieces_is_the_same_request(step: int | None) -> None:
    request, rest = _read(_POST, step)
    assert request == Request(
        "POST",
        "/v1/customers?x=1",
        (1, 1),
        {"host": "h", "authorization": "Bearer sk_test_1", "content-length": "6"},
        keep_alive=True,
    )
    assert request.body_length() == 6
    assert rest == b"name=x"


@pytest.mark.parametrize("step", [None, 3])
def test_bare_line_feeds_and_a_leading_empty_line_are_accepted(step: int | None) -> None:
    request, rest = _read(b"\r\nGET / HTTP/1.0\nConnection: keep-alive\n\nnext", step)
    assert request == Request("GET", "/", (1, 0), {"connection": "keep-alive"}, True)
    assert rest == b"next"


def test_http_1_0_closes_unless_kept_alive_and_close_closes() -> None:
    assert _read(b"GET / HTTP/1.0\r\n\r\n")[0] == Request("GET", "/", (1, 0), {}, False)
    closing, _ = _read(b"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n")
    assert closing is not None and closing.keep_alive is False


def test_the_end_of_the_connection_is_no_request() -> None:
    assert _read(b"") == (None, b"")


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"GET /\r\n\r\n", 400, "Bad request syntax ('GET /')."),
        (b"GET / FTP/1.1\r\n\r\n", 400, "Bad request syntax ('GET / FTP/1.1')."),
        (b"GET / HTTP/2.0\r\n\r\n", 400, "Invalid HTTP version (HTTP/2.0)."),
        (b"GET / HTTP/1.x\r\n\r\n", 400, "Bad request version ('HTTP/1.x')."),
        (b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "Malformed header line ('NoColon')."),
        (b"GET / HTTP/1.1\r\n Folded: x\r\n\r\n", 400, "Malformed header line (' Folded: x')."),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "Request-URI Too Long."),
        (b"GET / HTTP/1.1\r\nX: " + b"b" * 70_000 + b"\r\n\r\n", 431, "Line too long."),
        (
            b"GET / HTTP/1.1\r\n" + b"X: 1\r\n" * (MAX_HEADERS + 1) + b"\r\n",
            431,
            "Too many headers (more than 100).",
        ),
    ],
)
def test_what_cannot_be_framed_is_refused(data: bytes, status: int, message: str) -> None:
    with pytest.raises(WireError) as caught:
        _read(data)
    assert (caught.value.status, caught.value.message) == (status, message)


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({"content-length": "-5"}, 400, "Invalid Content-Length header: '-5'."),
        ({"content-length": "\u00b2"}, 400, "Invalid Content-Length header: '\u00b2'."),
        ({"content-length": str(1 << 21)}, 413, "Request body of 2097152 bytes is over 1048576."),
        (
            {"transfer-encoding": "chunked"},
            400,
            "Transfer-Encoding is not supported; send Content-Length.",
        ),
    ],
)
def test_bodies_that_cannot_be_read_are_refused(
    headers: dict[str, str], status: int, message: str
) -> None:
    with pytest.raises(WireError) as caught:
        Request("POST", "/", (1, 1), headers, True).body_length()
    assert (caught.value.status, caught.value.message) == (status, message)


def test_an_answer_is_one_write_with_its_length() -> None:
    sent = answer_bytes(413, b"{}", "application/json", {"Request-Id": "req_1"}, close=True)
    phrase = HTTPStatus(413).phrase.encode()  # "Content Too Large" from Python 3.13
    assert sent == (
        b"HTTP/1.1 413 " + phrase + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nRequest-Id: req_1\r\nConnection: close\r\n\r\n{}"
    )
