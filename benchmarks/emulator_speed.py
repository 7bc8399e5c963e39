"""How fast the Stripe emulator answers, next to stripe-stateful-mock and a bare stdlib server.

Run: .venv/bin/python benchmarks/emulator_speed.py [--seconds 3] [--threads 8] [--rounds 5]

Every server runs in its own process (as `reconciler emulator` does), so the
client threads here do not share a GIL with them. Figures printed:
  * the peer: a sequential keep-alive loop (create a customer, retrieve it, create a
    product: three requests on one connection, each answer read and parsed, from a minimal
    HTTP/1.1 client) against the emulator as `reconciler emulator` starts it, the emulator
    with polling off (`--poll-us 0`), and stripe-stateful-mock (the fastest stateful Stripe
    mock on npm), installed in benchmarks/peer/ by `npm ci` from its lockfile and started
    here with its defaults; the three take turns for `--rounds` rounds and the ratios of
    their medians are printed (target >= 2), with each server's CPU time per request
    (Linux). On Linux each round runs twice: with the scheduler free to place client and
    servers (on the 2-CPU VMs this project runs on, waking the server's idle CPU for each
    request costs about 100 us, which the emulator's polling saves; docs/emulator.md) and
    with all of them on one CPU (the loop is sequential, so nothing waits for a second
    CPU: the servers' own work);
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
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import stripe

from reconciler.testing import EmulatorControl

KEY = "sk_test_benchmark"
PEER = Path(__file__).resolve().parent / "peer"
PEER_CLI = PEER / "node_modules" / "stripe-stateful-mock" / "dist" / "cli.js"


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
def _server(command: list[str]) -> Iterator[tuple[str, int]]:
    """Start a server process and yield the base URL it announces on stderr."""
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    found = re.search(r"STRIPE_API_BASE=(\S+)", process.stderr.readline())
    assert found, "the server did not announce its URL"
    try:
        yield found.group(1), process.pid
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


def _install_peer() -> bool:
    """`npm ci` in benchmarks/peer when its node_modules is missing or older than the lock."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return False
    lock, modules = PEER / "package-lock.json", PEER / "node_modules"
    if not modules.is_dir() or modules.stat().st_mtime < lock.stat().st_mtime:
        command = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
        subprocess.run(command, cwd=PEER, check=True, stdout=subprocess.DEVNULL)
        modules.touch()
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _peer() -> Iterator[tuple[str, int]]:
    """stripe-stateful-mock on a free port, with its own default settings."""
    port = _free_port()
    process = subprocess.Popen(
        ["node", str(PEER_CLI)],
        cwd=PEER,
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        assert f"port {port}" in line, f"stripe-stateful-mock did not start: {line!r}"
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


class _KeepAliveClient:
    """A minimal HTTP/1.1 client on one blocking keep-alive connection: the loop's client
    costs little, so the figures are the servers' (http.client's own work per request is
    about the emulator's, and would hide half the difference)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.socket = socket.create_connection((parts.hostname, parts.port))
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.socket.makefile("rb")
        self.head = f"HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {KEY}\r\n"

    def request(self, method: str, path: str, form: str = "") -> bytes:
        """The bytes of one request (built once for the loop's fixed requests)."""
        if method != "POST":
            return f"{method} {path} {self.head}\r\n".encode()
        return (
            f"{method} {path} {self.head}Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(form)}\r\n\r\n{form}"
        ).encode()

    def send(self, request: bytes) -> dict[str, Any]:
        """The parsed JSON answer, which must be a 200."""
        self.socket.sendall(request)
        status = self.reader.readline()[9:12]
        length = 0
        while (line := self.reader.readline()) not in (b"\r\n", b""):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        answer: dict[str, Any] = json.loads(self.reader.read(length))
        assert status == b"200", (request[:60], status, answer)
        return answer

    def close(self) -> None:
        self.reader.close()
        self.socket.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _loop_rate(server: tuple[str, int], seconds: float) -> tuple[float, float]:
    """(requests per second, server CPU microseconds per request) of the sequential
    keep-alive loop: create a customer, retrieve it, create a product."""
    url, pid = server
    client = _KeepAliveClient(url)
    create_customer = client.request("POST", "/v1/customers", "email=loop%40example.com&name=Loop")
    create_product = client.request("POST", "/v1/products", "name=Loop")

    def loop() -> None:
        customer = client.send(create_customer)
        client.send(client.request("GET", f"/v1/customers/{customer['id']}"))
        client.send(create_product)

    for _ in range(200):  # warm up both ends (node compiles its hot paths)
        loop()
    loops = 0
    cpu = _cpu_seconds(pid)
    began = time.perf_counter()
    deadline = began + seconds
    while time.perf_counter() < deadline:
        loop()
        loops += 1
    elapsed = time.perf_counter() - began
    cpu = _cpu_seconds(pid) - cpu
    client.close()
    return 3 * loops / elapsed, cpu / (3 * loops) * 1e6


Rates = list[tuple[float, float]]
# Where the loop runs. A sequential loop never has client and server busy at once, so one
# CPU for all measures the servers' own work; free placement adds what waking a CPU costs.
FREE, ONE_CPU = "free placement", "client and servers on one CPU"
EMULATOR, SLEEPING, MOCK = "emulator", "emulator --poll-us 0", "stripe-stateful-mock"


def _place(pids: list[int], cpus: set[int]) -> None:
    """Run this thread and every thread of the `pids` processes on `cpus`."""
    os.sched_setaffinity(0, cpus)
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            os.sched_setaffinity(int(task.name), cpus)


def _versus_peer(
    servers: dict[str, tuple[str, int]], seconds: float, rounds: int
) -> dict[str, dict[str, Rates]] | None:
    """Per placement and server (those given and the peer), rates and CPU per request,
    measured in turn round after round; None without node."""
    if not _install_peer():
        return None
    pinning = hasattr(os, "sched_setaffinity") and Path("/proc/self/task").is_dir()
    allowed = os.sched_getaffinity(0) if pinning else set()
    placements = {FREE: allowed, ONE_CPU: {min(allowed)}} if pinning else {FREE: allowed}
    found: dict[str, dict[str, Rates]] = {}
    with _peer() as peer:
        every = {**servers, MOCK: peer}
        try:
            for _ in range(rounds):
                for placement, cpus in placements.items():
                    if pinning:
                        _place([pid for _, pid in every.values()], cpus)
                    rates = found.setdefault(placement, {name: [] for name in every})
                    for name, server in every.items():
                        rates[name].append(_loop_rate(server, seconds))
        finally:
            if pinning:
                os.sched_setaffinity(0, allowed)
    return found


def _print_versus(versus: dict[str, dict[str, Rates]] | None) -> None:
    if versus is None:
        print("peer      skipped: node and npm are needed for stripe-stateful-mock")
        return
    print("loop      create a customer, retrieve it, create a product; one connection")
    for placement, servers in versus.items():
        medians = {
            name: statistics.median(rate for rate, _ in runs) for name, runs in servers.items()
        }
        print(f"  {placement}:")
        for name, runs in servers.items():
            cpu = statistics.median(cpu for _, cpu in runs)
            each = ", ".join(f"{r:.0f}" for r, _ in runs)
            print(
                f"    {name:21} {medians[name]:8.0f} req/s, {cpu:4.0f} us CPU per request "
                f"(rounds: {each})"
            )
        for name in (EMULATOR, SLEEPING):
            print(f"    ratio {name} / {MOCK}: {medians[name] / medians[MOCK]:.2f}x")


def _sdk(base: str) -> stripe.StripeClient:
    return stripe.StripeClient(KEY, base_addresses={"api": base}, max_network_retries=0)


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure the Stripe emulator's speed.")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5, help="alternating peer rounds")
    parser.add_argument("--serve-echo", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_echo:
        _serve_echo()
        return

    with _server([sys.executable, __file__, "--serve-echo"]) as (echo_url, _):
        baseline = _rate(options.threads, options.seconds, _raw_getter(f"{echo_url}/"))

    emulator_command = [sys.executable, "-m", "reconciler", "emulator", "--port", "0"]
    with (
        _server(emulator_command) as polling,
        _server([*emulator_command, "--poll-us", "0"]) as sleeping,
    ):
        versus = _versus_peer(
            {EMULATOR: polling, SLEEPING: sleeping}, options.seconds, options.rounds
        )
    with _server(emulator_command) as (url, _):
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
    _print_versus(versus)
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
