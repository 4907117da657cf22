"""A results store: every finished run under a key derived from its full configuration.

Layout: ``<root>/<key[:2]>/<key>/`` holding ``config.json``, ``metrics.json``, ``curve.json``,
``model.safetensors`` (weights as safetensors, never pickle) and ``checksums.json``, the size and sha256 of each
of them (:mod:`memcap.infra.manifest`), written last. A run is written into a private temporary folder and
renamed into place in one step, so

* a run is either complete or absent: a half-written one (a crash, Ctrl-C) is never read as finished;
* two sweeps writing at once do not corrupt the store: the first rename wins, the second writer discards
  its identical copy; a sweep also takes a lock per run (:meth:`RunStore.lock`), so the second waits for the
  first's run and reads it instead of training it again;
* an interrupted sweep resumes: finished runs are found by key and not trained again.

Nothing damaged is used. :meth:`RunStore.has` checks that every recorded file is there at its recorded size (a
few ``stat`` calls): an entry that fails is absent, so a sweep trains it again and :meth:`RunStore.save` moves the
damaged copy to ``<root>/.damaged/``, saying so in one line. Reading checks the sha256 of what it reads
(:meth:`~RunStore.load` the JSON files, :meth:`~RunStore.load_weights` the weights): a mismatch raises
:class:`DamagedRun`, naming the folder, the file and the fix. Runs stored before checksums were recorded are
accepted when their files parse and their config matches their key; their checksums are recorded then.

    >>> store = RunStore("/tmp/memcap-doctest-store")
    >>> len(store.key({"n": 1})) == 64
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from memcap.infra.files import file_mode
from memcap.infra.locks import file_lock
from memcap.infra.manifest import MANIFEST, manifest_problem, read_manifest, write_manifest

STORE_FORMAT = 1  # bump when a stored run's meaning changes; older runs are then simply not found
JSON_FILES = ("config.json", "metrics.json", "curve.json")  # every run has these; weights are optional
WEIGHTS = "model.safetensors"


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


class DamagedRun(KeyError):
    """A stored run that cannot be used as it is. A KeyError, like a run that is absent, so callers that train
    what is missing keep working; the message is one line naming the folder, the file and the fix."""

    def __init__(self, folder: Path, problem: str):
        super().__init__(f"the stored run {folder} is damaged: {problem}; delete that folder and re-run to train "
                         f"it again")
        self.folder, self.problem = folder, problem

    def __str__(self) -> str:  # KeyError would quote it
        return str(self.args[0])


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
        """Whether the run is stored whole: every recorded file there, at its recorded size."""
        folder = self.path(config)
        return folder.is_dir() and self._problem(folder) is None

    def check(self, writable: bool = True) -> None:
        """Fail at once, in one line naming the path, unless the store's folder exists or can be made, and (when
        ``writable``) a file can be written in it. A read-only store can still be read from."""
        root = self.root
        there = root
        while not there.exists() and there != there.parent:
            there = there.parent
        if there.exists() and not there.is_dir():
            raise NotADirectoryError(f"the run store {root} cannot be a folder: {there} is a file")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise PermissionError(f"the run store {root} cannot be made in {there}: {err.strerror}") from None
        if not writable:
            return
        try:
            (root / ".tmp").mkdir(exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=root / ".tmp", prefix=".probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as err:
            raise PermissionError(f"the run store {root} is not writable ({err.strerror}): runs could not be "
                                  f"stored; choose another store folder") from None

    def lock(self, config: Mapping[str, Any]) -> AbstractContextManager[bool]:
        """A lock on one run for ``with``, between processes: whoever holds it checks, trains and saves the run;
        another waits, then finds it stored. Released when the holder leaves the block or dies."""
        return file_lock(self.root / ".locks" / f"{self.key(config)}.lock")

    def save(
        self,
        config: Mapping[str, Any],
        metrics: Mapping[str, Any],
        curve: list[Mapping[str, Any]] | None = None,
        state_dict: Mapping[str, Any] | None = None,
    ) -> Path:
        """Write a finished run atomically; returns its folder. Keeps an existing whole run; replaces a damaged
        one (moved to ``<root>/.damaged/``, with one line on stderr saying so)."""
        final = self.path(config)
        if final.is_dir() and self._problem(final) is None:
            return final
        tmp = self.root / ".tmp" / f"{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        try:
            (tmp / "config.json").write_text(canonical_json(config))
            (tmp / "curve.json").write_text(canonical_json(list(curve or [])))
            if state_dict is not None:
                from safetensors.torch import save_file

                save_file({k: v.detach().contiguous().cpu() for k, v in state_dict.items()}, str(tmp / WEIGHTS))
            (tmp / "metrics.json").write_text(canonical_json(dict(metrics)))
            for f in tmp.iterdir():
                os.chmod(f, file_mode())  # safetensors writes 0o600: a shared store must be readable
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
            write_manifest(tmp)  # last: its presence marks the run complete
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                problem = self._problem(final)
                if problem is None:  # another writer's whole run arrived meanwhile
                    return final
                self._set_aside(final, problem)
            try:
                os.rename(tmp, final)  # atomic; fails if another writer got there first
            except OSError:
                if not self.has(config):
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return final

    def load(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The stored run: {"config", "metrics", "curve", "path"}; KeyError if it is not stored, :class:`DamagedRun`
        if it is damaged."""
        folder = self.path(config)
        if not folder.is_dir():
            raise KeyError(f"no finished run in {self.root} for key {folder.name}")
        self._verify(folder, JSON_FILES)
        return {**{name[:-5]: self._json(folder, name) for name in JSON_FILES}, "path": folder}

    def load_weights(self, config: Mapping[str, Any]) -> dict:
        """The stored run's weights, their sha256 checked; KeyError if there are none."""
        from safetensors.torch import load_file

        folder = self.path(config)
        if not folder.is_dir():
            raise KeyError(f"no stored weights for key {folder.name}")
        self._verify(folder, (WEIGHTS,))
        if not (folder / WEIGHTS).exists():
            raise KeyError(f"no stored weights for key {folder.name}")
        try:
            return load_file(str(folder / WEIGHTS))
        except Exception as err:  # noqa: BLE001 - safetensors raises its own error type
            raise DamagedRun(folder, f"{WEIGHTS} does not load ({err})") from None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every finished run (for tables spanning sweeps); a damaged one raises :class:`DamagedRun`."""
        for folder in sorted(p for p in self.root.glob("??/*") if p.is_dir()):
            if not (folder / MANIFEST).exists() and not (folder / "metrics.json").exists():
                continue  # never finished
            self._verify(folder, ("config.json", "metrics.json"))
            yield {"config": self._json(folder, "config.json"), "metrics": self._json(folder, "metrics.json"),
                   "path": folder}

    # --- checks -------------------------------------------------------------------------------------------------

    def _verify(self, folder: Path, hashed: tuple[str, ...]) -> None:
        problem = self._problem(folder, hashed)
        if problem is not None:
            raise DamagedRun(folder, problem)

    @staticmethod
    def _json(folder: Path, name: str) -> Any:
        try:
            return json.loads((folder / name).read_bytes())
        except ValueError:
            raise DamagedRun(folder, f"{name} is not valid JSON") from None

    def _problem(self, folder: Path, hashed: tuple[str, ...] = ()) -> str | None:
        """Why the run in ``folder`` cannot be used (a few words naming the file), or None."""
        try:
            files = read_manifest(folder)
        except ValueError as err:
            return str(err)
        if files is None:
            return self._unrecorded_problem(folder)
        return manifest_problem(folder, files, JSON_FILES, hashed)

    def _unrecorded_problem(self, folder: Path) -> str | None:
        """A run stored before checksums were recorded: whole when its files parse and its config has its key;
        its checksums are recorded then (where the store is writable), so later damage is caught."""
        for name in JSON_FILES:
            try:
                obj = json.loads((folder / name).read_bytes())
            except FileNotFoundError:
                return f"{name} is missing"
            except ValueError:
                return f"{name} is not valid JSON"
            if name == "config.json" and self.key(obj) != folder.name:
                return f"config.json is not the configuration of key {folder.name}"
        if (folder / WEIGHTS).exists():
            problem = _safetensors_problem(folder / WEIGHTS)
            if problem:
                return problem
        try:
            write_manifest(folder)
        except OSError:
            pass  # a read-only store: checked by parsing each time
        return None

    def _set_aside(self, folder: Path, problem: str) -> None:
        dest = self.root / ".damaged" / f"{folder.name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(folder, dest)
        except FileNotFoundError:  # another writer moved it first
            return
        print(f"memcap: the stored run {folder} was damaged ({problem}); replaced by the run just trained, the "
              f"damaged copy moved to {dest}", file=sys.stderr, flush=True)


def _safetensors_problem(path: Path) -> str | None:
    """Whether a safetensors file is whole: its header parses and its tensors end where the file ends."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        n = int.from_bytes(head, "little") if len(head) == 8 else size
        if n > size - 8:
            return f"{path.name} is truncated ({size} bytes)"
        try:
            header = json.loads(f.read(n))
            end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            return f"{path.name} has no valid header"
    if 8 + n + end != size:
        return f"{path.name} has {size} bytes where its header says {8 + n + end}"
    return None
