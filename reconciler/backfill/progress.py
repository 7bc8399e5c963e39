"""Progress on stderr while a bulk run works: a one-line bar with rate and ETA redrawn in
place on a terminal (cut to its width, so a redraw never leaves a wrapped line behind), a
plain log line every few seconds otherwise (CI logs, files)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 24


def terminal_width(stream: TextIO) -> int:
    """Columns of the terminal `stream` writes to (COLUMNS, then the terminal, then 80)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return shutil.get_terminal_size().columns


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
        width: Callable[[], int] | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self._stream = stream
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._interval = interval if interval is not None else (0.2 if self._tty else 5.0)
        self._clock = clock
        self._width = width or (lambda: terminal_width(stream))
        self._start = clock()
        self._done = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)

    @property
    def started(self) -> bool:
        return self._thread.ident is not None

    def start(self) -> Progress:
        self._start = self._clock()  # the rate counts from here, not from construction
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
            # One column short of the width: a full line would wrap on some terminals.
            shown = self.line()[: max(1, self._width() - 1)]
            self._stream.write("\r\x1b[2K" + shown + ("\n" if final else ""))
        else:
            self._stream.write(self.line() + "\n")
        self._stream.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._write(final=False)

    def close(self) -> None:
        """Stop reporting and write the final line (once, however often it is called)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._write(final=True)


def handover(first: Progress, second: Progress) -> Callable[[int], None]:
    """`second.advance`, which on its first call closes `first` and starts `second`: two
    phases of a run (reading, then writing) each get a live line, one at a time."""
    lock = threading.Lock()

    def advance(amount: int = 1) -> None:
        if not second.started:
            with lock:
                if not second.started:
                    first.close()
                    second.start()
        second.advance(amount)

    return advance
