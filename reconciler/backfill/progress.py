"""Progress on stderr while a bulk run works: a one-line bar with rate and ETA redrawn in
place on a terminal, a plain log line every few seconds otherwise (CI logs, files)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 24


def format_eta(seconds: float) -> str:
    """`75` -> `1:15`, `3725` -> `1:02:05`."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_line(label: str, done: int, total: int, elapsed: float, bar: bool) -> str:
    """One progress line: `label [#####---] 120/1000 12.0/s ETA 1:13` (no bar when `bar` is
    false)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = format_eta((total - done) / rate) if rate > 0 and total >= done else "?"
    shown = f"{done}/{total}" if total else str(done)
    head = label
    if bar and total:
        filled = int(BAR_WIDTH * min(done, total) / total)
        head += " [" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]"
    return f"{head} {shown} {rate:.1f}/s ETA {eta}"


class Progress:
    """Counts finished items and reports them from a background thread until `close`."""

    def __init__(
        self,
        label: str,
        total: int,
        stream: TextIO,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self._stream = stream
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._interval = interval if interval is not None else (0.2 if self._tty else 5.0)
        self._clock = clock
        self._start = clock()
        self._done = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)

    def start(self) -> Progress:
        self._thread.start()
        return self

    def advance(self, amount: int = 1) -> None:
        with self._lock:
            self._done += amount

    def line(self) -> str:
        with self._lock:
            done = self._done
        return progress_line(self.label, done, self.total, self._clock() - self._start, self._tty)

    def _write(self, final: bool) -> None:
        if self._tty:
            self._stream.write("\r\x1b[2K" + self.line() + ("\n" if final else ""))
        else:
            self._stream.write(self.line() + "\n")
        self._stream.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._write(final=False)

    def close(self) -> None:
        """Stop reporting and write the final line."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._write(final=True)
