"""Helpers for tests, benchmarks and the demo: a throwaway redis-server and the emulator's
control endpoints. Uses only the standard library (no pytest), so scripts can import it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")


def refuse_live_keys(environ: dict[str, str] | None = None) -> str | None:
    """The name of an environment variable holding a live Stripe key, if any."""
    env = os.environ if environ is None else environ
    for name, value in env.items():
        if "STRIPE" in name and value.strip().startswith(LIVE_KEY_PREFIXES):
            return name
    return None


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll for something delivered asynchronously (an invalidation, a queued re-read),
    failing after `timeout` seconds: a bound, not a timing assertion."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers_as(port: int, pid: int) -> bool:
    """True when the redis-server on `port` is the process `pid` (not another session's)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"INFO server\r\n")
            reply = b""
            while b"process_id:" not in reply or not reply.endswith(b"\r\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
    except OSError:
        return False
    return f"process_id:{pid}\r\n".encode() in reply


def _start_redis(
    binary: str, workdir: str, extra_args: tuple[str, ...]
) -> tuple[subprocess.Popen[bytes], int]:
    """A redis-server of our own on a free port. A port is free when chosen but may be taken
    before the server binds it (another test session): then try another one."""
    for _ in range(5):
        port = free_port()
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", workdir, *extra_args]  # fmt: skip
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            if _answers_as(port, process.pid):
                return process, port
            time.sleep(0.05)
        process.terminate()
        process.wait(timeout=10)
    raise RuntimeError("redis-server did not start on any of 5 free ports")


@contextmanager
def redis_process(
    extra_args: tuple[str, ...] = (),
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start a private redis-server on a free loopback port; yields its `redis://` URL and
    its process (fault tests stop and resume it)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (scripts/test installs it)")
    workdir = tempfile.mkdtemp(prefix="reconciler-redis-")
    try:
        process, port = _start_redis(binary, workdir, extra_args)
        try:
            yield f"redis://127.0.0.1:{port}/0", process
        finally:
            process.terminate()
            process.wait(timeout=10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def redis_server(extra_args: tuple[str, ...] = ()) -> Iterator[str]:
    """Start a private redis-server on a free loopback port; yields its `redis://` URL."""
    with redis_process(extra_args) as (url, _process):
        yield url


class EmulatorControl:
    """The emulator's `/_emulator/` endpoints, for tests and benchmarks."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def faults(self, **settings: Any) -> None:
        self._call("POST", "faults", settings)

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def counters(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "counters")
        return result

    def reset_counters(self) -> None:
        self._call("POST", "counters/reset", {})

    def now(self) -> int:
        return int(self._call("GET", "clock")["now"])

    def save_portal_settings(self) -> str:
        """Play saving the customer portal settings in the Dashboard: the account gets its
        default Billing Portal configuration (API-created ones are never the default)."""
        return str(self._call("POST", "billing_portal/dashboard", {})["id"])

    def advance(self, seconds: int) -> int:
        return int(self._call("POST", "clock/advance", {"seconds": seconds})["now"])

    def complete_checkout(self, session_id: str, payment_method: str = "pm_card_visa") -> Any:
        body = {"payment_method": payment_method}
        return self._call("POST", f"checkout/sessions/{session_id}/complete", body)

    def flush_webhooks(self) -> int:
        return int(self._call("POST", "webhooks/flush", {})["pending"])


class LocalCluster:
    """A Redis Cluster of primaries on loopback ports, each in a folder of its own (its
    `nodes.conf`), so a node can be stopped and started again on the same port."""

    def __init__(self, binary: str, nodes: int) -> None:
        self._binary = binary
        self._dirs = [tempfile.mkdtemp(prefix="reconciler-cluster-") for _ in range(nodes)]
        self._processes: list[subprocess.Popen[bytes] | None] = [None] * nodes
        self.ports: list[int] = [0] * nodes
        # The cluster bus defaults to port + 10000, past 65535 for a high free port: each
        # node gets its own free bus port instead.
        self._bus_ports = [free_port() for _ in range(nodes)]

    @property
    def url(self) -> str:
        """The store URL: any node is a seed."""
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    def node_url(self, index: int) -> str:
        return f"redis://127.0.0.1:{self.ports[index]}/0"

    def _args(self, index: int) -> tuple[str, ...]:
        return ("--cluster-enabled", "yes", "--cluster-node-timeout", "2000",
                "--cluster-port", str(self._bus_ports[index]))  # fmt: skip

    def start(self, index: int) -> None:
        """Start node `index` (on the port it had, if it ran before)."""
        if not self.ports[index]:
            process, self.ports[index] = _start_redis(
                self._binary, self._dirs[index], self._args(index)
            )
            self._processes[index] = process
            return
        port = self.ports[index]
        args = [self._binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", self._dirs[index], *self._args(index)]  # fmt: skip
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._processes[index] = process
        deadline = time.monotonic() + 10
        while not _answers_as(port, process.pid):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start again on port {port}")
            time.sleep(0.05)

    def stop(self, index: int) -> None:
        process = self._processes[index]
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
            self._processes[index] = None

    def create(self) -> None:
        """Join the nodes into one cluster, slots spread evenly, and wait until it is ok."""
        nodes = [f"127.0.0.1:{port}" for port in self.ports]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *nodes, "--cluster-replicas", "0",
             "--cluster-yes"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        self.wait_ok()

    def wait_ok(self, timeout: float = 30.0) -> None:
        """Wait until every node reports cluster_state:ok."""
        deadline = time.monotonic() + timeout
        for port in self.ports:
            while True:
                info = subprocess.run(
                    ["redis-cli", "-p", str(port), "cluster", "info"],
                    capture_output=True, text=True, timeout=10,
                ).stdout  # fmt: skip
                if "cluster_state:ok" in info:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the cluster node on {port} did not reach state ok")
                time.sleep(0.1)

    def _cli(self, index: int, *args: str) -> str:
        done = subprocess.run(
            ["redis-cli", "-p", str(self.ports[index]), *args],
            check=True, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        return done.stdout.strip()

    def owner(self, slot: int) -> int:
        """The index of the node serving `slot`."""
        for index in range(len(self.ports)):
            for line in self._cli(index, "cluster", "nodes").splitlines():
                fields = line.split()
                if "myself" not in fields[2]:
                    continue
                for part in fields[8:]:
                    first, _, last = part.partition("-")
                    if part[0].isdigit() and int(first) <= slot <= int(last or first):
                        return index
        raise RuntimeError(f"no node serves slot {slot}")

    def move_slot(self, slot: int, to: int) -> None:
        """Reshard: move `slot` and its keys to node `to`, as `redis-cli --cluster reshard`
        does (IMPORTING/MIGRATING, MIGRATE of its keys, then SETSLOT NODE everywhere)."""
        source = self.owner(slot)
        ids = [self._cli(i, "cluster", "myid") for i in range(len(self.ports))]
        self._cli(to, "cluster", "setslot", str(slot), "importing", ids[source])
        self._cli(source, "cluster", "setslot", str(slot), "migrating", ids[to])
        while True:
            moving = self._cli(source, "cluster", "getkeysinslot", str(slot), "100").split()
            if not moving:
                break
            self._cli(source, "migrate", "127.0.0.1", str(self.ports[to]), "", "0", "5000",
                      "keys", *moving)  # fmt: skip
        for index in range(len(self.ports)):
            self._cli(index, "cluster", "setslot", str(slot), "node", ids[to])

    def flushall(self) -> None:
        """Empty every node (between tests)."""
        for port in self.ports:
            subprocess.run(["redis-cli", "-p", str(port), "flushall"], check=True,
                           capture_output=True, timeout=10)  # fmt: skip

    def close(self) -> None:
        for index in range(len(self._processes)):
            self.stop(index)
        for folder in self._dirs:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def redis_cluster(nodes: int = 3) -> Iterator[LocalCluster]:
    """A private Redis Cluster of `nodes` primaries on free loopback ports (needs
    redis-server and redis-cli); stopped and removed at the end."""
    binary = shutil.which("redis-server")
    if binary is None or shutil.which("redis-cli") is None:
        raise RuntimeError("redis-server and redis-cli are needed (scripts/test installs them)")
    cluster = LocalCluster(binary, nodes)
    try:
        for index in range(nodes):
            cluster.start(index)
        cluster.create()
        yield cluster
    finally:
        cluster.close()
