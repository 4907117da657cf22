"""Are chapter 6's members and non-members the same text? The splits' mix of editions, the blind baseline
(:mod:`memcap.measures.blind`) with folds by work, block or sample, and one attack on two deals of the corpus.

    >>> round(edition_ceiling(0.126, 0.033), 3)     # a perfect Milton detector on a 12.6 % against 3.3 % mix
    0.546
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from memcap.measures import blind

GROUPINGS = ("work", "block", "sample")  # what the blind baseline's folds keep whole


def edition_mix(splits) -> pd.DataFrame:
    """One row per split: its sequences and the share of them from each edition
    (:meth:`~memcap.data.text.TextSplits.edition_shares`)."""
    shares = splits.edition_shares()
    rows = [dict(split=name, sequences=len(getattr(splits, name)), **{f"{e}_share": v for e, v in mix.items()})
            for name, mix in shares.items()]
    return pd.DataFrame(rows).set_index("split").fillna(0.0)


def edition_ceiling(member_share: float, nonmember_share: float) -> float:
    """The AUC of a perfect detector of one edition, and nothing else, when it is ``member_share`` of the members and
    ``nonmember_share`` of the non-members: how far a shift in the mix alone can move an AUC."""
    a, b = member_share, nonmember_share
    return a * (1 - b) + 0.5 * (a * b + (1 - a) * (1 - b))


def blind_members(splits, rng: np.random.Generator, max_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the pool and of the test split for the blind baseline: as many pool rows (drawn at random, as target
    training sets are) as test rows, at most ``max_samples`` of each."""
    n = min(len(splits.test), len(splits.pool), max_samples)
    return rng.choice(len(splits.pool), n, replace=False), np.sort(rng.choice(len(splits.test), n, replace=False))


def blind_table(deals: Mapping[str, object], *, seed: int, max_samples: int, n_boot: int,
                groupings: tuple[str, ...] = GROUPINGS) -> list[dict]:
    """The blind baseline, pool against test, for every deal of the corpus (name ->
    :class:`~memcap.data.text.TextSpec`) and every grouping of the folds (:data:`GROUPINGS`), one record each: AUC
    with its 95 % interval and the sequences per class. Random draws from ``seed`` (the same pool rows per deal
    whatever the groupings). Plain records, so a chapter can keep them (``run.memo``)."""
    from memcap.data.text import decode, make_splits

    rows = []
    for i, (name, spec) in enumerate(deals.items()):
        splits = make_splits(spec)
        pool_rows, test_rows = blind_members(splits, np.random.default_rng([seed, 700, i]), max_samples)
        members = [decode(splits.tokenizer, r) for r in splits.pool[pool_rows]]
        others = [decode(splits.tokenizer, r) for r in splits.test[test_rows]]
        for j, grouping in enumerate(groupings):
            if grouping == "sample":
                g_in, g_out = np.arange(len(members)), len(members) + np.arange(len(others))
            else:
                col = 0 if grouping == "work" else 1
                g_in, g_out = splits.origin["pool"][pool_rows, col], splits.origin["test"][test_rows, col]
            got = blind.blind_baseline(members, others, g_in, g_out, rng=np.random.default_rng([seed, 800, i, j]),
                                       n_boot=n_boot).auc
            rows.append(dict(deal=name, folds_by=grouping, auc=got.auc, auc_low=got.low, auc_high=got.high,
                             per_class=got.n_positive))
    return rows


def attacked_rows(run, splits, max_samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What a text run is attacked on: the pool rows of its first training sequences (members) and, as many, the
    first test sequences (non-members), at most ``max_samples`` of each; then each member's work and each
    non-member's work. Returns (member pool rows, member works, non-member works); the non-members are the test
    split's first ``len(rows)`` rows."""
    rows = run.train_indices(len(splits.pool))[:min(len(splits.test), max_samples)]
    return rows, splits.origin["pool"][rows, 0], splits.origin["test"][:len(rows), 0]


def attack_auc(metrics: Mapping, run, splits, *, rng: np.random.Generator, max_samples: int,
               n_boot: int) -> blind.AUC:
    """The loss attack's AUC on a text run (members and non-members: :func:`attacked_rows`), with an interval that
    resamples whole works (:func:`~memcap.measures.blind.auc_by_group`): a work's sequences share its style and
    its names."""
    test = np.asarray(metrics["test_bits"])  # the test sequences the run coded
    rows, works_in, works_out = attacked_rows(run, splits, min(max_samples, len(test)))
    train, test = np.asarray(metrics["train_bits"])[:len(rows)], test[:len(rows)]
    return blind.auc_by_group(-train, -test, works_in, works_out, rng=rng, n_boot=n_boot)


def deal_attacks(entries: Mapping[str, tuple], *, rng: Callable[[int], np.random.Generator], max_samples: int,
                 n_boot: int) -> pd.DataFrame:
    """The loss attack on one run per deal (name -> (run, its metrics, its deal's TextSplits)), one row each: chapter
    5's calibrated F1 with its interval and baseline (:func:`~memcap.measures.text.loss_attack`) and the AUC with an
    interval over works (:func:`attack_auc`). Every deal draws from the same streams of ``rng(stream)``."""
    from memcap.measures.text import loss_attack

    rows = []
    for name, (run, metrics, splits) in entries.items():
        f1 = loss_attack(metrics, max_samples, rng(900), rng(901), n_boot)
        area = attack_auc(metrics, run, splits, rng=rng(902), max_samples=max_samples, n_boot=n_boot)
        rows.append(dict(deal=name, width=run.model.d_model, n=run.n_sequences, f1=f1["f1"], f1_low=f1["f1_low"],
                         f1_high=f1["f1_high"], null_f1_high=f1["null_f1_high"], auc=area.auc, auc_low=area.low,
                         auc_high=area.high))
    return pd.DataFrame(rows)
