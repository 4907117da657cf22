"""How a model is trained: :class:`TrainConfig`, the learning-rate :class:`Schedule` and the rule that ends its
stable phase.

Schedule (``schedule="wsd"``, the default): linear warm-up, then a constant rate while a progress metric
(memorized bits, by default) still grows, then a cosine decay to ``final_lr_ratio`` × lr, then stop:

    lr  ^     ______________________
        |    /                      `-.._            decay starts when the metric stalls:
        |   /                              `--.__    its relative gain over the last `stall_window`
        |__/_____________________________________`-> evaluations is below `stall_rel_tol`
          warm-up       stable               decay   (or when the step cap leaves just room for the decay)

The decay matters: a third or more of the final bits arrive while the rate anneals, so stopping when the metric
stalls without annealing would under-measure capacity. The decay lasts ``decay_frac`` × the steps taken so far
(at least ``min_decay_steps``). ``schedule="cosine"`` is the classic alternative: cosine decay from the first
step to ``max_steps``, no early stop; the capacity chapter compares the two.

"Stall" is the training stop rule only. "Plateau" is kept for the capacity criterion (memorization plateaus at
capacity as the data grows, chapter 2); the stop rule was once called plateau too, and stored runs keep that
spelling (:data:`STORED_SPELLINGS`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

PRECISIONS = ("fp32", "bf16-mixed", "bf16")
SCHEDULES = ("wsd", "cosine")
# the chapters train with AdamW (chapter 2 also trains one run with NAdam, to compare); benchmarks/recipes.py
# compares all four
OPTIMIZERS = ("adamw", "nadam", "adafactor", "rprop")

# fields added after runs were stored under engine version 3: a key holds one only where it differs from its
# default, so every run stored before keeps its key
ADDED_FIELDS = {"optimizer": "adamw", "eps": 1e-8}

# name in the code -> its spelling in stored runs (keys and metrics): a store key may never change, so the stop
# rule's settings and its stop reason are written as they were named before they were called "stall"
STORED_SPELLINGS = {
    "stall_window": "plateau_window",  # TrainConfig field, in every run's key
    "stall_rel_tol": "plateau_rel_tol",  # TrainConfig field, in every run's key
    "stall": "plateau",  # TrainResult.stop_reason, in every run's metrics
}


@dataclass(frozen=True)
class TrainConfig:
    """How to train. Every field has a reason; see the module docstring for the schedule.

        >>> cfg = TrainConfig(stall_window=2)
        >>> cfg.to_dict()["plateau_window"], "stall_window" in cfg.to_dict()
        (2, False)
    """

    max_steps: int = 20_000  # cap: a run stops here even if the metric still grows
    batch_size: int = 128  # sequences per step; throughput is flat in batch size past ~8K tokens a step
    lr: float = 1e-2  # tiny models tolerate a high rate; the best rate falls as width grows
    warmup_steps: int = 100  # Adam's first updates are noisy: ramp up to the high rate rather than start there
    final_lr_ratio: float = 0.1  # decay to 0.1 x lr: the usual floor of a cosine decay (nanoGPT's min_lr = lr/10)
    betas: tuple[float, float] = (0.9, 0.99)  # beta2 0.99, not 0.999: small models at a high rate, as nanoGPT's
    weight_decay: float = 0.0  # decay pulls weights to zero and so limits what they store: capacity is measured without
    schedule: str = "wsd"  # stop once the metric stalls, which a fixed cosine length cannot (chapter 2 compares them)
    decay_frac: float = 0.25  # decay length as a fraction of the steps before it: a longer run anneals longer
    min_decay_steps: int = 500  # a run that stalls early still gets a decay long enough to anneal
    eval_every: int = 250  # steps between metric evaluations (stall checks, learning curve points)
    stall_window: int = 4  # evaluations compared by the stall rule: a short flat stretch does not end the run
    stall_rel_tol: float = 0.01  # "stalled": less than 1 % relative gain over the window
    target_fraction: float = 1.0  # decay also starts once the metric reaches this fraction of its ceiling (1: never)
    precision: str = "fp32"  # "fp32", "bf16-mixed" (fp32 weights, bf16 compute), "bf16" (bf16 weights)
    grad_clip: float = 1.0  # global-norm clipping (GPT-2's): one large gradient cannot throw a high-rate run off
    optimizer: str = "adamw"  # AdamW, as the papers; NAdam, Adafactor and Rprop (sign-based) for training recipes
    eps: float = 1e-8  # Adam's epsilon (torch's default) for AdamW and NAdam; Adafactor and Rprop ignore it

    def __post_init__(self):
        for name in ("max_steps", "batch_size", "eval_every", "stall_window"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {name}={getattr(self, name)!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got lr={self.lr!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; allowed: {list(SCHEDULES)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; allowed: {list(OPTIMIZERS)}")
        if not self.eps > 0:
            raise ValueError(f"eps must be > 0, got eps={self.eps!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; allowed: {list(PRECISIONS)}")
        if not 0 < self.target_fraction <= 1:
            raise ValueError(f"target_fraction must lie in (0, 1], got target_fraction={self.target_fraction!r}")
        if not 0 < self.final_lr_ratio <= 1 or not 0 < self.decay_frac <= 1:
            raise ValueError(f"final_lr_ratio and decay_frac must lie in (0, 1], "
                             f"got {self.final_lr_ratio}, {self.decay_frac}")

    def to_dict(self) -> dict:
        """Every field as a plain JSON value, under its stored spelling (a run's key holds them all, but for
        :data:`ADDED_FIELDS` at their defaults).

            >>> "optimizer" in TrainConfig().to_dict(), TrainConfig(optimizer="rprop").to_dict()["optimizer"]
            (False, 'rprop')
        """
        return {STORED_SPELLINGS.get(k, k): list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()
                if not (k in ADDED_FIELDS and v == ADDED_FIELDS[k])}


@dataclass
class TrainResult:
    steps: int
    seconds: float
    tokens: int
    stop_reason: str  # "plateau" (the stall rule, in its stored spelling), "target" (see decay_trigger), "max_steps"
    curve: list[dict] = field(default_factory=list)  # {"step", "lr", "loss", "metric", "seconds"}


class Schedule:
    """Learning-rate multiplier per step; the decay start is set when the stall or target rule fires."""

    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg
        self.decay_start: int | None = None
        self.decay_len = 0
        if cfg.schedule == "cosine":
            self.decay_start, self.decay_len = 0, cfg.max_steps

    def start_decay(self, step: int) -> None:
        if self.decay_start is None:
            self.decay_start = step
            wanted = max(self.cfg.min_decay_steps, int(self.cfg.decay_frac * step))
            self.decay_len = max(1, min(wanted, self.cfg.max_steps - step))

    @property
    def end(self) -> int:
        return self.cfg.max_steps if self.decay_start is None else self.decay_start + self.decay_len

    def __call__(self, step: int) -> float:
        if step < self.cfg.warmup_steps:
            warm = (step + 1) / self.cfg.warmup_steps
        else:
            warm = 1.0
        if self.decay_start is None or step < self.decay_start:
            return warm
        t = min(1.0, (step - self.decay_start) / self.decay_len)
        r = self.cfg.final_lr_ratio
        return warm * (r + (1 - r) * 0.5 * (1 + math.cos(math.pi * t)))


def decay_trigger(values: list[float], cfg: TrainConfig, ceiling: float | None) -> str | None:
    """Why the stable phase should end after these metric values, or None to go on.

    ``"target"``: the last value reached ``cfg.target_fraction`` of ``ceiling`` (a model that has stored nearly
    all it can store has nothing left to wait for); ``"stall"``: the stall rule fired.

        >>> cfg = TrainConfig(stall_window=2, stall_rel_tol=0.01, target_fraction=0.97)
        >>> decay_trigger([50, 97.5], cfg, ceiling=100), decay_trigger([50, 90], cfg, ceiling=100)
        ('target', None)
        >>> decay_trigger([10, 50, 90, 90.1, 90.2], cfg, ceiling=None)
        'stall'
    """
    if ceiling is not None and cfg.target_fraction < 1 and values and values[-1] >= cfg.target_fraction * ceiling:
        return "target"
    if stalled(values, cfg.stall_window, cfg.stall_rel_tol):
        return "stall"
    return None


def stalled(values: list[float], window: int, rel_tol: float) -> bool:
    """True when the last value exceeds the one ``window`` evaluations earlier by less than ``rel_tol``.

        >>> stalled([10, 50, 100, 100.2, 100.5], window=2, rel_tol=0.01)
        True
        >>> stalled([10, 50, 90, 100], window=2, rel_tol=0.01)
        False
    """
    if len(values) <= window:
        return False
    now, before = values[-1], values[-1 - window]
    return (now - before) < rel_tol * max(abs(now), 1e-12)
