"""The Run protocol: what a sweep and the store need of a run, whatever it trains (capacity, knowledge, text).

A run is a specification. :meth:`Run.to_dict` is everything that determines its result and is the store's key
(:class:`memcap.infra.store.RunStore`); :meth:`Run.execute` trains and measures it, giving what the store keeps.
:func:`memcap.infra.sweep.run_sweep` orders runs by :attr:`Run.cost` (biggest first) and trains the runs that share
a :meth:`Run.stack_key` together with :meth:`Run.execute_many`, without knowing any run class:

    spec --to_dict()--> key --execute()--> (metrics, curve, weights) --RunStore.save--> stored record

Any object with these members is a run (a structural ``typing.Protocol``: nothing to inherit):

    >>> class Coin:
    ...     label, cost = "coin", 1.0
    ...     def to_dict(self): return {"kind": "coin"}
    ...     def stack_key(self, max_params): return None
    ...     def execute(self, device="cpu", progress=False): return {"heads": 1}, [], {}
    ...     @staticmethod
    ...     def execute_many(runs, device="cpu", progress=False): return [r.execute(device) for r in runs]
    >>> isinstance(Coin(), Run)
    True
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Protocol, runtime_checkable

Result = tuple[dict, list[dict], dict]  # (metrics, learning curve, weights as a state dict)


@runtime_checkable
class Run(Protocol):
    """A run a sweep can train and the store can keep."""

    def to_dict(self) -> dict:
        """Everything that determines the result, as JSON-able values: the store key. Never changes for a stored
        run (a change would orphan it)."""
        ...

    @property
    def label(self) -> str:
        """A few words naming the run in progress bars and error messages, e.g. ``"d=64 N=512"``."""
        ...

    @property
    def cost(self) -> float:
        """Estimated training work (a relative number); a sweep starts the biggest first, so the last worker is not
        left with the longest run."""
        ...

    def stack_key(self, max_params: int) -> Hashable | None:
        """Runs with one non-None key may train stacked together in one process (one model shape, shared
        optimizer settings); None: this run trains alone (too many parameters for ``max_params``, a kind or a
        precision that does not stack)."""
        ...

    def execute(self, device: str = "cpu", progress: Any = False) -> Result:
        """Train and measure the run: (metrics, learning curve, weights). ``progress``: False, True (a bar) or a
        reporter callable (:func:`memcap.infra.progress.run_reporter`)."""
        ...

    @classmethod
    def execute_many(cls, runs: Sequence[Run], device: str = "cpu", progress: Any = False) -> list[Result]:
        """Train several runs of one :meth:`stack_key` together; one (metrics, curve, weights) per run, in order."""
        ...
