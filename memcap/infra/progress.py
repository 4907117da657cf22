"""Progress a user can see while a chapter runs: runs done out of total, the current run's metric, time left.

A chapter runs in a notebook kernel, whose output belongs to the notebook (and so to the book). Progress takes
another path: when ``$MEMCAP_PROGRESS`` names a file, sweeps and the runs they train append one JSON line per event
to it (from the kernel and from its worker processes alike), and :class:`Watcher`, started by ``memcap run`` /
``memcap book`` in the terminal's process, turns them into status lines there. Nothing of it reaches a notebook.

Events (every line has ``time``, seconds since the epoch, and ``pid``):

* ``{"event": "sweep", "total": T, "stored": S}`` — a sweep starts: T distinct runs, S already in the store;
* ``{"event": "run", "label": ..., "step": i, "max_steps": n, "metric_name": ..., "metric": x}`` — a run's metric;
* ``{"event": "done", "label": ..., "bits_per_param": b}`` — a run finished and is stored.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENV = "MEMCAP_PROGRESS"


def emit(event: str, **fields: Any) -> None:
    """Append one event to $MEMCAP_PROGRESS, if set (one short line, written with one call: lines from several
    processes do not interleave)."""
    path = os.environ.get(ENV, "").strip()
    if not path:
        return
    line = json.dumps({"event": event, "time": time.time(), "pid": os.getpid(), **fields}, default=str) + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError:
        pass  # progress is a courtesy: it never stops a run


def run_reporter(label: str, every_seconds: float = 5.0) -> Callable[..., None] | None:
    """A ``progress`` callable for :func:`memcap.engine.train.train_models` that emits ``run`` events at most every
    ``every_seconds``; None when $MEMCAP_PROGRESS is not set."""
    if not os.environ.get(ENV, "").strip():
        return None
    last = [0.0]

    def report(**fields: Any) -> None:
        now = time.time()
        if now - last[0] >= every_seconds or fields.get("step") == fields.get("max_steps"):
            last[0] = now
            emit("run", label=label, **fields)

    return report


class Watcher:
    """Reads a progress file as it grows and prints status lines to ``write`` (by default above papermill's cell
    bar, through ``tqdm.write``): at a sweep's start, at every finished run (with an estimate of the time left from
    the runs finished so far), and for the runs in training at most every ``every_seconds``."""

    def __init__(self, path: str | Path, prefix: str = "", write: Callable[[str], None] | None = None,
                 every_seconds: float = 30.0, poll_seconds: float = 1.0):
        self.path, self.prefix, self.every, self.poll = Path(path), prefix, every_seconds, poll_seconds
        if write is None:
            import sys

            from tqdm import tqdm

            def write(line: str) -> None:  # above papermill's bar, on the terminal's error stream as it is
                tqdm.write(line, file=sys.stderr)

        self.write = write
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="memcap-progress", daemon=True)
        self._offset = 0
        self.total = self.stored = self.done = 0
        self.started = None
        self._last_run_line = 0.0

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.read()  # the last events

    def _loop(self) -> None:
        while not self._stop.wait(self.poll):
            self.read()

    def read(self) -> None:
        """Handle the events written since the last call."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n") + 1  # a line still being written waits for the next call
        self._offset += end
        for raw in data[:end].splitlines():
            try:
                self.handle(json.loads(raw))
            except (ValueError, KeyError, TypeError):
                continue

    def handle(self, e: dict) -> None:
        kind = e["event"]
        if kind == "sweep":
            self.total, self.stored, self.done, self.started = e["total"], e["stored"], 0, e["time"]
            self.write(f"{self.prefix}sweep: {self.total} runs, {self.stored} already stored, "
                       f"{self.total - self.stored} to train")
        elif kind == "done":
            self.done += 1
            todo = self.total - self.stored
            line = f"{self.prefix}{self.stored + self.done}/{self.total} runs stored; {e['label']}"
            if e.get("bits_per_param") is not None:
                line += f": {e['bits_per_param']:.2f} bits/param"
            if self.started is not None and 0 < self.done < todo:
                left = (e["time"] - self.started) / self.done * (todo - self.done)
                line += f"; about {format_seconds(left)} left"
            self.write(line)
        elif kind == "run" and e["time"] - self._last_run_line >= self.every:
            self._last_run_line = e["time"]
            self.write(f"{self.prefix}training {e['label']}: step {e['step']:,}/{e['max_steps']:,}, "
                       f"{e['metric_name']} {e['metric']:,.0f}")


def format_seconds(seconds: float) -> str:
    """``75`` -> ``1 min 15 s``; ``4000`` -> ``1 h 7 min``.

        >>> format_seconds(75), format_seconds(4000), format_seconds(9)
        ('1 min 15 s', '1 h 7 min', '9 s')
    """
    s = int(round(seconds))
    if s >= 3600:
        m = int(round(s / 60))  # to the nearest minute
        return f"{m // 60} h {m % 60} min"
    if s >= 60:
        return f"{s // 60} min {s % 60} s"
    return f"{s} s"
