"""Chapter 2's settings (how many bits fit in a GPT): the shared sweep's grid, the held-out predictions, the
schedule probe, double descent and the saturation twins, with the claims' thresholds, per scale
(book/thresholds.md says how each threshold was set).

    >>> sorted(BY_SCALE["smoke"].runs())
    ['double_descent', 'grid', 'held_out', 'probes']
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from memcap.book.presets.claim import Claim, declare
from memcap.book.presets.capacity_sweep import CAPACITY_SWEEPS, CapacitySweep, Config, Shape, geometric
from memcap.book.presets.settings import PresetBase, setting
from memcap.engine.runs import CapacityRun


class HeldOut(NamedTuple):
    """A configuration held out of chapter 2's fit: vocabulary, sequence length, layers, width, H(X)/P."""

    vocab_size: int
    seq_len: int
    n_layer: int
    width: int
    bits_per_param: float



# Double descent (chapter 2, section 10): small models on a smaller alphabet than the grid's, so that every size at
# every seed trains in minutes; sizes span about 0.1x to 4x capacity (book/thresholds.md: how they were chosen).
# Smoke trains the default's smaller shape on seven of its sizes' span, all seeds stacked in one process.
DOUBLE_DESCENT_SWEEPS = {
    "default": replace(CAPACITY_SWEEPS["default"], vocab_size=16, seq_len=16,
                       models=(Shape(1, 8, 3e-2), Shape(1, 16, 2e-2)), dataset_bits_per_param=geometric(0.18, 7.5, 9),
                       batch_size=32, min_steps=2000, max_epochs=300, max_steps=6000, warmup_steps=50,
                       eval_every=100, min_decay_steps=300, stack=18, stack_max_params=10000),
    "paper": replace(CAPACITY_SWEEPS["paper"], models=(Shape(1, 32, 3e-3), Shape(2, 32, 3e-3)),
                     dataset_bits_per_param=geometric(0.36, 14.4, 9)),
}
DOUBLE_DESCENT_SWEEPS["smoke"] = replace(DOUBLE_DESCENT_SWEEPS["default"], models=(Shape(1, 8, 3e-2),),
                                         dataset_bits_per_param=geometric(0.18, 7.5, 7), stack=21)



@dataclass(frozen=True)
class CapacityPreset(PresetBase):
    sweep: CapacitySweep = setting("the shared uniform-sequence sweep (chapters 4 and 5 reuse its runs)")
    prediction_configs: tuple[HeldOut, ...] = setting("configurations held out of the fit, predicted by min(·, αP)")
    schedule_probe: Config = setting("the run on which two schedules, and two optimizers, are compared")
    plateau_tolerance: float = setting("a larger dataset within this share of a model's maximum shows a plateau")
    require_plateau: bool = setting("claim the curves flatten past capacity (smoke runs are too short for it)")
    max_calibration_error: float = setting("claim: untrained models code at log2 V a token, to this relative error")
    min_stored_fraction_small: float = setting(
        "claim: on its smallest dataset a model stores this share of (S-1)log2 V a sequence beyond fresh data")
    require_exponent_interval: bool = setting(
        "claim the exponent's interval lies above 0 (smoke: four models, an 11x span, since 2026-12-06)")
    max_prediction_error_percent: float | None = setting(
        "claim: the mean prediction error over the held-out configurations, percent (None: shown)")
    double_descent: CapacitySweep = setting("double descent: models and sizes, from 0.1x to 4x capacity (own V and S)")
    double_descent_seeds: int = setting("double descent: seeds per model and size (data and initialization)")
    peak_ratio_range: tuple[float, float] | None = setting(
        "claim: test loss peaks between these dataset bits / capacity (fixed after a pilot, see chapter 2)")
    min_peak_over_ends: float | None = setting(
        "claim: excess test loss at the peak over that at both ends of the double-descent grid, at least")
    max_fit_ratio: float | None = setting(
        "claim: double descent's train loss below 0.9x capacity over the least above 1.2x, at most")
    saturation_run: Config = setting("the grid run trained longer: is it saturated in training time?")
    saturation_factors: tuple[int, ...] = setting("how many times longer the saturation twins train (each >= 2)")
    max_saturation_gain: float | None = setting(
        "claim: the longest twin stores at most this share more than the run (None: reported, not claimed)")

    def runs(self, seed: int = 0) -> dict[str, Any]:
        """The chapter's runs: ``grid`` (every model on every dataset size), ``probes`` (the schedule comparison, by
        schedule, and the first schedule with NAdam instead of AdamW), ``held_out`` (the prediction configurations, on
        other data, stopped only by the plateau rule: a run cut short by an epoch-based cap would read as a capacity
        shortfall) and ``double_descent`` (every double-descent model on every size, ``double_descent_seeds`` seeds from
        ``seed`` on)."""
        sw, dd = self.sweep, self.double_descent
        probe = dict(data_seed=seed, init_seed=seed)
        return dict(
            double_descent=[dd.run(s.n_layer, s.width, r, data_seed=seed + k, init_seed=seed + k)
                            for s in dd.models for r in dd.dataset_bits_per_param
                            for k in range(self.double_descent_seeds)],
            grid=sw.grid(data_seed=seed, init_seed=seed),
            probes={"warm-up, constant, decay at plateau": sw.run(*self.schedule_probe, **probe),
                    "cosine over the step cap": sw.run(*self.schedule_probe, **probe, schedule="cosine"),
                    "NAdam, warm-up, constant, decay at plateau": sw.run(*self.schedule_probe, **probe,
                                                                         optimizer="nadam")},
            held_out=[sw.run(c.n_layer, c.width, c.bits_per_param, vocab_size=c.vocab_size, seq_len=c.seq_len,
                             data_seed=seed + 1, init_seed=seed, max_steps=sw.max_steps)
                      for c in self.prediction_configs],
        )

    def saturation_base(self, seed: int = 0) -> CapacityRun:
        """The grid run that ``saturation_run`` names."""
        n_layer, width, ratio = self.saturation_run
        if ratio not in self.sweep.dataset_bits_per_param:
            raise ValueError(f"saturation_run's dataset size {ratio} is not one of the grid's "
                             f"{self.sweep.dataset_bits_per_param}")
        return self.sweep.run(n_layer, width, ratio, data_seed=seed, init_seed=seed)

    def later_runs(self, seed: int = 0, store=None) -> dict[str, list]:
        """``saturation``: :meth:`saturation_base` trained ``saturation_factors`` times longer
        (:mod:`memcap.engine.studies.saturation`). Their lengths follow from the steps the base run took in
        ``store``; without it stored, from its step cap (an upper bound, for ``memcap plan``)."""
        from memcap.engine.studies import saturation

        base = self.saturation_base(seed)
        if store is not None and store.has(base.to_dict()):
            return dict(saturation=saturation.saturation_runs(base, store, self.saturation_factors))
        return dict(saturation=[saturation.longer(base, base.train.max_steps, k) for k in self.saturation_factors])



BY_SCALE = {
    "smoke": CapacityPreset(
        sweep=CAPACITY_SWEEPS["smoke"], prediction_configs=(HeldOut(16, 8, 1, 12, 0.5), HeldOut(4, 12, 1, 12, 2)),
        schedule_probe=Config(1, 8, 3), plateau_tolerance=0.05, require_plateau=False, max_calibration_error=0.02,
        min_stored_fraction_small=0.5, require_exponent_interval=True, max_prediction_error_percent=None,
        double_descent=DOUBLE_DESCENT_SWEEPS["smoke"], double_descent_seeds=3, peak_ratio_range=(0.3, 1.5),
        min_peak_over_ends=2.0, max_fit_ratio=0.25, saturation_run=Config(1, 16, 3), saturation_factors=(2, 4),
        max_saturation_gain=None,
    ),
    "default": CapacityPreset(
        sweep=CAPACITY_SWEEPS["default"],
        prediction_configs=(HeldOut(256, 64, 2, 20, 1.0), HeldOut(128, 48, 2, 16, 14), HeldOut(512, 16, 2, 20, 14),
                            HeldOut(128, 48, 2, 16, 6)),
        schedule_probe=Config(2, 12, 8), plateau_tolerance=0.05, require_plateau=True, max_calibration_error=0.02,
        min_stored_fraction_small=0.9, require_exponent_interval=True, max_prediction_error_percent=10,
        double_descent=DOUBLE_DESCENT_SWEEPS["default"], double_descent_seeds=3, peak_ratio_range=(0.3, 1.5),
        min_peak_over_ends=2.0, max_fit_ratio=0.25,
        # the 4x twin alone (the claim's run), not 2x and 4x: the chapter's first run within 30 minutes on 2 cores
        saturation_run=Config(2, 12, 8), saturation_factors=(4,), max_saturation_gain=0.10,
    ),
    "paper": CapacityPreset(
        sweep=CAPACITY_SWEEPS["paper"],
        prediction_configs=(HeldOut(1024, 64, 2, 64, 1.0), HeldOut(4096, 32, 2, 64, 6)),
        schedule_probe=Config(2, 32, 8), plateau_tolerance=0.05, require_plateau=True, max_calibration_error=0.02,
        min_stored_fraction_small=0.9, require_exponent_interval=True, max_prediction_error_percent=10,
        double_descent=DOUBLE_DESCENT_SWEEPS["paper"], double_descent_seeds=3, peak_ratio_range=(0.3, 1.5),
        min_peak_over_ends=2.0, max_fit_ratio=0.25, saturation_run=Config(8, 256, 8), saturation_factors=(2, 4),
        max_saturation_gain=0.02,
    ),
}


CLAIMS = declare(
    "02_capacity",
    Claim("calibrated", "an untrained model codes at log2 V bits per token", kind="sanity",
          settings=("max_calibration_error",), caught_by=("nats",), fixed="2026-12-01"),
    Claim("stores_small_dataset", "on its smallest dataset every model stores its training sequences, "
          "beyond what it stores of fresh sequences", settings=("min_stored_fraction_small",),
          caught_by=("lr0", "fresh"), fixed="2026-11-23"),
    Claim("plateau", "past capacity, memorization stops growing with the data", settings=("require_plateau",),
          fixed="2026-12-01", revised=True),
    Claim("capacity_grows", "capacity grows with the parameter count: the largest model stores more than the "
          "smallest", caught_by=("lr0",), fixed="2026-11-23"),
    Claim("exponent_positive", "capacity grows with the parameter count: the fitted exponent's interval lies "
          "above 0", settings=("require_exponent_interval",), caught_by=("lr0", "fresh"), fixed="2026-11-23",
          revised=("smoke",), replicated_seeds={"smoke": (31, 32)}),
    Claim("decay_adds_bits", "the learning-rate decay adds memorized bits in every model", caught_by=("lr0",),
          fixed="2026-11-23"),
    Claim("saturated_in_time", "training the same run longer stores at most a small share more",
          settings=("max_saturation_gain",), fixed="2026-12-02", revised=("default",),
          replicated_seeds={"default": (1, 2)}),
    Claim("predicts_held_out", "min(H(X)(S-1)/S, αP) predicts the memorized bits of held-out configurations",
          settings=("max_prediction_error_percent",), fixed="2026-11-23", revised=True,
          replicated_seeds={"default": (1, 2)}),
    Claim("fits_below_capacity", "a model fits every dataset below its capacity, and none above it",
          settings=("max_fit_ratio",), caught_by=("lr0", "fresh", "nats"), fixed="2026-12-02"),
    Claim("test_loss_peaks_inside", "each model's test loss peaks inside the grid, well above both ends",
          settings=("min_peak_over_ends",), caught_by=("lr0", "fresh"), fixed="2026-12-02"),
    Claim("peak_near_capacity", "each model's test loss peaks where the dataset's bits are near its capacity",
          settings=("peak_ratio_range",), caught_by=("lr0", "fresh"), fixed="2026-12-02"),
    Claim("test_loss_falls_past_peak", "past its peak, each model's test loss falls", caught_by=("fresh",),
          fixed="2026-12-02"),
)
