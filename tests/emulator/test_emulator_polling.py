"""Polling a quick client's connection: when a read polls, what it returns, and a server
that polls answering exactly as one that sleeps."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from reconciler.emulator import RunningEmulator, create_server
from reconciler.emulator.polling import SUPPORTED, PollingInput, WaitPolicy, another_cpu

pytestmark = pytest.mark.skipif(not SUPPORTED, reason="polling needs MSG_DONTWAIT")
T = TypeVar("T")


def test_a_read_polls_only_after_a_wait_shorter_than_the_window() -> None:
    policy = WaitPolicy(window=0.001)
    assert not policy.polls()  # nothing is known of the client yet
    policy.waited(0.0004)
    assert policy.polls()
    policy.waited(0.002)
    assert not policy.polls()
    policy.waited(0.001)  # a wait as long as the window is not quick
    assert not policy.polls()
    assert policy.slept == 3


def test_a_window_of_zero_never_polls() -> None:
    policy = WaitPolicy(window=0.0)
    policy.waited(0.0)
    assert not policy.polls()


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def _read(source: PollingInput) -> bytes:
    buffer = bytearray(64)
    return bytes(buffer[: source.readinto(memoryview(buffer))])


def test_the_first_read_sleeps_and_the_next_finds_the_bytes_by_polling(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    source = PollingInput(ours, WaitPolicy(window=5.0), threading.Lock())
    theirs.sendall(b"GET / HTTP/1.1\r\n")
    assert _read(source) == b"GET / HTTP/1.1\r\n"
    assert (source.policy.slept, source.policy.polled) == (1, 0)
    theirs.sendall(b"second")
    assert _read(source) == b"second"
    assert (source.policy.slept, source.policy.polled) == (1, 1)
    theirs.close()
    assert _read(source) == b""  # the end of the stream, found by polling too
    assert (source.policy.slept, source.policy.polled) == (1, 2)


def test_a_poll_that_runs_out_sleeps_and_the_next_read_does_not_poll(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    times = iter([0.0, 0.5, 2.0])  # began, the poll's deadline check, after the sleep

    def clock() -> float:
        now = next(times)
        if now == 0.5:
            theirs.sendall(b"late")  # arrives only once the poll has given up
        return now

    source = PollingInput(ours, WaitPolicy(window=0.25, quick=True), threading.Lock(), clock)
    assert _read(source) == b"late"
    assert (source.policy.slept, source.policy.polled) == (1, 0)
    assert not source.policy.polls()  # it waited 2 s: the client is not quick


def test_only_one_connection_polls_at_a_time(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    turn = threading.Lock()
    source = PollingInput(ours, WaitPolicy(window=5.0, quick=True), turn)
    theirs.sendall(b"ready")
    with turn:  # another connection is polling
        assert _read(source) == b"ready"
    assert (source.policy.slept, source.policy.polled) == (1, 0)


def test_a_thread_confined_to_one_cpu_does_not_poll() -> None:
    assert _on_one_cpu(another_cpu) is False
    assert another_cpu() is (len(os.sched_getaffinity(0)) > 1)


class _Client:
    """One keep-alive connection that sends each request in one write (http.client sends
    a head and its body in two, which a polling read may find apart)."""

    def __init__(self, running: RunningEmulator) -> None:
        self.socket = socket.create_connection((running.host, running.port), timeout=10)
        self.answers = self.socket.makefile("rb")

    def send(self, method: str, path: str, form: str = "") -> tuple[int, dict[str, Any]]:
        head = f"{method} {path} HTTP/1.1\r\nHost: emulator\r\n"
        head += "Authorization: Bearer sk_test_polling\r\n"
        if form:
            head += "Content-Type: application/x-www-form-urlencoded\r\n"
        self.socket.sendall(f"{head}Content-Length: {len(form)}\r\n\r\n{form}".encode())
        status = int(self.answers.readline().split()[1])
        length = 0
        while (line := self.answers.readline()) != b"\r\n":
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return status, json.loads(self.answers.read(length))

    def close(self) -> None:
        self.answers.close()
        self.socket.close()


def test_a_polling_server_answers_a_keep_alive_client_as_one_that_sleeps() -> None:
    with RunningEmulator(create_server(poll_window=1.0)).start() as running:
        client = _Client(running)
        names = []
        for index in range(30):
            status, product = client.send("POST", "/v1/products", f"name=Polled+{index}")
            assert status == 200
            status, fetched = client.send("GET", f"/v1/products/{product['id']}")
            assert status == 200
            names.append(fetched["name"])
        client.close()
        server = running.server
        if another_cpu():
            # The first request's read slept; the other 59 requests and the end of the
            # stream (read twice: peeked, then read as a line) were found by polling (a 1 s
            # window: this client is never that slow).
            _wait_for(lambda: server.reads_polled + server.reads_slept > 0)
            assert (server.reads_slept, server.reads_polled) == (1, 61)
    assert names == [f"Polled {index}" for index in range(30)]


def test_a_server_confined_to_one_cpu_sleeps() -> None:
    def serve() -> list[int]:
        with RunningEmulator(create_server(poll_window=1.0)).start() as running:
            client = _Client(running)
            statuses = [client.send("GET", "/v1/products")[0] for _ in range(5)]
            client.close()
            _wait_for(lambda: running.server.reads_slept > 0)
            return [*statuses, running.server.reads_slept, running.server.reads_polled]

    # Five requests and the end of the stream read twice, every read asleep.
    assert _on_one_cpu(serve) == [200, 200, 200, 200, 200, 7, 0]


def _on_one_cpu(work: Callable[[], T]) -> T:
    """What `work()` returns, run on a thread confined to one CPU (the threads it starts, a
    server's, inherit that)."""
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("CPU affinity is Linux's")
    one = {min(os.sched_getaffinity(0))}
    done: list[T] = []

    def confined() -> None:
        os.sched_setaffinity(0, one)  # this thread only
        done.append(work())

    thread = threading.Thread(target=confined)
    thread.start()
    thread.join()
    assert done, "the confined work raised (its traceback is above)"
    return done[0]


def _wait_for(condition: Callable[[], bool]) -> None:
    """Until a connection's thread has ended and counted its reads (at most 10 s)."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the connection's thread never ended"
        time.sleep(0.001)
