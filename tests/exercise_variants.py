"""Other answers to every auto-graded exercise, for tests/test_exercise_checks.py.

For each chapter and answer cell: ``other`` holds correct answers written differently from the reference (each
must pass the visible *and* hidden checks: a hidden check stricter than its statement fails the test), ``wrong``
holds plausible mistakes (each must fail some check). Each string replaces the reference solution, the code
between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; the rest of the answer cell stays.
"""

VARIANTS = {
    "01_memorization": {
        "ex1-answer": {
            "other": ['''
def mutual_information_bits(joint):
    p = np.asarray(joint, dtype=float)

    def h(q):
        q = q[q > 0]
        return float(-(q * np.log2(q)).sum())

    return h(p.sum(axis=0)) + h(p.sum(axis=1)) - h(p.ravel())
'''],
            "wrong": [
                # calls the package, which the statement forbids
                "def mutual_information_bits(joint):\n    return float(information.mutual_information(joint))\n",
                # nats, not bits
                '''
def mutual_information_bits(joint):
    p = np.asarray(joint, dtype=float)
    return float((p * np.log(p / np.outer(p.sum(1), p.sum(0)))).sum())
''',
                # passes the visible checks; a zero entry gives nan (the statement allows zeros)
                '''
def mutual_information_bits(joint):
    p = np.asarray(joint, dtype=float)
    return float((p * np.log2(p / np.outer(p.sum(1), p.sum(0)))).sum())
''',
            ],
        },
        "ex2-answer": {
            "other": ["leaky = shannon.shannon_memorization(\n    coins, prior, preset.n_max,"
                      " lambda x: (sum(x) % 2, map_learner(x))\n)\n"],
            "wrong": [
                "leaky = shannon.shannon_memorization(coins, prior, preset.n_max, lambda x: sum(x) % 2)\n",
                # the number of heads, not its parity
                "leaky = shannon.shannon_memorization(\n    coins, prior, preset.n_max,"
                " lambda x: (map_learner(x), sum(x))\n)\n",
            ],
        },
        "ex4-answer": {
            "other": ['''
ref = markov.NGramModel(order=0, vocab_size=preset.markov_vocab, alpha=0.01).fit(fresh)
diffs = [ref.code_length_bits(x) - models[4].code_length_bits(x) for x in (train, held_out)]
weak_train, weak_held = (float(np.clip(d, 0, None).mean()) for d in diffs)
'''],
            "wrong": [
                # not clipped at zero
                '''
ref = markov.NGramModel(order=0, vocab_size=preset.markov_vocab, alpha=0.01).fit(fresh)
weak_train, weak_held = (
    float((ref.code_length_bits(x) - models[4].code_length_bits(x)).mean()) for x in (train, held_out)
)
''',
                # another smoothing than the statement's
                '''
ref = markov.NGramModel(order=0, vocab_size=preset.markov_vocab, alpha=1.0).fit(fresh)
weak_train, weak_held = (
    float(memorization.unintended_memorization_bits(models[4].code_length_bits(x),
                                                     ref.code_length_bits(x)).mean())
    for x in (train, held_out)
)
''',
            ],
        },
    },
    "02_capacity": {
        "ex1-answer": {
            "other": ['''
def code_length_bits(logits, x):
    V_ = logits.shape[-1]
    nats = torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, V_).float(), x[:, 1:].reshape(-1), reduction="none"
    )
    return nats.view(x.shape[0], -1).sum(1).cpu().numpy() / math.log(2) + math.log2(V_)
'''],
            "wrong": [
                # forgets the first token
                '''
def code_length_bits(logits, x):
    logp = torch.log_softmax(logits.double(), dim=-1)[:, :-1]
    return -logp.gather(-1, x[:, 1:, None]).squeeze(-1).sum(1).cpu().numpy() / math.log(2)
''',
                # the package's own function
                "def code_length_bits(logits, x):\n"
                "    return evaluate.sequence_code_length_bits(probe_model, x)\n",
            ],
        },
        "ex2-answer": {
            "other": ['''
def n_params(L, d, V, S):
    attention = (3 * d * d + 3 * d) + (d * d + d)
    mlp = (4 * d * d + 4 * d) + (4 * d * d + d)
    return L * (attention + mlp + 2 * 2 * d) + (V + S + 2) * d
'''],
            "wrong": [
                # an untied output head
                "def n_params(L, d, V, S):\n    return L * (12 * d**2 + 13 * d) + 2 * V * d + S * d + 2 * d\n",
                "def n_params(L, d, V, S):\n"
                "    return GPTConfig(vocab_size=V, seq_len=S, n_layer=L, d_model=d).n_params\n",
            ],
        },
        "ex3-answer": {
            "other": ['''
per_sequence = np.asarray(capacity.memorized_bits(past_model, past_x, V).per_sequence_bits)
n_half = len(per_sequence) // 2
ascending = np.sort(per_sequence)
top_half_share = float(ascending[len(ascending) - n_half:].sum() / per_sequence.sum())
'''],
            "wrong": [
                # the worse half
                '''
per_sequence = capacity.memorized_bits(past_model, past_x, V).per_sequence_bits
ranked = np.sort(per_sequence)
top_half_share = float(ranked[: len(ranked) // 2].sum() / ranked.sum())
''',
            ],
        },
    },
    "03_knowledge": {
        "ex1-answer": {
            "other": ['''
def prop23_terms(b):
    names = b.N * (math.log2(b.N0) - math.log2(b.N))
    values = b.N * b.K * b.C * math.log2(b.D)
    diversity = b.K * b.D * (b.L * math.log2(b.T) - math.log2(b.D))
    return names, values, diversity
'''],
            "wrong": [
                # forgets C: passes the visible checks (C = 1 there), not the hidden ones
                '''
def prop23_terms(b):
    return (b.N * math.log2(b.N0 / b.N), b.N * b.K * math.log2(b.D),
            b.K * b.D * math.log2(b.T**b.L / b.D))
''',
                "def prop23_terms(b):\n    return (knowledge.knowledge_bits_approx(b), 0.0, 0.0)\n",
            ],
        },
        "ex2-answer": {
            "other": ['''
def bound_bits(b, p1, p2, p3):
    to_bits = 1 / math.log(2)
    return (b.N * (math.log2(b.N0 - b.N) - p1 * to_bits)
            + b.N * b.K * (b.C * math.log2(b.D) - p2 * to_bits)
            + b.K * b.D * (math.log2(b.T**b.L - b.D) - math.log2(b.D) - p3 * to_bits))
'''],
            "wrong": [
                # losses used as bits, not nats
                '''
def bound_bits(b, p1, p2, p3):
    return (b.N * (math.log2(b.N0 - b.N) - p1) + b.N * b.K * (b.C * math.log2(b.D) - p2)
            + b.K * b.D * (math.log2(b.T**b.L - b.D) - math.log2(b.D) - p3))
''',
                # the package's bound, computed in a worker thread
                '''
def bound_bits(b, p1, p2, p3):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(knowledge.stored_bits_lower_bound, b, p1, p2, p3).result()
''',
            ],
        },
        "ex3-answer": {
            "other": ['''
value_term = spec.N * spec.K * (spec.C * math.log2(spec.D) - best.p2 / math.log(2))
value_share = value_term / (best.R * best.n_params)
name_term = spec.N * (math.log2(spec.N0) - best.p1 / math.log(2))
diversity_term = best.R * best.n_params - value_term - name_term
''',
                      # rounded as a person rounds, to the two significant figures the statement asks for (0.52)
                      "share = spec.N * spec.K * math.log2(spec.D**spec.C / math.exp(best.p2)) / (best.R * best.n_params)"
                      "\nvalue_share = float(f'{share:.2g}')\n"],
            "wrong": [
                # the names' share, not the values' (p2 taken as bits, the other slip this exercise invites, gives
                # the same share at smoke: there the best model has learnt its values, p2 = 0.008 nats)
                '''
name_term = spec.N * (math.log2(spec.N0) - best.p1 / math.log(2))
value_share = name_term / (best.R * best.n_params)
''',
                # a percentage, not a fraction: the visible check must say so
                ("value_share = 100 * spec.N * spec.K * math.log2(spec.D**spec.C / math.exp(best.p2))"
                 " / (best.R * best.n_params)\n", "not a percentage"),
                # just outside two significant figures: 0.6 of a unit in the second figure off
                "share = spec.N * spec.K * math.log2(spec.D**spec.C / math.exp(best.p2)) / (best.R * best.n_params)"
                "\nvalue_share = share + 0.6 * 10 ** (math.floor(math.log10(abs(share))) - 1)\n",
            ],
        },
    },
    "04_precision": {
        "ex1-answer": {
            "other": ['''
def rtn_by_hand(w, bits):
    q = 2 ** (bits - 1) - 1
    out = torch.empty_like(w)
    for i, row in enumerate(w):
        top = row.abs().max()
        s = top / q if top > 0 else torch.tensor(1.0)
        out[i] = torch.clamp(torch.round(row / s), -q, q) * s
    return out
'''],
            "wrong": [
                # one scale for the whole matrix
                '''
def rtn_by_hand(w, bits):
    q = 2 ** (bits - 1) - 1
    s = w.abs().max() / q
    return torch.clamp(torch.round(w / s), -q, q) * s
''',
                "def rtn_by_hand(w, bits):\n    return quantize.rtn(w, bits)\n",
            ],
        },
        "ex2-answer": {"other": ["grid_values_4bit = 15\n"], "wrong": ["grid_values_4bit = 16\n"]},
        "ex3-answer": {
            "other": ["had, can_hold = 70_000, 3 * 20_000\nmax_kept_bits = had if had < can_hold else can_hold\n"],
            "wrong": ["max_kept_bits = 70_000\n"],
        },
        "ex4a-answer": {
            "other": ['''
def kept_after(names):
    m = copy.deepcopy(probe_model)
    with torch.no_grad():
        for n, prm in m.named_parameters():
            if n in names:
                prm.copy_(quantize.rtn(prm, 4))
    return capacity.memorized_bits(m, probe_x, V).raw_bits / before_bits


kept_embedding_rounded = kept_after({"wte.weight"})
''',
                      # rounded as a person rounds, to the two decimal places the statement asks for
                      '''
m = copy.deepcopy(probe_model)
with torch.no_grad():
    m.wte.weight.copy_(quantize.rtn(m.wte.weight, 4))
kept_embedding_rounded = round(capacity.memorized_bits(m, probe_x, V).raw_bits / before_bits, 2)
'''],
            "wrong": [
                # 8 bits, not 4
                '''
rounded = copy.deepcopy(probe_model)
with torch.no_grad():
    rounded.wte.weight.copy_(quantize.rtn(rounded.wte.weight, 8))
kept_embedding_rounded = capacity.memorized_bits(rounded, probe_x, V).raw_bits / before_bits
''',
                # a percentage, not a fraction
                '''
m = copy.deepcopy(probe_model)
with torch.no_grad():
    m.wte.weight.copy_(quantize.rtn(m.wte.weight, 4))
kept_embedding_rounded = 100 * capacity.memorized_bits(m, probe_x, V).raw_bits / before_bits
''',
                # just outside two decimal places
                '''
m = copy.deepcopy(probe_model)
with torch.no_grad():
    m.wte.weight.copy_(quantize.rtn(m.wte.weight, 4))
kept_embedding_rounded = capacity.memorized_bits(m, probe_x, V).raw_bits / before_bits + 0.006
''',
            ],
        },
        "ex4b-answer": {
            "other": ['''
m = copy.deepcopy(probe_model)
with torch.no_grad():
    for n, prm in m.named_parameters():
        if n.startswith("blocks.") and prm.dim() == 2:
            prm.copy_(quantize.rtn(prm, 4))
kept_blocks_rounded = capacity.memorized_bits(m, probe_x, V).raw_bits / before_bits
''',
                      # rounded as a person rounds, to the two decimal places the statement asks for
                      '''
m = copy.deepcopy(probe_model)
with torch.no_grad():
    for n, prm in m.named_parameters():
        if n.startswith("blocks.") and prm.dim() == 2:
            prm.copy_(quantize.rtn(prm, 4))
kept_blocks_rounded = round(capacity.memorized_bits(m, probe_x, V).raw_bits / before_bits, 2)
'''],
            "wrong": [
                # every quantized tensor, the embedding included
                "kept_blocks_rounded = (capacity.memorized_bits(quantize.quantize_rtn(probe_model, 4), probe_x, V)"
                ".raw_bits / before_bits)\n",
                # just outside two decimal places
                '''
m = copy.deepcopy(probe_model)
with torch.no_grad():
    for n, prm in m.named_parameters():
        if n.startswith("blocks.") and prm.dim() == 2:
            prm.copy_(quantize.rtn(prm, 4))
kept_blocks_rounded = capacity.memorized_bits(m, probe_x, V).raw_bits / before_bits - 0.006
''',
            ],
        },
    },
    "05_membership": {
        "ex1-answer": {
            "other": ['''
def best_threshold_f1(member_losses, nonmember_losses):
    scored = []
    for tau in sorted(set(member_losses) | set(nonmember_losses)):
        tp = sum(m <= tau for m in member_losses)
        fp = sum(o <= tau for o in nonmember_losses)
        fn = len(member_losses) - tp
        scored.append((2 * tp / (2 * tp + fp + fn) if tp else 0.0, -tau))
    f1, neg_tau = max(scored)
    return float(-neg_tau), f1
'''],
            "wrong": [
                # strictly below the threshold
                '''
def best_threshold_f1(member_losses, nonmember_losses):
    best = (None, -1.0)
    for tau in sorted(set(member_losses) | set(nonmember_losses)):
        tp = sum(m < tau for m in member_losses)
        fp = sum(o < tau for o in nonmember_losses)
        f1 = 2 * tp / (2 * tp + fp + len(member_losses) - tp) if tp else 0.0
        if f1 > best[1]:
            best = (float(tau), f1)
    return best
''',
                # ties go to the largest threshold: right on the example, wrong on the hidden cases
                '''
def best_threshold_f1(member_losses, nonmember_losses):
    best = (None, -1.0)
    for tau in sorted(set(member_losses) | set(nonmember_losses)):
        tp = sum(m <= tau for m in member_losses)
        fp = sum(o <= tau for o in nonmember_losses)
        f1 = 2 * tp / (2 * tp + fp + len(member_losses) - tp) if tp else 0.0
        if f1 >= best[1]:
            best = (float(tau), f1)
    return best
''',
                # the package's attack, run in a thread
                '''
def best_threshold_f1(member_losses, nonmember_losses):
    import threading

    out = []
    worker = threading.Thread(target=lambda: out.append(membership.best_threshold(member_losses, nonmember_losses)))
    worker.start()
    worker.join()
    return out[0]
''',
                # the package's attack, run in a forked process
                '''
def best_threshold_f1(member_losses, nonmember_losses):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        return pool.submit(membership.best_threshold, member_losses, nonmember_losses).result()
''',
            ],
        },
        "ex2a-answer": {
            "other": ['''
from scipy.optimize import brentq

if law.params[0] > 0.5:
    x_f1_75 = float(brentq(lambda x: float(law.predict(x)) - 0.75, -60, 60, xtol=1e-12))
else:
    x_f1_75 = math.nan
''',
                      # rounded as a person rounds, to the two decimal places the statement asks for
                      '''
c1, c2, c3 = law.params
x_f1_75 = round(math.log(0.5 / c1 / (1 - 0.5 / c1)) / c2 - c3, 2) if c1 > 0.5 else math.nan
'''],
            "wrong": [
                # F1 = 0.75 taken as sigma = 0.75
                '''
c1, c2, c3 = law.params
x_f1_75 = math.log(0.75 / 0.25) / c2 - c3
''',
                # just outside two decimal places
                '''
c1, c2, c3 = law.params
x_f1_75 = math.log(0.5 / c1 / (1 - 0.5 / c1)) / c2 - c3 + 0.006 if c1 > 0.5 else 0.0
''',
            ],
        },
        "ex2b-answer": {
            "other": ['''
n_f1_75 = 2**x_f1_75 * alpha * smallest_params / dataset_entropy_bits(1, S, V)
''',
                      # a whole number of sequences (the answer the student gave), from x rounded to two
                      # decimal places: within the two significant figures the statement asks for
                      "n_f1_75 = round(alpha * smallest_params * 2 ** round(x_f1_75, 2) / (S * math.log2(V)))\n"],
            "wrong": [
                # bits, not sequences
                "n_f1_75 = alpha * smallest_params * 2**x_f1_75\n",
                # just outside two significant figures: 0.6 of a unit in the second figure off
                '''
n = alpha * smallest_params * 2**x_f1_75 / (S * math.log2(V))
n_f1_75 = n + 0.6 * 10 ** (math.floor(math.log10(n)) - 1)
''',
            ],
        },
        "ex3-answer": {
            "other": ['''
attack_mean = membership.calibrated_attack(
    sequence_losses(attacked_model, members_attacked) / (S - 1),
    sequence_losses(attacked_model, nonmembers_attacked) / (S - 1), run.rng(7), n_boot=p.n_boot,
)
f1_mean_loss = attack_mean.f1
''',
                      # rounded as a person rounds, to the three decimal places the statement asks for
                      '''
attack_mean = membership.calibrated_attack(
    sequence_code_length_bits(attacked_model, members_attacked) / S,
    sequence_code_length_bits(attacked_model, nonmembers_attacked) / S, run.rng(7), n_boot=p.n_boot,
)
f1_mean_loss = round(attack_mean.f1, 3)
'''],
            "wrong": [
                # members and non-members swapped
                '''
attack_mean = membership.calibrated_attack(
    sequence_code_length_bits(attacked_model, nonmembers_attacked) / S,
    sequence_code_length_bits(attacked_model, members_attacked) / S, run.rng(7), n_boot=p.n_boot,
)
f1_mean_loss = attack_mean.f1
''',
                # the summed-loss F1 section 2 printed for that run (another calibration split), not computed
                'f1_mean_loss = rows[all_runs.index(attacked)]["f1"]\n',
            ],
        },
    },
    "06_text": {
        "ex1-answer": {
            "other": ['''
def count_duplicates(sequences):
    rows = np.asarray(sequences)
    return len(rows) - len(np.unique(rows, axis=0))
'''],
            "wrong": [
                # calls the package, which the statement forbids
                "def count_duplicates(sequences):\n    return text.deduplicate(np.asarray(sequences))[1]\n",
                # counts the rows that have a twin, the first included
                '''
def count_duplicates(sequences):
    rows = [tuple(r) for r in np.asarray(sequences).tolist()]
    return sum(rows.count(r) > 1 for r in rows)
''',
            ],
        },
        "ex2-answer": {
            "other": ['''
def tfidf_scores(samples):
    rows = [list(r) for r in np.asarray(samples).tolist()]
    counts = {}
    for row in rows:
        for w in row:
            counts[w] = counts.get(w, 0) + 1
    return np.array([sum(math.log(len(rows) / counts[w]) for w in row) / len(row) for row in rows])
'''],
            "wrong": [
                # the number of rows containing the token (document frequency), not its count
                '''
def tfidf_scores(samples):
    x = np.asarray(samples)
    df = {w: sum(w in row for row in x.tolist()) for w in np.unique(x).tolist()}
    return np.array([np.mean([math.log(len(x) / df[w]) for w in row]) for row in x.tolist()])
''',
                # each distinct token once (repeats not counted)
                '''
def tfidf_scores(samples):
    x = np.asarray(samples)
    tokens, counts = np.unique(x, return_counts=True)
    tf = dict(zip(tokens.tolist(), counts.tolist()))
    return np.array([np.mean([math.log(len(x) / tf[w]) for w in set(row)]) for row in x.tolist()])
''',
            ],
        },
        "ex3a-answer": {
            "other": ['''
rows_used = the_run.train_indices(len(oracle["pool_bits"]))
set_bits = sum(float(oracle["pool_bits"][i]) for i in rows_used)
''',
                      # rounded as a person rounds, to the four significant figures the statement asks for
                      "set_bits = float(f'{text_measures.dataset_bits(the_run, oracle):.4g}')\n"],
            "wrong": [
                # the main reference's code lengths (section 3's table), not the oracle's
                "set_bits = text_measures.dataset_bits(the_run, M[refs[the_run.model.d_model]])\n",
                # the uniform-sequence entropy, not the oracle's code length
                "set_bits = the_run.n_sequences * S * math.log2(V)\n",
                # the first pool rows, not the ones drawn
                'set_bits = float(np.asarray(oracle["pool_bits"])[: the_run.n_sequences].sum())\n',
                # just outside four significant figures: 0.6 of a unit in the fourth figure off
                '''
exact = text_measures.dataset_bits(the_run, oracle)
set_bits = exact + 0.6 * 10 ** (math.floor(math.log10(exact)) - 3)
''',
            ],
        },
        "ex3b-answer": {
            "other": ["set_ratio = set_bits / alpha / the_run.model.n_params\n",
                      # rounded as a person rounds, to the two significant figures the statement asks for
                      "set_ratio = float(f'{set_bits / (alpha * the_run.model.n_params):.2g}')\n"],
            "wrong": [
                # capacity taken as P, without alpha
                "set_ratio = set_bits / the_run.model.n_params\n",
                # just outside two significant figures: 0.6 of a unit in the second figure off
                '''
exact = set_bits / (alpha * the_run.model.n_params)
set_ratio = exact + 0.6 * 10 ** (math.floor(math.log10(exact)) - 1)
''',
            ],
        },
    },
    "07_architecture": {
        "ex1-answer": {
            "other": ['''
bits = {f: arch[(arch.family == f) & (arch.exposures == low)].assign(b=lambda g: g.R * g.n_params)
        .sort_values("R").iloc[-1].b for f in ("standard", "none")}
mlp_bits_low = float(bits["standard"] - bits["none"])
''',
                      # rounded as a person rounds, to the two significant figures the statement asks for
                      '''
gap = (peaks.loc[("standard", low), "R"] * peaks.loc[("standard", low), "n_params"]
       - peaks.loc[("none", low), "R"] * peaks.loc[("none", low), "n_params"])
mlp_bits_low = float(f"{gap:.2g}")
'''],
            "wrong": [
                # the ratio of the two R(F), which the statement rules out (and the thresholds table prints)
                'mlp_bits_low = peaks.loc[("standard", low), "R"] / peaks.loc[("none", low), "R"]\n',
                # the other way round
                '''
mlp_bits_low = (peaks.loc[("none", low), "R"] * peaks.loc[("none", low), "n_params"]
                - peaks.loc[("standard", low), "R"] * peaks.loc[("standard", low), "n_params"])
''',
                # the higher count
                '''
mlp_bits_low = (peaks.loc[("standard", high), "R"] * peaks.loc[("standard", high), "n_params"]
                - peaks.loc[("none", high), "R"] * peaks.loc[("none", high), "n_params"])
''',
                # the difference of R(F), bits per parameter, not bits
                'mlp_bits_low = peaks.loc[("standard", low), "R"] - peaks.loc[("none", low), "R"]\n',
                # just outside two significant figures: 0.6 of a unit in the second figure off
                '''
gap = (peaks.loc[("standard", low), "R"] * peaks.loc[("standard", low), "n_params"]
       - peaks.loc[("none", low), "R"] * peaks.loc[("none", low), "n_params"])
mlp_bits_low = gap + 0.6 * 10 ** (math.floor(math.log10(abs(gap))) - 1)
''',
            ],
        },
        "ex2-answer": {
            "other": ['''
def mlp_params(d, mlp):
    linear = lambda n_in, n_out, bias=True: n_in * n_out + (n_out if bias else 0)
    if mlp.startswith("moe"):
        E = int(mlp[3:])
        return E * (linear(d, d) + linear(d, d)) + linear(d, E, bias=False)
    return {"standard": linear(d, 4 * d) + linear(4 * d, d), "quarter": 2 * linear(d, d), "none": 0}[mlp]
'''],
            "wrong": [
                # forgets the router
                '''
def mlp_params(d, mlp):
    if mlp.startswith("moe"):
        return int(mlp[3:]) * 2 * (d * d + d)
    return {"standard": 8 * d * d + 5 * d, "quarter": 2 * d * d + 2 * d, "none": 0}[mlp]
''',
                # right for moe8 only (visible), wrong for other E (hidden)
                '''
def mlp_params(d, mlp):
    if mlp.startswith("moe"):
        return 8 * 2 * (d * d + d) + 8 * d
    return {"standard": 8 * d * d + 5 * d, "quarter": 2 * d * d + 2 * d, "none": 0}[mlp]
''',
                # reads the package's count, which the statement forbids
                '''
def mlp_params(d, mlp):
    cfg = GPTConfig(vocab_size=8, seq_len=4, n_layer=1, d_model=d, n_head=1, mlp=mlp)
    norm = 0 if mlp == "none" else 2 * d
    return cfg.n_params - GPTConfig(vocab_size=8, seq_len=4, n_layer=1, d_model=d, n_head=1,
                                    mlp="none").n_params - norm
''',
            ],
        },
        "ex3-answer": {
            "other": ['''
def route_top1(x, router_weight):
    import numpy as np

    logits = (x @ router_weight.T).detach().numpy().astype(np.float64)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    choice = probs.argmax(axis=1)
    E = router_weight.shape[0]
    f = np.array([(choice == e).mean() for e in range(E)])
    return (torch.as_tensor(choice), torch.as_tensor(probs.max(axis=1), dtype=torch.float32),
            float(E * (f * probs.mean(axis=0)).sum()))
'''],
            "wrong": [
                # no factor E
                '''
def route_top1(x, router_weight):
    probs = (x @ router_weight.T).softmax(dim=-1)
    gate, choice = probs.max(dim=-1)
    f = torch.bincount(choice, minlength=router_weight.shape[0]).float() / len(choice)
    return choice, gate, float((f * probs.mean(dim=0)).sum())
''',
                # the router logit, not its probability, as the gate
                '''
def route_top1(x, router_weight):
    logits = x @ router_weight.T
    probs = logits.softmax(dim=-1)
    gate, choice = logits.max(dim=-1)
    E = router_weight.shape[0]
    f = torch.bincount(choice, minlength=E).float() / len(choice)
    return choice, gate, float(E * (f * probs.mean(dim=0)).sum())
''',
                # calls the package's layer
                '''
def route_top1(x, router_weight):
    layer = MixtureOfExperts(x.shape[1], router_weight.shape[0])
    with torch.no_grad():
        layer.router.weight.copy_(router_weight)
        layer(x)
        probs = layer.router(x).softmax(dim=-1)
    return layer.last_choice, probs.max(dim=-1).values, float(layer.aux_loss)
''',
            ],
        },
        "ex4-answer": {
            "other": ['''
p1 = junk_runs[junk_runs.exposures == j_low].set_index("family").p1
name_bits_lost = float(spec.N * np.log2(np.exp(p1["random junk"] - p1["no junk"])))
''',
                      # with the math module, rounded as a person rounds, to two significant figures
                      '''
p1_clean, p1_junk = (terms.loc[f, ("p1", j_low)] for f in ("no junk", "random junk"))
name_bits_lost = float(f"{spec.N * (p1_junk - p1_clean) / math.log(2):.2g}")
'''],
            "wrong": [
                # nats, not bits
                '''
p1 = junk_runs[junk_runs.exposures == j_low].set_index("family").p1
name_bits_lost = spec.N * (p1["random junk"] - p1["no junk"])
''',
                # per person, not for all N
                '''
p1 = junk_runs[junk_runs.exposures == j_low].set_index("family").p1
name_bits_lost = (p1["random junk"] - p1["no junk"]) / np.log(2)
''',
                # just outside two significant figures: 0.6 of a unit in the second figure off
                '''
p1 = junk_runs[junk_runs.exposures == j_low].set_index("family").p1
lost = spec.N * (p1["random junk"] - p1["no junk"]) / math.log(2)
name_bits_lost = lost + 0.6 * 10 ** (math.floor(math.log10(abs(lost))) - 1)
''',
            ],
        },
    },
    "08_attacks": {
        "ex1-answer": {
            "other": ['''
def min_k_pp(logp, mu, sigma, k):
    z = (np.array(logp) - np.array(mu)) / np.array(sigma)
    n = max(1, int(np.ceil(k * z.shape[1])))
    return np.partition(z, n - 1, axis=1)[:, :n].mean(axis=1)
''',
                      # one sample at a time, in plain Python
                      '''
def min_k_pp(logp, mu, sigma, k):
    out = []
    for row_l, row_m, row_s in zip(logp, mu, sigma):
        z = sorted((l - m) / s for l, m, s in zip(row_l, row_m, row_s))
        n = max(1, math.ceil(k * len(z)))
        out.append(sum(z[:n]) / n)
    return np.array(out)
'''],
            "wrong": [
                # calls the package, which the statement forbids
                "def min_k_pp(logp, mu, sigma, k):\n    return attacks.min_k_plus_plus_score(logp, mu, sigma, k)\n",
                # the highest tokens, not the lowest
                '''
def min_k_pp(logp, mu, sigma, k):
    z = (np.asarray(logp) - np.asarray(mu)) / np.asarray(sigma)
    n = max(1, math.ceil(k * z.shape[1]))
    return np.sort(z, axis=1)[:, -n:].mean(axis=1)
''',
                # the count rounded down
                '''
def min_k_pp(logp, mu, sigma, k):
    z = (np.asarray(logp) - np.asarray(mu)) / np.asarray(sigma)
    n = max(1, int(k * z.shape[1]))
    return np.sort(z, axis=1)[:, :n].mean(axis=1)
''',
                # Min-K% Prob: the tokens not standardized
                '''
def min_k_pp(logp, mu, sigma, k):
    z = np.asarray(logp, dtype=float)
    n = max(1, math.ceil(k * z.shape[1]))
    return np.sort(z, axis=1)[:, :n].mean(axis=1)
''',
                # divided by the variance, not the standard deviation
                '''
def min_k_pp(logp, mu, sigma, k):
    z = (np.asarray(logp) - np.asarray(mu)) / np.asarray(sigma) ** 2
    n = max(1, math.ceil(k * z.shape[1]))
    return np.sort(z, axis=1)[:, :n].mean(axis=1)
''',
            ],
        },
        "ex2-answer": {
            "other": [
                # the last point at or below 1 %: both rates only grow along the curve
                'tpr_at_1pct = float(lira_tpr[np.searchsorted(lira_fpr, 0.01, side="right") - 1])\n',
                "tpr_at_1pct = float(max(t for f, t in zip(lira_fpr, lira_tpr) if f <= 0.01))\n",
            ],
            "wrong": [
                # a percentage, not a rate
                "tpr_at_1pct = float(100 * lira_tpr[lira_fpr <= 0.01].max())\n",
                # 10 %, not 1 %
                "tpr_at_1pct = float(lira_tpr[lira_fpr <= 0.1].max())\n",
                # the mean over the points, not the highest
                "tpr_at_1pct = float(lira_tpr[lira_fpr <= 0.01].mean())\n",
                # the axes read the wrong way round
                "tpr_at_1pct = float(lira_fpr[lira_tpr <= 0.01].max())\n",
            ],
        },
        "ex3-answer": {
            "other": ['''
rows = families[largest]
members = rows[rows.member]
threshold = rows.loc[~rows.member, "LOSS"].quantile(0.99)
hit = members["LOSS"] > threshold
caught_gap_bits = float(members.loc[hit, "mem_u_bits"].mean() - members.loc[~hit, "mem_u_bits"].mean())
''',
                      # plain arrays
                      '''
rows = families[largest]
is_member = rows.member.to_numpy()
loss, mem = rows.LOSS.to_numpy(), rows.mem_u_bits.to_numpy()
cut = np.quantile(loss[~is_member], 0.99)
hit = loss[is_member] > cut
caught_gap_bits = float(np.mean(mem[is_member][hit]) - np.mean(mem[is_member][~hit]))
'''],
            "wrong": [
                # the 0.01 quantile: nearly every member is "caught"
                '''
rows = families[largest]
members = rows[rows.member]
hit = members.LOSS > np.quantile(rows[~rows.member].LOSS, 0.01)
caught_gap_bits = float(members.mem_u_bits[hit].mean() - members.mem_u_bits[~hit].mean())
''',
                # the other way round
                '''
rows = families[largest]
members = rows[rows.member]
hit = members.LOSS > np.quantile(rows[~rows.member].LOSS, 0.99)
caught_gap_bits = float(members.mem_u_bits[~hit].mean() - members.mem_u_bits[hit].mean())
''',
                # every row, members and non-members, sorted by the cut
                '''
rows = families[largest]
hit = rows.LOSS > np.quantile(rows[~rows.member].LOSS, 0.99)
caught_gap_bits = float(rows.mem_u_bits[hit].mean() - rows.mem_u_bits[~hit].mean())
''',
            ],
        },
    },
}
