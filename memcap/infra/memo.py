"""Results of deterministic computations kept on disk, keyed by everything they read: a warm re-run of a chapter reads
what it measured on a stored model instead of measuring it again.

:func:`digest` hashes a call's inputs, whatever they are: numbers, strings, lists and dicts, numpy arrays and torch
tensors (their dtype, shape and bytes), models (anything with ``state_dict()``: its class and every tensor), runs
(anything with ``to_dict()``: its class and configuration, as the run store keys it), numpy random generators (their
state), plain functions (by module and name) and :func:`functools.partial` of them. A
lambda or a nested function is refused, since what it reads cannot be seen: pass a ``partial`` instead.

:class:`Memo` keeps one JSON file per key under a folder, written atomically with the sha256 of its content. A
file that fails its checksum or does not parse is computed again and replaced, saying so in one line. A call that
draws from random generators leaves them where the computation left them, on a hit too (their end states are kept
with the result), so what the caller draws next is the same warm or cold.

    >>> import numpy as np
    >>> digest([1, "a", np.arange(3)]) == digest([1, "a", np.arange(3)]), digest(1) == digest(1.0)
    (True, False)
    >>> import functools, math
    >>> digest(functools.partial(math.pow, 2)) == digest(functools.partial(math.pow, 3))
    False
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from memcap.infra.files import write_bytes_atomic


def _update(h, value: Any) -> None:
    tag = type(value).__name__
    if value is None or isinstance(value, (bool, int, str)):
        h.update(f"{tag}:{value!r};".encode())
    elif isinstance(value, float):
        h.update(f"float:{value.hex() if math.isfinite(value) else value!r};".encode())
    elif isinstance(value, (list, tuple)):
        h.update(f"{tag}[{len(value)}".encode())
        for v in value:
            _update(h, v)
        h.update(b"]")
    elif isinstance(value, Mapping):
        h.update(f"map{{{len(value)}".encode())
        for k in sorted(value, key=repr):
            _update(h, k)
            _update(h, value[k])
        h.update(b"}")
    elif isinstance(value, np.random.Generator):
        h.update(b"rng:")
        _update(h, value.bit_generator.state)
    elif isinstance(value, np.ndarray) or type(value).__module__ == "numpy":
        arr = np.ascontiguousarray(value)
        h.update(f"ndarray:{arr.dtype.str}:{arr.shape};".encode())
        h.update(arr.tobytes())
    elif type(value).__module__.startswith("torch") and hasattr(value, "detach"):  # a tensor
        import torch

        t = value.detach().cpu().contiguous()
        h.update(f"tensor:{t.dtype}:{tuple(t.shape)};".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    elif hasattr(value, "state_dict") and callable(value.state_dict):  # a model
        h.update(f"model:{type(value).__module__}.{type(value).__qualname__};".encode())
        _update(h, dict(value.state_dict()))
        _update(h, repr(getattr(value, "cfg", "")))
    elif hasattr(value, "to_dict") and callable(value.to_dict):  # a run: its configuration, the store's key
        h.update(f"object:{type(value).__module__}.{type(value).__qualname__};".encode())
        _update(h, value.to_dict())
    elif isinstance(value, functools.partial):
        h.update(b"partial:")
        _update(h, value.func)
        _update(h, list(value.args))
        _update(h, dict(value.keywords))
    elif callable(value) and hasattr(value, "__qualname__"):
        name = f"{value.__module__}.{value.__qualname__}"
        if "<lambda>" in name or "<locals>" in name:
            raise TypeError(f"cannot key the function {name}: what it reads is hidden; pass "
                            "functools.partial(function, arguments...) instead")
        h.update(f"function:{name};".encode())
    else:
        raise TypeError(f"cannot key a value of type {type(value).__name__}: {value!r:.80}")


def digest(value: Any) -> str:
    """sha256 (hex) of ``value`` as the module describes."""
    h = hashlib.sha256()
    _update(h, value)
    return h.hexdigest()


def _rngs(args, kwargs) -> dict[str, np.random.Generator]:
    """The generators among a call's arguments, by where they are: ``"0"``, ``"1"``... or the keyword's name."""
    found = {str(i): v for i, v in enumerate(args) if isinstance(v, np.random.Generator)}
    found.update({f"kw:{k}": v for k, v in kwargs.items() if isinstance(v, np.random.Generator)})
    return found


def _check_json(value: Any, where: str = "result") -> None:
    """Refuse what a JSON round trip would change: tuples (lists come back), non-string keys, other types."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where} has the key {k!r}, not a string")
            _check_json(v, f"{where}[{k!r}]")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_json(v, f"{where}[{i}]")
    elif not (value is None or isinstance(value, (bool, int, float, str))):
        raise TypeError(f"{where} is a {type(value).__name__}")


class Memo:
    """``memo(fn, *args, **kwargs)``: ``fn(*args, **kwargs)`` once per distinct inputs and ``version`` (which names
    the code that computes it), kept in ``folder``. The result must be JSON (numbers, strings, lists, dicts)."""

    def __init__(self, folder: str | Path, version: str, log: Callable[[str], None] = print):
        self.folder, self.version, self.log = Path(folder), version, log
        self._said = False

    def path(self, fn: Callable, *args, **kwargs) -> Path:
        key = digest([self.version, fn, list(args), kwargs])
        return self.folder / key[:2] / f"{key}.json"

    def __call__(self, fn: Callable, *args, **kwargs) -> Any:
        path = self.path(fn, *args, **kwargs)
        rngs = _rngs(args, kwargs)
        if path.exists():
            found = self._read(path)
            if found is not None and set(found["rng_states"]) == set(rngs):
                for where, rng in rngs.items():
                    rng.bit_generator.state = found["rng_states"][where]
                return found["result"]
        result = fn(*args, **kwargs)
        try:
            _check_json(result)
        except TypeError as err:
            raise TypeError(f"{getattr(fn, '__qualname__', fn)} returned what JSON cannot hold unchanged ({err}): "
                            "only numbers, strings, lists and dicts with string keys can be kept") from None
        body = json.dumps(dict(result=result, rng_states={w: r.bit_generator.state for w, r in rngs.items()}),
                          sort_keys=True, separators=(",", ":"), allow_nan=True)
        try:
            write_bytes_atomic(path, (hashlib.sha256(body.encode()).hexdigest() + "\n" + body).encode())
        except OSError as err:  # a read-only store (a grader's): measure, keep nothing
            if not self._said:
                self.log(f"memo not kept in {self.folder} ({err.strerror}): warm re-runs will measure again")
                self._said = True
        return json.loads(body)["result"]  # what a warm run reads: the same numbers, the same types

    def _read(self, path: Path) -> dict | None:
        """The kept entry, or None (said in one line) when its checksum or format is wrong."""
        try:
            checksum, body = path.read_bytes().split(b"\n", 1)
            entry = json.loads(body) if hashlib.sha256(body).hexdigest().encode() == checksum else None
            if entry is not None and not ("result" in entry and isinstance(entry.get("rng_states"), dict)):
                entry = None
        except ValueError:
            entry = None
        if entry is None:
            self.log(f"memo {path} is damaged (checksum or format): computing it again")
        return entry
