# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 7: What else decides knowledge capacity
#
# **Takeaway:** the shape of a GPT's MLP changes its knowledge capacity little with many exposures; removing the MLP
# costs more, and most with few exposures. A mixture of experts stores less per parameter it owns and more per
# parameter it uses. Knowledge is not stored layer by layer: without any one of its layers, a model here keeps far
# less than the $1 - 1/L$ of its knowledge that layer-by-layer storage would leave, and recalls less. Random junk in
# the training stream wipes out what few exposures would have stored of the useful people's values, and repetitive
# junk costs nothing; a domain token in front of the useful data gives back almost nothing with few exposures; with
# three times as many its runs store about what runs without junk store with few on some seeds, not on all (the
# paper's comparison, where the token removes the loss).
# Section 6 sets each finding beside the paper's, including those where this book's small models disagree
# with it.
#
# Chapter 3 measured the capacity ratio $R(F)$ of one architecture, GPT-2, on bioD. Allen-Zhu & Li's Results 5–12 ask
# what else changes it. This chapter trains the same bioD world (with its own number of people, so that each
# family's peak fits two cores) and measures, with chapter 3's Theorem 3.2 bound:
#
# 1. four MLPs: GPT-2's ($d \to 4d \to d$), LLaMA's gated one, a quarter-size one ($d \to d \to d$) and none, at a
#    high and a low number of exposures (section 2);
# 2. a mixture of experts, counted per total and per active parameter (section 3);
# 3. the knowledge left when a layer is removed (section 4);
# 4. junk data in the training stream, random or repetitive, with and without a domain token (section 5).

# %% tags=["parameters"]
scale = "default"  # "smoke" (CI, seconds), "default" (the book), "paper"
seed = 0  # the first seed of every run (the preset's `seeds` count on from it)
device = "auto"  # "auto", "cpu", "cuda", "cuda:N" or "mps"
output_dir = ""  # where results.json goes; "": build/<scale>/07_architecture
store_dir = ""  # the run store the chapters share; "": build/store

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from memcap import papers
from memcap.book import checks, start
from memcap.engine.runs import load_model
from memcap.engine.studies import ablation
from memcap.infra import sweep
from memcap.measures import baselines, knowledge, variants
from memcap.measures.seeds import across_seeds
from memcap.model import Block, GPTConfig, MixtureOfExperts

run = start("07_architecture", scale=scale, seed=seed, device=device,
            output_dir=output_dir, store_dir=store_dir)
p, setup, store, results = run.preset, run.preset.setup, run.store, run.results
run.settings()

# %% [markdown]
# ## 1. The world and the runs
#
# The world is chapter 3's bioD$(N, K, C, D, L, T)$ with `n_people` people; every paragraph is one training window,
# so a window is either all one person or (section 5) all junk. The models are chapter 3's GPT-2s (tied
# embeddings, `n_layer` layers, heads of `head_dim`) with one block part changed at a time. The numbers below are
# the most there is to know and the parameter counts of every model the chapter trains.

# %%
spec = setup.spec()
high, low = max(setup.exposures), min(setup.exposures)
seeds = p.seed_list(seed)  # sections 2-5 show the first in detail
planned = {s: p.seed_runs(s) for s in seeds}  # `memcap plan 7` lists them
groups = [  # (seed, section, family, run)
    (s, part, family, r) for s, runs in planned.items() for part, family, r in (
        [("architecture", mlp, r) for mlp, rs in runs["arch"].items() for r in rs]
        + [("mixture", r.model.mlp, r) for r in runs["moe"]]
        + [("removal", f"standard, {p.removal_depth} layers", runs["removal"])]
        + [("junk", name, r) for name, by_exposures in runs["junk"].items()
           for r in by_exposures.values()])
]
everything = [r for *_, r in groups]
distinct = len({store.key(r.to_dict()) for r in everything})
world_bits = knowledge.knowledge_bits_approx(spec)
print(f"{spec}: {world_bits:,.0f} bits of knowledge (Proposition 2.3); {distinct} runs "
      f"({len(everything) - distinct} used in two sections) over {len(seeds)} seed(s)")

# %%
report = sweep.run_sweep(everything, store, device=run.device, stack=p.stack,
                         stack_max_params=p.stack_max_params)
print(f"{report.trained} runs trained, {report.reused} read from the store, in "
      f"{report.seconds:.0f} s")
every_seed = pd.DataFrame([
    dict(seed=s, part=part, family=family, width=r.model.d_model,
         layers=r.model.n_layer, exposures=r.exposures, batch=r.train.batch_size,
         active_params=r.model.n_active_params, useful_share=r.useful_share, **m)
    for (s, part, family, r), m in zip(groups, report.metrics)
])
frame = every_seed[every_seed.seed == seed].reset_index(drop=True)  # the first seed
frame[["part", "family", "width", "layers", "n_params", "active_params", "exposures",
       "batch", "steps", "R", "R_max", "fresh_R", "recall_accuracy",
       "seconds"]].round(3)

# %% [markdown]
# The same two baselines as chapter 3, from the same runs. Untrained, every model codes the paragraphs at
# $\log_2 V$ bits per token; trained, it is measured again on people it never saw (`fresh_R`): what it stores of
# its own people is at least $R - \max(0, R_\text{fresh})$ (`baselines.stored_beyond_fresh`). A broken engine or
# measurement fails one of the two.
#
# The chapter trains every run at `seeds` seeds of data and initialization. Sections 2–5 show the first seed's
# tables and figures; each claim judges the mean of its quantity over the seeds, shown with its 95 % t interval
# (from two seeds on: `memcap.measures.seeds`). One seed's ratio of two runs is one draw, and these draws vary.

# %%
base = baselines.calibration(every_seed, tolerance=p.max_calibration_error)
base["R_beyond_fresh"] = baselines.stored_beyond_fresh(base)
no_junk_high = base[(base.part != "junk") & (base.exposures == high)]
learned = no_junk_high.groupby("seed").R_beyond_fresh.max()  # the best model's
beyond = learned.mean(skipna=False)
print("calibration: untrained models code at log2 V within "
      f"{base.calibration_error.abs().max():.2%}; at {high} exposures the best model "
      f"stores {beyond:.3f} bits/param about its own people beyond fresh ones "
      f"(mean over {len(seeds)} seed(s); per seed: "
      + ", ".join(f"{v:.3f}" for v in learned) + ")")
run.claim("calibrated", base.calibrated.all(), base.calibration_error.abs().max())
run.claim("stores_own_people", value=beyond)
results.update(seeds=list(seeds),
               calibration_max_error=float(base.calibration_error.abs().max()),
               max_R_beyond_fresh=float(beyond))

# %% [markdown]
# ## 2. Architecture (Results 5–7)
#
# Four families, each at widths around its own peak (a family's peak is where its parameters just hold the
# world's bits, and a smaller MLP means a wider model for the same parameters):
#
# * **GPT-2**: $d \to 4d \to d$ with GELU, as in chapter 3;
# * **gated** (LLaMA): SwiGLU, $\mathrm{down}(\mathrm{silu}(\mathrm{gate}\,x) \odot \mathrm{up}\,x)$ with
#   hidden size $8d/3$, about the same parameters;
# * **MLP/4**: $d \to d \to d$, a quarter of GPT-2's MLP parameters;
# * **no MLP**: attention only.
#
# Embeddings are tied throughout (the paper notes tiny LLaMA models need it). The paper: at 1000 exposures
# architecture barely matters; at 100, the gated MLP stores up to 1.3× less, MLP/4 almost the same and no MLP
# more than 1.5× less.

# %%
arch = frame[frame.part == "architecture"]
ceilings = {a.mlp: p.ceilings(a.mlp) for a in p.archs}  # R^max at every width
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True, constrained_layout=True)
for ax, exposures in zip(axes, (high, low)):
    for family, g in arch[arch.exposures == exposures].groupby("family", sort=False):
        (line,) = ax.plot(g.n_params, g.R, marker="o", label=family)
        if exposures == high:
            R_max = np.array(list(ceilings[family].values()))
            ax.plot(world_bits / R_max, R_max, ls=":", color=line.get_color())
    ax.set(xscale="log", xlabel="parameters P", title=f"{exposures} exposures")
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
axes[0].set_ylim(0, 1.3 * arch.R.max())
axes[0].set_ylabel("R(F) (bits/param)")
axes[0].legend(title="MLP", fontsize=8)
plt.show()

# %% [markdown]
# *Figure: the capacity ratio of each MLP family against its parameters, at the high (left) and low (right)
# number of exposures. Each family's peak is its knowledge capacity. Dotted (left): each family's ceiling
# $R^\max$ = the world's bits / $P$ at every width of the ladder, which no model of that size can exceed.*

# %%
gpt2 = p.archs[0].mlp
peaks = variants.family_peaks(arch, ceilings, gpt2)
display(peaks.round(3))
# a ratio to GPT-2 needs GPT-2 to store something (else NaN: its claims fail)
ratio_high, ratio_low = (variants.peak_ratios(peaks, e, gpt2) for e in (high, low))
for e, ratios in ((high, ratio_high), (low, ratio_low)):
    print(f"peak R relative to GPT-2 at {e} exposures: "
          + ", ".join(f"{f} {v:.2f}" for f, v in ratios.items()))

# %% [markdown]
# The same peaks at every seed, and the ratios the claims of Results 5–7 judge: each family's peak $R$ over
# GPT-2's. The claims take the mean over the seeds, each against its threshold (section 6 lists them all); the
# cost of having no MLP is GPT-2's over its own, the inverse of the mean ratio (infinite where the mean is at or
# below 0). Every ratio keeps GPT-2, the reference, in its denominator, so that one seed where a variant stores
# almost nothing cannot make the mean infinite.

# %%
every_arch = every_seed[every_seed.part == "architecture"]
seed_peaks = {s: variants.family_peaks(g, ceilings, gpt2)
              for s, g in every_arch.groupby("seed")}
others = [a.mlp for a in p.archs if a.mlp != gpt2]
family_seeds = across_seeds({s: {
    f"{f} / GPT-2, {e} exp.": variants.peak_ratios(pk, e, gpt2)[f]
    for e in (high, low) for f in others} for s, pk in seed_peaks.items()})
display(family_seeds.round(3))
mean = family_seeds["mean"]
families_high = mean[[f"{f} / GPT-2, {high} exp." for f in others]]
run.claim("families_close_high", value=families_high.min(skipna=False))
none_low = mean[f"none / GPT-2, {low} exp."]
run.claim("no_mlp_costs_low", value=variants.cost_factor(none_low))
run.claim("gated_not_above_low", value=mean[f"gated / GPT-2, {low} exp."])
run.claim("gated_at_least_low", value=mean[f"gated / GPT-2, {low} exp."])
run.claim("quarter_keeps_low", value=mean[f"quarter / GPT-2, {low} exp."])
open_peaks = [f"{f}@{e} (seed {s})" for s, pk in seed_peaks.items()
              for f, e in pk.index[~pk.bracketed]]
run.claim("peaks_bracketed", not open_peaks, detail="open: " + ", ".join(open_peaks))
results.update(
    peak_R={f"{f}@{e}": float(r) for (f, e), r in peaks.R.items()},
    peak_ratio_to_gpt2_high=ratio_high, peak_ratio_to_gpt2_low=ratio_low,
    peaks_bracketed={f"{f}@{e}": bool(v) for (f, e), v in peaks.bracketed.items()},
)

# %% [markdown]
# `narrower` and `wider` say how each side of a peak is closed: by a trained width that stores less, or, on the
# wider side, by the *ceiling*: $R(F) \le R^\max(F)$, the world's bits over $P$, whatever the training, and
# $R^\max$ falls as the model widens, so once the next width's ceiling (`ceiling`) is below the peak's $R$ no
# wider model can do better, and it need not be trained. That is why the grid stops at the peak at the higher
# count. A side left `open` makes the peak a lower bound on the family's capacity (`bracketed` false); at this
# scale the check above requires every family's peak closed. At the lower count the peaks sit at wider models
# than at the higher one: with few exposures a model needs spare parameters to pick up a fact at all.
#
# Two results differ from the paper; the claims revised for them after the first `default` run were asserted only
# once two fresh seeds confirmed them (section 6). Without an MLP the peak at the higher count falls short of GPT-2's
# by more than the paper's "barely matters". And the gated MLP stores *more* than GPT-2's at the lower count, where
# the paper found LLaMA up to 1.3× worse and traced it to the gated MLP. Our models have $10^4$ parameters, all
# families share one learning rate (tuned for GPT-2's MLP in chapter 3), and at `default` the chapter trains one
# seed (three in `memcap batch`: benchmarks/RESULTS.md); the paper's models have $10^7$–$10^8$. Which of these differences decides the sign is not something this grid can tell; the `paper` preset
# runs the paper's sizes.

# %% [markdown]
# ## 3. Mixture of experts (Result 9)
#
# The MLP of every block is replaced by $E$ experts, each $d \to d \to d$ (MLP/4's shape), and a router
# ($d \to E$, no bias) that sends each token to its most probable expert only, scaling that expert's output by its
# probability (top-1, as Switch Transformers). Training adds the standard load-balancing loss
# $E\sum_e f_e P_e$ ($f_e$ the share of tokens routed to expert $e$, $P_e$ its mean router probability), scaled by
# 0.01, so that all experts get tokens. The paper uses 32 experts; here $E$ is smaller because at CPU widths 32
# experts would hold most of the parameters and push the peak to widths too narrow to learn. A model has
# `n_params` in total and uses `active_params` for any one token (one expert per block).
#
# No capacity limit: the paper caps how many tokens an expert takes (a capacity factor of 2 in training, 8 at test),
# and a token routed to a full expert skips the MLP. Here every token reaches the expert its router picks, in
# training and at measurement alike (an unlimited capacity factor), so no token is dropped and no knowledge is lost
# to an overflow; with a few thousand tokens a batch and $E \le 8$ a cap would only add a second source of noise.
#
# The cleanest comparison is with MLP/4 at the same width: the same attention, the same active parameters, and
# $E$ times the MLP parameters. If the experts hold knowledge, the mixture stores more bits than MLP/4. The
# mixture's peak is found as in section 2 (`bracketed`: closed on both sides); where it is not, its $R$ is a lower
# bound on the mixture's capacity and `gpt2_over_moe` an upper bound on the ratio.

# %%
moe = frame[frame.part == "mixture"]
moe_ceilings = p.ceilings("moe")
moe_table = variants.mixture_peaks(moe, moe_ceilings, peaks, (high, low), gpt2)
display(moe_table.round(3))
# every width and count at which both were trained; over MLP/4's bits: inf where
# only MLP/4 stores nothing, NaN where neither stores (its claim fails)
versus = variants.mixture_versus_quarter(moe, arch[arch.family == "quarter"])
display(versus.round(3))

# %%
probe = moe[moe.exposures == high].sort_values("R").iloc[-1]
probe_run = next(r for r in planned[seed]["moe"]
                 if r.exposures == high and r.model.d_model == probe.width)
probe_model = load_model(store, probe_run, run.device)
probe_tokens = np.stack([t for t, _ in probe_run.evaluation()])
load = ablation.expert_load(probe_model, probe_tokens)
print(f"tokens per expert in the {p.moe_experts}-expert model of width {probe.width} "
      f"(rows: layers; even load = {1 / p.moe_experts:.3f}):")
print(pd.DataFrame(load).round(3).to_string())
results.update(moe=moe_table.reset_index().to_dict("records"),
               moe_over_quarter=versus.to_dict("records"),
               expert_load=load.round(4).tolist())
at_high = versus[versus.exposures == high]
print(f"at {high} exposures the mixture stores "
      + ", ".join(f"{r.moe_over_quarter:.2f}x MLP/4's bits (width {r.width})"
                  for r in at_high.itertuples()))

# %% [markdown]
# At every seed: the mixture's bits over MLP/4's at the higher count (the narrowest margin over the widths both
# were trained at), and the mixture's peak $R$ per total parameter over GPT-2's (the paper's quantity, Result 9,
# the other way up), at both counts. Two claims judge the higher count: the mixture stores more than MLP/4 (the
# experts hold knowledge), judged on the ratio of the two families' mean bits over the seeds, since MLP/4, the
# reference, can store almost nothing at one seed; and it stores less per parameter it holds than GPT-2 (GPT-2's
# over the mixture's: the inverse of the mean ratio; the paper: 1.3).

# %%
mixture_per_seed, versus_by_seed = {}, []
for s, g in every_seed.groupby("seed"):
    m, a = g[g.part == "mixture"], g[g.part == "architecture"]
    versus_by_seed.append(variants.mixture_versus_quarter(m, a[a.family == "quarter"]))
    table = variants.mixture_peaks(m, moe_ceilings, seed_peaks[s], (high, low), gpt2)
    mixture_per_seed[s] = {
        f"mixture / MLP/4 bits, {high} exp.":
            variants.pooled_moe_over_quarter(versus_by_seed[-1:], high),
        **{f"mixture per total param / GPT-2, {e} exp.": table.moe_over_gpt2[e]
           for e in (high, low)},
    }
mixture_seeds = across_seeds(mixture_per_seed)
display(mixture_seeds.round(3))
# the mixture's bits over MLP/4's as a ratio of the means over the seeds
experts = variants.pooled_moe_over_quarter(versus_by_seed, high)
print(f"over the seeds the mixture stores {experts:.2f}x MLP/4's bits at {high} "
      "exposures")
run.claim("experts_add", value=experts)
per_param = mixture_seeds["mean"][f"mixture per total param / GPT-2, {high} exp."]
run.claim("moe_less_per_param", value=variants.cost_factor(per_param))

# %% [markdown]
# ## 4. Where knowledge lives (§8.1)
#
# If each layer held its own share of the facts, a model without one of its $L$ layers would keep about
# $1 - 1/L$ of its bits. We take the `removal_depth`-layer GPT-2 trained near capacity, remove each layer in turn
# (the residual stream simply skips it) and measure the bound again, on the same renderings, counting bits
# against the whole model's parameters, so the numbers are bits, not a smaller model's ratio. The share left is
# what the bound can still prove, $\max(0, \text{bits})$ over the whole model's bits: without a layer a model can
# code the names worse than a uniform guess, and the bound then goes below zero (the raw bits are in the table).
# The peak GPT-2 of section 2 (chapter 3's depth) gets the same treatment.

# %%
removal_by_seed, removal_per_seed = {}, {}
for s, pk in seed_peaks.items():  # the deeper model; the peak GPT-2 at the higher count
    peak_run = next(r for r in planned[s]["arch"][gpt2] if r.exposures == high
                    and r.model.d_model == pk.loc[(gpt2, high), "width"])
    removable = [("deep", planned[s]["removal"])] + ([("GPT-2 peak", peak_run)]
                                                     if setup.n_layer > 1 else [])
    table = pd.DataFrame([
        dict(model=name, layers=r.model.n_layer, **row) for name, r in removable
        for row in ablation.bits_without_each_layer(load_model(store, r, run.device), r)
    ])
    # a whole model that stores nothing has no share to take apart: NaN
    without_s, q = variants.layer_removal(table)
    removal_by_seed[s] = (table, without_s.assign(seed=s))
    removal_per_seed[s] = {
        "without the last layer: share left / (1 - 1/L)": q["last_share"],
        "without any layer: bits left / (1 - 1/L), worst": q["worst_layer"]}
removal, without = removal_by_seed[seed]
removal["expected_if_layered"] = np.where(removal.removed.isna(), 1.0,
                                          1 - 1 / removal.layers)
display(removal[["model", "layers", "removed", "knowledge_bits", "share",
                 "expected_if_layered", "recall_accuracy"]].round(3))
last = removal[removal.removed == removal.layers - 1]
print("without its last layer a model keeps "
      + ", ".join(f"{r.share:.1%} of its bits "
                  f"({r.layers} layers; 1 - 1/L = {1 - 1 / r.layers:.0%})"
                  for r in last.itertuples()))

# %% [markdown]
# Every layer, not only the last: the bound's bits left without each layer, *not* clipped at 0 (a model that codes
# the names worse than a uniform guess reads below 0, not as "nothing"), over $1 - 1/L$ of the whole model's, and
# the recall without the layer beside the whole model's (first seed). Below it, at every seed, the two quantities
# the claims judge: the share left without the last layer (clipped at 0, as the table's `share`) and the worst
# layer's unclipped bits, each over $1 - 1/L$; and recall without each layer beside the whole model's, both as
# means over the seeds (the claim wants the first below the second for every layer).

# %%
display(without[["model", "layers", "removed", "bits_over_layered",
                 "recall_accuracy", "recall_whole"]].round(3))
removal_seeds = across_seeds(removal_per_seed)
display(removal_seeds.round(3))
recall, kept = variants.mean_recall([w for _, w in removal_by_seed.values()])
display(recall.round(3))
mean = removal_seeds["mean"]
last_share = mean["without the last layer: share left / (1 - 1/L)"]
run.claim("last_layer_matters", value=last_share)
worst_layer = mean["without any layer: bits left / (1 - 1/L), worst"]
# `kept`: the layers whose removal left the mean recall as high as the whole model's
run.claim("every_layer_matters",
          None if p.max_last_layer_share is None
          else not kept and worst_layer <= p.max_last_layer_share, worst_layer,
          detail="mean recall did not fall without " + ", ".join(
              f"layer {r + 1} of {m}" for m, r in kept) if kept else "")
results["layer_removal"] = removal.to_dict("records")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for name, g in removal[removal.removed.notna()].groupby("model", sort=False):
    ax.plot(g.removed + 1, g.share, marker="o",
            label=f"{name} ({int(g.layers.iloc[0])} layers)")
    ax.axhline(1 - 1 / g.layers.iloc[0], ls=":", color=ax.lines[-1].get_color())
ax.set(xlabel="layer removed (1 = first)", ylabel="share of the bits left",
       ylim=(min(0, removal.share.min()) - 0.05, 1.05))
ax.xaxis.get_major_locator().set_params(integer=True)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# *Figure: the share of a model's knowledge bits left without each of its layers; the dotted lines are
# $1 - 1/L$, what a model that kept each fact in one layer would keep on average.*

# %% [markdown]
# ## 5. Junk data and the domain token (Results 10–12)
#
# Now most of the training stream is not worth knowing. A share `junk_ratio` (the paper's 7/8) of the windows
# comes from `junk_people` junk people, each window all-junk or all-useful; the useful people are still seen
# `exposures` times, in the same steps as without junk (each step has as many useful windows as a step without
# junk, plus the junk ones). As in the paper, junk people are people of the same world: other names, values from
# the same diversity sets, so a junk paragraph looks like a useful one and only its person is not worth knowing.
# Four set-ups, measured on the useful people only:
#
# * **no junk**;
# * **random junk**: a huge junk world, each junk person seen a few times;
# * **repetitive junk**: a junk world of a few people, seen over and over;
# * **random junk + domain token**: every useful paragraph starts with a token of its own instead of `<eot>`.
#
# The paper: at 100 exposures random junk cuts capacity about 20×; at 300 it is still 3× below the no-junk runs
# at 100 exposures; repetitive junk costs nothing; the domain token limits the loss to about 2× at 100 exposures
# and removes it at 300. The claims below were fixed before the first run of this design, but for the domain
# token's: at the lower count it gave back almost nothing on the first two seeds, so that claim is shown, and the
# paper's own comparison at the higher count (the token's runs at 300 exposures against the no-junk runs at 100)
# was added after them; it held on seeds 2 and 3, which it never saw, and failed on a later fresh seed, so it is
# shown too (`memcap claims 7`; the seeds' values are in benchmarks/RESULTS.md).
#
# Part of what $R$ loses with junk is the mixture's own cost, not forgetting. Without the domain token a useful
# paragraph starts with the `<eot>` that junk paragraphs start with too, so even a model that knows the mixture
# perfectly gives the next name a useful person's only with probability `useful_share` (1/8): $\log_2 8 = 3$ bits
# more per useful name than without junk (`knowledge.world_choice_bits`), whatever it stores. Once the name is
# there, it says whose values follow. So the claims below are on `R_values`, Theorem 3.2's value term per
# parameter, $N K \log_2(D^C/e^{p_2})/P$ (`knowledge.value_capacity_ratio`): what a model stores about each useful
# person, which the mixture's cost cannot touch. $R$, which charges it, is shown beside it.

# %%
junk_people = {name: j.junk_people for name, j in p.junk_setups.items()
               if j.junk_people}
windows_per_useful = p.junk_ratio / (1 - p.junk_ratio)  # junk windows per useful one
for name, n_junk in junk_people.items():
    print(f"{name}: {n_junk:,} junk people, each seen about "
          + ", ".join(f"{windows_per_useful * e * spec.N / n_junk:,.1f} times at {e}"
                      for e in p.junk_exposures))
junk_runs = frame[frame.part == "junk"]
both, terms = variants.junk_tables(junk_runs, spec, list(p.junk_setups))
junk = both["R_values"]
display(both.round(3))
display(terms.round(3))
share = junk_runs[junk_runs.family == "random junk"].useful_share.iloc[0]
floor = knowledge.world_choice_bits(share, domain_token=False)
print(f"{share:.3f} of the windows are useful: after a shared first token a useful "
      f"name costs at least {floor:.2f} bits more")
j_low, j_high = min(p.junk_exposures), max(p.junk_exposures)
clean, rand = junk.loc["no junk"], junk.loc["random junk"]
effects = variants.junk_effects(junk, j_low, j_high)  # first seed
print(f"R_values with random junk at {j_low} exposures: {rand[j_low]:.3f} against "
      f"{clean[j_low]:.3f} without; the domain token recovers "
      f"{effects['recovered_low']:.0%} of the difference "
      f"({effects['recovered_high']:.0%} at {j_high})")

# %% [markdown]
# The claims of Results 10–12 at this scale judge the mean over the seeds of each effect, each against no junk
# at the lower count (undefined, so the claims fail, where no junk stores nothing): the share random junk keeps,
# whose inverse is its loss factor (infinite where the mean share is at or below 0), the share of random junk's cost
# that the domain token gives back (undefined where random junk costs nothing), the token's runs at the higher count
# over no junk at the lower, and repetitive junk's share.

# %%
names = dict(kept=f"random junk / no junk, {j_low} exp.",
             recovered_low=f"token recovers, {j_low} exp.",
             recovered_high=f"token recovers, {j_high} exp.",
             catch_up=f"token at {j_high} / no junk at {j_low}",
             repetitive_share=f"repetitive / no junk, {j_low} exp.")
if j_high == j_low:  # one junk count: its two recovery rows are one
    del names["recovered_high"]
junk_seeds = across_seeds({s: {names[k]: v for k, v in variants.junk_effects(
    variants.junk_tables(g[g.part == "junk"], spec, list(p.junk_setups))[0]["R_values"],
    j_low, j_high).items() if k in names} for s, g in every_seed.groupby("seed")})
display(junk_seeds.round(3))
mean = junk_seeds["mean"]
run.claim("junk_costs", value=variants.cost_factor(mean[names["kept"]]))
run.claim("domain_token_recovers", value=mean[names["recovered_low"]])
run.claim("domain_token_catches_up", value=mean[names["catch_up"]])
run.claim("repetitive_junk_keeps", value=mean[names["repetitive_share"]])
results.update(
    junk_R_values={name: {str(e): float(v) for e, v in row.items()}
                   for name, row in junk.iterrows()},
    domain_recovered={str(e): effects[f"recovered_{k}"]
                      for e, k in ((j_low, "low"), (j_high, "high"))},
)

# %%
fig, ax = plt.subplots(figsize=(7.5, 3.8))
junk.T.plot.bar(ax=ax, rot=0, width=0.8)
ax.axhline(0, color="k", lw=0.8)
ax.set(xlabel="exposures of each useful person",
       ylabel="R_values: the useful people's\nvalues, bits per parameter")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# *Figure: what each set-up stores about the useful people's values, per parameter, for each number of exposures.
# It can go below zero: a model that codes the useful values worse than a uniform guess over each diversity set.*
#
# The second table splits the cost. $p_1$ is the loss on a useful person's name right after the paragraph's first
# token: with junk, that token starts junk paragraphs too, so a model that has learnt the names spreads its guess
# over useful and junk ones (3 bits a name at the least); the domain token tells it which kind comes next. $p_2$ is
# the loss on the values, given the name: what `R_values` is made of.

# %% [markdown]
# ## 6. The paper beside this book
#
# Ratios are capacity without the change over capacity with it (above 1: the change costs knowledge). Ours are
# measured above at this chapter's scale and printed from this run; the paper's are read from its text
# (`memcap.papers`). `peaks closed` says whether both capacities of a row are peaks closed on both sides (sections
# 2 and 3); where one is open it is a lower bound, and the ratio only an estimate. The junk rows compare one width,
# on `R_values`, each against no junk at the lower count (the paper's higher counts are set beside its no-junk law
# at 100 exposures).

# %%
paper = papers.ALLEN_ZHU_LI
family_names = {"gated": "gated MLP", "quarter": "MLP/4", "none": "no MLP"}
arch_paper = {  # (family, exposures) -> the paper's figure
    **{(f, high): "architecture_loss_1000" for f in family_names},
    ("gated", low): "llama_loss_100",
    ("quarter", low): "quarter_mlp_loss_100",
    ("none", low): "no_mlp_loss_100",
}
# (what, the paper's ratio, our capacity without the change, with it, both peaks closed)
domain_setup = "random junk + domain token"
rows = [
    *((f"{family_names[f]} vs GPT-2, {e} exp.", paper[key], peaks.R[(gpt2, e)],
       peaks.R[(f, e)], peaks.bracketed[(gpt2, e)] and peaks.bracketed[(f, e)])
      for (f, e), key in arch_paper.items()),
    *((f"MoE per total parameter, {e} exp.", paper[key],
       moe_table.loc[e, "gpt2_peak_R"], moe_table.loc[e, "R_total"],
       peaks.bracketed[(gpt2, e)] and moe_table.loc[e, "bracketed"])
      for e, key in ((high, "moe_loss_1000"), (low, "moe_loss_100"))),
    # junk at the higher count against no junk at the lower, as the paper compares
    *((f"{name}, {e} exp. (no junk: {j_low})", paper[key], clean[j_low],
       junk.loc[setup_name, e], None)
      for name, setup_name, e, key in (
          ("random junk", "random junk", j_low, "junk_loss_100"),
          ("random junk", "random junk", j_high, "junk_loss_300"),
          ("repetitive junk", "repetitive junk", j_low, "repetitive_junk_loss_100"),
          ("junk + domain token", domain_setup, j_low, "domain_tag_loss_100"),
          ("junk + domain token", domain_setup, j_high, "domain_tag_loss_300"),
      ) if e == j_low or j_high > j_low),
]

# %%
comparison = pd.DataFrame(
    [(what, f"{published.value:g} ({published.source})", float(without), float(with_),
      float(without / with_) if with_ > 0 else float("inf"), closed)
     for what, published, without, with_, closed in rows],
    columns=["capacity without / with", "Allen-Zhu & Li", "R without", "R with",
             "this book", "peaks closed"],
).set_index("capacity without / with")
results["comparison"] = comparison["this book"].to_dict()
comparison.round(3)

# %% [markdown]
# The table above is the first seed's. Every quantity the claims judge, at every seed, with the mean the claims
# take and its 95 % t interval (empty with one seed, or where a seed's value is infinite or undefined):

# %%
seed_table = pd.concat([family_seeds, mixture_seeds, removal_seeds, junk_seeds])
results["across_seeds"] = {
    q: dict(values=[float(row[s]) for s in seeds], mean=float(row["mean"]),
            low=float(row["low"]), high=float(row["high"]))
    for q, row in seed_table.iterrows()}
seed_table.round(3)

# %% [markdown]
# Every claim of the chapter, declared once with its threshold (`memcap claims 7`): what this run measured and its
# margin. Two were revised after the first `default` run: the floor of `families_close_high` (0.7 to 0.6) and the
# gated MLP's direction (`gated_not_above_low`, the paper's, became `gated_at_least_low`). A revised claim is shown,
# not asserted, until it holds on two seeds the change never saw; both held on seeds 1 and 2 (`memcap claims 7`), so
# both are asserted. `every_layer_matters` was declared after the first `default` run had shown every layer's
# removal; it held on seeds 1 and 2, checked after it was fixed. The domain token's claim at the lower junk count
# failed on the first `default` runs of the junk as it is now: it is shown at `default`; the paper's comparison
# at the higher count, declared after those runs, held on seeds 2 and 3 and failed on seed 5: shown too. The
# `paper` preset asserts the paper's direction. The mixture's cost per parameter it holds (`moe_less_per_param`,
# the paper's quantity) was declared after the first three `default` seeds had shown it, and held on the fresh
# seeds 4 and 5: asserted. At `smoke` every run trains at three seeds and each claim judges the mean over them (recall
# without a layer included); the gated MLP's direction and the mixture's cost per parameter are asserted there
# since they held on fresh sets of three seeds.
# `caught by` names the breaks of the engine that the tests run on this chapter and that make a
# claim fail at smoke (tests/test_broken_engine.py; benchmarks/RESULTS.md has every break's column).

# %%
run.claims.frame()

# %% [markdown]
# Where the two disagree, scale is the first suspect: our models have $10^4$ parameters, not $10^7$–$10^8$; our
# low count trains with small batches for a few thousand steps; one learning rate serves every family; our junk
# people are bioD people of the useful world, where the paper's are bioS people (a first token shared by both kinds,
# names from one pool, values from the same sets in both); and where a useful $R$ is at or below zero a ratio means
# nothing (shown as `inf`); where it is barely above zero, as with random junk at the lower count, the ratio is
# large and loose. An earlier edition of this chapter gave the junk a world of its own (its own diversity sets):
# then a model confuses the two worlds' values, and codes the useful values worse than a uniform guess. The
# exposures the paper also measures with junk, 600 and 1000, are in the `paper` preset.
#
# Two of the paper's results are not in this chapter. Mistral (Result 5 sets it beside LLaMA) is not built: what sets
# it apart from LLaMA is attention: a sliding window, and grouped-query attention, which shares key and value heads.
# This chapter trains on 16-token windows (at `default`), so any sliding window worth having covers the whole
# sequence, and sharing the keys of 2–7 small heads removes a few attention parameters without touching the MLP; what
# is left is LLaMA's gated MLP, which section 2 trains. At `paper` scale (512-token windows) it would differ, and a
# Mistral family belongs there. Quantization (Result 8: int8 keeps the knowledge, int4 loses much of it) is chapter
# 4's: its section on weights rounds these bioD models to 8 and 4 bits.
#
# ## Summary
#
# * With many exposures a gated MLP or one a quarter the size stores about as much per parameter as GPT-2's; a model
#   without MLP stores less at both counts, and the gap is the paper's at few exposures.
# * A mixture of experts stores more than a dense model with its active parameters, less per parameter it holds.
# * Knowledge is spread across layers: no layer can be removed at the cost of its share only.
# * Random junk costs the most when exposures are few; repetitive junk costs nothing; a domain token gives part of
#   the loss back when exposures are more, on some seeds, and not when they are few (the paper: at both).

# %%
results.update(runs_in_chapter=report.trained + report.reused,
               trained_this_run=report.trained)
run.save_results(results)
print(f"results written to {run.output_dir}")

# %% [markdown]
# ## Exercises
#
# Each exercise has an answer cell and a graded cell of checks below it. In the student version the answer is
# `raise NotImplementedError()`: replace it with your code and run both cells. A failed check says what it
# checked, what it found and why; `memcap grade` reports the same message for every exercise that lost points.
# The autograder adds hidden checks to the graded cells, and they check only what the statement asks. Written
# answers go in the Markdown cell under their question and are marked by the instructor with a rubric; the
# instructor's guide in the book explains how assignments are made and graded.
#
# ### Exercise 1 (2 points): the MLP's worth at few exposures
#
# From `peaks` (section 2), compute `mlp_bits_low`: how many more bits of knowledge, $R(F)\cdot P$, GPT-2's peak
# model stores than the peak model without MLP, both at the lower number of exposures (`low`). It is a difference
# in bits, not a ratio of the two $R(F)$: either can be negative (Theorem 3.2's bound is negative where a model's
# losses are worse than uniform guessing), and a ratio then has no meaning. Give it to two significant figures or
# more.

# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
gpt2_peak, no_mlp_peak = peaks.loc[("standard", low)], peaks.loc[("none", low)]
mlp_bits_low = gpt2_peak.R * gpt2_peak.n_params - no_mlp_peak.R * no_mlp_peak.n_params
### END SOLUTION
print(
    f"at {low} exposures GPT-2's peak model stores {mlp_bits_low:,.0f} bits more than "
    "the no-MLP peak model"
)

# %% nbgrader={"grade": true, "grade_id": "ex1", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.that(
    np.isfinite(mlp_bits_low), f"mlp_bits_low = {mlp_bits_low!r}: a number of bits"
)
### BEGIN HIDDEN TESTS
at_low = {
    family: arch[(arch.family == family) & (arch.exposures == low)]
    .sort_values("R")
    .iloc[-1]
    for family in ("standard", "none")
}
checks.rounded(
    "mlp_bits_low",
    mlp_bits_low,
    at_low["standard"].R * at_low["standard"].n_params
    - at_low["none"].R * at_low["none"].n_params,
    sig=2,
    show_expected=False,
    why="R·P of GPT-2's peak model minus the no-MLP one's, at the lower count",
)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 (3 points): parameters of an MLP, by hand
#
# Write `mlp_params(d, mlp)`: the parameters (weights and biases) of one block's MLP part for a width `d`, not
# counting the LayerNorm in front of it, for `mlp` = `"standard"` ($d \to 4d \to d$, biases),
# `"quarter"` ($d \to d \to d$, biases), `"none"`, and `"moe<E>"` for any number of experts `E` ($E$ experts of
# $d \to d \to d$ with biases, and the router $d \to E$ without bias). Return an `int`. The checks compare it with
# the parameters of a block built by `memcap.model` and fail if it reads `GPTConfig.n_params`,
# `GPTConfig.n_active_params` or a module's parameters. Expected output:
# `standard 4728, quarter 1200, none 0, moe8 9792`.


# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
def mlp_params(d, mlp):
    if mlp == "none":
        return 0
    if mlp == "standard":
        return d * 4 * d + 4 * d + 4 * d * d + d
    expert = 2 * (d * d + d)
    if mlp == "quarter":
        return expert
    experts = int(mlp.removeprefix("moe"))
    return experts * expert + d * experts


### END SOLUTION
print(", ".join(f"{m} {mlp_params(24, m)}"
                for m in ("standard", "quarter", "none", "moe8")))

# %% nbgrader={"grade": true, "grade_id": "ex2", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
not_allowed = [GPTConfig.n_params, GPTConfig.n_active_params,
               torch.nn.Module.parameters, torch.nn.Module.named_parameters]
tiny_gpt = dict(vocab_size=8, seq_len=4, n_layer=1, n_head=1)
in_mlp = ("fc", "moe")  # the block's MLP (or experts and router) parameters
for mlp in ("standard", "quarter", "none", "moe8"):
    named = Block(GPTConfig(**tiny_gpt, d_model=24, mlp=mlp)).named_parameters()
    want = sum(t.numel() for n, t in named if n.startswith(in_mlp))
    got = checks.without(not_allowed, mlp_params, 24, mlp)
    checks.equal(f"mlp_params(24, {mlp!r})", got, want,
                 why="the parameters of memcap.model's block")
### BEGIN HIDDEN TESTS
for d, mlp in ((40, "standard"), (16, "quarter"), (32, "moe2"), (8, "moe32"),
               (12, "none")):
    named = Block(GPTConfig(**tiny_gpt, d_model=d, mlp=mlp)).named_parameters()
    want = sum(t.numel() for n, t in named if n.startswith(in_mlp))
    got = checks.without(not_allowed, mlp_params, d, mlp)
    checks.equal(f"mlp_params({d}, {mlp!r})", got, want, show_expected=False)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3 (3 points): top-1 routing
#
# Write `route_top1(x, router_weight)` for tokens `x` of shape $(n, d)$ and a router weight of shape $(E, d)$, as
# section 3's router does it: each token's probabilities over the experts are the softmax of
# `x @ router_weight.T`; it goes to its most probable expert. Return three things: `choice`, each token's expert
# (an integer tensor of shape $(n,)$); `gate`, that expert's probability (shape $(n,)$); and `balance`, the
# load-balancing loss $E\sum_e f_e P_e$ as a float ($f_e$ the share of the $n$ tokens sent to expert $e$, $P_e$ the
# mean probability of expert $e$ over the tokens). The checks compare it with `MixtureOfExperts` and fail if it
# calls that module. Expected output: `experts chosen [0, 0, 2, 0, 0, 1]; balance 1.252`.

# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
routing_x = torch.randn(6, 8, generator=torch.Generator().manual_seed(1))
routing_w = torch.randn(3, 8, generator=torch.Generator().manual_seed(2))


### BEGIN SOLUTION
def route_top1(x, router_weight):
    probs = (x @ router_weight.T).softmax(dim=-1)
    gate, choice = probs.max(dim=-1)
    E = router_weight.shape[0]
    f = torch.bincount(choice, minlength=E).to(probs.dtype) / len(choice)
    return choice, gate, float(E * (f * probs.mean(dim=0)).sum())


### END SOLUTION
choice, gate, balance = route_top1(routing_x, routing_w)
print(f"experts chosen {choice.tolist()}; balance {balance:.3f}")

# %% nbgrader={"grade": true, "grade_id": "ex3", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
routing_cases = [(routing_x, routing_w, True)]
### BEGIN HIDDEN TESTS
for n, d, E, s in ((50, 16, 8, 5), (7, 4, 2, 6), (200, 24, 32, 7)):
    gen = torch.Generator().manual_seed(s)
    routing_cases.append(
        (torch.randn(n, d, generator=gen), torch.randn(E, d, generator=gen), False)
    )
### END HIDDEN TESTS
for x_, w_, show in routing_cases:
    got = checks.without([MixtureOfExperts.forward], route_top1, x_, w_)
    checks.that(len(got) == 3, "route_top1 returns choice, gate and balance")
    layer = MixtureOfExperts(w_.shape[1], w_.shape[0])  # its router set to w_ below
    with torch.no_grad():
        layer.router.weight.copy_(w_)
        layer(x_)
        want_gate = layer.router(x_).softmax(dim=-1).max(dim=-1).values
    shape = f"{tuple(x_.shape)} tokens, {w_.shape[0]} experts"
    checks.equal(f"choice ({shape})", [int(c) for c in got[0]],
                 layer.last_choice.tolist(), show_expected=show)
    checks.close(f"gate ({shape})", got[1], want_gate, rel=1e-5, show_expected=show)
    checks.close(f"balance ({shape})", float(got[2]), float(layer.aux_loss), rel=1e-5,
                 show_expected=show, why="E · Σ_e f_e · P_e")

# %% [markdown]
# ### Exercise 4 (2 points): what the junk costs on the names
#
# Theorem 3.2's name term is $N\log_2(N_0/e^{p_1})$. Using `terms` (section 5) and `spec`, compute
# `name_bits_lost`: how many bits the name term loses with random junk against no junk, at the lower number of
# junk exposures (`j_low`). Give it to two significant figures or more.

# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex4-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
p1_clean = terms.loc["no junk", ("p1", j_low)]
p1_junk = terms.loc["random junk", ("p1", j_low)]
name_bits_lost = spec.N * (p1_junk - p1_clean) / np.log(2)
### END SOLUTION
print(
    f"the name term loses {name_bits_lost:,.0f} bits with random junk "
    f"at {j_low} exposures"
)

# %% nbgrader={"grade": true, "grade_id": "ex4", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.that(
    np.isfinite(name_bits_lost),
    f"name_bits_lost = {name_bits_lost!r}: a number of bits",
)
### BEGIN HIDDEN TESTS
lost = [
    knowledge.stored_bits_lower_bound(
        spec,
        junk_runs[(junk_runs.family == f) & (junk_runs.exposures == j_low)].p1.iloc[0],
        0.0,
        0.0,
    )
    for f in ("no junk", "random junk")
]
checks.rounded(
    "name_bits_lost",
    name_bits_lost,
    lost[0] - lost[1],
    sig=2,
    show_expected=False,
    why="N · (p1 with junk − p1 without) / ln 2",
)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5 (2 points, written): what the domain token tells the model
#
# Section 5 measured random junk with and without the domain token. Using `terms`, say for each number of junk
# exposures how much of what random junk costs the domain token gives back on the names' loss ($p_1$) and on the
# values' loss ($p_2$), which of the two comes back more in your run, and explain why a single token can do that.

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex5", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# The answer follows the student's table. Junk people are other people of the same world (other names, values
# from the same sets), and without the token a junk paragraph starts like a useful one. For the names, the model
# must spread its guess after `<eot>` over useful and junk names: at least $\ln 8$ nats more per useful name than
# without junk. The token says a useful name follows, so $p_1$ can come back by up to that much, and by more only
# where the model had learned which names are useful. For the values, the name already says whose values follow,
# so the token tells the model nothing new about them; $p_2$ comes back only as far as the model, trained with the
# token, stored more about the useful people (the paper's reading: a model that can tell the useful data apart
# spends its capacity there). The student's numbers decide which comes back more.
#
# Rubric (2 points): 1 point for reading the student's own `terms` correctly: for each exposure count, how far $p_1$
# and $p_2$ with the token are from the random-junk row towards the no-junk row, and which comes back more; 1 point
# for the mechanism: the token says which kind of paragraph follows, so the model need not hedge between useful and
# junk names, and on the values it can only recover what it stored about the useful people.
# ### END SOLUTION
