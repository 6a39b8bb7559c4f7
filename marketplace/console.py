"""Progress for long work in the terminal: one line per stage, redrawn in place on a TTY."""

import sys
import time
from typing import TextIO


class StageProgress:
    """A ``progress(stage, done, total)`` callback that prints stages and their counts."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.interactive = self.stream.isatty()
        self._stage: str | None = None
        self._started = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self._finish_line()
            self._stage = stage
        finished = done >= total
        if not (self.interactive or finished):
            return  # in logs, one line per finished stage is enough
        percent = 100 * done // total if total else 100
        line = f"  {stage:<28} {done:>9,}/{total:<9,} {percent:3d}%"
        if self.interactive:
            self.stream.write("\r" + line)
            if finished:
                self.stream.write("\n")
                self._stage = None
        else:
            self.stream.write(line + "\n")
            self._stage = None
        self.stream.flush()

    def _finish_line(self) -> None:
        if self._stage is not None and self.interactive:
            self.stream.write("\n")

    def elapsed(self) -> float:
        return time.perf_counter() - self._started
