"""What every run kind shares once it is stored: its trained model, loaded back from a store."""

from __future__ import annotations

from memcap.model import GPT


def load_model(store, run, device: str = "cpu") -> GPT:
    """The trained model of a stored run (any run with a ``model`` configuration and ``to_dict()``), in eval mode;
    ``store`` is any object with ``load_weights(config)`` (a :class:`~memcap.infra.store.RunStore`)."""
    model = GPT(run.model)
    model.load_state_dict(store.load_weights(run.to_dict()))
    return model.to(device).eval()
