"""Morris et al.'s Shannon view of memorization, computed exactly on a toy learning problem.

The toy problem has every ingredient of the definitions and is small enough to enumerate:

* a prior over a finite family of data-generating models Θ (categorical distributions over k symbols);
* a dataset X = (X1..Xn) drawn i.i.d. from the chosen model;
* a deterministic learner Θ̂ = L(X).

Enumerating all k**n datasets gives the joint P(Θ, X, Θ̂) exactly, hence (in bits)

    mem(X, Θ̂)      = I(X; Θ̂)     = H(X) − H(X | Θ̂)                total memorization
    mem_U(X, Θ̂, Θ) = I(X; Θ̂ | Θ) = H(X | Θ) − H(X | Θ, Θ̂)        unintended memorization
    mem_I          = mem − mem_U  = I(Θ; Θ̂)                        generalization

The last identity holds because Θ → X → Θ̂ is a Markov chain. Proposition 1 (super-additivity) says
Σ_i mem_U(X_i, Θ̂, Θ) ≤ mem_U(X, Θ̂, Θ) ≤ H(Θ̂).

    >>> coins = ((0.8, 0.2), (0.5, 0.5), (0.2, 0.8))
    >>> m = shannon_memorization(coins, (1/3, 1/3, 1/3), n=4, learner=memorize_all)
    >>> round(m.total_bits, 3) == round(m.entropy_x_bits, 3)   # storing X verbatim memorizes all of it
    True
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from memcap.theory.information import check_distribution, conditional_mutual_information, entropy, mutual_information

Learner = Callable[[tuple[int, ...]], Hashable]

MAX_DATASETS = 2**20  # enumeration limit: k**n datasets times |family| probabilities must fit in memory


@dataclass(frozen=True)
class ShannonMemorization:
    """Every quantity of Morris et al. §2.1 for one (family, prior, n, learner), in bits."""

    n: int
    entropy_x_bits: float  # H(X)
    entropy_x_given_theta_bits: float  # H(X | Θ)
    entropy_model_bits: float  # H(Θ̂): the cap of Proposition 1
    total_bits: float  # mem = I(X; Θ̂)
    unintended_bits: float  # mem_U = I(X; Θ̂ | Θ)
    generalization_bits: float  # mem_I = mem − mem_U
    theta_model_information_bits: float  # I(Θ; Θ̂), equal to mem_I by the data-processing chain
    per_sample_unintended_bits: tuple[float, ...]  # mem_U(X_i, Θ̂, Θ) for i = 1..n

    @property
    def per_sample_sum_bits(self) -> float:
        """Σ_i mem_U(X_i, Θ̂, Θ): the lower side of Proposition 1."""
        return float(sum(self.per_sample_unintended_bits))


def enumerate_datasets(k: int, n: int) -> np.ndarray:
    """All k**n datasets of n symbols from {0..k-1}, one per row, in lexicographic order.

        >>> enumerate_datasets(2, 2).tolist()
        [[0, 0], [0, 1], [1, 0], [1, 1]]
    """
    if k < 1 or n < 1:
        raise ValueError(f"need k >= 1 and n >= 1, got k={k}, n={n}")
    if k**n > MAX_DATASETS:
        raise ValueError(f"k**n = {k}**{n} = {k**n} datasets exceeds the enumeration limit {MAX_DATASETS}")
    return np.array(list(itertools.product(range(k), repeat=n)), dtype=np.int64).reshape(k**n, n)


def _check_family(family, prior) -> tuple[np.ndarray, np.ndarray]:
    thetas = np.asarray(family, dtype=float)
    if thetas.ndim != 2:
        raise ValueError(f"family must be a list of distributions (2 axes), got shape {thetas.shape}")
    for i, theta in enumerate(thetas):
        check_distribution(theta, f"family[{i}]")
    prior_arr = check_distribution(prior, "prior", ndim=1)
    if prior_arr.shape[0] != thetas.shape[0]:
        raise ValueError(f"prior has {prior_arr.shape[0]} entries but the family has {thetas.shape[0]} models")
    return thetas, prior_arr


def shannon_memorization(
    family: Sequence[Sequence[float]], prior: Sequence[float], n: int, learner: Learner
) -> ShannonMemorization:
    """Compute total, unintended and intended memorization exactly, by enumerating every dataset."""
    thetas, prior_arr = _check_family(family, prior)
    k = thetas.shape[1]
    datasets = enumerate_datasets(k, n)  # (D, n)
    # P(Θ = t, X = x) for every model t and dataset x:  (m, D)
    p_theta_x = prior_arr[:, None] * np.prod(thetas[:, datasets], axis=2)

    keys: dict[Hashable, int] = {}
    labels = np.array([keys.setdefault(learner(tuple(x)), len(keys)) for x in datasets.tolist()])
    n_models = len(keys)
    # P(Θ = t, Θ̂ = j): (m, M)
    p_theta_model = np.stack([np.bincount(labels, weights=row, minlength=n_models) for row in p_theta_x])

    h_theta = entropy(prior_arr)
    h_x = entropy(p_theta_x.sum(axis=0))
    h_theta_x = entropy(p_theta_x)
    h_model = entropy(p_theta_model.sum(axis=0))
    h_theta_model = entropy(p_theta_model)
    # Θ̂ is a function of X, so H(X, Θ̂) = H(X) and H(Θ, X, Θ̂) = H(Θ, X).
    total = h_model  # H(X) − H(X | Θ̂) = H(X) − (H(X) − H(Θ̂))
    unintended = (h_theta_x - h_theta) - (h_theta_x - h_theta_model)  # H(X|Θ) − H(X|Θ,Θ̂)

    per_sample = []
    for i in range(n):
        # P(X_i = a, Θ̂ = j, Θ = t): (k, M, m)
        joint = np.stack(
            [np.bincount(datasets[:, i] * n_models + labels, weights=row, minlength=k * n_models) for row in p_theta_x],
            axis=-1,
        ).reshape(k, n_models, -1)
        per_sample.append(conditional_mutual_information(joint / joint.sum()))

    return ShannonMemorization(
        n=n,
        entropy_x_bits=h_x,
        entropy_x_given_theta_bits=h_theta_x - h_theta,
        entropy_model_bits=h_model,
        total_bits=total,
        unintended_bits=max(0.0, unintended),
        generalization_bits=total - max(0.0, unintended),
        theta_model_information_bits=mutual_information(p_theta_model),
        per_sample_unintended_bits=tuple(per_sample),
    )


# --- learners: each maps a dataset (a tuple of symbols) to a hashable "model" -------------------------


def memorize_all(x: tuple[int, ...]) -> Hashable:
    """Store the dataset verbatim: all information about X ends up in the model.

        >>> memorize_all((0, 1, 1))
        (0, 1, 1)
    """
    return x


def count_symbols(x: tuple[int, ...]) -> Hashable:
    """Store the symbol counts (the sufficient statistic of an i.i.d. source): the maximum-likelihood
    estimate, which generalizes but also keeps some detail of this particular sample.

        >>> count_symbols((0, 1, 1))
        (1, 2)
    """
    return tuple(np.bincount(np.asarray(x), minlength=max(x) + 1).tolist()) if x else ()


def map_estimate(family: Sequence[Sequence[float]], prior: Sequence[float]) -> Learner:
    """Learner returning the index of the most probable model given the data (Bayes' choice).

    It keeps only what identifies the data process: as n grows, Θ̂ → Θ and mem_U → 0.

        >>> learner = map_estimate(((0.9, 0.1), (0.1, 0.9)), (0.5, 0.5))
        >>> learner((1, 1, 0))
        1
    """
    thetas, prior_arr = _check_family(family, prior)
    log_prior = np.log(prior_arr)
    log_thetas = np.log(np.clip(thetas, 1e-300, None))

    def learner(x: tuple[int, ...]) -> Hashable:
        scores = log_prior + log_thetas[:, list(x)].sum(axis=1)
        return int(np.argmax(scores))

    return learner


def memorize_first(m: int, family: Sequence[Sequence[float]], prior: Sequence[float]) -> Learner:
    """A learner with a fixed memory: the MAP model plus the first ``m`` samples verbatim.

    Its unintended memorization stops growing once n > m: a toy version of a capacity plateau.

        >>> memorize_first(2, ((0.9, 0.1), (0.1, 0.9)), (0.5, 0.5))((1, 0, 1))
        (1, (1, 0))
    """
    if m < 0:
        raise ValueError(f"m must be >= 0, got m={m}")
    estimate = map_estimate(family, prior)
    return lambda x: (estimate(x), x[:m])
