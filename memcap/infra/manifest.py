"""A folder's manifest: the size and sha256 of each file in it, written last, so that it also marks the folder
complete. A reader checks sizes cheaply (a few ``stat`` calls) and hashes only the files it reads.

``checksums.json``::

    {"files": {"metrics.json": {"bytes": 42, "sha256": "9f86d08..."}, ...}}

The sha256 of a file is :func:`memcap.infra.files.sha256_file`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from memcap.infra.files import sha256_file, write_bytes_atomic

MANIFEST = "checksums.json"


def write_manifest(folder: Path) -> None:
    """Record every file of ``folder`` (not its sub-folders) in ``folder/checksums.json``, written atomically (into
    the folder as it is: one that has gone is not made again)."""
    files = {p.name: {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
             for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST and not p.name.startswith(".")}
    write_bytes_atomic(folder / MANIFEST, (json.dumps({"files": files}, indent=1, sort_keys=True) + "\n").encode(),
                       make_parents=False)


def read_manifest(folder: Path) -> dict[str, dict] | None:
    """``{file name: {"bytes", "sha256"}}`` from ``folder``'s manifest; None when it has none; ValueError when it
    does not parse."""
    try:
        raw = (folder / MANIFEST).read_bytes()
    except FileNotFoundError:
        return None
    try:
        files = json.loads(raw)["files"]
        if not all(isinstance(e["bytes"], int) and isinstance(e["sha256"], str) for e in files.values()):
            raise TypeError
        return files
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValueError(f"{MANIFEST} does not parse") from None


def manifest_problem(folder: Path, files: dict[str, dict], required: Iterable[str] = (),
                     hashed: Iterable[str] = ()) -> str | None:
    """Why ``folder`` is not as its manifest ``files`` records, in a few words naming the file; None when every
    recorded file is there at its recorded size, every ``required`` one is recorded, and those in ``hashed`` also
    have their recorded sha256."""
    for name in required:
        if name not in files:
            return f"{name} is not in its {MANIFEST}"
    for name, entry in sorted(files.items()):
        try:
            size = (folder / name).stat().st_size
        except FileNotFoundError:
            return f"{name} is missing"
        if size != entry["bytes"]:
            return f"{name} has {size} bytes where {entry['bytes']} were stored"
    for name in hashed:
        if name in files and sha256_file(folder / name) != files[name]["sha256"]:
            return f"{name} does not match the sha256 recorded when it was stored"
    return None
