"""Waiting for a fast client's next request by polling its connection instead of sleeping.

A sequential client (a test, a script walking the catalog) sends its next request a few
tens of microseconds after reading an answer. A server thread that sleeps in `recv`
meanwhile lets its CPU go idle, and on a virtual machine whose idle CPUs halt (the
`haltpoll` cpuidle driver with `guest_halt_poll_ns=0`, as on the 2-CPU VMs this project
runs on) waking it for that request costs about 100 us, more than the emulator's own
work on it. So a connection whose client answered within `window` seconds last time
polls the socket for up to `window` before sleeping, yielding the CPU on each turn so a
client on the same CPU still runs; one whose client was slower sleeps at once. Like the
kernel's own halt polling, it spends a bounded amount of CPU only where the last wait
says it pays.

A connection whose thread may run on one CPU only never polls (`another_cpu`). Only one
connection of a server polls at a time (`PollingInput.turn`), so threads that are working
are not kept from the GIL by several pollers. The in-thread emulator of the
test suite does not poll at all: it shares its GIL with the client it serves.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.emulator.wire import SocketInput


@dataclass
class WaitPolicy:
    """Whether the next read polls: only after a wait shorter than `window`.

    Pure (it is told how long each wait took), so its decisions are tested without a
    socket."""

    window: float
    quick: bool = False
    polled: int = 0
    slept: int = 0

    def polls(self) -> bool:
        return self.window > 0 and self.quick

    def found_by_polling(self) -> None:
        self.polled += 1

    def waited(self, seconds: float) -> None:
        """A read slept `seconds` (counted from when it began, polling included)."""
        self.slept += 1
        self.quick = seconds < self.window


class PollingInput(SocketInput):
    """`SocketInput` that polls for the next bytes when its `policy` says so; `turn` is
    held by the one connection of the server that is polling."""

    def __init__(
        self,
        sock: socket.socket,
        policy: WaitPolicy,
        turn: threading.Lock,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__(sock)
        self.policy = policy
        self.turn = turn
        self.clock = clock

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        began = self.clock()
        if self.policy.polls() and self.turn.acquire(blocking=False):
            try:
                found = self._poll(buffer, began + self.policy.window)
            finally:
                self.turn.release()
            if found is not None:
                self.policy.found_by_polling()
                return found
        read = self.sock.recv_into(buffer)
        self.policy.waited(self.clock() - began)
        return read

    def _poll(self, buffer: memoryview, until: float) -> int | None:
        """What a read found before `until` (0 at the end of the stream), else None."""
        while True:
            try:
                return self.sock.recv_into(buffer, 0, socket.MSG_DONTWAIT)
            except BlockingIOError:
                if self.clock() >= until:
                    return None
                os.sched_yield()


# Polling needs a non-blocking receive and a yield (POSIX); elsewhere connections sleep.
SUPPORTED = hasattr(socket, "MSG_DONTWAIT") and hasattr(os, "sched_yield")


def another_cpu() -> bool:
    """Whether the calling thread may run on more than one CPU. Confined to one, it shares
    that CPU with any client it could be polling for, which then only runs when it yields:
    polling saves nothing there and costs a yield per turn, so connections sleep."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) > 1
    return (os.cpu_count() or 1) > 1
