"""Starting and stopping the emulator: in a thread for tests, or in the foreground."""

from __future__ import annotations

import threading
from types import TracebackType

from reconciler.emulator.routes import new_emulator
from reconciler.emulator.server import EmulatorServer
from reconciler.emulator.state import Emulator


class RunningEmulator:
    """A server running in a daemon thread; `.url`, `.port`, `.stop()`, and `with` support."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.emulator = server.emulator
        host, port = server.server_address[:2]
        self.host = host.decode() if isinstance(host, bytes) else str(host)
        self.port = int(port)
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name="stripe-emulator",
        )

    def start(self) -> RunningEmulator:
        self.emulator.webhooks.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.emulator.webhooks.stop()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def create_server(
    host: str = "127.0.0.1",
    port: int = 0,
    emulator: Emulator | None = None,
    poll_window: float = 0.0,
) -> EmulatorServer:
    """Bind a server (port 0 picks a free one) and point object URLs at it; `poll_window`
    is how long a quick client's connection polls for its next request (`polling`)."""
    server = EmulatorServer((host, port), emulator or new_emulator(), poll_window)
    server.emulator.base_url = f"http://{host}:{server.server_address[1]}"
    return server


def run_in_thread(host: str = "127.0.0.1", port: int = 0) -> RunningEmulator:
    """Start an emulator in a daemon thread and return a handle to it."""
    return RunningEmulator(create_server(host, port)).start()
