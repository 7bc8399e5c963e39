"""How fast the Stripe emulator answers, next to a bare stdlib HTTP server.

Run: .venv/bin/python benchmarks/emulator_speed.py [--seconds 3] [--threads 8]

Both servers run in their own process (as `reconciler emulator` does), so the
client threads here do not share a GIL with them. Figures printed:
  * baseline: a bare `http.server` JSON endpoint (HTTP/1.1 keep-alive, threaded,
    one write per answer), hit by `requests` sessions from N threads;
  * emulator, raw: GET /v1/products/<id> with `requests` sessions from N threads;
  * emulator, SDK: `client.v1.products.retrieve` through the official SDK from N threads;
  * paging: 10,000 seeded products walked with `limit=100`, through the SDK and
    with plain `requests` (the difference is the SDK's own object building).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
import stripe

from reconciler.testing import EmulatorControl

KEY = "sk_test_benchmark"


class _Echo(BaseHTTPRequestHandler):
    """The baseline: the smallest keep-alive JSON answer the stdlib server can give."""

    protocol_version = "HTTP/1.1"
    # Buffered writes send headers and body together, as the emulator does.
    wbufsize = io.DEFAULT_BUFFER_SIZE

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = json.dumps({"id": "prod_echo", "object": "product"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve_echo() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    print(
        f"STRIPE_API_BASE=http://127.0.0.1:{server.server_address[1]}", flush=True, file=sys.stderr
    )
    server.serve_forever()


@contextmanager
def _server(command: list[str]) -> Iterator[str]:
    """Start a server process and yield the base URL it announces on stderr."""
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    found = re.search(r"STRIPE_API_BASE=(\S+)", process.stderr.readline())
    assert found, "the server did not announce its URL"
    try:
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _rate(threads: int, seconds: float, make_call: Callable[[], Callable[[], None]]) -> float:
    """Requests per second from `threads` workers each calling its own `make_call()`."""
    counts = [0] * threads
    start = threading.Barrier(threads + 1)
    deadline = [0.0]

    def work(index: int) -> None:
        call = make_call()
        call()
        start.wait()
        while time.perf_counter() < deadline[0]:
            call()
            counts[index] += 1

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    deadline[0] = time.perf_counter() + seconds + 0.05
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - began)


def _raw_getter(url: str) -> Callable[[], Callable[[], None]]:
    def make() -> Callable[[], None]:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {KEY}"

        def call() -> None:
            session.get(url).raise_for_status()

        return call

    return make


def _page_raw(url: str) -> int:
    """Walk every product with plain requests, to separate server from SDK cost."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {KEY}"
    seen, cursor = 0, None
    while True:
        params = {"limit": "100", **({"starting_after": cursor} if cursor else {})}
        page = session.get(f"{url}/v1/products", params=params).json()
        seen += len(page["data"])
        if not page["has_more"]:
            return seen
        cursor = page["data"][-1]["id"]


def _sdk(base: str) -> stripe.StripeClient:
    return stripe.StripeClient(KEY, base_addresses={"api": base}, max_network_retries=0)


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure the Stripe emulator's speed.")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--serve-echo", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_echo:
        _serve_echo()
        return

    with _server([sys.executable, __file__, "--serve-echo"]) as echo_url:
        baseline = _rate(options.threads, options.seconds, _raw_getter(f"{echo_url}/"))

    emulator_command = [sys.executable, "-m", "reconciler", "emulator", "--port", "0"]
    with _server(emulator_command) as url:
        client = _sdk(url)
        product = client.v1.products.create(params={"name": "Benchmark"})
        raw = _rate(
            options.threads, options.seconds, _raw_getter(f"{url}/v1/products/{product.id}")
        )

        def make_sdk_call() -> Callable[[], None]:
            own = _sdk(url)

            def call() -> None:
                own.v1.products.retrieve(product.id)

            return call

        sdk = _rate(options.threads, options.seconds, make_sdk_call)

        control = EmulatorControl(url)
        seeded = time.perf_counter()
        control._call("POST", "seed/products", {"count": options.products})
        seed_seconds = time.perf_counter() - seeded
        paged = time.perf_counter()
        walked = sum(1 for _ in client.v1.products.list(params={"limit": 100}).auto_paging_iter())
        page_seconds = time.perf_counter() - paged
        raw_paged = time.perf_counter()
        raw_walked = _page_raw(url)
        raw_page_seconds = time.perf_counter() - raw_paged

    print(f"threads: {options.threads}, seconds per run: {options.seconds}")
    print(f"baseline  bare http.server echo, requests:  {baseline:8.0f} req/s")
    print(
        f"emulator  GET /v1/products/:id, requests:   {raw:8.0f} req/s "
        f"({raw / baseline:.2f} of baseline)"
    )
    print(
        f"emulator  products.retrieve via the SDK:    {sdk:8.0f} req/s "
        f"({sdk / baseline:.2f} of baseline)"
    )
    print(
        f"seed      {options.products} products via /_emulator/seed/products: {seed_seconds:.2f} s"
    )
    print(f"paging    {walked} products, limit=100, SDK auto-paging: {page_seconds:.2f} s")
    print(
        f"paging    {raw_walked} products, limit=100, requests + starting_after: "
        f"{raw_page_seconds:.2f} s"
    )


if __name__ == "__main__":
    main()
