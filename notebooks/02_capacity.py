# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 2: How many bits fit in a GPT?
#
# **Takeaway:** trained on uniformly random sequences, where nothing can be generalized, a GPT stores a bounded
# number of bits per parameter: memorized bits grow with the dataset until they hit a plateau, the model's
# capacity, and capacity grows with the parameter count, close to linearly (section 5 measures how close).
#
# This chapter reproduces §3 of Morris et al. (2025) at the scale of two CPU cores. Every model is stored under a
# key of its full configuration, so a second run of this chapter only reads the store and takes seconds.

# %% tags=["parameters"]
scale = "default"  # "smoke" (CI, seconds), "default" (the book), "paper"
seed = 0  # data and initialisation seed of every run
device = "auto"  # "auto", "cpu", "cuda", "cuda:N" or "mps"
output_dir = ""  # where results.json goes; "": build/<scale>/02_capacity
store_dir = ""  # the run store the chapters share; "": build/store

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

from memcap import papers
from memcap.book import checks, frames, start
from memcap.data import uniform
from memcap.engine.runs import load_model
from memcap.engine.studies import saturation
from memcap.engine.training.loop import gain_during_decay
from memcap.infra import sweep
from memcap.measures import (baselines, capacity, double_descent, evaluate,
                             extrapolation, trends)
from memcap.model import GPT, GPTConfig
from memcap.theory.information import entropy

run = start("02_capacity", scale=scale, seed=seed, device=device,
            output_dir=output_dir, store_dir=store_dir)
p, sw, store, results = run.preset, run.preset.sweep, run.store, run.results
run.settings()

# %% [markdown]
# ## 1. Data with a known number of bits
#
# $N$ sequences of $S$ tokens drawn uniformly and independently from $V$ symbols hold $H(X) = N S \log_2 V$ bits.
# There is no pattern to learn: a model codes them shorter only by storing the sequences themselves. So
#
# $$\text{memorized bits} = H(X) - \sum_{x \in X} \bigl(-\log_2 p(x \mid \hat\theta)\bigr),$$
#
# where every token is charged, the first at $\log_2 V$ (nothing precedes it), as in the uniform reference.

# %%
V, S = sw.vocab_size, sw.seq_len
sample = uniform.uniform_sequences(2000, S, V, torch.Generator().manual_seed(seed))
counts = np.bincount(sample.numpy().ravel(), minlength=V)
empirical = entropy(counts / counts.sum())  # bits per token
print(f"V = {V}: empirical entropy of {counts.sum():,} tokens = {empirical:.3f} "
      f"bits/token; log2 V = {math.log2(V):.3f}")
print(f"one sequence of S = {S} tokens holds {S * math.log2(V):.0f} bits; "
      f"1000 sequences hold {uniform.dataset_entropy_bits(1000, S, V):,.0f} bits")
assert abs(empirical - math.log2(V)) < 0.02 * math.log2(V)

# %% [markdown]
# ## 2. The model and its parameter count
#
# A GPT-2 decoder (pre-LayerNorm, GELU MLP, no dropout) with tied embeddings and learned positions, as in Morris et
# al., has $P = L(12d^2 + 13d) + V d + S d + 2d$ parameters: per layer $4d^2 + 4d$ for attention, $8d^2 + 5d$ for the
# MLP and $4d$ for two LayerNorms; then the token and position tables and the final LayerNorm (exercise 2 derives
# it). `GPTConfig.n_params` is this closed form; we check it against the parameters the model builds.

# %%
table1_shapes = [(1, 32, 2048, 64), (2, 128, 2048, 64), (8, 256, 2048, 64)]
configs = [GPTConfig(vocab_size=V_, seq_len=S_, n_layer=L, d_model=d) for L, d, V_, S_
           in table1_shapes + [(m.n_layer, m.width, V, S) for m in sw.models]]
param_counts = pd.DataFrame([
    dict(L=c.n_layer, d=c.d_model, V=c.vocab_size, S=c.seq_len,
         model=sum(t.numel() for t in GPT(c).parameters()), config=c.n_params)
    for c in configs])
assert (param_counts.model == param_counts.config).all(), "the closed form counts all"
param_counts

# %% [markdown]
# ## 3. The sweep
#
# Every model is trained on datasets of several sizes, in *dataset bits per parameter* ($H(X)/P$) from well below
# to well above what it can store, with AdamW and a warm-up/stable/decay schedule: a cosine decay starts once
# memorized bits grow by less than `stall_rel_tol` over `stall_window` evaluations or reach `target_fraction` of
# the most the run can memorize; the run stops when the decay ends or at the step cap (`stop_reason`).

# %%
planned = p.runs(seed)  # the chapter's runs, from its preset (`memcap plan 2`)
runs = planned["grid"]  # every model on every dataset size
pd.DataFrame([
    dict(model=frames.model_label(r.model), params=r.model.n_params,
         heads=r.model.n_head, N=r.n_sequences, dataset_bits=r.dataset_bits,
         lr=r.train.lr)
    for r in runs
])

# %%
# section 7's AdamW runs train here too (at smoke and default its cosine run stacks with
# the grid run that has our schedule); its NAdam run trains in section 6
probe_runs = planned["probes"]  # one model and dataset: schedules, optimizers
adamw = [r for r in probe_runs.values() if r.train.optimizer == "adamw"]
report = sweep.run_sweep(runs + adamw, store, device=run.device, stack=sw.stack,
                         stack_max_params=sw.stack_max_params)
frame = frames.to_frame(runs, report.metrics[: len(runs)])
print(f"{report.trained} runs trained, {report.reused} read from the store, in "
      f"{report.seconds:.0f} s")
frame[["model", "n_params", "n_sequences", "dataset_bits", "memorized_bits",
       "bits_per_param", "steps", "seconds", "stop_reason"]].round(2)

# %% [markdown]
# ## 4. Memorization plateaus at capacity
#
# First the baselines every claim below is measured against, from the same runs (`memcap.measures.baselines`). Before
# training, each model codes its data at $\log_2 V$ bits per token: this *calibration* fails if code lengths are
# mis-scaled. After training, what a model stores of its own sequences beyond what it "stores" of fresh ones from
# the same source is what it memorized; on the smallest datasets, nearly all a sequence can give, $(S-1)\log_2 V$.

# %%
base = baselines.calibration(frame, tolerance=p.max_calibration_error)
base["stored_beyond_fresh"] = baselines.stored_beyond_fresh(frame)
display(base[["model", "n_sequences", "untrained_bits_per_token", "log2_vocab",
              "calibration_error", "memorized_bits_per_sequence",
              "fresh_memorized_bits_per_sequence", "stored_beyond_fresh"]].round(3))
smallest = base.loc[base.groupby("model").dataset_bits.idxmin()]
learned = smallest.stored_beyond_fresh.min()
print("calibration: untrained models code at log2 V within "
      f"{base.calibration_error.abs().max():.2%}")
print(f"smallest datasets: each model stores at least {learned:.1%} of the memorizable "
      "bits per sequence beyond what it stores of a fresh sequence (at most nothing: "
      "fresh uniform data cannot be coded below log2 V a token)")
run.claim("calibrated", base.calibrated.all(), base.calibration_error.abs().max())
run.claim("stores_small_dataset", value=learned)
# sanity check, not a finding (it holds for any model): no more bits than the data hold
assert (frame.memorized_bits <= frame.dataset_bits + 1e-6).all()

# %% [markdown]
# Memorized bits are reported **raw**: $H(X) - \sum_x \text{code length}(x)$, the saving of the whole dataset's code,
# which is what a capacity is. Morris et al.'s $\text{mem}_U$ clips each sample at zero, so a sequence coded worse
# than the uniform reference counts 0, not a negative number. The table below shows both.

# %%
caps = capacity.capacity_by_model(frame, tolerance=p.plateau_tolerance)
fig, ax = plt.subplots(figsize=(7, 4.5))
sns.lineplot(frame, x="dataset_bits", y="memorized_bits", hue="model", marker="o",
             ax=ax)
lim = np.array([frame.dataset_bits.min(), frame.dataset_bits.max()])
ax.plot(lim, lim, "k--", lw=1, label="H(X): everything stored")
for c, color in zip(caps.itertuples(), sns.color_palette()):
    ax.axhline(c.capacity_bits, color=color, lw=0.8, ls=":")
ax.set(xscale="log", yscale="log", xlabel="dataset size H(X) (bits)",
       ylabel="memorized bits")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# *Figure: memorized bits against dataset size. Small datasets are stored almost completely (dashed line); past a
# size that grows with the model, memorized bits stop growing (dotted: each model's capacity, its maximum).*
#
# A plateau is shown only by a dataset *larger* than the maximum's that still stores within `plateau_tolerance` of
# it (`plateau_established`). Weaker than a plateau is that the curve **flattens**: the largest dataset stores less
# than `plateau_tolerance` more than the next one (`last_step_gain`), though it holds 1.75 times the bits. That
# claim was set after seeing these runs, so it is shown, not asserted, until it holds on two seeds it never saw.

# %%
raw_clipped = frame[["model", "n_sequences", "dataset_bits", "memorized_bits",
                     "memorized_bits_clipped"]].copy()
raw_clipped["clipped_minus_raw_percent"] = 100 * (
    raw_clipped.memorized_bits_clipped / raw_clipped.memorized_bits - 1)
display(raw_clipped.round(2))
display(caps.round(3))
plateau_models = int(caps.plateau_established.sum())
print(f"plateau established (a larger dataset within {p.plateau_tolerance:.0%} of the "
      f"maximum): {plateau_models} of {len(caps)} models")
print("curve flattened (the largest dataset past capacity gains less than "
      f"{p.plateau_tolerance:.0%} over the next): "
      f"{int(caps.flattened.sum())} of {len(caps)} models; gains "
      + ", ".join(f"{r.model} {100 * r.last_step_gain:+.1f} %"
                  for r in caps.itertuples()))
run.claim("plateau", caps.flattened.all(), caps.last_step_gain.max(skipna=False))

# %% [markdown]
# ## 5. Capacity against parameters: how close to linear?
#
# An $R^2$ cannot tell a linear law from a sublinear one ($P^{0.8}$ passes a line through the origin with
# $R^2 > 0.99$ on models like ours), so we fit the exponent, $\log_2 \text{capacity} = a + \beta \log_2 P$ (OLS,
# 95 % interval), and call capacity *linear* only if the interval contains 1 and excludes 0.8 and 1.2. Then, as
# Morris et al. do, we fit capacity $= \alpha P$ beside their values: 3.51 bits per parameter in bf16 and 3.83 in
# fp32 on average (Table 1), ≈3.6 from their fitted slope. Our $\alpha$ is the mean of the models' bits per
# parameter with a $t$ interval: each model is one measurement of $\alpha$, with an error that grows with its
# size, and an unweighted least-squares line through the origin would let the largest model decide (its interval
# covers the true $\alpha$ in about 84 % of simulated sets, not 95 %: `benchmarks/alpha_coverage.py`). The
# unweighted line is shown beside it.

# %%
cap_small, cap_large = caps.sort_values("n_params").capacity_bits.iloc[[0, -1]]
run.claim("capacity_grows", cap_large > cap_small, cap_large / cap_small)
# a model that stored nothing gives a NaN exponent: its claim then fails, naming NaN
exponent = capacity.fit_capacity_exponent(caps.n_params, caps.capacity_bits,
                                          undefined="nan")
fit = capacity.fit_bits_per_parameter(caps.n_params, caps.capacity_bits)
depths = sorted({m.n_layer for m in sw.models})
lo_b, hi_b = exponent.exponent_ci
print(f"exponent beta = {exponent.exponent:.3f}, 95 % CI [{lo_b:.3f}, {hi_b:.3f}] "
      f"from {exponent.n_models} models spanning {exponent.param_span:.1f}x in "
      f"parameters, depths {depths}")
verdict = trends.exponent_verdict(exponent.exponent_ci)
print("capacity against parameters is", verdict)
run.claim("exponent_positive", lo_b > 0, lo_b)

# %%
fig, ax = plt.subplots(figsize=(6.5, 4.5))
sns.scatterplot(caps, x="n_params", y="capacity_bits", hue="model", s=70, ax=ax,
                zorder=3)
xs = np.linspace(0, caps.n_params.max() * 1.1, 50)
ax.plot(xs, fit.alpha * xs, "k-",
        label=f"this book, fp32: α = {fit.alpha:.2f} bits/param")
ax.fill_between(xs, fit.alpha_ci[0] * xs, fit.alpha_ci[1] * xs, color="k", alpha=0.12,
                label="95 % interval")
fp32_mean = papers.MORRIS["alpha_fp32_mean"].value
headline = papers.MORRIS["alpha_approx"].value
ax.plot(xs, fp32_mean * xs, ":", color="tab:red",
        label=f"Morris et al. fp32 mean ({fp32_mean})")
ax.plot(xs, headline * xs, "--", color="tab:gray",
        label=f"Morris et al. bf16 (≈{headline})")
ax.set(xlabel="parameters P", ylabel="capacity (bits)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# *Figure: capacity against parameters, the line through the origin at our $\alpha$ (95 % interval) and the
# paper's.*

# %%
M = {k: v.value for k, v in papers.MORRIS.items()}
comparison = pd.DataFrame([
    ("exponent β (capacity ∝ P^β)", exponent.exponent, f"[{lo_b:.2f}, {hi_b:.2f}]",
     "linear (β = 1) assumed"),
    ("α, mean bits/param", fit.alpha, "[{:.2f}, {:.2f}]".format(*fit.alpha_ci),
     f"{M['alpha_fp32_mean']} (fp32 mean), {M['alpha_bf16_mean']} (bf16 mean)"),
    ("α, unweighted line through 0", fit.alpha_ols,
     "[{:.2f}, {:.2f}]".format(*fit.alpha_ols_ci), "—"),
    ("slope with intercept", fit.slope, "[{:.2f}, {:.2f}]".format(*fit.slope_ci),
     f"{M['alpha_fitted_bf16']} (fitted, bf16)"),
    ("intercept (bits)", fit.intercept,
     f"[{fit.intercept_ci[0]:.0f}, {fit.intercept_ci[1]:.0f}]", "—"),
], columns=["quantity", "this book", "95 % interval", "Morris et al."])
display(comparison.round(3))
print(f"alpha = {fit.alpha:.3f} bits/param (95 % CI "
      f"{fit.alpha_ci[0]:.3f}-{fit.alpha_ci[1]:.3f}), R² through the origin = "
      f"{fit.r2_through_origin:.4f}, from {fit.n_models} models")
results.update(
    alpha_bits_per_param=fit.alpha, alpha_ci=fit.alpha_ci,
    slope_bits_per_param=fit.slope, slope_ci=fit.slope_ci, intercept_bits=fit.intercept,
    r2_through_origin=fit.r2_through_origin, exponent=exponent.exponent,
    exponent_ci=exponent.exponent_ci, exponent_verdict=verdict,
    capacities=caps.set_index("model")[["n_params", "capacity_bits",
                                        "bits_per_param"]].to_dict("index"),
    plateau_established_models=plateau_models,
    flattened_models=int(caps.flattened.sum()),
    last_step_gain=caps.set_index("model").last_step_gain.to_dict(),
    calibration_max_error=float(base.calibration_error.abs().max()),
    smallest_stored_beyond_fresh=float(learned),
)

# %% [markdown]
# ## 6. Learning curves: saturation
#
# Memorized bits during training, each model on its largest dataset; the bend near the end is the decay.

# %%
largest = [r for r in runs
           if r.n_sequences == max(q.n_sequences for q in runs if q.model == r.model)]
curves = pd.DataFrame([dict(model=frames.model_label(r.model), **point)
                       for r in largest for point in store.load(r.to_dict())["curve"]])
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
sns.lineplot(data=curves, x="step", y="metric", hue="model", ax=axes[0])
axes[0].set(xlabel="training step", ylabel="memorized bits")
sns.lineplot(curves, x="seconds", y="metric", hue="model", ax=axes[1], legend=False)
axes[1].set(xlabel="wall-clock seconds (one CPU thread)", ylabel="memorized bits")
plt.show()

# %% [markdown]
# *Figure: memorized bits against training steps (left) and seconds (right), each model on its largest dataset.*

# %%
shares = pd.Series({model: gain_during_decay(g.to_dict("records"))
                   for model, g in curves.groupby("model")})
print("share of the final memorized bits gained during the decay:",
      shares.round(3).to_dict())
run.claim("decay_adds_bits", (shares > 0).all(), shares.min(skipna=False))
results["decay_share_of_final_bits"] = shares.round(4).to_dict()
time_to_capacity = frame.loc[frame.groupby("model").memorized_bits.idxmax(),
                             ["model", "seconds", "steps"]]
results["time_to_capacity_seconds"] = dict(zip(time_to_capacity.model,
                                               time_to_capacity.seconds.round(1)))
time_to_capacity

# %% [markdown]
# ### Saturated in training time?
#
# A capacity is the most a model can store, so the runs behind it must be long enough that training longer adds
# nothing. We train one grid run (`saturation_run`) again on the same data from the same initialization,
# `saturation_factors` times longer (the settings table gives them; default trains the 4× run alone), the stall
# rule off (`engine.studies.saturation`). Their lengths follow from the steps the run took, so they train after
# section 3's sweep, beside section 7's NAdam run and section 8's runs. Morris et al. train $10^6$ steps; ours stop
# after a few thousand, so we expect some gain. The claim (`max_saturation_gain`, set from a pilot 4× run of L2-d32
# that stored 8.5 % more) bounds it. A bound set just above a measured gain counts as set from the data, so at
# default it was shown until two seeds it never saw held it; it is asserted since (book/thresholds.md gives their
# values). A saturating rule would keep the gain under 2 %.

# %%
base_run = p.saturation_base(seed)
twins = p.later_runs(seed, store)["saturation"]  # lengths from base_run's stored steps
# this sweep also trains section 7's NAdam run and section 8's runs, so both cores stay
# busy while the twins train; nothing stacks in it (a stacked group runs as long as its
# longest run)
held_runs = planned["held_out"]  # held out of the fit; they stop by the stall rule
others = [r for r in probe_runs.values() if r not in adamw]
sat_report = sweep.run_sweep(twins + others + held_runs, store, device=run.device)
lengths = saturation.saturation_table(base_run, store, p.saturation_factors)
display(lengths.round(3))
longest = lengths.iloc[-1]
print(f"{frames.model_label(base_run.model)} on {base_run.n_sequences} sequences: "
      + ", ".join(f"{k}x training stores {g:+.1%}"
                  for k, g in zip(lengths.length, lengths.gain) if k > 1)
      + f"; under 2 % at {longest.length}x: {bool(longest.gain < 0.02)}")
run.claim("saturated_in_time", value=longest.gain, detail=f"{longest.length}x steps")
results["saturation_in_time"] = lengths[["length", "steps", "memorized_bits", "gain"]
                                        ].to_dict("records")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
for k, r in zip(lengths.length, [base_run, *twins]):
    c = pd.DataFrame(store.load(r.to_dict())["curve"])
    ax.plot(c.step, c.metric, label=f"{k}x ({c.step.iloc[-1]:,} steps)")
ax.axhline(base_run.memorizable_bits, color="grey", ls=":", lw=1,
           label="(S-1)/S of H(X)")
ax.set(xlabel="training step", ylabel="memorized bits")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# *Figure: memorized bits of one run and of the same run trained longer (same data and initialization).*

# %% [markdown]
# How far is this run from what it would store trained for ever? A form fixed before the runs that test it
# (`memcap.measures.extrapolation`) supposes that each doubling adds a constant share $r$ of what the doubling before
# it added; the 1×, 2× and 4× runs fix $r$, the 16× run and the limit. `benchmarks/extrapolate.py` tests it on
# held-out 16× runs of two grid models on three seeds each (results in `benchmarks/RESULTS.md`): their runs fell
# inside its interval, but an interval from three seeds is wide, and one seed's limit lay below what its own 16×
# run stored. So the α of section 5 stays the one measured, a lower bound, and the form is shown for this run only
# (one seed: no interval), where the 2× twin is trained (smoke and paper: default leaves it out to stay within its
# 30 minutes). Extrapolating α itself would need the 2× and 4× twins of every model's runs on several seeds, more
# than this chapter's budget; `benchmarks/gpu_saturation.py` trains the grid until a doubling adds
# less than 2 % instead, on a GPU. What a run stores at a given length also depends on the optimizer: AdamW here,
# as the papers; section 7 trains one run with NAdam as well, and `benchmarks/recipes.py` compares others.

# %%
per_param = lengths.set_index("length").memorized_bits / base_run.model.n_params
if not {1, 2, 4} <= set(per_param.index):
    print("not shown at this scale: the form needs the 2x and 4x twins "
          f"(saturation_factors here: {p.saturation_factors})")
elif per_param[2] > per_param[1]:
    three = per_param.loc[[1, 2, 4]].to_numpy()
    form = extrapolation.doubling_fit(three)
    at16 = extrapolation.extrapolate(three, 16)
    limit = form.limit if math.isfinite(form.limit) else None  # no limit: None
    print(f"each doubling adds {form.ratio:.2f} of the previous one's gain: 16x would "
          f"store {at16:.3f} bits/param ({at16 / three[0] - 1:+.1%}); limit: "
          + (f"{limit:.3f}" if limit else "none, the gains do not shrink"))
    results["saturation_extrapolated"] = dict(ratio=form.ratio, bits_per_param_16x=at16,
                                              limit_bits_per_param=limit)
else:
    print("the first doubling added nothing: no gain to extrapolate")

# %% [markdown]
# ## 7. Which schedule, and which optimizer, reaches capacity fastest?
#
# The decay matters: a run stopped on a stall at constant rate sits below the same run after its decay (section 6
# measures by how much). We compare, on one model and dataset, our schedule (constant rate until the stall, then
# decay) with a cosine decay over the same step cap, by the bits they reach and the seconds they take. A third run
# keeps our schedule and its stopping rule and changes only the optimizer: NAdam (Adam with Nesterov momentum)
# instead of AdamW. A capacity that belonged to the model alone would not move with it; the cell prints by how much
# the bits stored here do.

# %%
probe_report = sweep.run_sweep(list(probe_runs.values()), store, device=run.device)
probe_frame = pd.DataFrame([dict(schedule=k, **m)
                            for k, m in zip(probe_runs, probe_report.metrics)])
display(probe_frame[["schedule", "memorized_bits", "bits_per_param", "steps",
                     "seconds"]].round(2))
ours = probe_frame.iloc[0]  # the chapter's schedule, AdamW
print(f"ours: {ours.memorized_bits:,.0f} bits in {ours.seconds:.0f} s")
for other in probe_frame.iloc[1:].itertuples():
    print(f"{other.schedule}: {other.memorized_bits:,.0f} bits in {other.seconds:.0f} s"
          f" ({other.memorized_bits / ours.memorized_bits - 1:+.1%} against ours)")
nadam = probe_frame[[r.train.optimizer == "nadam" for r in probe_runs.values()]].iloc[0]
optimizer_gain = nadam.memorized_bits / ours.memorized_bits - 1
results["schedule_probe"] = probe_frame[["schedule", "memorized_bits", "steps",
                                         "seconds"]].to_dict("records")
results["optimizer_gain"] = optimizer_gain
fig, ax = plt.subplots(figsize=(6.5, 4))
for name, r in probe_runs.items():
    c = pd.DataFrame(store.load(r.to_dict())["curve"])
    ax.plot(c.seconds, c.metric, label=name)
ax.set(xlabel="wall-clock seconds", ylabel="memorized bits")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# *Figure: memorized bits against time for each of section 7's runs, on the same model and data.*

# %% [markdown]
# ## 8. Predicting memorization of new configurations
#
# If capacity is $\alpha P$, a model trained on $H(X)$ bits should store $\min(H(X), \alpha P)$. We test that on
# configurations the fit never saw (`prediction_configs`: other vocabularies, sequence lengths and sizes): one below
# capacity, two well past it, and one in the bend between the rule's two branches, where a model stores somewhat
# less than either says. The claim bounds the mean error over all of them (`max_prediction_error_percent`; it was
# loosened after a run, and at default is asserted again since it held on two seeds it never saw). One correction
# is exact: no model can store the first token of a sequence (it is charged $\log_2 V$ whatever the model), so
# the most it can memorize is $H(X)\,(S-1)/S$. We predict both ways, as Morris
# et al. state it and as $\min(H(X)(S-1)/S, \alpha P)$ (differs below capacity only; the claim is about this one).

# %%
held_report = sweep.run_sweep(held_runs, store, device=run.device)
held = frames.to_frame(held_runs, held_report.metrics)
held["memorizable_bits"] = [r.memorizable_bits for r in held_runs]
held = trends.prediction_errors(held, fit.alpha)
display(held[["model", "vocab_size", "seq_len", "n_params", "n_sequences",
              "dataset_bits", "predicted_H", "predicted_bits", "memorized_bits",
              "error_H_percent", "error_percent", "steps", "stop_reason"]].round(1))
mean_abs_error_H = held.error_H_percent.abs().mean()
mean_abs_error = held.error_percent.abs().mean()
print(f"mean absolute prediction error over {len(held)} held-out configurations: "
      f"{mean_abs_error:.1f} % (with H(X) as the ceiling: {mean_abs_error_H:.1f} %)")
run.claim("predicts_held_out", value=mean_abs_error)

# %% [markdown]
# Where the rule misses: the fit's own runs in the bend, and the held-out configuration it misses most.

# %%
middle_size = sorted(sw.dataset_bits_per_param)[-2]
middle = frame[frame.dataset_bits_per_param.round() == middle_size].set_index("model")
bend = middle.memorized_bits / frame.groupby("model").memorized_bits.max()
print("near the bend: the fit's middle dataset size stored "
      + ", ".join(f"{m} {100 * b:.1f} %" for m, b in bend.items())
      + " of each model's capacity")
worst = held.loc[held.error_percent.abs().idxmax()]
print(f"largest miss: {worst.error_percent:+.1f} % for V = {worst.vocab_size}, S = "
      f"{worst.seq_len}, {worst.model}; it stored "
      f"{worst.memorized_bits / worst.n_params:.2f} bits per parameter against "
      f"alpha = {fit.alpha:.2f}")
results.update(
    prediction_mean_abs_error_percent=mean_abs_error,
    bend_fraction_of_capacity=bend.round(4).to_dict(),
    prediction_mean_abs_error_percent_with_H=mean_abs_error_H,
    prediction=held[["model", "vocab_size", "seq_len", "n_sequences", "predicted_H",
                     "predicted_bits", "memorized_bits", "error_H_percent",
                     "error_percent"]].to_dict("records"),
)

# %% [markdown]
# ## 9. Bits per parameter against width and vocabulary
#
# Our α is below the paper's fp32 mean, and section 5's exponent hints at part of the reason: per parameter, our
# larger models store more. So we put every capacity measured here on one axis, *bits per parameter against
# width*, by vocabulary $V$ and depth: the sweep's models and the held-out configurations trained far past capacity
# (dataset bits at least $3\alpha P$; one size each, so a lower bound), beside Table 1's rows of the same depths
# ($V$ = 2,048, $S$ = 64). `embedding_share` is the share of parameters in the embeddings, $(V + S)\,d / P$.

# %%
shapes = frame.drop_duplicates("model")[["model", "n_layer", "d_model", "vocab_size",
                                          "seq_len"]]
far = held[held.dataset_bits >= 3 * fit.alpha * held.n_params]
trend = pd.concat([
    caps.merge(shapes, on="model").assign(source="sweep: max over sizes"),
    far.assign(bits_per_param=far.memorized_bits / far.n_params,
               source="held out: one size, far past capacity"),
])[["source", "model", "n_layer", "d_model", "vocab_size", "seq_len", "n_params",
    "bits_per_param"]]
trend["embedding_share"] = trends.embedding_share(trend.vocab_size, trend.seq_len,
                                                  trend.d_model, trend.n_params)
paper_rows = papers.table1(max_layers=max(depths))
paper_rows["embedding_share"] = trends.embedding_share(
    paper_rows.vocab_size, paper_rows.seq_len, paper_rows.width, paper_rows.n_params)
display(trend.reset_index(drop=True).round(3))
display(paper_rows.round(3))

# %% [markdown]
# The trend with width is fitted on the sweep's models of its most common depth: bits per parameter against
# $\log_2 d$ (OLS, 95 % interval on the slope, the change per doubling of the width). With one seed and a handful of
# widths the interval is wide; the chapter states the verdict the interval allows.

# %%
main_depth = max(depths, key=lambda L: sum(m.n_layer == L for m in sw.models))
same = trend[trend.source.str.startswith("sweep") & (trend.n_layer == main_depth)]
width_trend = trends.fit_width_trend(same.d_model, same.bits_per_param)
lo_w, hi_w = width_trend.per_doubling_ci
print(f"L{main_depth}, V = {V}: bits/param change by {width_trend.per_doubling:+.3f} "
      f"per doubling of the width, 95 % CI [{lo_w:+.3f}, {hi_w:+.3f}] "
      f"({width_trend.n_models} models): {width_trend.verdict}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
for ax, x, xlabel in zip(axes, ("d_model", "embedding_share"),
                         ("width d", "share of parameters in the embeddings")):
    sns.scatterplot(data=trend, x=x, y="bits_per_param", hue="vocab_size",
                    style="n_layer", markers={1: "o", 2: "X"}, palette="viridis", s=90,
                    ax=ax, zorder=3, legend=ax is axes[1])
    px = "width" if x == "d_model" else x
    for L, rows in paper_rows.groupby("n_layer"):
        ax.plot(rows[px], rows.fp32, "o--" if L == 1 else "X-", mfc="none", ms=8,
                color="tab:red", label=f"Morris et al. L{L}, V = 2048 (fp32)")
    ax.set(xlabel=xlabel, ylabel="capacity (bits per parameter)")
widths = sorted(set(trend.d_model) | set(paper_rows.width))
axes[0].set_xscale("log", base=2)
axes[0].set_xticks(widths, labels=[str(w) for w in widths])
axes[1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
plt.show()

# %% [markdown]
# *Figure: capacity per parameter of our models (colour = V, marker = depth) and Table 1's rows (open red), against
# the width (left) and the share of parameters in the embeddings (right).*
#
# The left panel asks whether wider models store more per parameter at our vocabulary (Table 1's narrowest rows,
# d = 32, are our widest default model); the right, whether the embeddings' share explains the gap. Three things
# separate our models from the paper's, and only width is varied here; the vocabulary (the held-out configurations
# are our only other ones) and training length are printed below. The `paper` preset trains Table 1's own grid.

# %%
top = paper_rows.loc[paper_rows.fp32.idxmax()]
print(f"the paper's highest row, L{int(top.n_layer)}-d{int(top.width)}: {top.fp32} "
      f"bits/param (fp32), {100 * top.embedding_share:.0f} % of its parameters in the "
      f"embeddings; ours: {100 * trend.embedding_share.min():.0f}-"
      f"{100 * trend.embedding_share.max():.0f} %")
print(f"training: the paper {papers.MORRIS['steps'].value:,.0f} steps of batch "
      f"{papers.MORRIS['batch_size'].value:,.0f}; our capacity runs "
      f"{frame.steps.min():,}-{frame.steps.max():,} steps of batch {sw.batch_size}")
results["bits_per_param_trend"] = dict(
    depth=main_depth, vocab_size=V, per_doubling=width_trend.per_doubling,
    per_doubling_ci=width_trend.per_doubling_ci, verdict=width_trend.verdict,
    points=trend.round(4).to_dict("records"),
)

# %% [markdown]
# ## 10. Double descent
#
# Morris et al. find that test loss on fresh data peaks where the dataset's bits first exceed the model's capacity:
# below that ratio the model can store every sample; above it, it must share information between them. The grid
# above has too few sizes below capacity to show a peak, so this section trains its own sweep (`double_descent`):
# small models on a smaller alphabet (two at default, one at smoke), dataset sizes evenly spaced in log from about
# 0.1x to 4x capacity, three seeds each (`double_descent_seeds`). Capacity is each model's own on this sweep (the
# most it stores on any size, mean over seeds).
# Every run goes on the axis $H(X)/\text{capacity}$ with its training loss and its test loss in bits per token,
# the test loss as the excess over the $\log_2 V$ any model must pay on new data.
#
# Two claims were fixed after a pilot with shorter training, which peaked at 0.6-0.65 of capacity, and before
# these runs: the peak lies within `peak_ratio_range`, and its excess test loss is at least `min_peak_over_ends`
# times that at both ends of the grid (a model that learns nothing has the same excess everywhere).

# %%
dd = p.double_descent
dd_runs = planned["double_descent"]
dd_report = sweep.run_sweep(dd_runs, store, device=run.device, stack=dd.stack,
                            stack_max_params=dd.stack_max_params)
ddf = frames.to_frame(dd_runs, dd_report.metrics)
ddf["seed"] = [r.data_seed for r in dd_runs]
ddf["train_loss"] = ddf.train_loss_bits_per_token
ddf["excess_test_loss"] = ddf.test_loss_bits_per_token - math.log2(dd.vocab_size)
dd_capacity = double_descent.seed_mean_capacity(ddf)
ddf["capacity_ratio"] = ddf.dataset_bits / ddf.model.map(dd_capacity)
print(f"V = {dd.vocab_size}, S = {dd.seq_len}; {len(dd_runs)} runs "
      f"({dd_report.trained} trained, {dd_report.reused} read from the store) in "
      f"{dd_report.seconds:.0f} s")

# %%
# each model's peak, with a 95 % interval over resampled seeds, the excess at the grid's
# ends, and the largest dataset it fits (training loss under 10 % of log2 V)
dd_peaks = double_descent.peaks_of_test_loss(ddf, dd_capacity, dd.vocab_size)
dd_rows = dd_peaks.to_dict("records")
dd_peaks.round(3)

# %%
dd_long = ddf.melt(id_vars=["model", "seed", "capacity_ratio"],
                   value_vars=["train_loss", "excess_test_loss"], var_name="loss",
                   value_name="bits_per_token")
g = sns.relplot(data=dd_long, x="capacity_ratio", y="bits_per_token", hue="model",
                col="loss", kind="line", marker="o", errorbar=("pi", 100), height=3.6,
                aspect=1.2, facet_kws=dict(sharey=False))
for ax in g.axes.flat:
    ax.axvline(1, color="k", lw=0.8, ls="--")
    ax.set(xscale="log", xlabel="dataset bits / capacity  (N·S·log2 V / capacity)")
for row, color in zip(dd_rows, sns.color_palette()):
    g.axes.flat[1].axvspan(row["peak_low"], row["peak_high"], color=color, alpha=0.12)
g.axes.flat[0].set_ylabel("bits per token")
g.axes.flat[1].set(yscale="log", ylabel="bits per token above log2 V")
plt.show()

# %% [markdown]
# *Figure: training loss (left) and test loss above $\log_2 V$ (right, log scale) in bits per token against dataset
# bits / capacity, mean over the seeds (band: all of them). Dashed: ratio 1; shaded: the peaks' 95 % intervals
# (`memcap.measures.peaks.locate_peak`, its coverage checked on simulated curves in the tests).*

# %%
for row in dd_rows:
    print(f"{row['model']} ({row['params']:,} params, capacity "
          f"{row['capacity_bits']:,.0f} bits = {row['bits_per_param']:.2f} bits/param)"
          ": "
          f"test loss peaks at {row['peak_ratio']:.2f}x capacity (95 % interval "
          f"{row['peak_low']:.2f}-{row['peak_high']:.2f}), {row['peak_excess']:.1f} "
          f"bits/token above log2 V against {row['smallest_excess']:.1f} and "
          f"{row['largest_excess']:.2f} at the grid's ends; the interval contains "
          f"ratio 1: {'yes' if row['peak_low'] <= 1 <= row['peak_high'] else 'no'}; "
          "the largest dataset it fits (training loss under 10 % of log2 V): "
          f"{row['last_ratio_fitted']:.2f}x")
below = ddf[ddf.capacity_ratio < 0.9]
above = ddf[ddf.capacity_ratio > 1.2]
print(f"below 0.9x capacity the training loss is at most {below.train_loss.max():.3f} "
      f"bits/token; above 1.2x at least {above.train_loss.min():.2f}")
display(pd.DataFrame([
    dict(model=row["model"], quantity="test-loss peak, dataset bits / capacity",
         this_book=round(row["peak_ratio"], 2),
         interval=f"[{row['peak_low']:.2f}, {row['peak_high']:.2f}]",
         morris_et_al=papers.MORRIS["double_descent_ratio"].value)
    for row in dd_rows
]))

# %%
# the claims: a model fits the datasets below its capacity and none above; its test loss
# peaks inside the grid, well above both ends, within peak_ratio_range; it falls past it
fit_below = below.train_loss.max(skipna=False)
fit_above = above.train_loss.min(skipna=False)
run.claim("fits_below_capacity",
          value=fit_below / fit_above if fit_above > 0 else np.inf)
for row in dd_rows:
    # a peak at an end of the grid counts as no peak (0x the ends); ends at or
    # below 0 put a positive peak infinitely above them; a NaN anywhere: NaN
    peak = row["peak_excess"]
    ends = np.max([row["smallest_excess"], row["largest_excess"]])
    over_ends = (np.nan if not np.isfinite([peak, ends]).all()
                 else 0.0 if not (row["interior"] and peak > 0)
                 else peak / ends if ends > 0 else np.inf)
    run.claim("test_loss_peaks_inside", value=over_ends, detail=row["model"])
    run.claim("peak_near_capacity", value=row["peak_ratio"], detail=row["model"])
falls = double_descent.falls_past_peak(ddf)
run.claim("test_loss_falls_past_peak", all(falls.values()),
          detail=", ".join(m for m, f in falls.items() if not f))
results["double_descent"] = dict(
    vocab_size=dd.vocab_size, seq_len=dd.seq_len, seeds=p.double_descent_seeds,
    peaks=dd_peaks.round(4).to_dict("records"),
    max_train_loss_below=float(below.train_loss.max()),
    min_train_loss_above=float(above.train_loss.min()),
)

# %% [markdown]
# Why the peak sits there shows in the training loss. A dataset the model fits is stored sequence by sequence, and
# the more it stores, the more confidently wrong its predictions on fresh ones. Once the data no longer fit, the
# model spreads what it stores over all of them, its predictions flatten and the test loss falls towards
# $\log_2 V$. So the test loss peaks at, or one grid step before, the largest dataset the model still fits, and
# the training loss rises one step later, just past ratio 1: the paper's threshold. The grid's steps (1.6x) bound
# how finely any location can be told apart.

# %% [markdown]
# ## The claims, checked
#
# Every claim of this chapter, declared once with its threshold (`memcap claims 2`): what this run measured and
# its margin; `caught by` names the breaks of the engine that the tests run on this chapter and that make it fail
# at smoke (tests/test_broken_engine.py; benchmarks/RESULTS.md has every break's column).
# A claim not asserted at this scale (`asserted` False) is shown, not judged against its threshold.

# %%
run.claims.frame()

# %% [markdown]
# ## Summary
#
# * On uniform random sequences a GPT stores everything up to its capacity and then (nearly) stops: past capacity
#   the memorized bits flatten, measured against baselines from the same runs (an untrained model codes at
#   $\log_2 V$ a token; a trained one stores its own sequences, not fresh ones).
# * Capacity grows with parameters; section 5 gives the exponent with its interval, and α beside the paper's.
# * Test loss on fresh data peaks close to where a dataset's bits reach the model's capacity (section 10): the
#   double descent of Morris et al.
# * $\min(H(X)(S-1)/S, \alpha P)$ predicts how much a new configuration memorizes (section 8); where training
#   longer stores more (section 6), the capacities and α here are lower bounds by about that share.

# %%
reports = (report, sat_report, dd_report)
chapter_runs = [*runs, *twins, *probe_runs.values(), *held_runs, *dd_runs]
results.update(runs_in_chapter=len({store.key(r.to_dict()) for r in chapter_runs}),
               trained_this_run=sum(r.trained for r in reports))
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
# ### Exercise 1 (3 points): a sequence's code length from the model's logits
#
# Everything this chapter measures starts from one computation: how many bits a model needs for a sequence.
# Write `code_length_bits(logits, x)` for a batch of sequences `x` (a `(N, S)` tensor of token ids) and the
# model's logits on them (`(N, S, V)`; `logits[:, j]` predicts token `j + 1`). Return a numpy array of `N`
# floats: each sequence's code length in bits, where the first token costs $\log_2 V$ (nothing predicts it) and
# token $j+1$ costs $-\log_2 \mathrm{softmax}(\texttt{logits}[:, j])[x_{j+1}]$. Use torch (`log_softmax`,
# `gather`), not the package: the checks compare your function with `evaluate.sequence_code_length_bits` on a
# model of this chapter and fail if it calls a function of `memcap.measures.evaluate` or the model's `loss`.
# Expected output: three code lengths well below the chance level $S\log_2 V$ (the model saw these sequences).

# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
smallest = sw.models[0]
probe = sw.run(smallest.n_layer, smallest.width, min(sw.dataset_bits_per_param),
               data_seed=seed, init_seed=seed)
probe_model = load_model(store, probe, run.device)
probe_x = probe.data()[0][:64].to(run.device)
with torch.no_grad():
    probe_logits = probe_model(probe_x)
### BEGIN SOLUTION
def code_length_bits(logits, x):
    logp = torch.log_softmax(logits.double(), dim=-1)[:, :-1]
    nats = -logp.gather(-1, x[:, 1:, None]).squeeze(-1).sum(dim=1)
    return nats.cpu().numpy() / math.log(2) + math.log2(logits.shape[-1])
### END SOLUTION
first = code_length_bits(probe_logits, probe_x)[:3].round(1)
print(f"first three: {first} bits; chance: {S * math.log2(V):.0f} bits")

# %% nbgrader={"grade": true, "grade_id": "ex1", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
by_package = [*checks.functions_of(evaluate), GPT.loss]
mine = checks.without(by_package, code_length_bits, probe_logits, probe_x)
checks.is_instance("code_length_bits(...)", mine, np.ndarray)
checks.close("code_length_bits(probe_logits, probe_x)", mine,
             evaluate.sequence_code_length_bits(probe_model, probe_x), rel=1e-4,
             why="the package's code lengths of the same sequences")
### BEGIN HIDDEN TESTS
flat = torch.zeros(3, S, V)  # a model that predicts nothing: log2 V bits per token
checks.close("code_length_bits of uniform logits",
             checks.without(by_package, code_length_bits, flat, probe_x[:3].cpu()),
             np.full(3, S * math.log2(V)), rel=1e-6, show_expected=False)
noise = torch.randn(5, S, V, generator=torch.Generator().manual_seed(1))
want = torch.nn.functional.cross_entropy(
    noise[:, :-1].reshape(-1, V).double(), probe_x[:5, 1:].reshape(-1).cpu(),
    reduction="none",
).view(5, -1).sum(1).numpy() / math.log(2) + math.log2(V)
checks.close("code_length_bits of random logits",
             checks.without(by_package, code_length_bits, noise, probe_x[:5].cpu()),
             want, rel=1e-6, show_expected=False)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 (2 points): counting parameters
#
# Derive the $13d$ in $12d^2 + 13d$ from the biases and LayerNorms of one block, then write a function
# `n_params(L, d, V, S)` that returns the closed form $P = L(12d^2 + 13d) + Vd + Sd + 2d$ as an integer. The
# checks compare it with `GPTConfig(...).n_params` for several shapes and fail if it builds a `GPTConfig` or a
# `GPT`. Expected output: `P(L=2, d=20, V=256, S=32) = 15,920`.

# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
def n_params(L, d, V, S):
    # per block: q, k, v (3d² + 3d), output projection (d² + d), MLP up (4d² + 4d)
    # and down (4d² + d), two LayerNorms (2·2d): 12d² + 13d. Then the tied embedding
    # V·d, the learned positions S·d and the final LayerNorm 2d.
    return L * (12 * d**2 + 13 * d) + V * d + S * d + 2 * d
### END SOLUTION
print(f"P(L=2, d=20, V=256, S=32) = {n_params(2, 20, 256, 32):,}")

# %% nbgrader={"grade": true, "grade_id": "ex2", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
by_package = [GPTConfig.n_params, GPT.__init__]
for shape in [(2, 20, 256, 32), (1, 32, 2048, 64)]:
    cfg_ = GPTConfig(vocab_size=shape[2], seq_len=shape[3], n_layer=shape[0],
                     d_model=shape[1])
    checks.equal(f"n_params{shape}", checks.without(by_package, n_params, *shape),
                 cfg_.n_params, why="GPTConfig's own count")
### BEGIN HIDDEN TESTS
for shape in [(4, 8, 16, 8), (3, 64, 512, 128)]:
    cfg_ = GPTConfig(vocab_size=shape[2], seq_len=shape[3], n_layer=shape[0],
                     d_model=shape[1])
    checks.equal(f"n_params{shape}", checks.without(by_package, n_params, *shape),
                 sum(t.numel() for t in GPT(cfg_).parameters()), show_expected=False,
                 why="the model's own parameters, the tied embedding counted once")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3 (3 points): a little of everything, or everything of a few?
#
# Past capacity a model cannot store every sequence. Does it store a little of each, or all of some? Load the
# smallest model trained on the largest dataset (cell below), compute the memorized bits of every training sequence
# (`per_sequence`, an array, with `capacity.memorized_bits`), and the share of all memorized bits held by the
# $\lfloor N/2 \rfloor$ sequences with the most memorized bits (`top_half_share`, $N$ the number of sequences). A
# share near 0.5 means "a little of each".

# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
past = sw.run(smallest.n_layer, smallest.width, max(sw.dataset_bits_per_param),
              data_seed=seed, init_seed=seed)
past_model = load_model(store, past, run.device)
past_x = past.data()[0].to(run.device)
### BEGIN SOLUTION
per_sequence = capacity.memorized_bits(past_model, past_x, V).per_sequence_bits
ranked = np.sort(per_sequence)[::-1]
top_half_share = float(ranked[: len(ranked) // 2].sum() / ranked.sum())
### END SOLUTION
print(f"{len(per_sequence)} sequences of {S * math.log2(V):.0f} bits; the better half "
      f"holds {top_half_share:.0%} of the memorized bits; median "
      f"{np.median(per_sequence):.1f} bits per sequence")

# %% nbgrader={"grade": true, "grade_id": "ex3", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.equal("len(per_sequence)", len(per_sequence), past.n_sequences,
             why="one value per training sequence")
stored = store.load(past.to_dict())["metrics"]["memorized_bits"]
checks.close("sum(per_sequence)", float(np.sum(per_sequence)), stored, rel=1e-3,
             why="the per-sequence bits must add up to the run's memorized bits")
checks.that(0.5 <= top_half_share <= 1.5,
            f"top_half_share = {top_half_share!r}: the better half holds at least half")
### BEGIN HIDDEN TESTS
ranked_check = np.sort(np.asarray(per_sequence))[::-1]
half = len(ranked_check) // 2
checks.close("top_half_share", top_half_share,
             ranked_check[:half].sum() / ranked_check.sum(), rel=1e-9,
             show_expected=False)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 4 (2 points, written): what the model keeps past capacity
#
# From your `top_half_share`, the median printed above and the chapter's plateau, answer: past capacity, does
# the model store a little of every sequence or all of some? What would you expect the share to be for a model
# trained on a dataset well below its capacity, and why?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex4", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# The answer follows the student's numbers. Typically the better half holds clearly more than half of the
# memorized bits while the median sequence still carries some: the model stores a little of most sequences and
# more of some, its total pinned at capacity (the plateau). Below capacity every sequence can be stored almost
# completely, so each holds about the same number of bits and the share is close to 0.5.
#
# Rubric (2 points): 1 point for a conclusion that follows from the share and the median as computed (not a
# memorized answer); 1 point for "below capacity, near 0.5, because every sequence fits" (or an equivalent
# argument from the plateau).
# ### END SOLUTION
