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
# # Chapter 1: What it means to memorize
#
# **Takeaway:** memorization is information. What a trained model knows about its *specific* training set,
# beyond what the data process explains, can be computed exactly on a toy problem and estimated on real ones
# from code lengths: $\mathrm{mem}_U(x) \approx \max\bigl(0,\ \log_2 p(x\mid\hat\theta) - \log_2 p(x\mid\theta_\mathrm{ref})\bigr)$ bits.
#
# This chapter follows §2 of Morris et al. (2025), *How much do language models memorize?*: first the Shannon
# definitions, made concrete where every probability can be enumerated; then the Kolmogorov view, where a real
# arithmetic coder shows that $-\log_2 p(x)$ is a code length one can achieve, and unintended memorization is read
# off two models' code lengths.

# %% tags=["parameters"]
scale = "default"  # "smoke" (CI, seconds), "default" (the book), "paper" (larger)
seed = 0  # every random draw in the chapter derives from it
device = "auto"  # "auto", "cpu", "cuda", "cuda:N" or "mps" (this chapter uses numpy)
output_dir = ""  # where results.json goes; "": build/<scale>/01_memorization

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from memcap.book import checks, start
from memcap.data import markov
from memcap.measures import memorization
from memcap.theory import coding, information, shannon

run = start("01_memorization", scale=scale, seed=seed, device=device,
            output_dir=output_dir)
preset, results = run.preset, run.results
run.settings()

# %% [markdown]
# ## 1. Entropy, by hand and by the package
#
# The entropy of a distribution $p$ is $H(p) = -\sum_x p(x)\log_2 p(x)$ bits: the average length of the best code
# for a draw from $p$. For a uniform distribution over $V$ symbols every code word needs $\log_2 V$ bits.
# We compute it by hand with numpy, then with `memcap.theory.information.entropy`, and check they agree.

# %%
V = 2048  # Morris et al.'s vocabulary size
p_uniform = np.full(V, 1 / V)
by_hand = -(p_uniform * np.log2(p_uniform)).sum()
by_package = information.entropy(p_uniform)
print(
    f"H(uniform over {V}) by hand = {by_hand:.6f} bits, by memcap = {by_package:.6f} "
    f"bits, log2 V = {math.log2(V):.6f}"
)
assert abs(by_hand - math.log2(V)) < 1e-9 and abs(by_package - math.log2(V)) < 1e-9

# %% [markdown]
# Mutual information $I(X;Y) = H(X) + H(Y) - H(X,Y)$ measures how many bits one variable tells about another.
# A binary symmetric channel that flips a fair bit with probability $\varepsilon$ carries $1 - h(\varepsilon)$ bits,
# where $h$ is the binary entropy.

# %%
eps = 0.1
# rows X, columns Y
p_xy = np.array([[0.5 * (1 - eps), 0.5 * eps], [0.5 * eps, 0.5 * (1 - eps)]])
h_eps = -(eps * math.log2(eps) + (1 - eps) * math.log2(1 - eps))
mi = information.mutual_information(p_xy)
print(
    f"I(X;Y) for a channel with flip probability {eps}: {mi:.4f} bits (closed form 1 - "
    f"h(eps) = {1 - h_eps:.4f})"
)
assert abs(mi - (1 - h_eps)) < 1e-12
results["bsc_mutual_information_bits"] = mi

# %% [markdown]
# ## 2. The Shannon view, computed exactly
#
# Morris et al. treat the data-generating model $\Theta$ as a random variable with a prior, the data
# $X = (X_1, \dots, X_n)$ as drawn from it, and the trained model $\hat\Theta = L(X)$ as a function of the data. Then
#
# $$\mathrm{mem}(X,\hat\Theta) = I(X;\hat\Theta), \qquad
#   \mathrm{mem}_U(X,\hat\Theta,\Theta) = H(X\mid\Theta) - H(X\mid\Theta,\hat\Theta) = I(X;\hat\Theta\mid\Theta), \qquad
#   \mathrm{mem}_I = \mathrm{mem} - \mathrm{mem}_U .$$
#
# *Unintended* memorization is what the model knows about this particular dataset once the data process is
# known; *generalization* ($\mathrm{mem}_I$) is what it learned about the process. Because $\Theta \to X \to \hat\Theta$
# is a Markov chain, $\mathrm{mem}_I = I(\Theta;\hat\Theta)$ exactly: the check below confirms it numerically.
#
# Our toy problem: three coins with heads probability 0.1, 0.5 and 0.9, chosen with equal prior probability;
# $n$ tosses of the chosen coin are the dataset. Four learners map a dataset to a model:
#
# | learner | what it keeps |
# |---|---|
# | `memorize_all` | the dataset verbatim |
# | `count_symbols` | the number of heads (the maximum-likelihood estimate) |
# | `map_estimate` | which coin is the most probable one (Bayes' choice) |
# | `memorize_first(3)` | the most probable coin **and** the first three tosses: a fixed memory |
#
# With at most $2^{n}$ datasets we enumerate them all and get every quantity exactly.

# %%
coins = ((0.9, 0.1), (0.5, 0.5), (0.1, 0.9))  # P(tails), P(heads) for each coin
prior = (1 / 3, 1 / 3, 1 / 3)
memory = 3  # tosses kept verbatim by memorize_first
learners = {
    "memorize_all": shannon.memorize_all, "count_symbols": shannon.count_symbols,
    "map_estimate": shannon.map_estimate(coins, prior),
    f"memorize_first({memory})": shannon.memorize_first(memory, coins, prior),
}
rows = []
for name, learner in learners.items():
    for n in range(1, preset.n_max + 1):
        m = shannon.shannon_memorization(coins, prior, n, learner)
        rows.append(
            dict(
                learner=name, n=n, H_X=m.entropy_x_bits, mem=m.total_bits,
                mem_U=m.unintended_bits, mem_I=m.generalization_bits,
                I_theta_model=m.theta_model_information_bits,
                sum_mem_U_i=m.per_sample_sum_bits, H_model=m.entropy_model_bits,
            )
        )
toy = pd.DataFrame(rows)
toy[toy.n == preset.n_max].round(3)

# %% [markdown]
# The checks: Proposition 1 (super-additivity), $\sum_i \mathrm{mem}_U(X_i) \le \mathrm{mem}_U(X) \le H(\hat\Theta)$, for
# every learner and every $n$; $\mathrm{mem}_I = I(\Theta;\hat\Theta)$; and storing the data verbatim memorizes all of
# $H(X)$.

# %%
tol = 1e-9
assert (toy.sum_mem_U_i <= toy.mem_U + tol).all(), "super-additivity lower side broken"
assert (toy.mem_U <= toy.H_model + tol).all(), "super-additivity upper side broken"
assert np.allclose(toy.mem_I, toy.I_theta_model, atol=1e-9), (
    "mem_I must equal I(Theta; model)"
)
verbatim = toy[toy.learner == "memorize_all"]
assert np.allclose(verbatim.mem, verbatim.H_X), "storing X verbatim must memorize H(X)"
gap = (toy.mem_U - toy.sum_mem_U_i)[toy.n > 1]
print(
    f"Proposition 1 holds on all {len(toy)} (learner, n) pairs; "
    f"the per-sample sum falls short of mem_U by up to {gap.max():.2f} bits"
)

# %%
long = toy.melt(
    id_vars=["learner", "n"], value_vars=["mem", "mem_U", "mem_I"], var_name="quantity",
    value_name="bits",
)
g = sns.relplot(
    data=long, x="n", y="bits", hue="quantity", col="learner", kind="line", marker="o",
    col_wrap=2, height=3.2, aspect=1.3, facet_kws=dict(sharey=False),
)
for ax, name in zip(g.axes.flat, learners):
    sub = toy[toy.learner == name]
    ax.plot(sub.n, sub.H_X, "k--", lw=1, label="H(X)")
    ax.set_xlabel("dataset size n (coin tosses)")
    ax.set_ylabel("information (bits)")
g.axes.flat[0].legend(loc="upper left", fontsize=8)
plt.show()

# %% [markdown]
# *Figure: total memorization (mem), unintended memorization (mem_U) and generalization (mem_I) against the
# number of tosses, for each learner; the dashed line is the entropy of the dataset $H(X)$.*
#
# Three behaviours appear. The verbatim learner's unintended memorization grows linearly with $n$, with no bound.
# The MAP learner's model converges on the true coin, so its generalization climbs towards $H(\Theta) = \log_2 3$
# bits, while its unintended memorization peaks at small $n$ (when the choice of coin still depends on the
# accidents of these few tosses) and then falls towards zero. The fixed-memory learner's unintended memorization stops
# growing once $n$ exceeds its memory: a plateau, the toy version of the capacity limit of Chapter 2.

# %%
h_theta = math.log2(3)
last = toy[toy.n == preset.n_max].set_index("learner")
map_row = last.loc["map_estimate"]
first_row = last.loc[f"memorize_first({memory})"]
# H(X_1 | Theta)
h_toss_given_theta = float(np.mean([information.entropy(c) for c in coins]))
plateau_low = memory * h_toss_given_theta
print(
    f"n = {preset.n_max}: MAP learner mem_I = {map_row.mem_I:.3f} bits of H(Theta) = "
    f"{h_theta:.3f}; "
    f"mem_U = {map_row.mem_U:.3f} bits"
)
print(
    f"fixed memory of {memory} tosses: mem_U = {first_row.mem_U:.3f} bits, "
    f"between {plateau_low:.3f} (the tosses) and {plateau_low + h_theta:.3f} (plus "
    "the coin)"
)
map_curve = toy[toy.learner == "map_estimate"]
print(
    f"MAP learner: mem_U peaks at {map_curve.mem_U.max():.3f} bits (n = "
    f"{int(map_curve.n[map_curve.mem_U.idxmax()])})"
)

# %% [markdown]
# The three behaviours described above, each asserted: a run in which one of them fails stops here.

# %%
assert (np.diff(map_curve.mem_I) > 0).all(), (
    "the MAP learner's generalization must grow with n"
)
assert map_row.mem_I > 0.5 * h_theta, (
    "at n_max the MAP learner should know more than half of H(Theta)"
)
assert map_row.mem_U < 0.75 * map_curve.mem_U.max(), (
    "the MAP learner's unintended memorization must fall"
)
assert plateau_low - tol <= first_row.mem_U <= plateau_low + h_theta + tol
verbatim_growth = np.diff(verbatim.mem_U)
assert (verbatim_growth > 0).all(), (
    "verbatim unintended memorization must grow with every toss"
)
results.update(
    toy_n_max=preset.n_max, toy_map_peak_unintended_bits=map_curve.mem_U.max(),
    toy_map_generalization_bits=map_row.mem_I, toy_map_unintended_bits=map_row.mem_U,
    toy_fixed_memory_unintended_bits=first_row.mem_U,
    toy_verbatim_unintended_bits=last.loc["memorize_all"].mem_U,
    toy_max_superadditivity_gap_bits=gap.max(),
)

# %% [markdown]
# ## 3. The Kolmogorov view: code lengths you can achieve
#
# Real models have no enumerable prior. Morris et al. switch to Kolmogorov complexity, estimated by the length of
# an actual code: $H^K(x\mid\theta) \approx -\log_2 p(x\mid\theta)$. That estimate is honest because an **arithmetic
# coder** driven by the model's next-symbol probabilities produces a code word of at most
# $\lceil -\log_2 p(x)\rceil + 2$ bits, and decodes it back exactly.
#
# Our data process: a first-order Markov chain over `markov_vocab` symbols whose transition rows are drawn from a
# peaked Dirichlet distribution, so the data are far from uniform. The first symbol of each sequence is charged
# under the chain's uniform start distribution, like every other symbol (memcap's convention everywhere).

# %%
source = markov.MarkovSource.random(
    preset.markov_vocab, concentration=0.3, rng=run.rng(1)
)
coded = source.sample(preset.coded_sequences, preset.markov_length, run.rng(2))
ideal_bits = source.code_length_bits(coded)
code_bits, round_trips = [], 0
for x in coded.tolist():
    code = coding.encode(x, source)
    round_trips += coding.decode(code, len(x), source) == x
    code_bits.append(code.n_bits)
code_bits = np.array(code_bits)
overhead = code_bits - ideal_bits
print(
    f"{len(coded)} sequences of {preset.markov_length} symbols: exact round trips "
    f"{round_trips}/{len(coded)}; "
    f"arithmetic code minus -log2 p(x): mean {overhead.mean():+.2f}, max "
    f"{overhead.max():+.2f} bits"
)
assert round_trips == len(coded)
assert overhead.max() <= 2 + 1e-3 and overhead.min() >= 0 - 1e-3

# %% [markdown]
# How does that compare with compressors that must learn the source from the data itself? We code all
# sequences together: the arithmetic coder with the true model, a uniform code ($\log_2 V$ bits per symbol), and
# gzip, bz2 and lzma on the same symbols stored one per byte.

# %%
stream = coded.ravel()
L = preset.markov_length
# restart at each sequence
within_sequence = lambda prefix: source(prefix[len(prefix) - len(prefix) % L :])
arithmetic = coding.encode(stream.tolist(), within_sequence).n_bits
compare = pd.DataFrame([
    ("arithmetic coder, true model", arithmetic),
    ("-log2 p(x), true model", float(ideal_bits.sum())),
    ("uniform code, log2 V per symbol", stream.size * math.log2(preset.markov_vocab)),
    *[(name, coding.compressed_bits(stream, name)) for name in ("gzip", "bz2", "lzma")],
], columns=["code", "bits"])
compare["bits per symbol"] = compare.bits / stream.size
display(compare.round(3))
ac_bits = compare.bits.iloc[0]
best_general = compare.bits.iloc[3:].min()
print(
    f"the model-driven code is {best_general / ac_bits:.2f}x shorter than the best "
    "general-purpose compressor"
)
assert ac_bits < best_general and ac_bits < compare.bits.iloc[2]
results.update(
    arithmetic_round_trips=round_trips, arithmetic_max_overhead_bits=overhead.max(),
    arithmetic_bits_per_symbol=ac_bits / stream.size,
    best_general_compressor_bits_per_symbol=best_general / stream.size,
)

# %% [markdown]
# ## 4. Unintended memorization from two code lengths
#
# With a reference model $\theta_\mathrm{ref}$ for the data process and a trained model $\hat\theta$, Morris et al. estimate
#
# $$H^K(x\mid\theta_\mathrm{ref},\hat\theta) \approx -\log_2 \max\bigl(p(x\mid\hat\theta),\, p(x\mid\theta_\mathrm{ref})\bigr),
#   \qquad \mathrm{mem}_U(x) \approx \max\bigl(0,\ \log_2 p(x\mid\hat\theta) - \log_2 p(x\mid\theta_\mathrm{ref})\bigr).$$
#
# Here the reference is the true Markov chain (an oracle). The trained models are n-gram models fitted by counting
# on `train_sequences` sequences: order 1 (the right structure: it can only generalize) and orders 2 and 4 (enough
# context to recognise, and so memorize, individual training sequences). We score training sequences and fresh
# held-out sequences from the same source.

# %%
train = source.sample(preset.train_sequences, preset.markov_length, run.rng(3))
held_out = source.sample(preset.train_sequences, preset.markov_length, run.rng(4))
ref_train, ref_held = source.code_length_bits(train), source.code_length_bits(held_out)
rows, models = [], {}
for order in (1, 2, 4):
    model = markov.NGramModel(
        order=order, vocab_size=preset.markov_vocab, alpha=0.01
    ).fit(train)
    models[order] = model
    for split, data, ref in (
        ("train", train, ref_train), ("held-out", held_out, ref_held),
    ):
        bits = model.code_length_bits(data)
        mem_u = memorization.unintended_memorization_bits(bits, ref)
        rows.append(
            dict(
                order=order, split=split, code_bits_per_seq=bits.mean(),
                ref_bits_per_seq=ref.mean(), mem_U_per_seq=mem_u.mean(),
                mem_U_total=mem_u.sum(),
            )
        )
mem_table = pd.DataFrame(rows)
mem_table.round(2)

# %%
per_seq = []
for split, data, ref in (("train", train, ref_train), ("held-out", held_out, ref_held)):
    mem_u = memorization.unintended_memorization_bits(
        models[4].code_length_bits(data), ref
    )
    per_seq += [dict(split=split, mem_U_bits=v) for v in mem_u]
ax = sns.histplot(
    data=pd.DataFrame(per_seq), x="mem_U_bits", hue="split", bins=30, element="step"
)
ax.set_xlabel("unintended memorization per sequence (bits)")
ax.set_ylabel("sequences")
plt.show()

# %% [markdown]
# *Figure: per-sequence unintended memorization of the order-4 model, on its training sequences and on fresh
# sequences from the same source. Training sequences are coded far shorter than the oracle can code them; fresh
# ones are not.*

# %%
mt = mem_table.set_index(["order", "split"])
mem4_train, mem4_held = (
    mt.loc[(4, "train"), "mem_U_per_seq"], mt.loc[(4, "held-out"), "mem_U_per_seq"],
)
mem1_train = mt.loc[(1, "train"), "mem_U_per_seq"]
print(
    f"order 4: {mem4_train:.1f} bits per training sequence vs {mem4_held:.2f} per "
    "held-out sequence; "
    f"order 1: {mem1_train:.2f} bits per training sequence"
)
assert mem4_train > 10 * max(mem4_held, 0.1), (
    "the memorizing model must stand out on its training data"
)
assert mem1_train < mem4_train / 5, "the order-1 model can only generalize"
results.update(
    mem_u_order4_train_bits_per_seq=mem4_train,
    mem_u_order4_heldout_bits_per_seq=mem4_held,
    mem_u_order1_train_bits_per_seq=mem1_train,
    mem_u_order4_train_total_bits=mt.loc[(4, "train"), "mem_U_total"],
)

# %% [markdown]
# The pointwise maximum $\max(p(x\mid\hat\theta), p(x\mid\theta_\mathrm{ref}))$ is not a probability distribution (it sums
# to more than one over all $x$), so $-\log_2$ of it is not quite a code length. The equal mixture
# $\tfrac12 p(x\mid\hat\theta) + \tfrac12 p(x\mid\theta_\mathrm{ref})$ is one — spend one bit to say which model codes
# $x$ — and it costs at most one extra bit. We check that bound, and that the arithmetic coder achieves the trained
# model's code length on a training sequence.

# %%
model_bits = models[4].code_length_bits(train)
joint = memorization.joint_code_length_bits(model_bits, ref_train)
mixture = memorization.mixture_code_length_bits(model_bits, ref_train)
assert np.all(mixture >= joint - 1e-9) and np.all(mixture <= joint + 1 + 1e-9)
x0 = train[0].tolist()
code0 = coding.encode(x0, models[4])
print(
    f"mixture minus pointwise-max code length: at most {np.max(mixture - joint):.3f} "
    "bits; "
    f"first training sequence: -log2 p = {model_bits[0]:.1f} bits, arithmetic code "
    f"{code0.n_bits} bits "
    f"(the oracle needs {ref_train[0]:.1f})"
)
assert (
    coding.decode(code0, len(x0), models[4]) == x0
    and code0.n_bits <= model_bits[0] + 2 + 1e-3
)
results["mixture_max_extra_bits"] = float(np.max(mixture - joint))

# %% [markdown]
# ## Summary
#
# * Total memorization $I(X;\hat\Theta)$ splits into unintended memorization $I(X;\hat\Theta\mid\Theta)$ and
#   generalization $I(\Theta;\hat\Theta)$; on the toy problem all three are exact, and Proposition 1 holds: summing
#   per-sample memorization under-counts the whole.
# * A learner with a fixed memory plateaus: its unintended memorization stops growing with the data. Chapter 2
#   measures that plateau for GPT models.
# * $-\log_2 p(x\mid\theta)$ is an achievable code length (the arithmetic coder gets within two bits), so unintended
#   memorization can be estimated per sequence from a trained model's and a reference model's likelihoods.

# %%
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
# ### Exercise 1 (2 points): mutual information by hand
#
# Write a function `mutual_information_bits(joint)` that takes a 2-D numpy array of joint probabilities
# $p(x, y)$ (rows $x$, columns $y$, any shape; entries $\ge 0$ summing to 1, zeros allowed, with
# $0 \log 0 = 0$) and returns $I(X;Y) = \sum_{x,y} p(x,y)\log_2 \frac{p(x,y)}{p(x)p(y)}$ in bits as a float,
# with numpy only. The checks compare it with `memcap.theory.information.mutual_information` on other tables
# and fail if it calls any function of `memcap.theory.information`. Expected output:
# `I(X;Y) = 0.2781 bits`.

# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
joint = np.array([[0.4, 0.1], [0.1, 0.4]])  # rows X, columns Y
### BEGIN SOLUTION
def mutual_information_bits(joint):
    joint = np.asarray(joint, dtype=float)
    independent = np.outer(joint.sum(axis=1), joint.sum(axis=0))
    seen = joint > 0  # 0 log 0 = 0
    return float((joint[seen] * np.log2(joint[seen] / independent[seen])).sum())
### END SOLUTION
print(f"I(X;Y) = {mutual_information_bits(joint):.4f} bits")

# %% nbgrader={"grade": true, "grade_id": "ex1", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
by_package = checks.functions_of(information)
mi = checks.without(by_package, mutual_information_bits, joint)
checks.is_instance("mutual_information_bits(joint)", mi, float)
checks.close("mutual_information_bits(joint)", mi,
             information.mutual_information(joint))
independent_xy = np.outer([0.3, 0.7], [0.5, 0.5])
checks.close("I(X;Y) of independent X and Y",
             checks.without(by_package, mutual_information_bits, independent_xy),
             0.0, abs=1e-12, why="independent variables share no information")
### BEGIN HIDDEN TESTS
for shape in [(3, 4), (5, 2)]:
    table = np.random.default_rng(sum(shape)).random(shape)
    table[0, 0] = 0.0
    table /= table.sum()
    checks.close(f"mutual_information_bits of a {shape} table with a zero",
                 checks.without(by_package, mutual_information_bits, table),
                 information.mutual_information(table), abs=1e-12,
                 show_expected=False)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 (3 points): a leaky learner
#
# Build a learner that returns the MAP coin (use `learners["map_estimate"]`) *and* the parity of the number of
# heads (`sum(x) % 2`), and compute its memorization at $n$ = `preset.n_max` with `shannon.shannon_memorization`
# as `leaky`. The cell then prints how much unintended memorization the parity adds over the MAP learner
# (`parity_bits`).

# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
map_learner = learners["map_estimate"]
### BEGIN SOLUTION
leaky = shannon.shannon_memorization(
    coins, prior, preset.n_max, lambda x: (map_learner(x), sum(x) % 2)
)
### END SOLUTION
parity_bits = leaky.unintended_bits - map_row.mem_U
print(
    f"the parity adds {parity_bits:.3f} bits of unintended memorization at n = "
    f"{preset.n_max}"
)

# %% nbgrader={"grade": true, "grade_id": "ex2", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.equal("leaky.n", leaky.n, preset.n_max, why="memorization at n = preset.n_max")
checks.that(0 < parity_bits <= 1 + 1e-9,
            f"parity_bits = {parity_bits!r}: one parity bit adds more than 0 and at "
            "most 1 bit")
checks.that(leaky.total_bits >= map_row.mem - 1e-9,
            "the leaky learner keeps more than the MAP learner, so it cannot memorize "
            f"less: leaky.total_bits = {leaky.total_bits!r} < {map_row.mem!r}")
### BEGIN HIDDEN TESTS
check = shannon.shannon_memorization(
    coins, prior, preset.n_max,
    lambda x: (learners["map_estimate"](x), sum(x) % 2),
)
checks.close("leaky.unintended_bits", leaky.unintended_bits, check.unintended_bits,
             why="the learner returns the MAP coin and the parity of the heads",
             show_expected=False)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3 (2 points, written): why not exactly one bit?
#
# The parity of the number of heads is one bit. Why does it add close to one bit of unintended memorization,
# but not exactly one? Answer in two or three sentences in the cell below.

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex3", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# The parity is a fair-looking bit, but not a free one: given the coin (and the MAP choice, which depends on
# the number of heads) it is partly predictable, so it carries a little less than one bit of *new* information
# about the dataset beyond what the model already generalizes.
#
# Rubric (2 points): 1 point for saying that unintended memorization counts only information about the dataset
# that the coin (the generalizable part) does not already give; 1 point for saying the parity is partly
# predictable from the coin or from the MAP choice (it depends on the number of heads), so it is worth less
# than one bit. No point for "rounding" or "numerical error".
# ### END SOLUTION

# %% [markdown]
# ### Exercise 4 (3 points): the reference matters
#
# Section 4 used the true source as the reference model. Replace it by an order-0 n-gram model (symbol
# frequencies only) with the same add-$\alpha$ smoothing as section 4 ($\alpha = 0.01$), fitted on the 10×
# larger fresh sample `fresh`, and compute the order-4 model's mean unintended memorization per sequence (the
# mean over sequences of $\mathrm{mem}_U(x)$, clipped at zero per sequence as defined above) on the training
# sequences (`weak_train`) and on the held-out ones (`weak_held`).

# %% tags=["hide-input"] nbgrader={"grade": false, "grade_id": "ex4-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
fresh = source.sample(10 * preset.train_sequences, preset.markov_length, run.rng(5))
### BEGIN SOLUTION
weak_reference = markov.NGramModel(
    order=0, vocab_size=preset.markov_vocab, alpha=0.01
).fit(fresh)
weak_train, weak_held = (
    float(
        memorization.unintended_memorization_bits(
            models[4].code_length_bits(x), weak_reference.code_length_bits(x)
        ).mean()
    )
    for x in (train, held_out)
)
### END SOLUTION
print(
    f"order-0 reference: {weak_train:.1f} bits per training sequence, {weak_held:.1f} "
    "per held-out one "
    f"(true-source reference: {mem4_train:.1f} and {mem4_held:.2f})"
)

# %% nbgrader={"grade": true, "grade_id": "ex4", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.that(np.isfinite(weak_train) and np.isfinite(weak_held),
            f"weak_train = {weak_train!r} and weak_held = {weak_held!r} must be finite")
checks.that(weak_train > weak_held,
            "the model must still stand out on its own training data: weak_train "
            f"= {weak_train!r} <= weak_held = {weak_held!r}")
### BEGIN HIDDEN TESTS
ref0 = markov.NGramModel(order=0, vocab_size=preset.markov_vocab, alpha=0.01).fit(
    fresh
)
for name, got, x in (("weak_train", weak_train, train),
                     ("weak_held", weak_held, held_out)):
    want = np.maximum(
        0.0, ref0.code_length_bits(x) - models[4].code_length_bits(x)
    ).mean()
    checks.close(name, got, want, rel=1e-9, show_expected=False,
                 why="mean of max(0, reference's code length - the model's)")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5 (2 points, written): what a weak reference counts
#
# Compare `weak_held` with section 4's held-out figure. What does a weaker reference count as memorization?
# Then try an order-1 reference fitted on `fresh` (in a scratch cell): why is it nearly as good as the true
# source here?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex5", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# A reference that knows less of the source than the trained model lets the model's *generalization* pass for
# memorization: held-out sequences, which the model never saw, now show unintended memorization
# (`weak_held` > 0, against about 0 with the true source). An order-1 reference fitted on this much data is
# nearly the true source, which is itself an order-1 Markov chain, so it explains everything that can be
# generalized.
#
# Rubric (2 points): 1 point for "generalization is counted as memorization", supported by the held-out figure;
# 1 point for "the source is order-1 Markov, so an order-1 model with enough data recovers it".
# ### END SOLUTION
