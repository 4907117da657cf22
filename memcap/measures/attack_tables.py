"""The field's attacks on a family of shadow models (uniform sequences, :mod:`memcap.engine.runs.shadow`; real text,
:mod:`memcap.engine.runs.text_shadow`): every model in turn is the target, the others its shadows; one table of
scores per (target, pool sample), then the metrics of each attack over all targets together, and how each attack's
score tracks the sample's unintended memorization. And the attacks that need no shadow on one text run, members
against the test split (:func:`deal_attack_table`).

Scores of one sample under different targets are not independent (the sample is the same), so every interval of a
family resamples whole samples (:func:`memcap.measures.attacks.attack_metrics` with groups), and a correlation is
taken per target and summarized across targets; on one text run, intervals resample whole works.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from memcap.measures import attacks
from memcap.measures.memorization import unintended_memorization_bits
from memcap.measures.seeds import t_interval
from memcap.theory.information import nats_to_bits

ATTACKS = ("LOSS", "zlib", "reference", "Min-K%", "Min-K%++", "LiRA offline", "LiRA online")
WITHOUT_SHADOWS = ATTACKS[:5]  # the attacks that read one target (and a reference), no shadow model


def family_scores(models: Sequence, pool, members, *, reference=None, k: float = 0.2, batch_size: int = 512,
                  baseline_bits=None, zlib_code_bits=None, mem_tokens=None) -> dict[str, list]:
    """Every attack's score of every pool sample under every target model of the family (the others but the
    target's complementary partner are its shadows), as columns (JSON-ready lists): ``target``, ``sample``,
    ``member`` (the target trained on it), ``mem_u_bits`` (the sample's unintended memorization in the target: the
    bits of its predicted tokens under the distribution it is measured against, ``baseline_bits`` per sample, minus
    their code length under the target, clipped at 0; by default the uniform distribution's log2 V a token, the true
    one for uniform sequences; on text an oracle's) and one column per attack in :data:`ATTACKS`. ``pool`` is a
    tensor (2N, T) or a list of 2N token sequences of any lengths (biographies): each attack scores a sample from its
    own tokens only, so samples are scored in groups of one length. ``mem_tokens``: per sample, booleans over its
    predicted tokens saying which of them ``baseline_bits`` codes (default: all; on biographies the knowledge
    tokens). ``reference`` is a model of the same shape trained on other samples of the same source (its absence
    leaves the reference column at the uniform distribution's score, which ranks as LOSS does).
    ``zlib_code_bits``: zlib's code length of each sample (default: of its token ids; on text, of its characters)."""
    inside = np.asarray(members, dtype=bool)
    K, n = inside.shape
    rows = [torch.as_tensor(np.asarray(r)) for r in pool] if not torch.is_tensor(pool) else None
    if len(models) != K or len(pool) != n:
        raise ValueError(f"{len(models)} models and a pool of {len(pool)} for a membership matrix {inside.shape}")
    if K < 6:
        raise ValueError(f"online LiRA needs two IN and two OUT shadows per sample: at least 6 models, got {K}")
    for name, given in (("baseline_bits", baseline_bits), ("zlib_code_bits", zlib_code_bits)):
        if given is not None and np.shape(given) != (n,):
            raise ValueError(f"{name} must hold one value per pool sample ({n}), got shape {np.shape(given)}")
    groups = _length_groups(rows) if rows is not None else [(np.arange(n), pool)]
    lengths = np.empty(n, dtype=int)
    for idx, x in groups:
        lengths[idx] = x.shape[1] - 1
    counted = _token_masks(mem_tokens, lengths)
    V = models[0].cfg.vocab_size
    stats = [[attacks.token_statistics(m, x, batch_size) for _, x in groups] for m in models]
    ref = [attacks.token_statistics(reference, x, batch_size)["logp"] if reference is not None else
           np.full((len(idx), x.shape[1] - 1), -math.log(V)) for idx, x in groups]
    ell = np.empty((K, n))  # LiRA's statistic, nats
    for m, per in enumerate(stats):
        for (idx, _), s in zip(groups, per):
            ell[m, idx] = s["logp"].sum(axis=1)
    z = attacks.zlib_bits(_token_ids(pool, rows)) if zlib_code_bits is None else \
        np.asarray(zlib_code_bits, dtype=float)
    against = lengths * math.log2(V) if baseline_bits is None else np.asarray(baseline_bits, float)
    out: dict[str, list] = {c: [] for c in ("target", "sample", "member", "mem_u_bits", *ATTACKS)}
    for t, per in enumerate(stats):
        # the shadows: every model but the target and its partner (models 2i and 2i + 1 train on complementary
        # halves). Without the partner each sample has K/2 - 1 IN and K/2 - 1 OUT shadows; with it, the target's
        # members would have one IN shadow fewer than its non-members, and noisier IN means (a bias against members)
        others = (np.arange(K) != t) & (np.arange(K) != (t ^ 1))
        cols = {name: np.empty(n) for name in WITHOUT_SHADOWS}
        target_nats = np.empty(n)  # code length of the counted tokens under the target
        for (idx, _), s, r in zip(groups, per, ref):
            for name, v in _without_shadows(s, r, z[idx], k).items():
                cols[name][idx] = v
            target_nats[idx] = -(s["logp"] * counted[idx, :s["logp"].shape[1]]).sum(axis=1)
        # code lengths under the target and under the distribution mem_U is measured against
        mem = unintended_memorization_bits(nats_to_bits(target_nats), against)
        cols["LiRA offline"] = attacks.lira_scores(ell[t], ell[others], inside[others], online=False)
        cols["LiRA online"] = attacks.lira_scores(ell[t], ell[others], inside[others], online=True)
        out["target"] += [t] * n
        out["sample"] += list(range(n))
        out["member"] += inside[t].tolist()
        out["mem_u_bits"] += mem.tolist()
        for name in ATTACKS:
            out[name] += [float(v) for v in cols[name]]
    return out


def _length_groups(rows: Sequence[torch.Tensor]) -> list[tuple[np.ndarray, torch.Tensor]]:
    """Sequences grouped by length: (their indices, their stacked tokens) per length, shortest first."""
    lengths = np.array([len(r) for r in rows])
    if len(rows) == 0 or lengths.min() < 2 or any(r.dim() != 1 for r in rows):
        raise ValueError("every pool sample must be one sequence of at least 2 token ids")
    out = []
    for size in np.unique(lengths):
        idx = np.flatnonzero(lengths == size)
        out.append((idx, torch.stack([rows[i] for i in idx]).long()))
    return out


def _token_masks(mem_tokens, lengths: np.ndarray) -> np.ndarray:
    """(n, longest) float mask of the predicted tokens mem_U counts, zero past each sample's own length."""
    out = np.zeros((len(lengths), int(lengths.max())))
    if mem_tokens is None:
        for i, size in enumerate(lengths):
            out[i, :size] = 1.0
        return out
    if len(mem_tokens) != len(lengths):
        raise ValueError(f"mem_tokens must hold one mask per pool sample ({len(lengths)}), got {len(mem_tokens)}")
    for i, (mask, size) in enumerate(zip(mem_tokens, lengths)):
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (size,):
            raise ValueError(f"mem_tokens[{i}] must mark each of the sample's {size} predicted tokens, got shape "
                             f"{mask.shape}")
        out[i, :size] = mask
    return out


def _token_ids(pool, rows) -> list[np.ndarray]:
    return [r.numpy() for r in rows] if rows is not None else list(pool.cpu().numpy())


def _without_shadows(stats: dict, ref_logp, zlib_code_bits, k: float) -> dict[str, np.ndarray]:
    """The scores of :data:`WITHOUT_SHADOWS` from one target's token statistics, in that order; without a
    reference's log-probabilities (``ref_logp`` None) there is no reference score."""
    logp = stats["logp"]
    scores = {
        "LOSS": attacks.loss_score(logp),
        "zlib": attacks.zlib_score(logp, zlib_code_bits),
        "reference": attacks.reference_score(logp, ref_logp) if ref_logp is not None else None,
        "Min-K%": attacks.min_k_score(logp, k),
        "Min-K%++": attacks.min_k_plus_plus_score(logp, stats["mu"], stats["sigma"], k),
    }
    return {name: s for name, s in scores.items() if s is not None}


def one_model_attacks(model, members, nonmembers, *, k: float = 0.2, rng: np.random.Generator,
                      fprs: Sequence[float] = (0.01,), n_boot: int = 500) -> list[dict]:
    """The attacks that read the target model alone, LOSS, zlib, Min-K% and Min-K%++ (:data:`WITHOUT_SHADOWS`
    without the reference), on one model's ``members`` against ``nonmembers`` (token id rows, (N, T)): one record
    per attack (JSON-ready), :func:`~memcap.measures.attacks.attack_metrics` of its scores, the attacks taken in that
    order from one ``rng``. zlib reads the token ids. This is what chapter 5 fits Morris et al.'s law to, attack by
    attack, on runs that have no shadow models.

        >>> from memcap.model import GPT, GPTConfig
        >>> m = GPT(GPTConfig(vocab_size=8, seq_len=6, n_layer=1, d_model=8), generator=torch.Generator().manual_seed(0))
        >>> x = torch.randint(0, 8, (40, 6), generator=torch.Generator().manual_seed(1))
        >>> out = one_model_attacks(m, x[:20], x[20:], rng=np.random.default_rng(0), n_boot=10)
        >>> [r["attack"] for r in out], all(0 <= r["auc"] <= 1 for r in out)
        (['LOSS', 'zlib', 'Min-K%', 'Min-K%++'], True)
    """
    m, n = (torch.as_tensor(np.asarray(a)) for a in (members, nonmembers))
    if m.dim() != 2 or n.dim() != 2 or m.shape[1] != n.shape[1] or not len(m) or not len(n):
        raise ValueError(f"members and non-members must be non-empty (N, T) token rows of one length, got shapes "
                         f"{tuple(m.shape)} and {tuple(n.shape)}")
    x = torch.cat([m, n])
    stats = attacks.token_statistics(model, x)
    scores = _without_shadows(stats, None, attacks.zlib_bits(x.numpy()), k)
    return [dict(attack=name, **attacks.attack_metrics(s[:len(m)], s[len(m):], rng=rng, fprs=fprs, n_boot=n_boot))
            for name, s in scores.items()]


def deal_attack_table(entries: Mapping[str, tuple], *, k: float = 0.2, rng: np.random.Generator,
                      fprs: Sequence[float] = (0.01, 0.001), max_samples: int, n_boot: int = 500) -> list[dict]:
    """The attacks that need no shadow model (:data:`WITHOUT_SHADOWS`) on one text run per deal of the corpus
    (name -> (run, its trained model, a reference model or None)), each on the splits of its own text: members and
    non-members as chapter 6's loss attack takes them (:func:`~memcap.measures.text_splits.attacked_rows`), every
    interval resampling whole works (a work's sequences share its style and names). One record per deal and attack
    (JSON-ready); a deal without a reference has no reference row."""
    from memcap.data.text import decode, make_splits
    from memcap.measures.text_splits import attacked_rows

    records = []
    for name, (run, model, reference) in entries.items():
        splits = make_splits(run.text)
        inside, works_in, works_out = attacked_rows(run, splits, max_samples)
        n = len(inside)
        samples = np.concatenate([splits.pool[inside], splits.test[:n]])
        x = torch.as_tensor(samples)
        stats = attacks.token_statistics(model, x)
        ref = attacks.token_statistics(reference, x)["logp"] if reference is not None else None
        z = attacks.zlib_bits([decode(splits.tokenizer, r) for r in samples])
        for attack, score in _without_shadows(stats, ref, z, k).items():
            r = attacks.attack_metrics(score[:n], score[n:], rng=rng, fprs=fprs, n_boot=n_boot,
                                       member_groups=works_in, nonmember_groups=works_out)
            records.append(dict(deal=name, attack=attack, **r))
    return records


def metrics_by_attack(scores, *, rng: np.random.Generator, fprs: Sequence[float] = (0.01, 0.001), n_boot: int = 500,
                      attack_names: Sequence[str] = ATTACKS) -> list[dict]:
    """One record per attack (JSON-ready: ``pd.DataFrame`` of it is the table):
    :func:`~memcap.measures.attacks.attack_metrics` over all targets' members against all targets' non-members (one
    threshold for all targets), intervals resampling whole pool samples: conditional on these trained models, not
    covering what training another family would change."""
    f = pd.DataFrame(scores)
    m, n = f[f.member], f[~f.member]
    rows = []
    for name in attack_names:
        r = attacks.attack_metrics(m[name].to_numpy(), n[name].to_numpy(), rng=rng, fprs=fprs, n_boot=n_boot,
                                   member_groups=m["sample"].to_numpy(), nonmember_groups=n["sample"].to_numpy())
        rows.append(dict(attack=name, **r))
    return rows


def tracks_memorization(scores, attack_names: Sequence[str] = ATTACKS, level: float = 0.95) -> pd.DataFrame:
    """One row per attack: Spearman's correlation of its score with the sample's mem_U over each target's members,
    its mean over targets and the t interval across them (``low``, ``high``; targets share samples, so the interval
    is a guide, not an exact one)."""
    from scipy.stats import spearmanr

    f = pd.DataFrame(scores)
    f = f[f.member]
    rows = []
    for name in attack_names:
        per = [spearmanr(g[name], g.mem_u_bits).statistic for _, g in f.groupby("target")
               if g[name].nunique() > 1 and g.mem_u_bits.nunique() > 1]
        per = [r for r in per if np.isfinite(r)]
        low, high = t_interval(per, level) if len(per) >= 2 else (math.nan, math.nan)
        rows.append(dict(attack=name, spearman=float(np.mean(per)) if per else math.nan, low=low, high=high,
                         targets=len(per)))
    return pd.DataFrame(rows)


def token_text(ids) -> str:
    """A token sequence as words the blind baseline's bag of words reads (:func:`memcap.measures.blind.words`:
    letters only): each id spelled with the letters a-j for its digits.

        >>> token_text([3, 12, 0])
        'd bc a'
    """
    return " ".join("".join(chr(ord("a") + int(d)) for d in str(int(i))) for i in ids)


def blind_check(pool: torch.Tensor, members, *, rng: np.random.Generator, n_boot: int = 200,
                level: float = 0.95, texts: Sequence[str] | None = None) -> dict:
    """The blind baseline (:func:`memcap.measures.blind.blind_baseline`: naive Bayes on the words and word pairs,
    out of fold, never a model) telling one target's members (``members``: booleans over the pool) from its
    non-members, each sequence its own group: ``auc``, ``low``, ``high`` at ``level`` (JSON-ready). The words are
    the samples' ``texts`` where given (real text), else their token ids spelt as words (:func:`token_text`)."""
    from memcap.measures.blind import blind_baseline

    inside = np.asarray(members, dtype=bool)
    if texts is not None and len(texts) != len(inside):
        raise ValueError(f"{len(texts)} texts for a pool of {len(inside)} samples")
    texts = [token_text(row) for row in pool.cpu().numpy()] if texts is None else list(texts)
    ids = np.arange(len(texts))
    result = blind_baseline([t for t, m in zip(texts, inside) if m], [t for t, m in zip(texts, inside) if not m],
                            ids[inside], ids[~inside], rng=rng, n_boot=n_boot, level=level)
    return dict(auc=float(result.auc.auc), low=float(result.auc.low), high=float(result.auc.high))


def text_family_inputs(run, splits, oracle_pool_bits) -> dict:
    """What :func:`family_scores` and :func:`blind_check` need for a text family (``run``: any of its
    :class:`~memcap.engine.runs.text_shadow.TextShadowRun`; ``splits``: its text's splits): ``pool`` (the family's
    2N sequences, a tensor), ``texts`` (each decoded), ``zlib_bits`` (zlib's code length of each text's characters,
    as Carlini et al. 2021 compress text) and ``baseline_bits`` (what the oracle pays for each sequence's predicted
    tokens: ``oracle_pool_bits``, a reference run's code length of every pool-split sequence, looked up by row, less
    the first token's log2 V that a code length charges and no attack scores)."""
    from memcap.data.text import decode

    rows = run.pool_indices(len(splits.pool))
    oracle = np.asarray(oracle_pool_bits, dtype=float)
    if oracle.shape != (len(splits.pool),):
        raise ValueError(f"oracle_pool_bits must code every one of the {len(splits.pool)} pool sequences, got shape "
                         f"{oracle.shape}")
    pool = splits.pool[rows]
    texts = [decode(splits.tokenizer, r) for r in pool]
    return dict(pool=torch.as_tensor(pool), texts=texts, zlib_bits=attacks.zlib_bits(texts),
                baseline_bits=oracle[rows] - math.log2(run.model.vocab_size))


def bios_family_inputs(run) -> dict:
    """What :func:`family_scores` and :func:`blind_check` need for a biography family (``run``: any of its
    :class:`~memcap.engine.runs.bios_shadow.BioSShadowRun`): ``pool`` (one rendering of each pool person, token ids,
    :meth:`~memcap.engine.runs.bios_shadow.BioSShadowRun.attacked`), ``texts`` (each decoded), ``zlib_bits`` (zlib's
    code length of each text's characters), ``mem_tokens`` (per rendering, booleans over its predicted tokens: the
    knowledge tokens, the name's and every attribute value's, as Allen-Zhu & Li's Remark 3.1 counts them) and
    ``baseline_bits`` (what the generator pays for those tokens, the same for every person: log2 N0 for the name,
    drawn uniformly from N0 candidates, and log2 S0 − 1 for the attributes, the values drawn uniformly from their
    sets, the working city fixed by the employer; the gender's bit is left out with the pronoun, whose token also
    says which phrasing a sentence takes)."""
    corpus = run.pool_corpus()
    rendered = run.attacked()
    ids = np.flatnonzero(corpus.remap >= 0)  # the world's token id of each of the corpus's ids
    texts = [corpus.world.tokenizer.decode(ids[tokens[1:]]) for tokens, _ in rendered]
    masks = []
    for tokens, spans in rendered:
        mask = np.zeros(len(tokens) - 1, dtype=bool)
        for key, (start, end) in spans.items():
            if key != "pronoun":
                mask[start - 1:end - 1] = True  # predicted token t sits at position t - 1
        masks.append(mask)
    world = corpus.world
    bits = math.log2(world.n0) + world.log2_s0() - 1
    return dict(pool=[t for t, _ in rendered], texts=texts, zlib_bits=attacks.zlib_bits(texts), mem_tokens=masks,
                baseline_bits=np.full(len(rendered), bits))


def uniform_family_inputs(run) -> dict:
    """What :func:`family_scores` and :func:`blind_check` need for a family of uniform sequences (``run``: any of its
    :class:`~memcap.engine.runs.shadow.ShadowRun`): ``pool``, its 2N sequences. The rest stays at the defaults that
    fit uniform data: mem_U against the uniform distribution, zlib on the token ids, the ids spelt as words."""
    return dict(pool=run.pool())


@dataclass(frozen=True, eq=False)  # tables do not compare with ==
class FamilyAttack:
    """Every attack on one family (:func:`attack_family`): ``scores`` (:func:`family_scores`, one row per target and
    pool sample), ``metrics`` (:func:`metrics_by_attack`, one row per attack), ``track``
    (:func:`tracks_memorization`) and ``blind`` (:func:`blind_check` on the first target's split)."""

    scores: pd.DataFrame
    metrics: pd.DataFrame
    track: pd.DataFrame
    blind: dict

    def parts(self) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
        """The metrics, correlations and blind baseline, as :func:`results_table` reads one set."""
        return self.metrics, self.track, self.blind


def attack_family(models: Sequence, members, inputs: Mapping, *, reference=None, k: float = 0.2,
                  metrics_rng: np.random.Generator, blind_rng: np.random.Generator,
                  fprs: Sequence[float] = (0.01, 0.001), n_boot: int = 500, blind_level: float = 0.95,
                  memo: Callable | None = None) -> FamilyAttack:
    """One family through every step: the scores of every attack, their metrics, their correlations with mem_U, and
    the blind baseline on the first target's members and non-members. ``members``: the family's membership matrix;
    ``inputs``: what :func:`uniform_family_inputs`, :func:`bios_family_inputs` or :func:`text_family_inputs` gives
    (``pool`` and any of ``texts``, ``zlib_bits``, ``baseline_bits``, ``mem_tokens``). ``memo``: a chapter's
    ``run.memo`` (keeps each long step in the run store), or None to compute.

    >>> inputs = dict(pool=torch.zeros(4, 3, dtype=torch.long), colour="red")
    >>> attack_family([], np.ones((6, 4)), inputs, metrics_rng=None, blind_rng=None)
    Traceback (most recent call last):
    ...
    ValueError: inputs has keys attack_family does not know: ['colour']
    """
    unknown = sorted(set(inputs) - {"pool", "texts", "zlib_bits", "baseline_bits", "mem_tokens"})
    if unknown:
        raise ValueError(f"inputs has keys attack_family does not know: {unknown}")
    if "pool" not in inputs:
        raise ValueError(f"inputs has no pool (keys: {sorted(inputs)})")
    call = memo if memo is not None else (lambda fn, *a, **kw: fn(*a, **kw))
    inside = np.asarray(members, dtype=bool)
    extra = {name: inputs[key] for key, name in (("baseline_bits", "baseline_bits"), ("zlib_bits", "zlib_code_bits"),
                                                 ("mem_tokens", "mem_tokens")) if key in inputs}
    scores = call(family_scores, models, inputs["pool"], inside, reference=reference, k=k, **extra)
    table = call(metrics_by_attack, scores, rng=metrics_rng, fprs=fprs, n_boot=n_boot)
    texts = {"texts": inputs["texts"]} if "texts" in inputs else {}
    blind = call(blind_check, inputs["pool"], inside[0], rng=blind_rng, n_boot=n_boot, level=blind_level, **texts)
    return FamilyAttack(scores=pd.DataFrame(scores), metrics=pd.DataFrame(table), track=tracks_memorization(scores),
                        blind=blind)


def stack_families(families: Mapping, column: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The metrics, correlations and blind baselines of several families (``families``: set -> :class:`FamilyAttack`)
    as three tables, each row marked with its set in ``column`` (the blind baseline's first, the others' last)."""
    return (pd.concat([f.metrics.assign(**{column: key}) for key, f in families.items()], ignore_index=True),
            pd.concat([f.track.assign(**{column: key}) for key, f in families.items()], ignore_index=True),
            pd.DataFrame([{column: key, **f.blind} for key, f in families.items()]))


def auc_drops(metrics: pd.DataFrame, column: str) -> dict[str, float]:
    """Per attack, how far its AUC falls from the first set to the last (``metrics``: :func:`stack_families`'s
    first table, the sets in ``column`` in their order): the lower end of its interval on the first minus the upper
    end on the last, positive where the two intervals are apart.

        >>> m = pd.DataFrame(dict(n=[8, 8, 64, 64], attack=["LOSS", "zlib"] * 2, auc_low=[0.9, 0.8, 0.5, 0.5],
        ...                       auc_high=[1.0, 0.9, 0.6, 0.85]))
        >>> {a: round(d, 2) for a, d in auc_drops(m, "n").items()}
        {'LOSS': 0.3, 'zlib': -0.05}
    """
    sets = list(dict.fromkeys(metrics[column]))
    by = metrics.set_index([column, "attack"])
    return {a: float(by.loc[(sets[0], a), "auc_low"] - by.loc[(sets[-1], a), "auc_high"])
            for a in dict.fromkeys(metrics.attack)}


def lira_over_loss(metrics: pd.DataFrame, column: str, fpr: float) -> dict:
    """Online LiRA against LOSS at ``fpr``, on the largest set where LOSS finds members beyond chance (its TPR's lower
    bound above ``fpr``; ``metrics`` as in :func:`auc_drops`): ``at`` (that set, None where LOSS finds none),
    ``ratio`` (LiRA's TPR over LOSS's there) and ``loss_tpr`` (LOSS's), both NaN where there is no such set.

        >>> m = pd.DataFrame(dict(n=[8, 8, 64, 64], attack=["LOSS", "LiRA online"] * 2,
        ...                       **{"tpr_at_0.01": [0.5, 0.9, 0.02, 0.1], "tpr_at_0.01_low": [0.4, 0.8, 0.0, 0.05]}))
        >>> lira_over_loss(m, "n", 0.01)
        {'at': 8, 'ratio': 1.8, 'loss_tpr': 0.5}
    """
    col = f"tpr_at_{fpr:g}"
    by = metrics.set_index([column, "attack"])
    found = [s for s in dict.fromkeys(metrics[column]) if by.loc[(s, "LOSS"), f"{col}_low"] > fpr]
    if not found:
        return dict(at=None, ratio=math.nan, loss_tpr=math.nan)
    at = found[-1]
    loss = float(by.loc[(at, "LOSS"), col])
    return dict(at=at, ratio=float(by.loc[(at, "LiRA online"), col]) / loss, loss_tpr=loss)  # loss > fpr > 0


def results_table(parts: Mapping[str, tuple]) -> pd.DataFrame:
    """Every attack on every kind of data, one row each: ``parts`` maps a data kind to (the set its rows read, that
    set's :func:`metrics_by_attack` records, its :func:`tracks_memorization` rows, its :func:`blind_check`). Columns:
    ``data``, ``set``, ``attack``, the AUC with its interval, the TPR at each FPR read (the largest FPR first) and
    whether enough non-members were scored to read it (``resolved_…``, where the records say), Spearman's correlation
    with mem_U with its interval, and the blind baseline's AUC with its interval (the same on every row of a kind).

        >>> rows = [dict(attack="LOSS", auc=0.7, auc_low=0.6, auc_high=0.8, **{"tpr_at_0.001": 0.0, "tpr_at_0.01": 0.05,
        ...                                                                   "resolved_0.001": False})]
        >>> track = pd.DataFrame([dict(attack="LOSS", spearman=0.4, low=0.3, high=0.5, targets=8)])
        >>> t = results_table({"uniform": ("H(X)/P = 4", rows, track, dict(auc=0.5, low=0.4, high=0.6))})
        >>> t.columns.tolist()
        ['data', 'set', 'attack', 'auc', 'auc_low', 'auc_high', 'tpr_at_0.01', 'tpr_at_0.001', 'resolved_0.001', \
'spearman', 'spearman_low', 'spearman_high', 'blind_auc', 'blind_low', 'blind_high']
    """
    frames = []
    for kind, (where, records, track, blind) in parts.items():
        m = pd.DataFrame(records)
        tprs = sorted((c for c in m.columns if c.startswith("tpr_at_") and not c.endswith(("_low", "_high"))),
                      key=lambda c: -float(c.removeprefix("tpr_at_")))  # the largest FPR first
        t = pd.DataFrame(track)[["attack", "spearman", "low", "high"]].rename(
            columns=dict(low="spearman_low", high="spearman_high"))
        read = [f"resolved_{c.removeprefix('tpr_at_')}" for c in tprs]
        resolved = [c for c in read if c in m.columns]
        f = m[["attack", "auc", "auc_low", "auc_high", *tprs, *resolved]].merge(t, on="attack", how="left")
        f.insert(0, "set", where)
        f.insert(0, "data", kind)
        frames.append(f.assign(blind_auc=blind["auc"], blind_low=blind["low"], blind_high=blind["high"]))
    return pd.concat(frames, ignore_index=True)
