"""Chapter 6's analyses in memcap.measures, on hand-made runs and metrics whose answers are known."""

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from memcap.measures import double_descent, duplication, extraction, membership_law, text_memorization
from memcap.measures import text_run_tables
from memcap.measures.text import attack_table, most_memorized


class _Run:
    """A stand-in for a text run: hashable, drawn rows fixed by hand."""

    def __init__(self, width, n, rows, n_params=None, copies=1, duplicated=0, label="run", source="pool"):
        self.model = SimpleNamespace(d_model=width, n_params=n_params or 100 * width)
        self.n_sequences, self.rows, self.copies, self.duplicated = n, np.asarray(rows), copies, duplicated
        self.label, self.source = label, source

    def train_indices(self, size):
        return self.rows


def test_memorization_table_measures_against_the_oracle_and_the_main_reference():
    oracle = dict(pool_bits=[100.0, 80.0, 60.0, 40.0], test_bits=[90.0, 70.0])
    main = dict(pool_bits=[120.0, 90.0, 70.0, 50.0], test_bits=[95.0, 75.0])
    run = _Run(8, 2, rows=[2, 0], n_params=10)
    metrics = {run: dict(train_bits=[10.0, 75.0], test_bits=[95.0, 60.0],
                         train_loss_bits_per_token=1.0, test_loss_bits_per_token=2.0)}
    mem, per_sample = text_memorization.memorization_table([run], metrics, oracle, {8: main}, alpha=2.0)
    row = mem.iloc[0]
    np.testing.assert_allclose(per_sample[8, 2], [60 - 10, 100 - 75])
    assert row.mem_per_sample == pytest.approx(37.5) and row.mem_total == pytest.approx(75)
    assert row.main_mem_total == pytest.approx((70 - 10) + (120 - 75))
    assert row.mem_test_per_sample == pytest.approx((0 + 10) / 2)  # max(0, .) per test sequence
    assert row.main_mem_test_per_sample == pytest.approx((0 + 15) / 2)
    assert row.dataset_bits == pytest.approx(70 + 120)  # as the main reference codes the set
    assert row.ratio == pytest.approx(190 / (2.0 * 10))


def test_rises_and_falls_find_the_direction_and_reject_the_other():
    rng = np.random.default_rng(0)
    base = rng.normal(50, 10, 40)
    per_sample = {(8, 20): base[:20], (8, 40): base * 0.5, (32, 20): base[:20] + 5, (32, 40): base + 1}
    mem = pd.DataFrame(dict(width=[8, 8, 32, 32], n=[20, 40, 20, 40], ratio=[0.5, 2.0, 0.1, 0.3]))
    rises = text_memorization.rises_with_parameters(mem, per_sample, 8, 32)
    assert rises.n.tolist() == [20, 40] and rises.smallest_model_ratio.tolist() == [0.5, 2.0]
    assert (rises.p_value < 1e-4).all() and (rises.largest > rises.smallest).all()
    backwards = text_memorization.rises_with_parameters(mem, per_sample, 32, 8)
    assert (backwards.p_value > 0.99).all()
    falls = text_memorization.falls_with_data(per_sample, [8, 32], 20, 40)
    assert falls.p_value.iloc[0] < 1e-4  # width 8: half the code in the large set
    assert falls.in_largest_set.iloc[1] == pytest.approx(base[:20].mean() + 1)
    assert falls.p_value.iloc[1] < 1e-4  # width 32: +5 alone against +1 in the large set


def test_peaks_and_gaps_tell_an_interior_peak_from_an_edge():
    mem = pd.DataFrame(dict(width=[8] * 3 + [16] * 3, n=[10, 20, 40] * 2, ratio=[0.5, 1, 2, 0.2, 0.4, 0.8],
                            train_loss=[1.0, 2.0, 3.0, 1.0, 1.5, 2.0], test_loss=[5.0, 6.0, 4.0, 7.0, 6.0, 5.0]))
    close = dict(train_bits=[9.0, 10, 11, 12, 13], test_bits=[9.5, 10.5, 11.5, 12.5, 13.5])
    far = dict(train_bits=[1.0, 2, 3, 4, 5], test_bits=[20.0, 21, 22, 23, 24])
    dd = double_descent.peaks_and_gaps(mem, {8: far, 16: close})
    assert dd.interior_peak.tolist() == [True, False] and dd.peak_at_n.tolist() == [20, 10]
    assert dd.gap_smallest.tolist() == [4.0, 6.0] and dd.gap_largest.tolist() == [1.0, 3.0]
    assert dd.gap_p_value.iloc[0] < 0.01 < 0.1 < dd.gap_p_value.iloc[1]
    lines = double_descent.describe(dd, mem)
    assert "falling at every larger set" in lines[0] and "train loss 1.00 -> 3.00" in lines[0]


def test_extraction_table_and_the_fisher_test():
    run = _Run(16, 50, rows=range(50))
    metrics = {run: {"extract_8": 0.4, "extract_8_test": 0.0, "extract_16": 0.2, "extract_16_test": 0.1}}
    rates = extraction.extraction_table([run], metrics, (8, 16), max_samples=30)
    assert rates.prefix.tolist() == [8, 16] and rates.tried.tolist() == [30, 30]
    assert rates.train.tolist() == [0.4, 0.2] and rates.test.tolist() == [0.0, 0.1]
    assert extraction.extracted_more_than_test(0.4, 30, 0.0, 30) < 1e-3  # 12 of 30 against none
    assert extraction.extracted_more_than_test(0.1, 30, 0.1, 30) > 0.5  # 3 against 3: nothing to claim
    assert extraction.extracted_more_than_test(0.0, 30, 0.4, 30) == pytest.approx(1.0)


class _Counter(torch.nn.Module):
    """Predicts token t + 1 after token t: greedy decoding extracts counting sequences and nothing else."""

    def __init__(self, vocab_size):
        super().__init__()
        self.vocab_size, self.unused = vocab_size, torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return torch.nn.functional.one_hot((x + 1) % self.vocab_size, self.vocab_size).float()


def test_duplication_row_sets_the_repeated_samples_beside_the_others():
    V, S = 32, 8
    distinct = np.stack([np.arange(i, i + S) % V for i in range(2)] + [np.full(S, 5)] * 6)  # rows 0, 1 count
    run = _Run(8, 8, rows=range(8), copies=4, duplicated=2)
    oracle = dict(pool_bits=[50.0] * 8, test_bits=[60.0] * 16)
    train_bits = [10.0, 12.0] + [45.0, 48.0, 44.0, 47.0, 46.0, 49.0]
    metrics = dict(train_bits=train_bits, test_bits=[60.0 + i for i in range(16)], duplicated_rows=[0, 1])
    base_mem = np.array([5.0, 7.0, 5.0, 2.0, 6.0, 3.0, 4.0, 1.0])
    row = duplication.duplication_row(
        run, metrics, _Counter(V), kind="exact", oracle=oracle, distinct=distinct, base_mem=base_mem,
        rng=np.random.default_rng(0), null_rng=np.random.default_rng(1), max_attack_samples=100, n_boot=50,
        prefix_len=2, extract_tokens=3, extract_samples=10)
    assert row["kind"] == "exact" and row["copies"] == 4 and row["duplicated"] == 2
    assert row["mem_duplicated"] == pytest.approx(39.0) and row["mem_same_in_base"] == pytest.approx(6.0)
    assert row["mem_others"] == pytest.approx(np.mean([5, 2, 6, 3, 4, 1]))
    assert row["extracted_duplicated"] == 1.0 and row["extracted_others"] == 0.0
    assert row["called_members_duplicated"] == 1.0  # their code lengths are far below every test sequence's
    assert row["_rows"].tolist() == [0, 1] and len(row["_mem_all"]) == 8
    chosen = duplication.duplication_row(
        run, metrics, _Counter(V), kind="none", rows=np.array([2, 3]), oracle=oracle, distinct=distinct,
        base_mem=base_mem, rng=np.random.default_rng(0), null_rng=np.random.default_rng(1),
        max_attack_samples=100, n_boot=50, prefix_len=2, extract_tokens=3, extract_samples=10)
    assert chosen["extracted_duplicated"] == 0.0 and chosen["mem_duplicated"] == pytest.approx(3.5)


def test_most_copied_tests_the_repeated_samples_gain_against_the_others():
    rng = np.random.default_rng(0)
    base_mem = rng.uniform(0, 20, 200)
    rows = np.arange(16)
    lift = np.zeros(200)
    lift[rows] = 10.0

    def row(kind, copies, mem_all):
        return dict(kind=kind, copies=copies, _mem_all=mem_all, _rows=rows)

    noise = rng.normal(0, 2, 200)
    dups = pd.DataFrame([row("exact", 2, base_mem + noise), row("exact", 8, base_mem + noise + lift),
                         row("near", 8, base_mem + noise + 5.0),  # every sample shifted, the repeated ones no more
                         row("shift", 8, base_mem + noise + 5.0 + lift / 2), row("tie", 8, base_mem)])
    most, p = duplication.most_copied(dups, "exact", base_mem)
    assert most.copies == 8 and p < 1e-6
    assert duplication.most_copied(dups, "near", base_mem)[1] > 0.05  # a paired test against the base would pass
    assert duplication.most_copied(dups, "shift", base_mem)[1] < 1e-6  # beyond the shift
    assert duplication.most_copied(dups, "tie", base_mem)[1] == 1.0  # every gain is 0
    with pytest.raises(ValueError, match="200 samples, the base run for 199"):
        duplication.most_copied(dups, "exact", base_mem[:-1])
    with pytest.raises(ValueError, match="both sides, got 0 and 3"):
        duplication.gains_greater([], [1.0, 2.0, 3.0])
    assert duplication.shared_ngrams([1, 2, 3, 4], [1, 2, 3, 4], n=4) == 1
    assert duplication.shared_ngrams([1, 2, 3, 4], [4, 3, 2, 1], n=2) == 0


def test_run_tables_and_the_oracle_row():
    small, large = _Run(8, 0, [], n_params=10, label="a", source="reference"), _Run(16, 0, [], n_params=40)
    metrics = {r: dict(steps=5, tokens=800, n_trained=10, train_loss_bits_per_token=t, test_loss_bits_per_token=t + 1,
                       untrained_bits_per_token=5.0, seconds=0.1) for r, t in ((small, 2.0), (large, 1.0))}
    runs = text_run_tables.runs_table([small, large], metrics, seq_len=8, vocab_size=32)
    assert runs.role.tolist() == ["reference", "target"] and runs.epochs.tolist() == [10.0, 10.0]
    refs = text_run_tables.reference_table({"small": small, "large": large}, metrics, seq_len=8)
    assert refs.test_loss.idxmin() == "large" and refs.loc["small", "test_bits_per_sequence"] == 24.0


def test_attack_table_reads_x_from_the_memorization_table_and_marks_the_held_out_width():
    rng = np.random.default_rng(4)
    runs = [_Run(w, 40, rows=range(40), n_params=50) for w in (8, 16)]
    metrics = {r: dict(train_bits=rng.normal(40, 3, 40).tolist(), test_bits=rng.normal(60, 3, 100).tolist())
               for r in runs}
    mem = pd.DataFrame(dict(dataset_bits=[400.0, 1600.0]))
    attacks = attack_table(runs, metrics, mem, 2.0, rng=lambda s: np.random.default_rng(s), max_samples=30,
                           n_boot=50, heldout_width=16)
    assert attacks.x.tolist() == [math.log2(4.0), math.log2(16.0)]
    assert attacks.role.tolist() == ["fit", "held out"] and (attacks.n_attacked == 30).all()
    assert (attacks.f1_low > attacks.null_f1_high).all()


def test_membership_law_held_out_and_constants():
    law = SimpleNamespace(params=(1.0, -1.0, 0.0), ci=((0.8, 1.2), (-2.0, -0.5), (-1.0, 1.0)),
                          predict=lambda x: 0.5 * (1 + 1.0 / (1 + np.exp(np.asarray(x)))))
    held = membership_law.held_out_predictions(law, pd.DataFrame(dict(x=[0.0, 100.0], f1=[0.5, 0.5])))
    np.testing.assert_allclose(held.predicted, [0.75, 0.5])
    np.testing.assert_allclose(held.error, [0.25, 0], atol=1e-12)
    other = dict(law=dict(c1=0.9, c2=-0.5, c3=-3.0), law_ci=dict(c1=[0.7, 1.1], c2=[-1, 0], c3=[-4, -2]))
    table = membership_law.constants_table(law, other, {"c1": 1.34}, other_name="chapter_5")
    assert table.loc["c3", "chapter_5_low"] == -4 and table.loc["c2", "text_high"] == -0.5
    assert table.loc["c1", "printed"] == 1.34 and math.isnan(table.loc["c2", "printed"])
    alone = membership_law.constants_table(law)
    assert alone[["other", "other_low", "other_high"]].isna().all().all()


def test_most_memorized_ranks_by_mem_u_and_reports_rarity():
    samples = [[1, 2], [3, 4], [5, 6]]
    table = most_memorized(samples, [0.2, 0.9, 0.5], [3.0, 1.0, 7.0], lambda row: f"{row[0]}\n{row[1]}", k=2)
    assert table.mem_u.tolist() == [7.0, 3.0] and table.tfidf_rank.tolist() == [2, 3]
    assert table.text.tolist() == ["5 / 6", "1 / 2"]
