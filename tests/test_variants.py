"""Chapter 7's per-seed quantities (memcap.measures.variants) on small hand-made tables whose answers are known."""

import math

import numpy as np
import pandas as pd
import pytest

from memcap.measures import variants
from memcap.data.biod import BioD
from memcap.measures.knowledge import value_capacity_ratio

CEILINGS = {16: 9.0, 24: 5.0, 32: 1.0}


def arch_table(R_standard, R_none, exposures=100):
    return pd.DataFrame(dict(family=["standard"] * 2 + ["none"] * 2, exposures=exposures, width=[16, 24] * 2,
                             n_params=[100, 200, 60, 120], R=[*R_standard, *R_none]))


def test_family_peaks_take_each_familys_best_width_and_set_it_beside_gpt2s():
    arch = pd.concat([arch_table((1.0, 2.0), (0.5, 0.4)), arch_table((0.2, 0.1), (0.3, 0.1), exposures=1000)])
    peaks = variants.family_peaks(arch, {"standard": CEILINGS, "none": CEILINGS})
    assert peaks.loc[("standard", 100), "width"] == 24 and peaks.loc[("standard", 100), "n_params"] == 200
    assert peaks.loc[("none", 100), "ratio_to_gpt2"] == pytest.approx(0.25)
    assert variants.peak_ratios(peaks, 1000) == pytest.approx({"standard": 1.0, "none": 1.5})
    # GPT-2's peak at 24 is closed by width 32's ceiling (1.0 < 2.0); no MLP's at 16 has no narrower width
    assert peaks.loc[("standard", 100), "wider"] == "ceiling"
    assert peaks.loc[("none", 100), "narrower"] == "open" and not peaks.loc[("none", 100), "bracketed"]


def test_a_gpt2_that_stores_nothing_leaves_every_ratio_undefined():
    peaks = variants.family_peaks(arch_table((-0.1, -0.2), (0.5, 0.4)), {"standard": CEILINGS, "none": CEILINGS})
    assert all(math.isnan(v) for v in variants.peak_ratios(peaks, 100).values())
    assert variants.cost_factor(-0.3) == math.inf and variants.cost_factor(0.25) == 4.0
    with pytest.raises(ValueError, match="no 'standard' family"):
        variants.family_peaks(arch_table((1, 2), (1, 2)).replace("standard", "gated"),
                              {"gated": CEILINGS, "none": CEILINGS})


def test_the_mixture_is_set_beside_gpt2_per_total_parameter_and_beside_mlp4_of_its_width():
    peaks = variants.family_peaks(arch_table((1.0, 2.0), (0.5, 0.4)), {"standard": CEILINGS, "none": CEILINGS})
    moe = pd.DataFrame(dict(exposures=100, width=[16, 24], n_params=[400, 800], active_params=[100, 200],
                            R=[0.5, 0.25], knowledge_bits=[200.0, 200.0]))
    table = variants.mixture_peaks(moe, CEILINGS, peaks, (100,))
    row = table.loc[100]
    assert (row.moe_width, row.R_total, row.R_active) == (16, 0.5, 2.0)
    assert row.gpt2_over_moe == pytest.approx(4.0) and row.moe_over_gpt2 == pytest.approx(0.25)
    nothing = variants.mixture_peaks(moe.assign(R=[-0.1, -0.2]), CEILINGS, peaks, (100,)).loc[100]
    assert nothing.gpt2_over_moe == math.inf and nothing.moe_over_gpt2 < 0  # the mixture stores nothing
    no_gpt2 = variants.family_peaks(arch_table((-1.0, -2.0), (0.5, 0.4)), {"standard": CEILINGS, "none": CEILINGS})
    assert math.isnan(variants.mixture_peaks(moe, CEILINGS, no_gpt2, (100,)).loc[100].moe_over_gpt2)
    quarter = pd.DataFrame(dict(width=[16, 24, 32], exposures=100, knowledge_bits=[100.0, 0.0, 5.0]))
    versus = variants.mixture_versus_quarter(moe, quarter)
    assert versus.moe_over_quarter.tolist() == [2.0, math.inf]  # width 32: no mixture trained
    assert variants.pooled_moe_over_quarter([versus], 100) == 2.0  # one seed: its narrowest margin
    # a second seed where MLP/4 stores a little at width 24: the ratio of the means, not an infinite mean
    other = versus.assign(quarter_bits=[300.0, 50.0])
    assert variants.pooled_moe_over_quarter([versus, other], 100) == pytest.approx(min(400 / 400, 400 / 50))
    assert math.isnan(variants.pooled_moe_over_quarter([versus], 1000))  # nothing trained at that count


def test_junk_effects_measure_each_set_up_against_no_junk_at_the_lower_count():
    junk = pd.DataFrame({100: [0.4, 0.1, 0.3, 0.2], 300: [0.8, 0.2, 0.5, 0.6]},
                        index=["no junk", "random junk", "repetitive junk", "random junk + domain token"])
    e = variants.junk_effects(junk, 100, 300)
    assert e["kept"] == pytest.approx(0.25)
    assert e["recovered_low"] == pytest.approx((0.2 - 0.1) / (0.4 - 0.1))
    assert e["recovered_high"] == pytest.approx((0.6 - 0.2) / (0.8 - 0.2))
    assert e["catch_up"] == pytest.approx(0.6 / 0.4) and e["repetitive_share"] == pytest.approx(0.75)
    nothing = junk.copy()
    nothing[100] = [0.0, 0.1, 0.3, 0.2]  # no junk stores nothing at the lower count: nothing to compare with
    e = variants.junk_effects(nothing, 100, 300)
    assert all(math.isnan(e[k]) for k in ("kept", "catch_up", "repetitive_share"))


def test_junk_tables_compute_the_value_term_and_name_a_missing_set_up():
    spec = BioD(N=10, K=2, C=1, D=8, L=2, T=8, N0=8**3)
    runs = pd.DataFrame(dict(family=["no junk", "random junk"], exposures=100, p1=[1.0, 2.0], p2=[0.5, 1.5],
                             recall_accuracy=[0.9, 0.1], n_params=[1000, 1000], R=[0.3, 0.1]))
    both, terms = variants.junk_tables(runs, spec, ["random junk", "no junk"])
    assert list(both.index) == ["random junk", "no junk"]
    assert both.loc["no junk", ("R_values", 100)] == pytest.approx(value_capacity_ratio(spec, 0.5, 1000))
    assert terms.loc["random junk", ("p1", 100)] == 2.0
    with pytest.raises(ValueError, match="repetitive junk"):
        variants.junk_tables(runs, spec, ["no junk", "repetitive junk"])


def test_layer_removal_judges_the_last_layer_clipped_and_every_layer_unclipped():
    rows = pd.DataFrame(dict(model="deep", layers=2, removed=[np.nan, 0, 1], knowledge_bits=[100.0, -40.0, 20.0],
                             share=[1.0, 0.0, 0.2], recall_accuracy=[0.9, 0.1, 0.95]))
    without, q = variants.layer_removal(rows)
    assert without.bits_over_layered.tolist() == pytest.approx([-0.8, 0.4])
    assert q == pytest.approx(dict(last_share=0.4, worst_layer=0.4))
    assert without.recall_whole.tolist() == [0.9, 0.9]
    _, kept = variants.mean_recall([without])  # removing the last layer recalls more than the whole model
    assert kept == [("deep", 1)]


def test_mean_recall_compares_the_means_over_seeds_and_a_nan_never_counts_as_falling():
    seed = lambda recall: pd.DataFrame(dict(model="deep", removed=[0, 1], recall_accuracy=recall,
                                            recall_whole=[0.5, 0.5]))
    recall, kept = variants.mean_recall([seed([0.1, 0.7]), seed([0.2, 0.2])])
    assert recall.recall_accuracy.tolist() == pytest.approx([0.15, 0.45])
    assert kept == []  # layer 2's 0.7 at one seed: the mean still falls
    recall, kept = variants.mean_recall([seed([0.1, 0.7]), seed([0.2, 0.4])])
    assert kept == [("deep", 1)]
    _, kept = variants.mean_recall([seed([0.1, 0.2]), seed([0.2, np.nan])])
    assert kept == [("deep", 1)]
