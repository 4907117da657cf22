"""What run kinds share: the part of the Run protocol (:mod:`memcap.infra.protocol`) of runs that train alone, and
a stored run's trained model, loaded back from a store."""

from __future__ import annotations

from collections.abc import Sequence

from memcap.engine.runs.cost import run_flops
from memcap.model import GPT


class TrainsAlone:
    """The Run protocol's cost, and stacking for a run kind that trains alone unless it says otherwise: text runs
    (knowledge runs override :meth:`stack_key` and :meth:`execute_many` to stack small models)."""

    @property
    def cost(self) -> float:
        """Estimated training FLOPs to the step cap (:func:`~memcap.engine.runs.cost.run_flops`)."""
        return run_flops(self)

    def stack_key(self, max_params: int) -> None:
        """None: the run trains alone."""
        return None

    @staticmethod
    def execute_many(runs: Sequence, device: str = "cpu", progress: bool = False) -> list:
        """:meth:`execute` of each run, one after another."""
        return [r.execute(device, progress) for r in runs]


def load_model(store, run, device: str = "cpu") -> GPT:
    """The trained model of a stored run (any run with a ``model`` configuration and ``to_dict()``), in eval mode;
    ``store`` is any object with ``load_weights(config)`` (a :class:`~memcap.infra.store.RunStore`)."""
    model = GPT(run.model)
    model.load_state_dict(store.load_weights(run.to_dict()))
    return model.to(device).eval()
