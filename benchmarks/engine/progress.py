"""A progress line on stderr for long runs (scan, bench): done/total, rate, ETA, errors."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """A progress line on stderr: done/total, rate, ETA, errors. Redraws in place on a terminal."""

    def __init__(self, total: int | None, label: str, stream: TextIO | None = None, unit: str = "files") -> None:
        self.total, self.label, self.unit = total, label, unit
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.perf_counter()
        self._last = 0.0
        self.done = self.errors = 0

    def update(self, done: int = 1, errors: int = 0) -> None:
        self.done += done
        self.errors += errors
        now = time.perf_counter()
        if now - self._last >= (0.5 if self.tty else 10.0):
            self._last = now
            self._draw(final=False)

    def close(self) -> None:
        self._draw(final=True)

    def _draw(self, *, final: bool) -> None:
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        total = f"/{self.total}" if self.total is not None else ""
        eta = ""
        if self.total and rate > 0 and not final:
            eta = f" ETA {_clock((self.total - self.done) / rate)}"
        line = (
            f"[{self.label}] {self.done}{total} {self.unit} {rate:.2f}/s elapsed {_clock(elapsed)}{eta}"
            f" errors {self.errors}"
        )
        if self.tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
