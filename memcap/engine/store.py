"""A results store: every finished run under a key derived from its full configuration.

Layout: ``<root>/<key[:2]>/<key>/`` holding ``config.json``, ``metrics.json``, ``curve.json`` and
``model.safetensors`` (weights as safetensors, never pickle). A run is written into a private temporary
folder and renamed into place in one step, so

* a run is either complete or absent: a half-written one (a crash, Ctrl-C) is never read as finished;
* two sweeps writing at once do not corrupt the store: the first rename wins, the second writer discards
  its identical copy;
* an interrupted sweep resumes: finished runs are found by key and not trained again.

    >>> store = RunStore("/tmp/memcap-doctest-store")
    >>> len(store.key({"n": 1})) == 64
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

STORE_FORMAT = 1  # bump when a stored run's meaning changes; older runs are then simply not found


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


class RunStore:
    """Finished runs on disk, addressed by configuration."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @staticmethod
    def key(config: Mapping[str, Any]) -> str:
        """sha256 of the canonical JSON of ``config`` plus the store format."""
        return hashlib.sha256(canonical_json({"format": STORE_FORMAT, "config": config}).encode()).hexdigest()

    def path(self, config: Mapping[str, Any]) -> Path:
        key = self.key(config)
        return self.root / key[:2] / key

    def has(self, config: Mapping[str, Any]) -> bool:
        return (self.path(config) / "metrics.json").exists()

    def save(
        self,
        config: Mapping[str, Any],
        metrics: Mapping[str, Any],
        curve: list[Mapping[str, Any]] | None = None,
        state_dict: Mapping[str, Any] | None = None,
    ) -> Path:
        """Write a finished run atomically; returns its folder. Keeps an existing identical run."""
        final = self.path(config)
        if final.exists():
            return final
        tmp = self.root / ".tmp" / f"{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        try:
            (tmp / "config.json").write_text(canonical_json(config))
            (tmp / "curve.json").write_text(canonical_json(list(curve or [])))
            if state_dict is not None:
                from safetensors.torch import save_file

                save_file({k: v.detach().contiguous().cpu() for k, v in state_dict.items()}, str(tmp / "model.safetensors"))
            (tmp / "metrics.json").write_text(canonical_json(dict(metrics)))
            for f in tmp.iterdir():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(tmp, final)  # atomic; fails if another writer got there first
            except OSError:
                if not (final / "metrics.json").exists():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return final

    def load(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The stored run: {"config", "metrics", "curve", "path"}; KeyError if it is not finished."""
        folder = self.path(config)
        if not (folder / "metrics.json").exists():
            raise KeyError(f"no finished run in {self.root} for key {folder.name}")
        return {
            "config": json.loads((folder / "config.json").read_text()),
            "metrics": json.loads((folder / "metrics.json").read_text()),
            "curve": json.loads((folder / "curve.json").read_text()),
            "path": folder,
        }

    def load_weights(self, config: Mapping[str, Any]) -> dict:
        from safetensors.torch import load_file

        path = self.path(config) / "model.safetensors"
        if not path.exists():
            raise KeyError(f"no stored weights for key {path.parent.name}")
        return load_file(str(path))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every finished run (for tables spanning sweeps)."""
        for metrics in sorted(self.root.glob("??/*/metrics.json")):
            folder = metrics.parent
            yield {
                "config": json.loads((folder / "config.json").read_text()),
                "metrics": json.loads(metrics.read_text()),
                "path": folder,
            }
