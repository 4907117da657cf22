"""A lock between processes on one machine (or one shared file system): ``flock`` on a lock file.

The kernel holds the lock for the open file, so a process that dies in any way (an exception, SIGKILL, a lost
node's worker) releases it; nothing is left to clean up. Separate opens conflict too, so two threads of one
process also take turns. Where ``flock`` is unavailable (no ``fcntl`` module, a file system that refuses it), the
lock is skipped: callers must stay correct without it (the run store does: its writes are atomic renames), the
lock only saves repeating work.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder, file_lock(Path(folder) / "run.lock") as held:
    ...     held  # True: locked (False only where the system has no locks)
    True
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None


@contextmanager
def file_lock(path: str | Path) -> Iterator[bool]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block, waiting while another process
    holds it. Yields True when locked, False when locking is unavailable here (the block then runs unlocked)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        fd = None
    if fd is None or fcntl is None:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held = True
        except OSError:  # e.g. ENOLCK on a file system without locks
            held = False
        yield held
    finally:
        os.close(fd)  # closing the last descriptor releases the lock
