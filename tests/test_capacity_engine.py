"""Training engine, capacity measurement, slope fit, results store and sweeps."""

import dataclasses
import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from memcap.measures import capacity, trends
from memcap.measures.evaluate import sequence_code_length_bits
from memcap.model import GPT, GPTConfig
from memcap.infra.store import RunStore
from memcap.data.uniform import dataset_entropy_bits, memorizable_bits, uniform_sequences
from memcap.engine.runs.capacity import CapacityRun, grid
from memcap.infra.sweep import run_sweep
from memcap.engine.training.config import STORED_SPELLINGS, Schedule, TrainConfig, decay_trigger, stalled
from memcap.engine.training.loop import train

TINY = GPTConfig(vocab_size=16, seq_len=8, n_layer=1, d_model=16, n_head=2)
FAST = TrainConfig(max_steps=300, batch_size=16, lr=2e-2, warmup_steps=20, eval_every=50, min_decay_steps=50)


def test_dataset_entropy_closed_form():
    assert dataset_entropy_bits(1000, 32, 256) == 256_000
    assert dataset_entropy_bits(10, 64, 2048) == 10 * 64 * 11


class UniformModel(torch.nn.Module):
    """Predicts every token uniformly: codes each sequence in exactly S log2 V bits."""

    def __init__(self, V):
        super().__init__()
        self.cfg = GPTConfig(vocab_size=V, seq_len=64, n_layer=0, d_model=1)
        self.w = torch.nn.Parameter(torch.zeros(1))

    def loss(self, idx, targets, reduction="none"):
        return torch.full(targets.shape, math.log(self.cfg.vocab_size)) + 0 * self.w


class OracleModel(UniformModel):
    """Knows the training set: puts probability 1/2 on the true next token."""

    def __init__(self, V, data):
        super().__init__(V)
        self.data = data

    def loss(self, idx, targets, reduction="none"):
        return torch.full(targets.shape, math.log(2.0)) + 0 * self.w


def test_code_length_of_known_models():
    V, S = 16, 10
    data = uniform_sequences(5, S, V, torch.Generator().manual_seed(0))
    uniform_bits = sequence_code_length_bits(UniformModel(V), data)
    assert np.allclose(uniform_bits, S * math.log2(V))  # first token charged log2 V like the rest
    mem = capacity.memorized_bits(UniformModel(V), data, V)
    assert mem.raw_bits == pytest.approx(0, abs=1e-4) and mem.dataset_bits == 5 * S * 4
    oracle = capacity.memorized_bits(OracleModel(V, data), data, V)
    # each of the S-1 predicted tokens costs 1 bit instead of 4; the first costs log2 V either way
    assert oracle.raw_bits == pytest.approx(5 * (S - 1) * (4 - 1))
    assert oracle.clipped_bits == pytest.approx(oracle.raw_bits)


def test_slope_fit_recovers_a_known_slope():
    rng = np.random.default_rng(0)
    p = np.array([1e4, 2e4, 4e4, 8e4, 1.6e5])
    c = 3.5 * p * (1 + 0.01 * rng.standard_normal(p.size))
    f = capacity.fit_bits_per_parameter(p, c)
    assert f.alpha_ci[0] < 3.5 < f.alpha_ci[1]  # the interval covers the truth...
    assert f.alpha_ci[1] - f.alpha_ci[0] < 0.1  # ...and is narrow at 1 % noise
    assert f.alpha == pytest.approx(3.5, rel=0.02)
    assert f.intercept_ci[0] < 0 < f.intercept_ci[1]


@pytest.mark.parametrize("proportional", [True, False])
def test_alpha_interval_covers_at_its_level_when_noise_grows_with_size(proportional):
    """400 simulated sets of 4 models over chapter 2's span of sizes, capacity α·P with 5 % noise, in proportion to
    size or the same in bits for all: α's 95 % interval covers the truth in 92-99 % of them. The unweighted fit
    through the origin, kept beside it, covers far less often when the noise grows with size."""
    rng = np.random.default_rng(5)
    p = np.geomspace(7e3, 3.5e4, 4)
    hits, ols = [], []
    for _ in range(400):
        draw = 0.05 * rng.standard_normal(4)
        c = 3.4 * p * (1 + draw) if proportional else 3.4 * p + draw * 3.4 * p.mean()
        f = capacity.fit_bits_per_parameter(p, c)
        hits.append(f.alpha_ci[0] <= 3.4 <= f.alpha_ci[1])
        ols.append(f.alpha_ols_ci[0] <= 3.4 <= f.alpha_ols_ci[1])
    assert 0.92 <= np.mean(hits) <= 0.99, np.mean(hits)
    if proportional:
        assert np.mean(ols) < 0.9, np.mean(ols)


@pytest.mark.parametrize("n_models, noise, proportional", [(3, 0.03, True), (5, 0.05, True), (4, 500.0, False)])
def test_the_paired_ratio_covers_the_truth_within_a_binomial_tolerance_of_95_percent(n_models, noise, proportional):
    from scipy.stats import binom

    p = np.geomspace(7e3, 3.5e4, n_models)  # chapter 4's span of sizes
    truth_a, truth_b, n_sets, hits = 3.4, 3.3, 400, 0
    rng = np.random.default_rng(n_models)
    shared = 1 + 0.05 * rng.standard_normal((n_sets, n_models))  # what a model stores in any set-up

    def noisy(truth, k):
        bits = truth * p * shared[k]
        draw = noise * rng.standard_normal(n_models)
        return bits * (1 + draw) if proportional else bits + draw

    for k in range(n_sets):
        ratio, low, high = capacity.paired_ratio(noisy(truth_a, k), noisy(truth_b, k))
        assert low <= ratio <= high
        hits += low <= truth_a / truth_b <= high
    low_ok, high_ok = binom.ppf(0.005, n_sets, 0.95), binom.ppf(0.995, n_sets, 0.95)
    assert low_ok <= hits <= high_ok, hits / n_sets


def test_the_paired_ratio_names_bad_input():
    with pytest.raises(ValueError, match="at least 2 models"):
        capacity.paired_ratio([1.0], [1.0])
    with pytest.raises(ValueError, match="positive"):
        capacity.paired_ratio([1.0, -1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="level=1.5"):
        capacity.paired_ratio([1.0, 2.0], [1.0, 2.0], level=1.5)


@pytest.mark.parametrize("beta", [0.8, 1.0, 1.2])
def test_the_exponent_fit_tells_linear_from_its_neighbours(beta):
    rng = np.random.default_rng(0)
    p = np.geomspace(7e3, 3.5e4, 6)  # the default chapter's span, about 5x
    c = 3.4 * p**beta / 3.4e4 ** (beta - 1) * (1 + 0.01 * rng.standard_normal(p.size))
    f = capacity.fit_capacity_exponent(p, c)
    assert f.exponent_ci[0] < beta < f.exponent_ci[1]
    assert f.is_linear() == (beta == 1.0)
    with pytest.raises(ValueError, match="positive"):
        capacity.fit_capacity_exponent(p, -c)
    with pytest.raises(ValueError, match="undefined='skip'"):
        capacity.fit_capacity_exponent(p, c, undefined="skip")
    with pytest.raises(ValueError, match="parameter counts"):
        capacity.fit_capacity_exponent(-p, c, undefined="nan")
    with pytest.raises(ValueError, match="at least 3 models"):
        capacity.fit_bits_per_parameter([1, 2], [3, 4])


def test_a_model_that_stored_nothing_gives_a_nan_exponent_whose_claims_fail():
    p = np.array([1000.0, 2000.0, 4000.0])
    f = capacity.fit_capacity_exponent(p, np.array([-5.0, 4000.0, 8000.0]), undefined="nan")
    assert np.isnan(f.exponent) and np.isnan(f.exponent_ci).all() and not f.is_linear()
    assert not f.exponent_ci[0] > 0  # chapter 2's exponent_positive fails on it
    assert f.n_models == 3 and f.param_span == 4.0


def test_schedule_shape():
    s = Schedule(TrainConfig(max_steps=1000, warmup_steps=100, min_decay_steps=100, decay_frac=0.5))
    assert s(0) == pytest.approx(0.01) and s(99) == pytest.approx(1.0) and s(500) == 1.0
    s.start_decay(400)
    assert s.end == 600 and s(400) == pytest.approx(1.0) and s(599) == pytest.approx(0.1, abs=1e-3)
    c = Schedule(TrainConfig(max_steps=1000, warmup_steps=10, schedule="cosine"))
    assert c(500) == pytest.approx(0.55, abs=1e-3) and c.end == 1000


def test_stall_rule():
    assert not stalled([1, 2, 3], window=3, rel_tol=0.01)
    assert stalled([1, 100, 100.2, 100.4, 100.5], window=3, rel_tol=0.01)
    assert not stalled([1, 50, 80, 100, 130], window=3, rel_tol=0.01)


def test_target_rule_starts_the_decay_before_the_stall_rule():
    cfg = TrainConfig(stall_window=2, stall_rel_tol=0.01, target_fraction=0.9)
    assert decay_trigger([10, 60, 91], cfg, ceiling=100) == "target"
    assert decay_trigger([10, 60, 89], cfg, ceiling=100) is None
    assert decay_trigger([10, 60, 91], cfg, ceiling=None) is None  # no ceiling: only the stall rule
    off = TrainConfig(stall_window=2, stall_rel_tol=0.01)
    assert decay_trigger([10, 60, 99.9], off, ceiling=100) is None
    with pytest.raises(ValueError, match="target_fraction=1.5"):
        TrainConfig(target_fraction=1.5)


def test_every_training_field_is_in_the_key():
    from memcap.engine.training.config import ADDED_FIELDS

    every = {STORED_SPELLINGS.get(f.name, f.name) for f in dataclasses.fields(TrainConfig)}
    assert set(TrainConfig().to_dict()) == every - set(ADDED_FIELDS)  # fields added later: only where set
    assert set(TrainConfig(optimizer="nadam", eps=1e-6).to_dict()) == every
    assert TrainConfig(stall_window=3, stall_rel_tol=0.02).to_dict()["plateau_window"] == 3  # the stored spelling
    assert TrainConfig().to_dict()["target_fraction"] == 1.0
    assert TrainConfig(target_fraction=0.97).to_dict()["target_fraction"] == 0.97


def test_a_default_config_writes_the_stored_dict_it_always_wrote():
    # the store key of every run holds this dict: its keys, values and order may never change
    stored = {"max_steps": 20000, "batch_size": 128, "lr": 0.01, "warmup_steps": 100, "final_lr_ratio": 0.1,
              "betas": [0.9, 0.99], "weight_decay": 0.0, "schedule": "wsd", "decay_frac": 0.25,
              "min_decay_steps": 500, "eval_every": 250, "plateau_window": 4, "plateau_rel_tol": 0.01,
              "target_fraction": 1.0, "precision": "fp32", "grad_clip": 1.0}
    assert list(TrainConfig().to_dict().items()) == list(stored.items())


def test_the_last_curve_point_averages_the_steps_it_covers():
    # 25 steps, evaluated every 10: the last point covers 5 steps; its loss must be their mean, not a tenth of it
    data = uniform_sequences(8, TINY.seq_len, TINY.vocab_size, torch.Generator().manual_seed(0))
    cfg = TrainConfig(max_steps=25, batch_size=8, lr=1e-9, warmup_steps=1, eval_every=10, schedule="cosine")
    result = train(GPT(TINY, generator=torch.Generator().manual_seed(0)), data, cfg)
    assert [p["step"] for p in result.curve] == [10, 20, 25]
    losses = [p["loss"] for p in result.curve]  # lr ~ 0: the loss stays where it started, about ln V
    assert losses[-1] == pytest.approx(losses[0], rel=1e-3)


def test_a_run_that_reaches_its_target_stops_early():
    V = TINY.vocab_size
    data = uniform_sequences(8, TINY.seq_len, V, torch.Generator().manual_seed(0))
    ceiling = memorizable_bits(8, TINY.seq_len, V)
    steps = {}
    for frac in (1.0, 0.3):
        cfg = TrainConfig(max_steps=400, batch_size=8, lr=3e-2, warmup_steps=5, eval_every=10, min_decay_steps=20,
                          stall_rel_tol=1e-9, target_fraction=frac)
        model = GPT(TINY, generator=torch.Generator().manual_seed(3))
        res = train(model, data, cfg, seed=5, metric=lambda m: capacity.memorized_bits(m, data, V).raw_bits,
                    metric_ceiling=ceiling)
        steps[frac] = res.steps, res.stop_reason
        if frac < 1:
            first = next(p for p in res.curve if p["metric"] >= frac * ceiling)
            assert res.steps == first["step"] + max(20, int(0.25 * first["step"]))  # decay from the first hit
    assert steps[0.3][1] == "target" and steps[0.3][0] < steps[1.0][0]


def test_train_config_validation():
    with pytest.raises(ValueError, match="unknown precision 'fp8'"):
        TrainConfig(precision="fp8")
    with pytest.raises(ValueError, match="lr=0"):
        TrainConfig(lr=0)
    with pytest.raises(ValueError, match="unknown schedule"):
        TrainConfig(schedule="linear")


def test_training_memorizes_and_is_deterministic():
    V = TINY.vocab_size
    data = uniform_sequences(8, TINY.seq_len, V, torch.Generator().manual_seed(0))
    results = []
    for _ in range(2):
        torch.manual_seed(999)  # global state must not matter
        model = GPT(TINY, generator=torch.Generator().manual_seed(3))
        res = train(model, data, FAST, seed=5, metric=lambda m: capacity.memorized_bits(m, data, V).raw_bits)
        results.append((res, capacity.memorized_bits(model, data, V)))
    (r1, m1), (r2, m2) = results
    assert m1.raw_bits == m2.raw_bits and [p["metric"] for p in r1.curve] == [p["metric"] for p in r2.curve]
    # 8 sequences x 7 predicted tokens x 4 bits = 224 bits; a 5K-parameter model stores most of them
    assert m1.raw_bits > 0.8 * 8 * 7 * 4
    assert r1.curve[-1]["metric"] > r1.curve[0]["metric"]


@pytest.mark.parametrize("precision", ["bf16-mixed", "bf16"])
def test_bf16_modes_train(precision):
    V = TINY.vocab_size
    data = uniform_sequences(8, TINY.seq_len, V, torch.Generator().manual_seed(0))
    model = GPT(TINY, generator=torch.Generator().manual_seed(3))
    cfg = dataclasses.replace(FAST, betas=(0.9, 0.99), precision=precision)
    train(model, data, cfg, seed=1)
    assert next(model.parameters()).dtype == torch.float32  # measured in fp32 arithmetic afterwards
    assert capacity.memorized_bits(model, data, V).raw_bits > 50


def test_store_round_trip_and_atomicity(tmp_path):
    store = RunStore(tmp_path)
    cfg = {"a": 1, "b": [1, 2]}
    assert not store.has(cfg)
    state = {"w": torch.arange(6.0).view(2, 3)}
    store.save(cfg, {"bits": 3.5}, [{"step": 1}], state)
    assert store.has(cfg) and store.load(cfg)["metrics"] == {"bits": 3.5}
    torch.testing.assert_close(store.load_weights(cfg)["w"], state["w"])
    assert not list((tmp_path / ".tmp").iterdir())
    # key order does not matter; any change of value does
    assert store.key({"b": [1, 2], "a": 1}) == store.key(cfg) != store.key({"a": 2, "b": [1, 2]})
    # a half-written run (crash before the rename) is invisible
    half = store.path({"a": 3})
    half.mkdir(parents=True)
    (half / "config.json").write_text("{")
    assert not store.has({"a": 3})
    with pytest.raises(KeyError):
        store.load({"a": 3})
    assert [r["metrics"] for r in store] == [{"bits": 3.5}]
    # pickle is never used: the weights file is safetensors
    assert (store.path(cfg) / "model.safetensors").read_bytes()[8:9] == b"{"


def test_concurrent_writers_do_not_corrupt(tmp_path):
    store = RunStore(tmp_path)
    barrier = threading.Barrier(8)

    def write(i):
        barrier.wait()
        return store.save({"same": True}, {"writer": i}, [], {"w": torch.full((100,), float(i))})

    with ThreadPoolExecutor(8) as pool:
        paths = set(pool.map(write, range(8)))
    assert len(paths) == 1
    winner = store.load({"same": True})["metrics"]["writer"]
    assert torch.all(store.load_weights({"same": True})["w"] == winner)
    assert not list((tmp_path / ".tmp").iterdir())


def small_runs():
    return grid([TINY, TINY.with_(d_model=8, n_head=1)], [4, 8], FAST)


def test_sweep_stores_and_reuses(tmp_path):
    runs = small_runs()
    with ThreadPoolExecutor(2) as pool:
        first = run_sweep(runs, tmp_path, executor=pool, progress=False)
    assert first.trained == 4 and first.reused == 0
    again = run_sweep(runs, tmp_path, progress=False)
    assert again.trained == 0 and again.reused == 4 and again.metrics == first.metrics
    for run, m in zip(runs, first.metrics):
        assert m["n_params"] == run.model.n_params and m["n_sequences"] == run.n_sequences
        # the runs on 4 sequences store most of what they can with these settings
        if run.n_sequences == 4:
            assert m["memorized_bits"] > 0.5 * run.memorizable_bits, (run.label, m["memorized_bits"])


def test_a_run_listed_twice_is_trained_once(tmp_path):
    runs = small_runs()[:1] * 3
    report = run_sweep(runs, tmp_path, executor=ThreadPoolExecutor(2), progress=False)
    assert report.trained == 1 and report.reused == 0 and len(report.metrics) == 3
    assert report.metrics[0] == report.metrics[2]


def test_interrupted_sweep_resumes(tmp_path):
    runs = small_runs()
    run_sweep(runs[:2], tmp_path, executor=ThreadPoolExecutor(1), progress=False)  # "interrupted" after two
    report = run_sweep(runs, tmp_path, executor=ThreadPoolExecutor(2), progress=False)
    assert report.trained == 2 and report.reused == 2


@pytest.mark.slow
def test_default_process_executor(tmp_path):
    report = run_sweep(small_runs()[:2], tmp_path, max_workers=2, progress=False)
    assert report.trained == 2
    assert len(list(RunStore(tmp_path))) == 2


def test_execute_run_is_reproducible():
    run = CapacityRun(model=TINY, train=FAST, n_sequences=6)
    m1, c1, w1 = run.execute()
    m2, c2, w2 = run.execute()
    assert m1["memorized_bits"] == m2["memorized_bits"]
    assert [p["metric"] for p in c1] == [p["metric"] for p in c2]
    assert m1["dataset_bits"] == 6 * 8 * 4
    per_sequence = m1["memorized_bits_per_sequence"]
    assert m1["memorized_bits"] == pytest.approx(6 * per_sequence)
    with pytest.raises(ValueError, match="n_sequences=0"):
        CapacityRun(model=TINY, train=FAST, n_sequences=0)


def test_capacity_by_model_and_plateau_rule():
    import pandas as pd

    frame = pd.DataFrame(
        dict(
            model=["a"] * 4 + ["b"] * 3,
            n_params=[100] * 4 + [200] * 3,
            n_sequences=[1, 2, 4, 8, 1, 2, 4],
            dataset_bits=[100, 200, 400, 800, 200, 400, 800],
            memorized_bits=[100, 200, 350, 340, 200, 400, 600],
        )
    )
    caps = capacity.capacity_by_model(frame).set_index("model")
    assert caps.loc["a", "capacity_bits"] == 350 and caps.loc["a", "n_at_capacity"] == 4
    # only sizes larger than the maximum's count: one for a (8 sequences, within 5 % of 350), none for b
    assert caps.loc["a", "sizes_larger_than_maximum"] == 1 and caps.loc["a", "plateau_established"]
    assert caps.loc["b", "sizes_larger_than_maximum"] == 0 and not caps.loc["b", "plateau_established"]
    dropping = frame.assign(memorized_bits=[100, 200, 350, 300, 200, 400, 600])  # 300 < 0.95 * 350: no plateau
    assert not capacity.capacity_by_model(dropping).set_index("model").loc["a", "plateau_established"]
    assert capacity.predicted_memorization_bits([100, 1000], [100, 100], 3.0).tolist() == [100, 300]


def test_preset_run_sizes_datasets_in_bits_per_parameter():
    from memcap.book.presets import CAPACITY_SWEEPS

    sweep = CAPACITY_SWEEPS["default"]
    r = sweep.run(2, 12, 5.0, vocab_size=128)
    assert r.dataset_bits == pytest.approx(5.0 * r.model.n_params, rel=0.02)
    assert r.model.n_head == 12 // sweep.head_dim and r.model.vocab_size == 128 and r.model.seq_len == sweep.seq_len
    assert sweep.min_steps <= r.train.max_steps <= sweep.max_steps
    assert r.train.lr == sweep.shape(2, 12).lr
    assert sweep.run(2, 12, 5.0, vocab_size=128).to_dict() == r.to_dict()  # same key when rebuilt
    with pytest.raises(ValueError, match="n_layer=3, width=12"):
        sweep.run(3, 12, 5.0)


@pytest.mark.parametrize("slope", [0.3, 0.0, -0.3])
def test_width_trend_recovers_the_slope_and_its_sign(slope):
    rng = np.random.default_rng(0)
    w = np.array([8, 12, 16, 24, 32, 48, 64] * 3)
    b = 3.0 + slope * np.log2(w) + rng.normal(0, 0.02, w.size)
    t = trends.fit_width_trend(w, b)
    assert t.per_doubling_ci[0] < slope < t.per_doubling_ci[1]
    expected = {0.3: "rises", 0.0: "not established", -0.3: "falls"}[slope]
    assert t.verdict.startswith(expected)
    with pytest.raises(ValueError, match="3 distinct widths"):
        trends.fit_width_trend([8, 8, 16], [1, 2, 3])


def test_saturation_twins_train_exactly_k_times_longer(tmp_path):
    from memcap.engine.studies import saturation

    run = small_runs()[0]
    store = RunStore(tmp_path)
    with pytest.raises(ValueError, match="not in the store"):
        saturation.saturation_runs(run, store, (2,))
    run_sweep([run], store, executor=ThreadPoolExecutor(1), progress=False)
    steps = store.load(run.to_dict())["curve"][-1]["step"]
    for bad in [(1,), (), (2.0,)]:
        with pytest.raises(ValueError, match="factors"):
            saturation.saturation_runs(run, store, bad)
    twins = saturation.saturation_runs(run, store, (2, 3))
    with pytest.raises(ValueError, match="2x run"):
        saturation.saturation_table(run, store, (2, 3))
    run_sweep(twins, store, executor=ThreadPoolExecutor(2), progress=False)
    table = saturation.saturation_table(run, store, (2, 3))
    assert table.length.tolist() == [1, 2, 3] and table.steps.tolist() == [steps, 2 * steps, 3 * steps]
    bits = [store.load(r.to_dict())["metrics"]["memorized_bits"] for r in [run, *twins]]
    assert table.memorized_bits.tolist() == bits
    assert table.gain.tolist() == pytest.approx([b / bits[0] - 1 for b in bits])
    assert table.gain.iloc[0] == 0 and (table.per_param == table.memorized_bits / run.model.n_params).all()
    # same data and initialization: only the length differs, and the key with it
    for twin in twins:
        assert twin.n_sequences == run.n_sequences and twin.model == run.model
        assert dataclasses.replace(twin, train=run.train) == run and twin.to_dict() != run.to_dict()
