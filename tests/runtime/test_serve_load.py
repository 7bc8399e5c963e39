"""`reconciler serve` as a real process under a burst and under slow clients: 1,000 deliveries
at once, 200 clients trickling bytes, and a silent client closed after the client timeout."""

from __future__ import annotations

import http.client
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from reconciler.runtime.store import open_store
from reconciler.runtime.sync_queue import QUEUE
from reconciler.testing import EmulatorControl
from tests.runtime.conftest import PLANS_DIR
from tests.runtime.serving import start_serve
from tests.runtime.test_webhooks import event, signed

SECRET = "whsec_serve_load"
CLIENT_TIMEOUT = 2  # seconds (60 by default); the tests below must not wait a minute


@dataclass
class Serving:
    port: int
    process: subprocess.Popen[bytes]
    redis_url: str


@pytest.fixture
def serving(emulator: EmulatorControl, redis_url: str, tmp_path: Path) -> Iterator[Serving]:
    redis.Redis.from_url(redis_url).flushdb()
    args = ["--plans", str(PLANS_DIR), "--client-timeout", str(CLIENT_TIMEOUT),
            "--stripe-rate", "500"]  # fmt: skip
    port, process = start_serve(
        args,
        emulator_url=emulator.url,
        redis_url=redis_url,
        secret=SECRET,
        log=tmp_path / "serve.log",
        cwd=tmp_path,
    )
    try:
        yield Serving(port, process, redis_url)
    finally:
        process.terminate()
        process.wait(timeout=10)


def deliver(port: int, payload: bytes, start: threading.Barrier) -> int | str:
    """One delivery as Stripe makes it: the status, or the name of the connection error."""
    headers = {"Content-Type": "application/json", "Stripe-Signature": signed(payload, SECRET)}
    start.wait()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/stripe/webhook", body=payload, headers=headers)
        return connection.getresponse().status
    except OSError as exc:
        return type(exc).__name__
    finally:
        connection.close()


def test_1000_simultaneous_deliveries_are_all_answered_200(serving: Serving) -> None:
    payloads = [
        event(f"evt_burst_{n}", "invoice.paid", {"customer": f"cus_burst_{n % 100}"})
        for n in range(1000)
    ]
    answers: list[int | str] = [0] * len(payloads)
    start = threading.Barrier(len(payloads))

    def send(n: int) -> None:
        answers[n] = deliver(serving.port, payloads[n], start)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(answers) == {200: 1000}
    # The re-reads happen after the answers, from the queue; it drains (these customers are
    # unknown to Stripe, so each is read, logged as ignored and dropped).
    store = open_store(serving.redis_url)
    deadline = time.monotonic() + 60
    while store.queue_length(QUEUE) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert store.queue_length(QUEUE) == 0
    store.close()


def test_healthz_answers_while_200_slow_clients_trickle_bytes(serving: Serving) -> None:
    body = event("evt_slow", "invoice.paid", {"customer": "cus_slow"})
    head = (
        "POST /stripe/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Stripe-Signature: {signed(body, SECRET)}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    request = head + body
    slow = [socket.create_connection(("127.0.0.1", serving.port), timeout=10) for _ in range(200)]
    try:
        # Each client sends a byte every 0.2 s: longer in all than the client timeout, but
        # never silent for it, so none is closed; none finishes its request either.
        for sent in range(15):
            for client in slow:
                client.sendall(request[sent : sent + 1])
            if sent % 3 == 0:
                health = http.client.HTTPConnection("127.0.0.1", serving.port, timeout=2)
                health.request("GET", "/healthz")
                answer = health.getresponse()
                assert (answer.status, answer.read()) == (200, b'{"status": "ok"}')
                health.close()
            time.sleep(0.2)
    finally:
        for client in slow:
            client.close()


def test_a_silent_client_is_closed_after_the_client_timeout(serving: Serving) -> None:
    silent = socket.create_connection(("127.0.0.1", serving.port), timeout=CLIENT_TIMEOUT + 10)
    started = time.monotonic()
    try:
        assert silent.recv(1) == b""  # the server closed the connection
    finally:
        silent.close()
    assert time.monotonic() - started >= CLIENT_TIMEOUT - 0.5
