"""Training: how (:mod:`~memcap.engine.training.config`), the one loop (:mod:`~memcap.engine.training.loop`) and its
batched step for several models of one shape (:mod:`~memcap.engine.training.stacked`)."""

from memcap.engine.training.config import TrainConfig, TrainResult
from memcap.engine.training.loop import train, train_models
