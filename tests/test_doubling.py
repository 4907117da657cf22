"""Training until a doubling adds little (memcap.engine.studies.doubling), on the path a GPU takes: stacked groups
trained in this process (run_sweep's max_workers=0 on the CPU is the branch CUDA uses)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from memcap.engine.runs import CapacityRun
from memcap.engine.studies.doubling import ladder_factors, ladder_runs, until_saturated
from memcap.engine.training.config import TrainConfig
from memcap.infra.store import RunStore
from memcap.infra.sweep import run_sweep
from memcap.model import GPTConfig

CFG = GPTConfig(vocab_size=16, seq_len=8, n_layer=1, d_model=16, n_head=2)
TRAIN = TrainConfig(max_steps=40, batch_size=8, lr=1e-2, warmup_steps=5, eval_every=10, min_decay_steps=10)


def _runs():
    return [CapacityRun(CFG, TRAIN, n_sequences=n) for n in (8, 12, 16)] + [
        CapacityRun(CFG.with_(d_model=24, n_head=3), TRAIN, 8)]


def _numbers(metrics):
    return [{k: v for k, v in m.items() if k != "seconds" and not isinstance(v, str)} for m in metrics]


def test_an_in_process_sweep_stacks_and_stores_what_worker_processes_would(tmp_path):
    here = run_sweep(_runs(), tmp_path / "here", max_workers=0, progress=False, stack=2,
                     stack_max_params=CFG.n_params)
    assert here.trained == 4
    assert sorted(m.get("stacked_with", 1) for m in here.metrics) == [1, 1, 2, 2]
    pooled = run_sweep(_runs(), tmp_path / "pool", executor=ThreadPoolExecutor(2), progress=False, stack=2,
                       stack_max_params=CFG.n_params)
    for a, b in zip(_numbers(here.metrics), _numbers(pooled.metrics)):  # equal but for the threads' summation order
        assert a == pytest.approx(b, rel=1e-4, abs=1e-4)
    assert run_sweep(_runs(), tmp_path / "here", max_workers=0, progress=False).trained == 0


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_max_workers_is_none_zero_or_a_positive_count(tmp_path, bad):
    with pytest.raises(ValueError, match=f"max_workers.*got {bad!r}"):
        run_sweep(_runs(), tmp_path, max_workers=bad, progress=False)


def _trainer(store, log):
    def train(runs):
        report = run_sweep(runs, store, max_workers=0, progress=False, stack=4, stack_max_params=10**6)
        log.append((len(runs), report.trained))
    return train


def test_each_run_doubles_until_a_doubling_adds_less_than_the_share(tmp_path):
    store, log = RunStore(tmp_path), []
    table = until_saturated(_runs()[1:], store, max_gain=0.05, max_factor=4, train=_trainer(store, log))
    for i, rows in table.groupby("run"):
        assert rows.length.tolist() == [1, 2, 4][:len(rows)], rows
        steps = rows.steps.tolist()
        assert steps[1:] == [k * steps[0] for k in rows.length.tolist()[1:]]  # exact multiples of the rule's steps
        assert (rows.gain.iloc[1:-1] >= 0.05).all(), rows  # it went on only while a doubling added 5 % or more
        last = rows.iloc[-1]
        assert last.saturated == (len(rows) > 1 and last.gain < 0.05), rows
        assert last.saturated or last.length == 4, rows  # it stops when saturated or at the longest length
        assert not rows.saturated.iloc[:-1].any()
    counts = [int((table.length == k).sum()) for k in (2, 4) if (table.length == k).any()]
    assert [n for n, _ in log] == [3] + counts
    assert table.saturated.any() and (table.length == 4).any(), table  # both endings happen on these runs
    log.clear()
    again = until_saturated(_runs()[1:], store, max_gain=0.05, max_factor=4, train=_trainer(store, log))
    assert all(trained == 0 for _, trained in log) and again.drop(columns="seconds").equals(table.drop(columns="seconds"))  # a second call reads the store


def test_a_budget_stops_the_doubling_and_says_which_runs_are_not_saturated(tmp_path):
    store, seen = RunStore(tmp_path), []

    def budget(k, runs):
        seen.append((k, len(runs)))
        return k < 4

    table = until_saturated(_runs(), store, max_gain=1e-9, max_factor=16, train=_trainer(store, []),
                            before_doubling=budget)
    assert seen == [(2, 4), (4, 4)]
    assert table.length.max() == 2 and not table.saturated.any()


def test_the_ladder_is_every_twin_up_to_the_longest_length(tmp_path):
    store = RunStore(tmp_path)
    planned = ladder_runs(_runs()[:1], 8)  # not trained yet: from its step cap
    assert [r.train.max_steps for r in planned] == [80, 160, 320]
    run_sweep(_runs()[:1], store, max_workers=0, progress=False)
    steps = store.load(_runs()[0].to_dict())["curve"][-1]["step"]
    assert [r.train.max_steps for r in ladder_runs(_runs()[:1], 8, store)] == [2 * steps, 4 * steps, 8 * steps]


@pytest.mark.parametrize("call, message", [
    (lambda s: ladder_factors(12), "power of two >= 2.*max_factor=12"),
    (lambda s: ladder_factors(1), "max_factor=1"),
    (lambda s: ladder_factors(True), "max_factor=True"),
    (lambda s: until_saturated(_runs(), s, max_gain=0.0), "max_gain=0.0"),
    (lambda s: until_saturated(_runs(), s, max_gain=1.5), "max_gain=1.5"),
    (lambda s: until_saturated([], s), "at least one run"),
])
def test_bad_input_is_named(tmp_path, call, message):
    with pytest.raises(ValueError, match=message):
        call(RunStore(tmp_path))


def test_plan_counts_every_doubling_of_chapter_2s_grid_and_refuses_other_chapters(tmp_path):
    from memcap.book.plan import chapter_runs, plan

    grid = chapter_runs("02_capacity", "smoke")["grid"]
    table = plan("02_capacity", "smoke", store=tmp_path / "store", measure_steps=1, until_saturated=4).table
    twins = {RunStore.key(r.to_dict()): r for r in ladder_runs(grid, 4)}
    assert len(twins) == 2 * len(grid) and set(twins) <= set(table.key)  # the chapter's own twins listed once
    assert sorted(table[table.key.isin(twins)].max_steps) == sorted(k * r.train.max_steps for r in grid for k in (2, 4))
    assert "doublings" not in set(plan("02_capacity", "smoke", store=tmp_path / "store", measure_steps=1).table.group)
    with pytest.raises(ValueError, match="chapter '3' has none"):
        plan("3", "smoke", store=tmp_path / "store", measure_steps=1, until_saturated=4)


def test_plan_names_the_runs_damaged_in_the_store_and_counts_them_to_train(tmp_path):
    from memcap.book.plan import chapter_runs, plan

    store = RunStore(tmp_path / "store")
    whole, damaged = chapter_runs("02_capacity", "smoke")["grid"][:2]
    for run in (whole, damaged):
        store.save(run.to_dict(), {"memorized_bits": 1.0}, [{"step": 1, "metric": 1.0}])
    (store.path(damaged.to_dict()) / "metrics.json").write_text("{")  # cut short after it was stored
    p = plan("02_capacity", "smoke", store=store.root, measure_steps=1)
    t = p.table.set_index("key")
    assert t.stored[store.key(whole.to_dict())] and not t.stored[store.key(damaged.to_dict())]
    assert list(t.index[t.damaged]) == [store.key(damaged.to_dict())]
    assert f"to train (1 of them damaged in the store, trained again: {store.key(damaged.to_dict())})" in p.summary()
