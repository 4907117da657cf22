"""The papers' published figures, each with where it is printed: what the chapters compare their measurements with.

Never a threshold: a chapter's claims are checked against baselines it measures itself (:mod:`memcap.book.presets`);
these numbers are drawn beside its results, in tables and as reference lines.

Sources (arXiv versions):

* Morris, Sitawarin, Guo, Kokhlikyan, Suh, Rush, Chaudhuri, Mahloujifar (2025), "How much do language models
  memorize?", arXiv:2505.24832 v3 — :data:`MORRIS`.
* Allen-Zhu & Li (2024), "Physics of Language Models: Part 3.3, Knowledge Capacity Scaling Laws",
  arXiv:2404.05405 v1 — :data:`ALLEN_ZHU_LI`.

    >>> round(MORRIS_TABLE1_MEANS["fp32"], 2), round(MORRIS_TABLE1_MEANS["bf16"], 2)   # recomputed from the table
    (3.83, 3.51)
    >>> MORRIS["alpha_fp32_mean"].value, MORRIS["alpha_bf16_mean"].value               # as printed
    (3.83, 3.51)
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Published(NamedTuple):
    """One published number: its value and where the paper prints it."""

    value: float
    source: str
    note: str = ""


# Morris et al. Table 1: capacity in bits per parameter, fp32 / bf16, for GPT-2-style models with V = 2048, S = 64.
# (layers, width) -> (fp32, bf16, parameters as printed)
MORRIS_TABLE1: dict[tuple[int, int], tuple[float, float, str]] = {
    (1, 32): (4.23, 3.93, "80.4K"), (1, 64): (3.92, 3.74, "185K"), (1, 128): (3.65, 3.61, "469K"),
    (1, 256): (3.12, 2.88, "1.33M"),
    (2, 32): (4.16, 3.56, "93.1K"), (2, 64): (4.08, 3.94, "235K"), (2, 128): (3.99, 3.89, "667K"),
    (2, 256): (4.01, 3.66, "2.12M"),
    (4, 32): (3.92, 3.37, "118K"), (4, 64): (3.98, 3.39, "335K"), (4, 128): (3.78, 3.53, "1.06M"),
    (4, 256): (3.68, 3.51, "3.70M"),
    (8, 32): (3.02, 2.86, "169K"), (8, 64): (3.83, 3.19, "535K"), (8, 128): (3.89, 3.49, "1.86M"),
    (8, 256): (3.96, 3.65, "6.86M"),
}
MORRIS_TABLE1_MEANS = {
    "fp32": sum(v[0] for v in MORRIS_TABLE1.values()) / len(MORRIS_TABLE1),
    "bf16": sum(v[1] for v in MORRIS_TABLE1.values()) / len(MORRIS_TABLE1),
}

MORRIS = {
    "alpha_fp32_mean": Published(3.83, "Table 1", "mean over the 16 models, fp32"),
    "alpha_bf16_mean": Published(3.51, "Table 1", "mean over the 16 models, bf16"),
    "alpha_fitted_bf16": Published(3.64, "§3", "slope fitted to capacity against parameters, bf16"),
    "alpha_approx": Published(3.6, "abstract, §3", "the headline: about 3.6 bits per parameter"),
    "table1_scatter": Published(0.5, "Table 1", "per-configuration scatter (±): compare means and slopes"),
    "double_descent_ratio": Published(1.0, "§4", "test loss peaks where dataset bits / capacity is about 1"),
    "f1_law_c1": Published(1.34, "§5", "F1 = ½(1 + c1·σ(c2·(Capacity/|D| + c3)))"),
    "f1_law_c2": Published(-0.034, "§5"),
    "f1_law_c3": Published(-33.14, "§5"),
    "steps": Published(1e6, "§3", "training steps of the synthetic runs (batch 2048, Adam, bf16, one A100)"),
    "batch_size": Published(2048, "§3"),
    "seeds": Published(5, "§3", "initialisation and data seeds per configuration"),
}

# bioS's attribute counts (Definition 4.3): S0 = 2 pronouns · (12 · 28 · 200) birth dates · 200 cities ·
# 300 universities · 100 majors · 263 employers; the working city is the employer's headquarters (no extra bits).
BIOS_S0_COUNTS = dict(pronouns=2, birth_dates=12 * 28 * 200, cities=200, universities=300, majors=100, employers=263)
BIOS_N0_COUNTS = dict(first=400, middle=400, last=1000)

ALLEN_ZHU_LI = {
    "peak_R_1000_exposures": Published(2.0, "Results 1-4, Fig. 1", "peak R(F) >= 2 bits/param at 1000 exposures"),
    "max_R": Published(2.3, "Results 1-4", "no model exceeds about 2.3"),
    "peak_R_100_exposures": Published(1.0, "Results 1-4", "peak R(F) >= 1 at 100 exposures"),
    "rmax_reached_below": Published(1.8, "Results 1-2", "models with R^max <= 1.8 reach R close to R^max"),
    "log2_s0": Published(47.6, "Definition 4.3", "bits of knowledge per bioS person"),
    "log2_s0_from_counts": Published(math.log2(math.prod(BIOS_S0_COUNTS.values())), "Definition 4.3",
                                     "log2 of the product of the attribute counts"),
    "int8_loss": Published(0.0, "Result 8", "GPTQ int8 after training: no capacity lost"),
    "int4_loss_factor": Published(2.0, "Result 8", "int4: capacity more than 2x lower"),
    "moe_loss_1000": Published(1.3, "Result 9", "32 experts, top-1: capacity per total parameter 1.3x lower"),
    "moe_loss_100": Published(1.5, "Result 9", "the same at 100 exposures"),
    "llama_loss_100": Published(1.3, "Results 5-7", "LLaMA up to 1.3x worse at 100 exposures (gated MLP)"),
    "no_mlp_loss_100": Published(1.5, "Results 5-7", "no MLP: more than 1.5x worse at 100 exposures"),
    "junk_loss_100": Published(20.0, "Results 10-12", "7/8 junk tokens: capacity about 20x lower at 100 exposures"),
    "junk_loss_300": Published(3.0, "Results 10-12"),
    "junk_loss_600": Published(1.5, "Results 10-12"),
    "junk_loss_1000": Published(1.3, "Results 10-12"),
    "domain_tag_loss_100": Published(2.0, "Results 10-12", "a domain tag on useful data limits the loss to about 2x"),
    "domain_tag_loss_300": Published(1.0, "Results 10-12", "with the domain tag, no loss left at 300 exposures"),
    "repetitive_junk_loss_100": Published(1.0, "Results 10-12", "highly repetitive junk (N' = 1K) costs nothing"),
    "architecture_loss_1000": Published(1.0, "Results 5-7", "at 1000 exposures architecture barely matters "
                                        "(LLaMA, Mistral, MLP/4, no MLP)"),
    "quarter_mlp_loss_100": Published(1.0, "Results 5-7", "MLP/4 (d -> d -> d) costs almost nothing at 100 exposures"),
    "moe_experts": Published(32, "Result 9", "experts, each d -> d -> d, top-1 routing"),
    "junk_ratio": Published(7 / 8, "Results 10-12", "share of training tokens from junk data"),
    "lr": Published(1e-3, "Parameter 1", "AdamW learning rate, N = 10K and 50K people, 1000 exposures"),
    "batch_50k_1000": Published(96, "Parameter 1", "batch size for N = 50K people at 1000 exposures"),
    "weight_decay_1000": Published(0.02, "Parameter 1", "weight decay at 1000 exposures"),
    "weight_decay_100": Published(0.01, "Parameter 2", "weight decay at 100 exposures"),
    "warmup_steps": Published(1000, "Parameter 1", "linear warm-up steps, then cosine decay to 0.1x"),
}


def table():
    """Every published figure as rows (paper, name, value, source, note): the book's reference table."""
    import pandas as pd

    rows = [dict(paper="Morris et al. 2025", name=k, **v._asdict()) for k, v in MORRIS.items()]
    rows += [dict(paper="Allen-Zhu & Li 2024", name=k, **v._asdict()) for k, v in ALLEN_ZHU_LI.items()]
    return pd.DataFrame(rows)


def table1(max_layers: int | None = None):
    """Morris et al.'s Table 1 as rows (n_layer, width, vocab_size, seq_len, n_params, fp32, bf16), the parameter
    counts as printed ("80.4K" -> 80,400); only models of at most ``max_layers`` layers when given.

        >>> t = table1(max_layers=1)
        >>> t.width.tolist(), t.n_params.tolist()[:2], t.fp32.tolist()[0]
        ([32, 64, 128, 256], [80400, 185000], 4.23)
    """
    import pandas as pd

    scale = {"K": 1e3, "M": 1e6}
    rows = [dict(n_layer=L, width=d, vocab_size=2048, seq_len=64, n_params=round(float(p[:-1]) * scale[p[-1]]),
                 fp32=fp32, bf16=bf16)
            for (L, d), (fp32, bf16, p) in sorted(MORRIS_TABLE1.items()) if max_layers is None or L <= max_layers]
    return pd.DataFrame(rows)
