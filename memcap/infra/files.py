"""Files: written so that a reader never sees half of one (write beside the target, then rename), and their sha256.

Files are created with the modes any other program gives them: ``0o666`` and folders ``0o777``, less the user's
umask (``0o644`` and ``0o755`` under the usual umask ``022``), so a shared store or build folder is readable by the
others it is shared with. (``tempfile`` alone would leave ``0o600`` files and ``0o700`` folders.)
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

_umask_lock = threading.Lock()


def umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux), e.g. ``0o022``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:  # elsewhere the only way to read it is to set it, and set it back
        old = os.umask(0o077)
        os.umask(old)
    return old


def file_mode() -> int:
    """The mode of a new file: ``0o666`` less the umask (``0o644`` under umask ``022``)."""
    return 0o666 & ~umask()


def folder_mode() -> int:
    """The mode of a new folder: ``0o777`` less the umask (``0o755`` under umask ``022``)."""
    return 0o777 & ~umask()


def write_bytes_atomic(path: str | Path, data: bytes, make_parents: bool = True) -> None:
    """Write ``data`` to ``path`` atomically: a crash leaves the old file or none, never a torn one. The folder is
    created unless ``make_parents`` is False (then a missing folder is a FileNotFoundError)."""
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), file_mode())  # mkstemp makes it private (0o600)
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX and Windows when on the same file system
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    write_bytes_atomic(path, (json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n").encode())


def sha256_file(path: str | Path) -> str:
    """The sha256 of a file's bytes as 64 hex digits, read in blocks of 1 MiB (a corpus archive need not fit in
    memory).

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = Path(folder) / "f"
        ...     _ = path.write_bytes(b"test")
        ...     sha256_file(path)
        '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
